/**
 * A batch fence (EnforceOptions.fence) that runs `act` before the `at`-th batch's statements
 * and then checks nothing: the hook tests use to make another connection write at a chosen
 * point of a run. It locks the audit head as the lease's fence would.
 */
import { lockAuditHead } from '../../src/audit/chain.js';
import type { BatchFence } from '../../src/lease.js';
import type { Adapter } from '../../src/store/types.js';

export function fenceBefore(adapter: Adapter, at: number, act: () => Promise<void>): BatchFence {
  let batches = 0;
  const before = async () => {
    if (++batches === at) await act();
  };
  return {
    check: before,
    checkAndLockHead: async (tx) => {
      await before();
      return lockAuditHead(adapter, tx);
    },
  };
}
