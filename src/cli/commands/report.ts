/** `lethe report`: compliance posture per provider and rule — covered, overdue, oldest age, gaps, last run. */
import { sql } from 'kysely';
import { countStage } from '../../exec/counts.js';
import { activeHolds } from '../../exec/holds.js';
import { activeInstructions } from '../../exec/instructions.js';
import { scope, T } from '../../exec/sql-fragments.js';
import { keyColumnsOf, planRun, scopeOf } from '../../plan/planner.js';
import { censusClock } from '../../clock/health.js';
import type { ClockSpec, ColumnInfo } from '../../store/types.js';
import { letheDb } from '../../store/lethe-tables.js';
import { findTable } from '../../plan/fk-graph.js';
import { readClock } from '../../clock/read.js';
import { dueDate } from '../../clock/due.js';
import { isoUtc } from '../../store/timestamps.js';
import { requestSummary } from '../../requests/status.js';
import { requestsText } from '../requests-section.js';
import { csv, outputFormat, table } from '../format.js';
import { checkFilter } from './run.js';
import type { Runtime } from '../context.js';

/** The census of a rule's clock column (table resolved through the schema). */
async function censusFor(rt: Pick<Runtime, 'adapter' | 'schema' | 'policy'>, table: string, column: ColumnInfo, spec: ClockSpec) {
  const t = findTable(rt.schema, table);
  return t ? censusClock(rt.adapter, t, keyColumnsOf(rt.policy, rt.schema, t.name), column, spec) : null;
}

/** A rule's last finished run (ok or guarded), as the report shows it. */
export interface LastRun {
  id: number;
  finished_at: string;
  status: string;
}

/** One line of the report: a rule's coverage and how far behind it is (the counts are null for a rule that is not enforced). */
export interface ReportRow {
  provider: string;
  rule: string;
  table: string;
  kind: string;
  /** The rule's `note:` (the operator's rationale), or null. */
  note: string | null;
  covered: number;
  last_run: LastRun | null;
  period: string;
  overdue: number | null;
  held: number | null;
  blocked: number | null;
  oldest_days: number | null;
  bad_clocks?: number;
  /** Rows of a rule that takes customer instructions that an instruction reaches (due or not). */
  instructed?: number;
  first_bad_clock?: { key: unknown; shape: string } | null;
}

export interface Report {
  now: Date;
  rows: ReportRow[];
  /** Rules with an unspecified period (documented, not enforced). */
  gaps: number;
}

/**
 * The compliance report's rows, per provider and rule, at the injected now or the store's
 * clock; the CLI prints them and the web view renders them. The provider is not checked here:
 * each caller reports an unknown one its own way.
 */
