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
    await closeAbandoned(tx, c.startedAt);
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

/**
 * Closes runs a killed process left `running` as `interrupted`, with the totals their
 * committed batches really had: each batch's audit entry was written in its transaction, so
 * the audit (not the zero the killed process never got to update) says what they changed.
 */
async function closeAbandoned(tx: Kysely<any>, at: string): Promise<void> {
  const abandoned = await tx.selectFrom('lethe_runs').select('id').where('status', '=', 'running').execute();
  for (const { id } of abandoned) {
    const sums = await tx
      .selectFrom('lethe_audit')
      .select((eb) => [eb.fn.sum<number>('row_count').as('n'), eb.fn.countAll<number>().as('entries')])
      .where('run_id', '=', Number(id))
      .where('action', 'in', ['delete', 'anonymise', 'set'])
      .executeTakeFirst();
    await tx
      .updateTable('lethe_runs')
      .set({ status: 'interrupted', changed: Number(sums?.n ?? 0), error: 'the process ended before the run finished', finished_at: at })
      .where('id', '=', Number(id))
      .where('status', '=', 'running')
      .execute();
  }
}

/** Closes abandoned runs now (at daemon start), so their real totals show before the next run. */
export async function closeAbandonedRuns(adapter: Adapter, at: string): Promise<void> {
  await adapter.transaction((t) => closeAbandoned(letheDb(adapter, t), at));
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
