/** `lethe explain <table> <key>`: why a row is kept or due — rules, clock, due dates, holds, retain, blockers. */
import { sql } from 'kysely';
import { dueDate, isDue } from '../../clock/due.js';
import { cutoffOf, isBefore, readClock, showReading, type ClockReading } from '../../clock/read.js';
import { effectOf, type Instruction } from '../../exec/instructions.js';
import type { EnforceRule, Stage } from '../../policy/model.js';
import { instructionsReaching } from './instruct.js';
import { UsageError } from '../../errors.js';
import { approvedStages } from '../../audit/approvals.js';
import { guardsInForce } from '../../audit/guard-floor.js';
import { countStage, guardOutcome } from '../../exec/counts.js';
import { activeHolds, type HeldKeys } from '../../exec/holds.js';
import { activeInstructions, describeInstruction, type ActiveInstructions } from '../../exec/instructions.js';
import { RowKey, type KeyValue } from '../../exec/row-key.js';
import { clockValue, col, pathExists, scope, T } from '../../exec/sql-fragments.js';
import { findTable, referencingKeys } from '../../plan/fk-graph.js';
import { clockAccess, holdPathsOf, keyColumnsOf, planRun, scopeOf } from '../../plan/planner.js';
import { isoUtc } from '../../store/timestamps.js';
import type { Runtime } from '../context.js';

