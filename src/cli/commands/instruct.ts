/** `lethe instruct` and `lethe instructions`: customer instructions kept in the store (exec/instructions.ts). */
import { sql, type Kysely } from 'kysely';
import { UsageError } from '../../errors.js';
import { actor, appendAct } from '../../audit/acts.js';
import { describeInstruction, instructionOf, type ActiveInstructions, type Instruction, type InstructionKind } from '../../exec/instructions.js';
import { RowKey, type KeyValue } from '../../exec/row-key.js';
import { pathExists, T, tenantScope } from '../../exec/sql-fragments.js';
import { parsePeriod } from '../../policy/duration.js';
import type { EnforceRule, ProviderPolicy } from '../../policy/model.js';
import { cutoffFor } from '../../policy/period-math.js';
import { ancestorPaths, findTable } from '../../plan/fk-graph.js';
import { holdPathsOf, keyColumnsOf } from '../../plan/planner.js';
import { resolveScope } from '../../plan/scope.js';
import { letheDb } from '../../store/lethe-tables.js';
import { isoUtc, parseClockValue } from '../../store/timestamps.js';
import type { Adapter, SchemaInfo } from '../../store/types.js';
import type { Policy } from '../../policy/model.js';
import { table } from '../format.js';
import type { Runtime } from '../context.js';
import { byFlag } from './hold.js';

export interface InstructFlags {
  rule?: string;
  provider?: string;
  after?: string;
  keepUntil?: string;
  eraseNow?: boolean;
  withdraw?: boolean;
  reason?: string;
  by?: string;
}

