/** `lethe explain <table> <id>`: why a row is kept or due — rules, clock, due dates, holds, retain, blockers. */
import { sql } from 'kysely';
import { UsageError } from '../../errors.js';
import { activeHolds } from '../../exec/holds.js';
import { col, pathValue, scope, T } from '../../exec/sql-fragments.js';
import { cutoffFor, dueAt } from '../../policy/period-math.js';
import { ancestorPaths, referencingKeys } from '../../plan/fk-graph.js';
import { clockAccess } from '../../plan/planner.js';
import { isoUtc } from '../../store/timestamps.js';
import type { Runtime } from '../context.js';

export async function explainCommand(rt: Runtime, tableName: string, id: string): Promise<number> {
  const t = rt.schema.tables.get(tableName);
  if (!t || tableName.startsWith('lethe_')) throw new UsageError(`explain: no table "${tableName}" in the store`);
  if (!/^-?\d+$/.test(id)) throw new UsageError(`explain: "${id}" is not a row id`);
  const key = Number(id);
  const pk = t.primaryKey[0]!;
  const db = rt.adapter.db;
  const exists = await sql`select 1 as x from ${sql.table(tableName)} as ${sql.id(T)} where ${col(T, pk)} = ${key}`.execute(db);
  if (exists.rows.length === 0) throw new UsageError(`explain: ${tableName} has no row ${id} (it may have been purged: see lethe audit)`);
  const now = rt.now ?? (await rt.adapter.dbNow());
  const tenant = rt.policy.store.tenantColumn;

  const rules: Record<string, unknown>[] = [];
  for (const provider of rt.policy.providers) {
    for (const rule of provider.rules) {
      if (rule.table !== tableName) continue;
      const inScope = (await sql`select 1 as x from ${sql.table(tableName)} as ${sql.id(T)} where ${col(T, pk)} = ${key} and ${scope(rule, tenant)}`.execute(db)).rows.length > 0;
      if (!inScope) continue;
      let clockValue: Date | null = null;
      let clockRaw: unknown = null;
      if (rule.clock) {
        const access = clockAccess(rt.schema, rule, rule.clock);
        const r = await sql<{ v: unknown }>`select ${pathValue(access.path, access.column.name)} as v from ${sql.table(tableName)} as ${sql.id(T)} where ${col(T, pk)} = ${key}`.execute(db);
        clockRaw = r.rows[0]?.v ?? null;
        clockValue = rt.adapter.decodeTimestamp(clockRaw, rule.clock.format);
      }
      const entry: Record<string, unknown> = { provider: provider.id, rule: rule.id, kind: rule.kind, quote: rule.quote, clock: rule.clock?.text ?? null, clock_value: clockValue ? isoUtc(clockValue) : clockRaw };
      if (rule.kind === 'enforce') {
        entry.stages = await Promise.all(
          rule.stages.map(async (s) => {
            const at = clockValue ? dueAt(clockValue, s.after, provider.timezone) : null;
            // "Due now" is decided exactly as the run decides it: clock < now − after.
            const dueNow = clockValue ? clockValue < cutoffFor(now, s.after, provider.timezone) : false;
            let done: boolean | null = null;
            if (s.marker) {
              const m = await sql<{ v: unknown }>`select ${col(T, s.marker)} as v from ${sql.table(tableName)} as ${sql.id(T)} where ${col(T, pk)} = ${key}`.execute(db);
              done = m.rows[0]?.v !== null && m.rows[0]?.v !== undefined;
            }
            return { stage: s.index, after: s.after.text, action: s.action.kind, due_at: at ? isoUtc(at) : null, due_now: dueNow, marker_set: done };
          }),
        );
      } else if (rule.kind === 'retain') {
        const until = rule.after.kind === 'duration' && clockValue ? dueAt(clockValue, rule.after, provider.timezone) : null;
        entry.retain = { after: rule.after.text, active: rule.after.kind === 'forever' || !until || until >= now, until: until ? isoUtc(until) : null };
      } else {
        entry.note = 'the policy states no period: documented, not enforced';
      }
      rules.push(entry);
    }
  }

  const holds = await activeHolds(db, now);
  const heldBy: { table: string; row_id: number | string }[] = [];
  if (holds.get(tableName)?.includes(key)) heldBy.push({ table: tableName, row_id: key });
  for (const path of ancestorPaths(rt.schema, tableName)) {
    const last = path[path.length - 1]!;
    const ids = holds.get(last.toTable);
    if (!ids?.length) continue;
    const r = await sql<{ v: unknown }>`select ${pathValue(path, last.refColumn)} as v from ${sql.table(tableName)} as ${sql.id(T)} where ${col(T, pk)} = ${key}`.execute(db);
    const v = r.rows[0]?.v;
    const already = heldBy.some((h) => h.table === last.toTable && h.row_id === Number(v));
    if (v !== null && v !== undefined && ids.includes(Number(v)) && !already) heldBy.push({ table: last.toTable, row_id: Number(v) });
  }
  const children: { table: string; column: string; rows: number }[] = [];
  for (const fk of referencingKeys(rt.schema, tableName)) {
    const r = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(fk.table)} as ${sql.id('c')} where ${col('c', fk.columns[0]!)} = ${key}`.execute(db);
    const n = Number(r.rows[0]?.n ?? 0);
    if (n) children.push({ table: fk.table, column: fk.columns[0]!, rows: n });
  }

  type StageView = { action: string; due_now: boolean; marker_set: boolean | null };
  const dueStages = rules.flatMap((r) => ((r.stages as StageView[] | undefined) ?? []).filter((st) => st.due_now && st.marker_set !== true));
  const deleteDue = dueStages.some((st) => st.action === 'delete');
  let verdict: string;
  if (heldBy.length) verdict = `held: protected by a hold on ${heldBy.map((h) => `${h.table} ${h.row_id}`).join(', ')}`;
  else if (rules.some((r) => (r.retain as { active?: boolean } | undefined)?.active)) verdict = 'retained: an active retain rule keeps it unchanged';
  else if (deleteDue && children.length) {
    const fallback = dueStages.some((st) => st.action !== 'delete') ? '; its earlier stages still apply' : '';
    verdict = `due for delete, but blocked while ${children.map((c) => `${c.rows} ${c.table}`).join(', ')} reference it${fallback}`;
  } else if (dueStages.length) verdict = 'due: the next run changes it';
  else verdict = rules.length ? 'kept: no stage is due yet' : 'kept: no rule covers this row';
  const out = { table: tableName, id: key, now: isoUtc(now), verdict, rules, held_by: heldBy, referenced_by: children };
  if (rt.json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const lines = [`${tableName} ${key} at ${isoUtc(now)}: ${verdict}`];
  for (const r of rules) {
    lines.push(`  ${r.provider}/${r.rule} (${r.kind}) clock ${r.clock ?? '-'} = ${r.clock_value ?? 'NULL (never due)'}`);
    lines.push(`    "${r.quote}"`);
    for (const s of (r.stages as Record<string, unknown>[] | undefined) ?? []) {
      lines.push(`    stage ${s.stage}: ${s.action} after ${s.after} → due ${s.due_at ?? 'never (no clock)'}${s.due_now ? ' (due now)' : ''}${s.marker_set ? ' (done: marker set)' : ''}`);
    }
    if (r.retain) lines.push(`    retain ${JSON.stringify(r.retain)}`);
    if (r.note) lines.push(`    ${r.note}`);
  }
  for (const h of heldBy) lines.push(`  hold on ${h.table} ${h.row_id}`);
  for (const c of children) lines.push(`  referenced by ${c.rows} row(s) of ${c.table}.${c.column}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