export async function explainCommand(rt: Runtime, tableName: string, keyText: string): Promise<number> {
  const t = findTable(rt.schema, tableName);
  if (!t || t.name.split('.').pop()!.startsWith('lethe_')) throw new UsageError(`explain: no table "${tableName}" in the store`);
  const keyColumns = keyColumnsOf(rt.policy, rt.schema, t.name);
  if (!keyColumns) throw new UsageError(`explain: ${t.name} has no primary key and no rule gives it a \`key\``);
  const key = new RowKey(t.name, keyColumns, rt.adapter);
  const k = key.parseInput(keyText, 'explain');
  const db = rt.adapter.db;
  const thisRow = key.in(T, [k]);
  const from = sql`${sql.table(t.name)} as ${sql.id(T)}`;
  const found = await sql<Record<string, unknown>>`select ${key.select(T)} from ${from} where ${thisRow}`.execute(db);
  if (found.rows.length === 0) throw new UsageError(`explain: ${t.name} has no row ${key.describe(k)} (it may have been purged: see lethe audit)`);
  const canonical: KeyValue = key.fromRow(found.rows[0]!);
  const now = rt.now ?? (await rt.adapter.dbNow());
  const holds = await activeHolds(rt.adapter, db, now);
  const inForce = await activeInstructions(rt.adapter, db, now);
  const guard = await guardOf(rt, now, holds, inForce);
  const instructed = await instructionsReaching(rt.adapter, rt.policy, rt.schema, db, t.name, key, canonical, inForce);

  const rules: Record<string, unknown>[] = [];
  for (const provider of rt.policy.providers) {
    for (const rule of provider.rules) {
      if (findTable(rt.schema, rule.table)?.name !== t.name) continue;
      const inScope = (await sql`select 1 as x from ${from} where ${thisRow} and ${scope(rule, scopeOf(rt.policy, provider, rule, rt.schema))}`.execute(db)).rows.length > 0;
      if (!inScope) continue;
      const entry: Record<string, unknown> = { provider: provider.id, rule: rule.id, kind: rule.kind, quote: rule.quote, note: rule.note, clock: rule.clock?.text ?? null, clock_value: null };
      let reading = readClock(null, { format: 'iso', zone: 'UTC' });
      let zone = 'UTC';
      if (rule.clock) {
        const access = clockAccess(rt.schema, rule, rule.clock);
        zone = access.spec.zone;
        const r = await sql<{ v: unknown }>`select ${rt.adapter.clockRaw(clockValue(access), access.column, access.spec)} as v from ${from} where ${thisRow}`.execute(db);
        reading = readClock(r.rows[0]?.v ?? null, access.spec);
        entry.clock_value = reading.kind === 'invalid' ? 'not a valid clock value (never due)' : showReading(reading, zone);
      }
      if (rule.kind === 'enforce') {
        // Customer instructions of this provider that reach the row, when the rule takes them.
        const mine = rule.instructions ? instructed.filter((i) => i.provider === provider.id) : [];
        if (mine.length) entry.instructions = mine.map((i) => i.id);
        entry.stages = await Promise.all(
          rule.stages.map(async (s) => {
            // The one due-date function: due now exactly when the run would find it due.
            const moved = mine.length ? instructedStage(rule, s, mine, reading, now, provider.timezone, zone) : null;
            const at = moved ? moved.dueAt : dueDate(reading, s.after, provider.timezone, zone);
            const dueNow = moved ? moved.dueNow : isDue(reading, now, s.after, provider.timezone, zone);
            let done: boolean | null = null;
            if (s.marker) {
              const m = await sql<{ v: unknown }>`select ${col(T, s.marker)} as v from ${from} where ${thisRow}`.execute(db);
              done = m.rows[0]?.v !== null && m.rows[0]?.v !== undefined;
            }
            // A due stage is changed by the next run only if the guard lets it through, as plan shows.
            const g = dueNow && done !== true ? await guard(provider.id, rule.id, s.index) : null;
            return { stage: s.index, after: s.after.text, action: s.action.kind, due_at: at ? isoUtc(at) : null, due_now: dueNow, marker_set: done, guard: g?.text ?? null, guard_counts: g?.counts ?? null, ...(moved ? { instructed: moved.why } : {}) };
          }),
        );
      } else if (rule.kind === 'retain') {
        const expired = rule.after.kind === 'duration' && rule.clock ? isDue(reading, now, rule.after, provider.timezone, zone) : false;
        const until = rule.after.kind === 'duration' && rule.clock ? dueDate(reading, rule.after, provider.timezone, zone) : null;
        entry.retain = { after: rule.after.text, active: !expired, until: until ? isoUtc(until) : null };
      } else {
        entry.note_period = 'the policy states no period: documented, not enforced';
      }
      rules.push(entry);
    }
  }

  const heldBy: { table: string; key: KeyValue; row_id: KeyValue }[] = [];
  if ((holds.get(t.name) ?? []).some((h) => RowKey.encode(h) === RowKey.encode(canonical))) heldBy.push({ table: t.name, key: canonical, row_id: canonical });
  for (const hp of holdPathsOf(rt.policy, rt.schema, t.name)) {
    const end = hp.path[hp.path.length - 1]!.toTable;
    for (const h of holds.get(end) ?? []) {
      const endKey = new RowKey(end, hp.keyColumns, rt.adapter);
      const r = await sql`select 1 as x from ${from} where ${thisRow} and ${pathExists(hp.path, (a) => endKey.in(a, [h]))}`.execute(db);
      if (r.rows.length && !heldBy.some((x) => x.table === end && RowKey.encode(x.key) === RowKey.encode(h))) heldBy.push({ table: end, key: h, row_id: h });
    }
  }
  const children: { table: string; columns: string; rows: number }[] = [];
  for (const fk of referencingKeys(rt.schema, t.name)) {
    const link = sql.join(fk.columns.map((c, i) => sql`${col('c', c)} = ${col(T, fk.refColumns[i]!)}`), sql` and `);
    const r = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(fk.table)} as ${sql.id('c')} join ${from} on ${link} where ${thisRow}`.execute(db);
    const n = Number(r.rows[0]?.n ?? 0);
    if (n) children.push({ table: fk.table, columns: fk.columns.join(', '), rows: n });
  }

  type StageView = { stage: number; action: string; due_now: boolean; marker_set: boolean | null; guard: string | null; guard_counts: { due: number; total: number } | null };
  const dueStages = rules.flatMap((r) => ((r.stages as StageView[] | undefined) ?? []).filter((st) => st.due_now && st.marker_set !== true).map((st) => ({ ...st, of: `${r.provider}/${r.rule}` })));
  const stopped = dueStages.filter((st) => st.guard === 'would stop');
  const deleteDue = dueStages.some((st) => st.action === 'delete');
  let verdict: string;
  const underInstruction = rules.some((r) => r.instructions);
  if (heldBy.length) verdict = `held: protected by a hold on ${heldBy.map((h) => `${h.table} ${key.describe(h.key)}`).join(', ')}`;
  else if (rules.some((r) => (r.retain as { active?: boolean } | undefined)?.active)) verdict = 'retained: an active retain rule keeps it unchanged';
  else if (underInstruction && !dueStages.length) verdict = `kept: ${instructed.map((i) => `instruction ${i.id} (${describeInstruction(i)})`).join(', ')} moves its schedule, and no stage is due yet`;
  else if (deleteDue && children.length) {
    const fallback = dueStages.some((st) => st.action !== 'delete') ? '; its earlier stages still apply' : '';
    verdict = `due for delete, but blocked while ${children.map((c) => `${c.rows} ${c.table}`).join(', ')} reference it${fallback}`;
  } else if (stopped.length) {
    const which = stopped.map((st) => `${st.of} stage ${st.stage} (${st.guard_counts!.due} of ${st.guard_counts!.total} rows due)`).join(', ');
    verdict = `guarded: due, but the guard stops ${which}; the next run leaves it unless a saved plan is approved (lethe plan --save, lethe approve) or a run is forced`;
  } else if (dueStages.length) verdict = `due: the next run changes it${dueStages.some((st) => st.guard?.startsWith('approved')) ? ' (under an approved plan)' : ''}`;
  else verdict = rules.length ? 'kept: no stage is due yet' : 'kept: no rule covers this row';
  const instructions = instructed.map((i) => ({ id: i.id, provider: i.provider, rule: i.rule, table: i.table, key: i.key, kind: i.kind, period: i.period, keep_until: i.keepUntil, placed_at: i.placedAt, placed_by: i.placedBy, reason: i.reason }));
  const out = { table: t.name, key: canonical, id: canonical, now: isoUtc(now), verdict, rules, held_by: heldBy, instructions, referenced_by: children };
  if (rt.json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const lines = [`${t.name} ${key.describe(canonical)} at ${isoUtc(now)}: ${verdict}`];
  for (const r of rules) {
    lines.push(`  ${r.provider}/${r.rule} (${r.kind}) clock ${r.clock ?? '-'} = ${r.clock_value ?? 'NULL (never due)'}`);
    if (r.quote) lines.push(`    "${r.quote}"`);
    if (r.note) lines.push(`    note: ${r.note}`);
    for (const s of (r.stages as Record<string, unknown>[] | undefined) ?? []) {
      lines.push(`    stage ${s.stage}: ${s.action} after ${s.after} → due ${s.due_at ?? (s.instructed ? 'not while the instruction keeps it' : 'never (no valid clock)')}${s.due_now ? ' (due now)' : ''}${s.marker_set ? ' (done: marker set)' : ''}${s.guard && s.guard !== 'ok' ? ` (guard: ${s.guard})` : ''}${s.instructed ? ` [${s.instructed}]` : ''}`);
    }
    if (r.retain) lines.push(`    retain ${JSON.stringify(r.retain)}`);
    if (r.note_period) lines.push(`    ${r.note_period}`);
  }
  for (const h of heldBy) lines.push(`  hold on ${h.table} ${key.describe(h.key)}`);
  for (const i of instructed) lines.push(`  instruction ${i.id} on ${i.table} ${JSON.stringify(i.key)} (${i.provider}, under ${i.rule}): ${describeInstruction(i)}, by ${i.placedBy} at ${i.placedAt}${i.reason ? `: ${i.reason}` : ''}`);
  for (const c of children) lines.push(`  referenced by ${c.rows} row(s) of ${c.table}.${c.columns}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/**
 * A stage of a rule under customer instructions, as instructedDue (exec/instructions.ts) has
 * the run decide it: the last stage comes when every instruction reaching the row says so,
 * earlier ones are skipped, and all of it only until the clock passes the rule's `longest`.
 */
function instructedStage(rule: EnforceRule, s: Stage, mine: readonly Instruction[], reading: ClockReading, now: Date, providerZone: string, clockZone: string): { dueNow: boolean; dueAt: Date | null; why: string } {
  const bounds = rule.instructions!;
  const lawAt = bounds.longest ? dueDate(reading, bounds.longest, providerZone, clockZone) : null;
  const normal = { dueNow: isDue(reading, now, s.after, providerZone, clockZone), dueAt: dueDate(reading, s.after, providerZone, clockZone) };
  if (bounds.longest && isDue(reading, now, bounds.longest, providerZone, clockZone)) return { ...normal, why: `past the rule's longest (${bounds.longest.text}): the rule applies whatever the instructions say` };
  const ids = mine.map((i) => i.id).join(', ');
  if (s.index !== rule.stages.length) return { dueNow: false, dueAt: null, why: `skipped under instruction ${ids}` };
  let dueNow = true;
  let dueAt: Date | null = now;
  for (const i of mine) {
    const effect = effectOf(i, bounds, now, providerZone);
    if (effect.kind === 'keep') {
      dueNow = false;
      dueAt = null;
    } else if (effect.kind === 'before') {
      dueNow &&= isBefore(reading, cutoffOf(effect.cutoff, clockZone));
      const at = dueDate(reading, effect.period, providerZone, clockZone);
      dueAt = dueAt === null || at === null ? null : at > dueAt ? at : dueAt;
    }
  }
  if (!dueNow && dueAt !== null && dueAt <= now) dueAt = null;
  if (lawAt && (dueAt === null || lawAt < dueAt)) dueAt = lawAt;
  return { dueNow, dueAt, why: `moved by instruction ${ids}` };
}

/**
 * The guard's decision on each due stage, made as plan and the run make it: under the guards
 * in force (never looser than the chain last recorded), with the approved plans in force.
 * Counted once per stage, only for stages due for this row.
 */
async function guardOf(rt: Runtime, now: Date, holds: HeldKeys, instructions: ActiveInstructions) {
  const { policy } = await guardsInForce(rt.adapter, rt.policy, now);
  const approvals = await approvedStages(rt.adapter, rt.adapter.db, policy.sha256, now);
  return async (provider: string, rule: string, stage: number): Promise<{ text: string; counts: { due: number; total: number } } | null> => {
    const task = planRun(policy, now, rt.schema, { provider, rule }, instructions).providers.flatMap((pp) => pp.tasks).find((t) => t.stage.index === stage);
    if (!task) return null;
    const c = await countStage(rt.adapter, task, holds);
    const g = guardOutcome(task, c, approvals);
    return { text: g.guard === 'approved' ? `approved (plan ${g.planId})` : g.guard, counts: { due: c.due, total: c.total } };
  };
}
