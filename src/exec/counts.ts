/**
 * Read-only counts for `plan`, `report` and the overdue-rows metric: what each stage would
 * find due now, how much of it is held, and (for deletes) how much is referenced by child
 * rows right now. Blocked is an upper bound: children due in the same run go first.
 */
import { sql, type RawBuilder } from 'kysely';
import type { ApprovedStage } from '../audit/approvals.js';
import type { StageTask } from '../plan/planner.js';
import type { Adapter } from '../store/types.js';
import { blockedPredicate, heldPredicate, type HeldKeys } from './holds.js';
import { instructedRows } from './instructions.js';
import { duePredicate, fromWithClock, scope, T, tenantScope } from './sql-fragments.js';

export interface StageCounts {
  due: number;
  held: number;
  blocked: number;
  /** The provider's rows in the table. */
  total: number;
  /** The oldest clock value among due rows, as Adapter.clockRaw renders it (for the clock reader). */
  oldest: unknown;
  /** Rows of the stage's rule (due or not) a customer instruction reaches. */
  instructed: number;
}

/** Counts a stage's due, held and blocked rows without changing anything. */
export async function countStage(adapter: Adapter, task: StageTask, holds: HeldKeys): Promise<StageCounts> {
  const { from, clock } = fromWithClock(task);
  const due = duePredicate(adapter, task, clock);
  const one = async (q: RawBuilder<unknown>) => ((await (q as RawBuilder<{ n: unknown; o?: unknown }>).execute(adapter.db)).rows[0] ?? { n: 0 });
  const d = await one(sql`select count(*) as n, min(${adapter.clockRaw(clock, task.clock.column, task.clock.spec)}) as o from ${from} where ${due}`);
  const held = heldPredicate(adapter, task, holds);
  const blocked = blockedPredicate(task);
  const h = held ? Number((await one(sql`select count(*) as n from ${from} where ${due} and ${held}`)).n) : 0;
  const b = blocked ? Number((await one(sql`select count(*) as n from ${from} where ${due} and ${blocked}${held ? sql` and not ${held}` : sql``}`)).n) : 0;
  const total = Number((await one(sql`select count(*) as n from ${sql.table(task.table.name)} as ${sql.id(T)} where ${tenantScope(task.scope)}`)).n);
  const reached = instructedRows(adapter, task);
  const instructed = reached ? Number((await one(sql`select count(*) as n from ${sql.table(task.table.name)} as ${sql.id(T)} where ${scope(task.rule, task.scope)} and ${reached}`)).n) : 0;
  return { due: Number(d.n), held: h, blocked: b, total, oldest: d.o ?? null, instructed };
}

/** Just the due rows of a stage (the overdue gauge after each run needs nothing more). */
export async function countDue(adapter: Adapter, task: StageTask): Promise<number> {
  const { from, clock } = fromWithClock(task);
  const r = await sql<{ n: unknown }>`select count(*) as n from ${from} where ${duePredicate(adapter, task, clock)}`.execute(adapter.db);
  return Number(r.rows[0]?.n ?? 0);
}

/** What the guard does to a stage: nothing (`ok`), stop it, or let it through by an approved plan. */
export type GuardOutcome = { guard: 'ok' | 'would stop'; planId: null } | { guard: 'approved'; planId: number };

/**
 * The guard's decision on a stage with these counts, as the executor makes it (checkGuard):
 * stopped when the due rows exceed min_rows and max_fraction of the provider's rows, unless
 * an approved plan for the policy covers the stage with at least as many rows. For plan and
 * explain, so neither promises a change the run will refuse.
 */
export function guardOutcome(task: StageTask, c: Pick<StageCounts, 'due' | 'total'>, approvals: readonly ApprovedStage[]): GuardOutcome {
  const { maxFraction, minRows } = task.provider.guard;
  if (!(c.due > minRows && c.due > 0 && c.due > maxFraction * c.total)) return { guard: 'ok', planId: null };
  const a = approvals.find((x) => x.provider === task.provider.id && x.rule === task.rule.id && x.stage === task.stage.index && c.due <= x.due);
  return a ? { guard: 'approved', planId: a.planId } : { guard: 'would stop', planId: null };
}
