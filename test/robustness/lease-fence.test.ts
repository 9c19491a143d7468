/**
 * The fence (DESIGN §8): every batch transaction of a fenced run checks that this process
 * still holds the enforcer lease's token, in the statement that also locks the audit chain's
 * head. A batch that finds the lease taken over, or gone, commits nothing: the stage fails
 * with the lease error, the rows of that batch and after stay, and the audit holds the
 * batches before it only.
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditHead } from '../../src/audit/chain.js';
import { Lease, type BatchFence } from '../../src/lease.js';
import { letheDb } from '../../src/store/lethe-tables.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { callsPolicy, CLOCK_TYPE, fillCalls } from '../support/calls.js';
import { testEngines } from '../support/engines.js';
import { enforce } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const BATCH = 100;
const DUE = 500;

/** The lease, with `change` done to lethe_lease inside the transaction of batch `at` (1-based), before its check. */
function changedAtBatch(lease: Lease, at: number, change: (tx: Kysely<any>) => Promise<unknown>): BatchFence & { calls: number } {
  const f = {
    calls: 0,
    check: (tx: Kysely<any>) => lease.check(tx),
    async checkAndLockHead(tx: Kysely<any>): Promise<AuditHead | null> {
      if (++f.calls === at) await change(tx);
      return lease.checkAndLockHead(tx);
    },
  };
  return f;
}

let store: VendorStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe.each(engines)('the lease fence on %s', (engine) => {
  async function fencedRun(change: (tx: Kysely<any>) => Promise<unknown>) {
    store = await vendorStore(engine, { ddl: [`create table calls (id integer primary key, started_at ${CLOCK_TYPE[engine]})`], policy: callsPolicy({ batch_size: String(BATCH), throttle: 'off' }) });
    await fillCalls(store, DUE + 50, DUE);
    await ensureLetheTables(store.adapter);
    const lease = new Lease(store.adapter, 'test:1:fence', 60_000);
    expect((await lease.acquire()).ok).toBe(true);
    const fence = changedAtBatch(lease, 3, change);
    const result = await enforce(store, { fence });
    const left = Number((await store.adapter.db.selectFrom('calls').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const entries = await letheDb(store.adapter).selectFrom('lethe_audit').select(['action', 'row_count']).where('action', '=', 'delete').execute();
    return { result, left, entries, lease };
  }

  it('refuses the batch that finds the token taken over, and everything after it', async () => {
    const { result, left, entries, lease } = await fencedRun((tx) => letheDb(store!.adapter, tx).updateTable('lethe_lease').set((e) => ({ holder: 'other:2:replica', token: e('token', '+', 1) })).execute());
    const stage = result.stages.find((s) => s.table === 'calls')!;
    expect(stage.status).toBe('failed');
    expect(stage.error).toMatch(/enforcer lease passed to other:2:replica \(token 2\)/);
    // Batches 1 and 2 committed; batch 3 rolled back (the take-over with it), and none ran after.
    expect(entries.map((e) => Number(e.row_count))).toEqual([BATCH, BATCH]);
    expect(left).toBe(DUE + 50 - 2 * BATCH);
    expect(lease.token).toBeNull();
  });

  it('refuses the batch that finds the lease row gone', async () => {
    const { result, left, entries } = await fencedRun((tx) => letheDb(store!.adapter, tx).deleteFrom('lethe_lease').execute());
    const stage = result.stages.find((s) => s.table === 'calls')!;
    expect(stage.status).toBe('failed');
    expect(stage.error).toMatch(/enforcer lease passed to nobody/);
    expect(entries.map((e) => Number(e.row_count))).toEqual([BATCH, BATCH]);
    expect(left).toBe(DUE + 50 - 2 * BATCH);
  });
});
