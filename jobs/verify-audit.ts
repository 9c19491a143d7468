/**
 * The verify job: recomputes the audit chain. The daemon runs it at start, so a log that
 * was edited or truncated while lethe was down is reported before anything is appended.
 */
import type { Logger } from 'pino';
import { verifyChain, type VerifyResult } from '../src/audit/chain.js';
import type { Adapter } from '../src/store/types.js';

/** Verifies the chain and logs the outcome (error level when broken). */
export async function verifyAudit(adapter: Adapter, log: Logger): Promise<VerifyResult> {
  const r = await verifyChain(adapter);
  if (r.ok) log.info({ event: 'audit:verified', entries: r.checked }, 'audit chain verifies');
  else log.error({ event: 'audit:broken', first_bad_seq: r.firstBad, reason: r.reason, entries_ok: r.checked }, 'audit chain does not verify');
  return r;
}
