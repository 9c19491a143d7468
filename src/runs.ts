/**
 * lethe_runs: each run is claimed (inserted as `running`) before it does anything, and
 * finished with its status and totals. A run left `running` by a killed process is marked
 * `interrupted` by the next run that claims.
 */
import type { Kysely } from 'kysely';
import type { RunResult } from './exec/outcomes.js';
import { letheDb } from './store/lethe-tables.js';
import type { Adapter } from './store/types.js';

export interface Claim {
  trigger: 'schedule' | 'cli';
  /** `provider@tick` for scheduled runs; unique in lethe_runs. */
  slot?: string | null;
  provider: string | null;
  rule: string | null;
  now: string;
  startedAt: string;
  policySha256: string;
}

/** Inserts the run row and returns its id. Earlier runs still marked running are closed as interrupted. */
export async function claimRun(adapter: Adapter, c: Claim): Promise<number> {
  return adapter.transaction(async (t) => {
    const tx = letheDb(adapter, t);
    await tx
      .updateTable('lethe_runs')
      .set({ status: 'interrupted', error: 'the process ended before the run finished', finished_at: c.startedAt })
      .where('status', '=', 'running')
      .execute();
    const values = {
      trigger: c.trigger,
      slot: c.slot ?? null,
      provider: c.provider,
      rule: c.rule,
      now: c.now,
      status: 'running',
      started_at: c.startedAt,
      policy_sha256: c.policySha256,
    };
    return insertId(adapter, tx, values);
  });
}

async function insertId(adapter: Adapter, tx: Kysely<any>, values: Record<string, unknown>): Promise<number> {
  if (adapter.supportsReturning) {
    const row = await tx.insertInto('lethe_runs').values(values).returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const res = await tx.insertInto('lethe_runs').values(values).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

/** Writes the run's final status, totals and per-stage outcomes. */
export async function finishRun(adapter: Adapter, r: RunResult): Promise<void> {
  await letheDb(adapter)
    .updateTable('lethe_runs')
    .set({
      status: r.status,
      due: r.due,
      changed: r.changed,
      held: r.held,
      blocked: r.blocked,
      guarded: r.guarded,
      finished_at: r.finishedAt,
      duration_ms: Math.round(r.durationMs),
      stages: JSON.stringify(r.stages),
      error: r.error,
    })
    .where('id', '=', r.runId)
    .execute();
}

/** Whether a scheduled slot has already been claimed (by this process before a restart, or a peer). */
export async function slotClaimed(adapter: Adapter, slot: string): Promise<boolean> {
  const r = await letheDb(adapter).selectFrom('lethe_runs').select('id').where('slot', '=', slot).executeTakeFirst();
  return r !== undefined;
}