export async function computeReport(rt: Pick<Runtime, 'adapter' | 'schema' | 'policy' | 'now'>, f: { provider?: string } = {}): Promise<Report> {
  const now = rt.now ?? (await rt.adapter.dbNow());
  const plan = planRun(rt.policy, now, rt.schema, { provider: f.provider }, await activeInstructions(rt.adapter, rt.adapter.db, now));
  const holds = await activeHolds(rt.adapter, rt.adapter.db, now);
  const rows: ReportRow[] = [];
  for (const pp of plan.providers) {
    const last = await letheDb(rt.adapter)
      .selectFrom('lethe_runs')
      .select(['id', 'finished_at', 'status'])
      .where((eb) => eb.or([eb('provider', '=', pp.provider.id), eb('provider', 'is', null)]))
      .where('status', 'in', ['ok', 'guarded'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const lastRun = last ? { id: Number(last.id), finished_at: String(last.finished_at), status: String(last.status) } : null;
    for (const rule of pp.provider.rules) {
      const covered = Number(
        ((await sql<{ n: unknown }>`select count(*) as n from ${sql.table(findTable(rt.schema, rule.table)!.name)} as ${sql.id(T)} where ${scope(rule, scopeOf(rt.policy, pp.provider, rule, rt.schema))}`.execute(rt.adapter.db)).rows[0]?.n) ?? 0,
      );
      const base = { provider: pp.provider.id, rule: rule.id, table: rule.table, kind: rule.kind, note: rule.note, covered, last_run: lastRun };
      if (rule.kind !== 'enforce') {
        rows.push({ ...base, period: rule.kind === 'unspecified' ? 'unspecified (gap)' : `retain ${rule.after.text}`, overdue: null, held: null, blocked: null, oldest_days: null });
        continue;
      }
      const { overdue, held, blocked, overdueMs, instructed } = await ruleOverdue(rt.adapter, pp, rule, holds, now);
      // Values of the rule's clock that are not clocks: never due, so counted here (a full scan: report and check only).
      const clockTable = pp.tasks.find((t) => t.rule === rule)?.clock;
      const census = clockTable ? await censusFor(rt, rule.clock.table, clockTable.column, clockTable.spec) : null;
      rows.push({
        ...base,
        period: rule.stages.map((s) => `${s.action.kind} ${s.after.text}`).join(', '),
        overdue,
        held,
        blocked,
        oldest_days: overdueMs === null ? null : Math.floor(overdueMs / 86_400_000),
        bad_clocks: census?.invalid ?? 0,
        first_bad_clock: census?.first ? { key: census.first.key, shape: census.first.shape } : null,
        ...(rule.instructions ? { instructed } : {}),
      });
    }
  }
  return { now, rows, gaps: rows.filter((r) => r.kind === 'unspecified').length };
}

type PlannedProvider = ReturnType<typeof planRun>['providers'][number];

/** A rule's due rows (overdue), held and blocked over its stages, and how long the longest-overdue row has been due. */
async function ruleOverdue(adapter: Runtime['adapter'], pp: PlannedProvider, rule: PlannedProvider['provider']['rules'][number], holds: Awaited<ReturnType<typeof activeHolds>>, now: Date) {
  let overdue = 0;
  let held = 0;
  let blocked = 0;
  // Now minus the row's due date (not its clock's age).
  let overdueMs: number | null = null;
  // Every stage counts the same rows under instructions: the rule's rows an instruction reaches.
  let instructed = 0;
  for (const task of pp.tasks.filter((t) => t.rule === rule)) {
    const c = await countStage(adapter, task, holds);
    instructed = Math.max(instructed, c.instructed);
    overdue += c.due;
    held += c.held;
    blocked += c.blocked;
    const due = dueDate(readClock(c.oldest, task.clock.spec), task.stage.after, pp.provider.timezone, task.clock.spec.zone);
    if (due && c.due > 0) overdueMs = Math.max(overdueMs ?? 0, now.getTime() - due.getTime());
  }
  return { overdue, held, blocked, overdueMs, instructed };
}

/**
 * Overdue rows per enforced rule, as the report counts them, without the report's full scans
 * (rows covered, the clock census): what the daemon restores lethe_overdue_rows from at start.
 */
export async function overdueByRule(rt: Pick<Runtime, 'adapter' | 'schema' | 'policy' | 'now'>): Promise<{ provider: string; rule: string; overdue: number }[]> {
  const now = rt.now ?? (await rt.adapter.dbNow());
  const plan = planRun(rt.policy, now, rt.schema, {}, await activeInstructions(rt.adapter, rt.adapter.db, now));
  const holds = await activeHolds(rt.adapter, rt.adapter.db, now);
  const out: { provider: string; rule: string; overdue: number }[] = [];
  for (const pp of plan.providers) {
    for (const rule of pp.provider.rules.filter((r) => r.kind === 'enforce')) out.push({ provider: pp.provider.id, rule: rule.id, overdue: (await ruleOverdue(rt.adapter, pp, rule, holds, now)).overdue });
  }
  return out;
}

export async function reportCommand(rt: Runtime, f: { provider?: string; format?: string } = {}): Promise<number> {
  checkFilter(rt, { provider: f.provider });
  const format = outputFormat(rt.json, f.format);
  const { now, rows, gaps } = await computeReport(rt, f);
  // At the report's own now, so the rules and the requests are read at one instant.
  const requests = await requestSummary(rt.adapter, rt.policy, now, { provider: f.provider });
  // The table stays narrow; CSV and JSON also carry each rule's note.
  const instructable = rows.some((r) => r.instructed !== undefined);
  const headers = ['provider', 'rule', 'table', 'period', 'covered', 'overdue', 'held', 'blocked', ...(instructable ? ['instructed'] : []), 'bad_clocks', 'oldest_days', 'last_run', ...(format === 'csv' ? ['note'] : [])];
  const cells = (r: ReportRow) =>
    headers.map((h) => {
      const v = r[h as keyof ReportRow] as { id: number; finished_at: string; status: string } | string | number | null;
      if (h === 'instructed' && v === undefined) return '-';
      return h === 'last_run' ? (v && typeof v === 'object' ? `${v.finished_at} (run ${v.id}, ${v.status})` : 'never') : (v as string | number | null);
    });
  if (format === 'json') process.stdout.write(JSON.stringify({ now: isoUtc(now), rules: rows, unspecified: gaps, requests }, null, 2) + '\n');
  // CSV stays one table (the rules): a second section would break every CSV reader.
  else if (format === 'csv') process.stdout.write(csv(headers, rows.map(cells)));
  else {
    process.stdout.write(table(headers, rows.map(cells)));
    process.stdout.write(`now ${isoUtc(now)}; ${gaps} rule(s) with an unspecified period (documented, not enforced). "oldest_days" is how many days the longest-overdue row has been due; "bad_clocks" counts values that are not valid clocks (never due; lethe check names the first).\n`);
    process.stdout.write(requestsText(requests));
  }
  return 0;
}
