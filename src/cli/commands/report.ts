/** `lethe report`: compliance posture per provider and rule — covered, overdue, oldest age, gaps, last run. */
import { sql } from 'kysely';
import { countStage } from '../../exec/counts.js';
import { activeHolds } from '../../exec/holds.js';
import { scope, T } from '../../exec/sql-fragments.js';
import { keyColumnsOf, planRun, scopeOf } from '../../plan/planner.js';
import { censusClock } from '../../clock/health.js';
import type { ClockSpec, ColumnInfo } from '../../store/types.js';
import { letheDb } from '../../store/lethe-tables.js';
import { findTable } from '../../plan/fk-graph.js';
import { instantOf, readClock } from '../../clock/read.js';
import { isoUtc } from '../../store/timestamps.js';
import { table } from '../format.js';
import type { Runtime } from '../context.js';

/** The census of a rule's clock column (table resolved through the schema). */
async function censusFor(rt: Runtime, table: string, column: ColumnInfo, spec: ClockSpec) {
  const t = findTable(rt.schema, table);
  return t ? censusClock(rt.adapter, t, keyColumnsOf(rt.policy, rt.schema, t.name), column, spec) : null;
}

export async function reportCommand(rt: Runtime): Promise<number> {
  const now = rt.now ?? (await rt.adapter.dbNow());
  const plan = planRun(rt.policy, now, rt.schema);
  const holds = await activeHolds(rt.adapter, rt.adapter.db, now);
  const rows: Record<string, unknown>[] = [];
  for (const pp of plan.providers) {
    const last = await letheDb(rt.adapter)
      .selectFrom('lethe_runs')
      .select(['id', 'finished_at', 'status'])
      .where((eb) => eb.or([eb('provider', '=', pp.provider.id), eb('provider', 'is', null)]))
      .where('status', 'in', ['ok', 'guarded'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const lastRun = last ? `${String(last.finished_at)} (run ${Number(last.id)}, ${String(last.status)})` : 'never';
    for (const rule of pp.provider.rules) {
      const covered = Number(
        ((await sql<{ n: unknown }>`select count(*) as n from ${sql.table(findTable(rt.schema, rule.table)!.name)} as ${sql.id(T)} where ${scope(rule, scopeOf(rt.policy, pp.provider, rule, rt.schema))}`.execute(rt.adapter.db)).rows[0]?.n) ?? 0,
      );
      const base = { provider: pp.provider.id, rule: rule.id, table: rule.table, kind: rule.kind, covered, last_run: lastRun };
      if (rule.kind !== 'enforce') {
        rows.push({ ...base, period: rule.kind === 'unspecified' ? 'unspecified (gap)' : `retain ${rule.after.text}`, overdue: null, held: null, blocked: null, oldest_days: null });
        continue;
      }
      let overdue = 0;
      let held = 0;
      let blocked = 0;
      let oldest: Date | null = null;
      // Values of the rule's clock that are not clocks: never due, so counted here (a full scan: report and check only).
      const clockTable = pp.tasks.find((t) => t.rule === rule)?.clock;
      const census = clockTable ? await censusFor(rt, rule.clock.table, clockTable.column, clockTable.spec) : null;
      for (const task of pp.tasks.filter((t) => t.rule === rule)) {
        const c = await countStage(rt.adapter, task, holds);
        overdue += c.due;
        held += c.held;
        blocked += c.blocked;
        const o = instantOf(readClock(c.oldest, task.clock.spec), task.clock.spec.zone);
        if (o && (!oldest || o < oldest)) oldest = o;
      }
      rows.push({
        ...base,
        period: rule.stages.map((s) => `${s.action.kind} ${s.after.text}`).join(', '),
        overdue,
        held,
        blocked,
        oldest_days: oldest ? Math.floor((now.getTime() - oldest.getTime()) / 86_400_000) : null,
        bad_clocks: census?.invalid ?? 0,
        first_bad_clock: census?.first ? { key: census.first.key, shape: census.first.shape } : null,
      });
    }
  }
  const gaps = rows.filter((r) => r.kind === 'unspecified').length;
  if (rt.json) process.stdout.write(JSON.stringify({ now: isoUtc(now), rules: rows, unspecified: gaps }, null, 2) + '\n');
  else {
    const headers = ['provider', 'rule', 'table', 'period', 'covered', 'overdue', 'held', 'blocked', 'bad_clocks', 'oldest_days', 'last_run'];
    process.stdout.write(table(headers, rows.map((r) => headers.map((h) => r[h] as string | number | null))));
    process.stdout.write(`now ${isoUtc(now)}; ${gaps} rule(s) with an unspecified period (documented, not enforced). "oldest_days" is the age of the oldest overdue clock; "bad_clocks" counts values that are not valid clocks (never due; lethe check names the first).\n`);
  }
  return 0;
}