export async function instructCommand(rt: Runtime, tableName: string, keyText: string, f: InstructFlags): Promise<number> {
  const modes = [f.after !== undefined, f.keepUntil !== undefined, f.eraseNow === true, f.withdraw === true].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('instruct: give exactly one of --after <period>, --keep-until <iso>, --erase-now or --withdraw');
  if (!f.rule) throw new UsageError('instruct: --rule is required (the rule the customer instructs about)');
  if (f.reason !== undefined && !f.reason.trim()) throw new UsageError('instruct: --reason is empty (say what the customer asked and where it is recorded, or leave it out)');
  const reason = f.reason?.trim() ?? null;
  const by = actor(byFlag(f.by, 'instruct'), rt.env);
  const { provider, rule } = ruleOf(rt.policy, f.rule, f.provider);
  const t = findTable(rt.schema, tableName);
  if (!t || t.name.split('.').pop()!.startsWith('lethe_')) throw new UsageError(`instruct: no table "${tableName}" in the store`);
  const ruleTable = findTable(rt.schema, rule.table)!.name;
  if (t.name !== ruleTable && !ancestorPaths(rt.schema, ruleTable).some((p) => p[p.length - 1]!.toTable === t.name)) {
    throw new UsageError(`instruct: rule ${provider.id}/${rule.id} is about ${ruleTable}, whose rows do not reference ${t.name}: instruct on a row of ${ruleTable} or of a table it references`);
  }
  const keyColumns = keyColumnsOf(rt.policy, rt.schema, t.name);
  if (!keyColumns) throw new UsageError(`instruct: ${t.name} has no primary key and no rule gives it a \`key\`, so its rows cannot be named`);
  const key = new RowKey(t.name, keyColumns, rt.adapter);
  const wanted = key.parseInput(keyText, 'instruct');
  const now = rt.now ?? (await rt.adapter.dbNow());
  const bounds = rule.instructions!;
  const values = instructionValues(f, rule, provider, now);

  const placed = await rt.adapter.transaction(async (tx) => {
    const row = (await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(t.name)} as ${sql.id(T)} where ${key.in(T, [wanted])}`.execute(tx)).rows[0];
    if (!row) throw new UsageError(`instruct: ${t.name} has no row ${key.describe(wanted)}`);
    const canonical = key.fromRow(row);
    if (!(await belongsTo(rt, tx, provider, rule, t.name, key, canonical))) throw new UsageError(`instruct: ${t.name} ${key.describe(canonical)} is not a row of provider ${provider.id}`);
    const ltx = letheDb(rt.adapter, tx);
    const rowKey = RowKey.encode(canonical);
    const previous = await ltx.selectFrom('lethe_instructions').select(['id']).where('provider', '=', provider.id).where('table_name', '=', t.name).where('row_key', '=', rowKey).where('replaced_at', 'is', null).execute();
    if (f.withdraw && previous.length === 0) throw new UsageError(`instruct --withdraw: no instruction in force on ${t.name} ${key.describe(canonical)} for provider ${provider.id}`);
    const at = isoUtc(now);
    let id: number | null = null;
    if (values) {
      const insert = { provider: provider.id, rule: rule.id, table_name: t.name, row_key: rowKey, kind: values.kind, period: values.period, keep_until: values.keepUntil, reason, placed_at: at, placed_by: by, replaced_at: null, replaced_by_id: null };
      id = rt.adapter.supportsReturning
        ? Number((await ltx.insertInto('lethe_instructions').values(insert).returning('id').executeTakeFirstOrThrow()).id)
        : Number((await ltx.insertInto('lethe_instructions').values(insert).executeTakeFirstOrThrow()).insertId);
    }
    const replaced = previous.map((p) => Number(p.id));
    if (replaced.length) await ltx.updateTable('lethe_instructions').set({ replaced_at: at, replaced_by_id: id }).where('id', 'in', replaced).execute();
    const entry = await appendAct(rt.adapter, tx, {
      action: 'instruct',
      at,
      by,
      reason,
      policySha256: rt.policy.sha256,
      provider: provider.id,
      rule: rule.id,
      table: t.name,
      keys: [canonical],
      detail: { instruction_id: id, kind: values?.kind ?? 'withdraw', period: values?.period ?? null, keep_until: values?.keepUntil ?? null, replaces: replaced },
    });
    return { id, canonical, replaced, seq: entry.seq };
  });

  const covers = provider.rules.filter((r): r is EnforceRule => r.kind === 'enforce' && r.instructions !== null).map((r) => r.id);
  if (rt.json) {
    process.stdout.write(JSON.stringify({ id: placed.id, provider: provider.id, rule: rule.id, table: t.name, key: placed.canonical, kind: values?.kind ?? 'withdraw', period: values?.period ?? null, keep_until: values?.keepUntil ?? null, replaces: placed.replaced, placed_by: by, rules: covers, audit_seq: placed.seq }) + '\n');
    return 0;
  }
  const what = values ? describeInstruction(values) + (values.kind === 'erase_now' ? ' (the next run deletes or anonymises as the rules say)' : '') : 'withdrawn: the rules\' own schedule applies again';
  const lines = [
    values ? `instruction ${placed.id} placed on ${t.name} ${key.describe(placed.canonical)} for ${provider.id}: ${what}` : `instruction on ${t.name} ${key.describe(placed.canonical)} for ${provider.id} ${what}`,
    `  it applies to the row and every row that references it, under ${covers.join(', ')}; holds and retain rules still win`,
  ];
  if (placed.replaced.length) lines.push(`  it replaces instruction ${placed.replaced.join(', ')}`);
  if (values?.kind !== 'erase_now' && bounds.longest) lines.push(`  rule ${rule.id} keeps no row past ${bounds.longest.text} after its clock, whatever an instruction says`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** The rule named by --rule (`rule` or `provider/rule`, and --provider when the id is not unique); it must take instructions. */
function ruleOf(policy: Policy, named: string, providerFlag: string | undefined): { provider: ProviderPolicy; rule: EnforceRule } {
  const slash = named.indexOf('/');
  const id = slash < 0 ? named : named.slice(slash + 1);
  const providerId = slash < 0 ? providerFlag : named.slice(0, slash);
  if (slash >= 0 && providerFlag !== undefined && providerFlag !== providerId) throw new UsageError(`instruct: --rule ${named} names provider ${providerId}, --provider names ${providerFlag}`);
  if (providerId && !policy.providers.some((p) => p.id === providerId)) throw new UsageError(`instruct: no provider "${providerId}" in the policy`);
  const found = policy.providers.filter((p) => !providerId || p.id === providerId).flatMap((p) => p.rules.filter((r) => r.id === id).map((r) => ({ provider: p, rule: r })));
  if (found.length === 0) throw new UsageError(`instruct: no rule "${id}"${providerId ? ` in provider ${providerId}` : ''} in the policy`);
  if (found.length > 1) throw new UsageError(`instruct: rule "${id}" exists in ${found.map((x) => x.provider.id).join(' and ')}; name one with --provider`);
  const { provider, rule } = found[0]!;
  if (rule.kind !== 'enforce' || !rule.instructions) {
    throw new UsageError(`instruct: rule ${provider.id}/${rule.id} takes no customer instructions (policies.yaml gives it no \`instructions:\`); a hold keeps rows against every rule`);
  }
  return { provider, rule };
}

type Values = { kind: InstructionKind; period: string | null; keepUntil: string | null };

/** The instruction the flags ask for, checked against the rule's bounds; null for --withdraw. */
function instructionValues(f: InstructFlags, rule: EnforceRule, provider: ProviderPolicy, now: Date): Values | null {
  const bounds = rule.instructions!;
  const zone = provider.timezone;
  const shortestIsZero = Object.values(bounds.shortest.units).every((v) => !v);
  if (f.withdraw) return null;
  if (f.eraseNow) {
    if (!shortestIsZero) throw new UsageError(`instruct: rule ${provider.id}/${rule.id} allows no instruction shorter than ${bounds.shortest.text} after its clock; use --after "${bounds.shortest.text}"`);
    return { kind: 'erase_now', period: null, keepUntil: null };
  }
  if (f.after !== undefined) {
    const p = parsePeriod(f.after);
    if (!p.ok) throw new UsageError(`instruct --after: ${p.message} (${p.hint})`);
    if (p.period.kind !== 'duration') throw new UsageError(`instruct --after: a period such as "24 months", not "${p.period.text}"`);
    // Compared as cutoffs at now: a longer period is an earlier cutoff.
    const asked = cutoffFor(now, p.period, zone).getTime();
    if (asked > cutoffFor(now, bounds.shortest, zone).getTime()) throw new UsageError(`instruct --after: ${p.period.text} is shorter than rule ${provider.id}/${rule.id} allows (at least ${bounds.shortest.text})`);
    if (bounds.longest && asked < cutoffFor(now, bounds.longest, zone).getTime()) throw new UsageError(`instruct --after: ${p.period.text} is longer than rule ${provider.id}/${rule.id} allows (at most ${bounds.longest.text}, as the law requires)`);
    return { kind: 'after', period: p.period.text, keepUntil: null };
  }
  const d = parseClockValue(f.keepUntil!, 'iso');
  if (!d) throw new UsageError(`instruct --keep-until: "${f.keepUntil}" is not an ISO-8601 date or instant (e.g. 2027-06-30 or 2027-06-30T00:00:00Z; UTC without a zone)`);
  if (d <= now) throw new UsageError(`instruct --keep-until: ${f.keepUntil} is not in the future`);
  return { kind: 'keep_until', period: null, keepUntil: isoUtc(d) };
}

/** Whether the row is one of the provider's (in a multi-tenant store), reached as the rule reaches its tenant. */
async function belongsTo(rt: Runtime, tx: Kysely<any>, provider: ProviderPolicy, rule: EnforceRule, tableName: string, key: RowKey, k: KeyValue): Promise<boolean> {
  const r = resolveScope(rt.policy, provider, { ...rule, table: tableName, where: [], tenantColumn: null }, rt.schema);
  if (!r.ok || !r.scope) return true;
  const found = await sql`select 1 as x from ${sql.table(tableName)} as ${sql.id(T)} where ${key.in(T, [k])} and ${tenantScope(r.scope)}`.execute(tx);
  return found.rows.length > 0;
}

export async function instructionsCommand(rt: Runtime, f: { all?: boolean }): Promise<number> {
  const now = isoUtc(rt.now ?? (await rt.adapter.dbNow()));
  const rows = (await letheDb(rt.adapter).selectFrom('lethe_instructions').selectAll().orderBy('id').execute()).map((r) => {
    const ins = instructionOf(r);
    const state = r.replaced_at !== null ? (r.replaced_by_id === null ? 'withdrawn' : 'replaced') : ins?.kind === 'keep_until' && String(r.keep_until) <= now ? 'lapsed' : 'active';
    return {
      id: Number(r.id),
      provider: String(r.provider),
      rule: String(r.rule),
      table: String(r.table_name),
      key: RowKey.decode(r.row_key),
      kind: String(r.kind),
      period: r.period === null ? null : String(r.period),
      keep_until: r.keep_until === null ? null : String(r.keep_until),
      state,
      placed_at: String(r.placed_at),
      placed_by: String(r.placed_by),
      reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
      replaced_at: r.replaced_at === null ? null : String(r.replaced_at),
    };
  });
  const shown = f.all ? rows : rows.filter((r) => r.state === 'active');
  if (rt.json) process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
  else process.stdout.write(table(['id', 'provider', 'rule', 'table', 'key', 'kind', 'value', 'state', 'placed_at', 'placed_by', 'reason'], shown.map((r) => [r.id, r.provider, r.rule, r.table, JSON.stringify(r.key), r.kind, r.period ?? r.keep_until ?? '-', r.state, r.placed_at, r.placed_by, r.reason])));
  return 0;
}

/**
 * The instructions in force that reach a row: placed on it, or on a row it references
 * (directly or through other rows), for a provider whose rules on the row's table take them.
 */
export async function instructionsReaching(adapter: Adapter, policy: Policy, schema: SchemaInfo, db: Kysely<any>, tableName: string, key: RowKey, k: KeyValue, active: ActiveInstructions): Promise<Instruction[]> {
  const out: Instruction[] = [];
  const thisRow = key.in(T, [k]);
  const paths = holdPathsOf(policy, schema, tableName);
  for (const list of active.values()) {
    for (const ins of list) {
      if (ins.table === tableName && RowKey.encode(ins.key) === RowKey.encode(k)) {
        out.push(ins);
        continue;
      }
      for (const hp of paths.filter((p) => p.path[p.path.length - 1]!.toTable === ins.table)) {
        const endKey = new RowKey(ins.table, hp.keyColumns, adapter);
        const r = await sql`select 1 as x from ${sql.table(tableName)} as ${sql.id(T)} where ${thisRow} and ${pathExists(hp.path, (a) => endKey.in(a, [ins.key]))}`.execute(db);
        if (r.rows.length) {
          out.push(ins);
          break;
        }
      }
    }
  }
  return out;
}
