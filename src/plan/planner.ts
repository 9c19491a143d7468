/**
 * The planner decides, without touching the store, what a run must do: for every provider
 * and rule, each stage's cutoff (calendar arithmetic in the provider's zone), how the rule's
 * rows are named (key), scoped (tenant) and clocked (foreign-key path to the clock), the
 * retain rules and later stages that exclude rows, and the order the tasks run in (deletes
 * child-first, then anonymise, then set). Pure: policy + now + schema.
 */
import { cutoffOf, type Cutoff } from '../clock/read.js';
import { ConfigError } from '../errors.js';
import type { EnforceRule, FilesTemplate, Policy, ProviderPolicy, RetainRule, Rule, Stage, UnspecifiedRule } from '../policy/model.js';
import { cutoffFor } from '../policy/period-math.js';
import type { ClockSpec, ColumnInfo, ForeignKeyInfo, SchemaInfo, TableInfo } from '../store/types.js';
import { ancestorPaths, childFirstOrder, findPath, findTable, isUnique, referencingKeys, type Hop } from './fk-graph.js';
import { resolveScope, type Scope } from './scope.js';

/** Where a rule's clock lives relative to its table, and how its values are read. */
export interface ClockAccess {
  readonly path: readonly Hop[];
  readonly column: ColumnInfo;
  readonly spec: ClockSpec;
}

/** A condition "rule R's stage is due" used to exclude rows from another stage. */
export interface DueCondition {
  readonly rule: EnforceRule | RetainRule;
  readonly scope: Scope | null;
  readonly clock: ClockAccess | null;
  /** null: the condition holds for every row in scope (retain forever). */
  readonly cutoff: Cutoff | null;
}

/** An upward chain of foreign keys to a table whose rows can be held, and that table's key. */
export interface HoldPath {
  readonly path: readonly Hop[];
  readonly keyColumns: readonly ColumnInfo[];
}

export interface StageTask {
  readonly provider: ProviderPolicy;
  readonly rule: EnforceRule;
  readonly stage: Stage;
  readonly table: TableInfo;
  /** The columns that name a row: the primary key, or the rule's `key`. */
  readonly keyColumns: readonly ColumnInfo[];
  /** Whether no two rows share a key (a primary key, or a `key` covered by a unique index). */
  readonly keyUnique: boolean;
  /** The provider's rows (null: every row of the table). */
  readonly scope: Scope | null;
  readonly clock: ClockAccess;
  /** Rows whose clock reads strictly before this are due. */
  readonly cutoff: Cutoff;
  /** Later non-delete stages of the same rule: a row due for one of them belongs to it. */
  readonly supersededBy: readonly DueCondition[];
  /** Active retain obligations on the same table: rows they cover are not touched. */
  readonly retainedBy: readonly DueCondition[];
  /** Stronger non-delete actions of other rules due on the same rows (for set: anonymise). */
  readonly yieldsTo: readonly DueCondition[];
  /** Foreign keys whose rows block a delete of this table's rows. */
  readonly children: readonly ForeignKeyInfo[];
  /** Upward FK chains: a hold on any row at their end protects this row. */
  readonly holdPaths: readonly HoldPath[];
  readonly files: FilesTemplate | null;
  readonly batchSize: number;
}

export interface ProviderPlan {
  readonly provider: ProviderPolicy;
  readonly tasks: readonly StageTask[];
  readonly retains: readonly RetainRule[];
  readonly gaps: readonly UnspecifiedRule[];
}

export interface Plan {
  readonly now: Date;
  readonly providers: readonly ProviderPlan[];
}

export interface PlanFilter {
  provider?: string | undefined;
  rule?: string | undefined;
}

const ORDER = { delete: 0, anonymise: 1, set: 2 } as const;

/** Builds the run's tasks in execution order. The schema must already have passed live-check. */
export function planRun(policy: Policy, now: Date, schema: SchemaInfo, filter: PlanFilter = {}): Plan {
  const tableOrder = childFirstOrder(schema);
  const rank = new Map(tableOrder.map((t, i) => [t, i]));
  const providers: ProviderPlan[] = [];
  for (const provider of policy.providers) {
    if (filter.provider && provider.id !== filter.provider) continue;
    const rules = provider.rules;
    const retains = rules.filter((r): r is RetainRule => r.kind === 'retain');
    const gaps = rules.filter((r): r is UnspecifiedRule => r.kind === 'unspecified');
    const tasks: StageTask[] = [];
    const byTable = groupByTable(rules, schema);
    for (const rule of rules) {
      if (rule.kind !== 'enforce') continue;
      if (filter.rule && rule.id !== filter.rule) continue;
      for (const stage of rule.stages) tasks.push(buildTask(policy, provider, rule, stage, byTable.get(rule) ?? [], now, schema));
    }
    const position = new Map(rules.map((r, i) => [r, i]));
    tasks.sort(
      (a, b) =>
        ORDER[a.stage.action.kind] - ORDER[b.stage.action.kind] ||
        (a.stage.action.kind === 'delete' ? rank.get(a.table.name)! - rank.get(b.table.name)! : 0) ||
        position.get(a.rule)! - position.get(b.rule)! ||
        b.stage.index - a.stage.index,
    );
    providers.push({ provider, tasks, retains, gaps });
  }
  return { now, providers };
}

/** The other rules of each rule's table (so a 5,000-rule policy does not compare every pair). */
function groupByTable(rules: readonly Rule[], schema: SchemaInfo): Map<Rule, Rule[]> {
  const tables = new Map<string, Rule[]>();
  for (const r of rules) {
    const name = findTable(schema, r.table)?.name ?? r.table;
    tables.set(name, [...(tables.get(name) ?? []), r]);
  }
  const out = new Map<Rule, Rule[]>();
  for (const group of tables.values()) for (const r of group) out.set(r, group);
  return out;
}

/** The cutoff of a stage at `now`, for clocks read in `clockZone`. */
export function stageCutoff(provider: ProviderPolicy, stage: Stage, now: Date, clockZone: string): Cutoff {
  return cutoffOf(cutoffFor(now, stage.after, provider.timezone), clockZone);
}

function buildTask(policy: Policy, provider: ProviderPolicy, rule: EnforceRule, stage: Stage, sameTable: readonly Rule[], now: Date, schema: SchemaInfo): StageTask {
  const table = requireTable(schema, rule.table);
  const keyColumns = keyColumnsOf(policy, schema, table.name);
  if (!keyColumns) throw new ConfigError(`rule ${provider.id}/${rule.id}: ${table.name} has no primary key and the rule gives no \`key\`; run lethe check`);
  const scope = scopeOf(policy, provider, rule, schema);
  const clock = clockAccess(schema, rule, rule.clock);
  const later = rule.stages.filter((s) => s.index > stage.index && s.action.kind !== 'delete');
  const supersededBy: DueCondition[] = later.map((s) => ({ rule, scope, clock, cutoff: stageCutoff(provider, s, now, clock.spec.zone) }));

  const retainedBy: DueCondition[] = [];
  const yieldsTo: DueCondition[] = [];
  for (const other of sameTable) {
    if (other === rule) continue;
    if (other.kind === 'retain') {
      const c = other.clock ? clockAccess(schema, other, other.clock) : null;
      const cutoff = other.after.kind === 'duration' && c ? cutoffOf(cutoffFor(now, other.after, provider.timezone), c.spec.zone) : null;
      retainedBy.push({ rule: other, scope: scopeOf(policy, provider, other, schema), clock: c, cutoff });
    } else if (other.kind === 'enforce' && stage.action.kind === 'set') {
      const c = clockAccess(schema, other, other.clock);
      for (const s of other.stages) {
        if (s.action.kind !== 'anonymise') continue;
        yieldsTo.push({ rule: other, scope: scopeOf(policy, provider, other, schema), clock: c, cutoff: stageCutoff(provider, s, now, c.spec.zone) });
      }
    }
  }

  return {
    provider,
    rule,
    stage,
    table,
    keyColumns,
    keyUnique: isUnique(table, keyColumns.map((c) => c.name)),
    scope,
    clock,
    cutoff: stageCutoff(provider, stage, now, clock.spec.zone),
    supersededBy,
    retainedBy,
    yieldsTo,
    children: stage.action.kind === 'delete' ? referencingKeys(schema, table.name) : [],
    holdPaths: holdPathsOf(policy, schema, table.name),
    files: rule.files,
    batchSize: rule.batchSize,
  };
}

function requireTable(schema: SchemaInfo, name: string): TableInfo {
  const t = findTable(schema, name);
  if (!t) throw new ConfigError(`table ${name} does not exist; run lethe check`);
  return t;
}

/**
 * The columns that name a row of `table`: its primary key, else the `key` of the policy's
 * rules on it (check makes them agree). Null when neither exists.
 */
export function keyColumnsOf(policy: Policy, schema: SchemaInfo, tableName: string): ColumnInfo[] | null {
  const table = findTable(schema, tableName);
  if (!table) return null;
  let names: readonly string[] | null = table.primaryKey.length ? table.primaryKey : null;
  if (!names) {
    for (const p of policy.providers) {
      for (const r of p.rules) if (r.key && findTable(schema, r.table)?.name === table.name) names ??= r.key;
    }
  }
  if (!names) return null;
  const cols = names.map((n) => table.columns.get(n));
  return cols.every((c): c is ColumnInfo => c !== undefined) ? cols : null;
}

/** Upward chains from `table` to every table whose rows can carry a hold. */
export function holdPathsOf(policy: Policy, schema: SchemaInfo, tableName: string): HoldPath[] {
  const out: HoldPath[] = [];
  for (const path of ancestorPaths(schema, tableName)) {
    const keyColumns = keyColumnsOf(policy, schema, path[path.length - 1]!.toTable);
    if (keyColumns) out.push({ path, keyColumns });
  }
  return out;
}

/** The rule's scope; the schema must have passed live-check. */
export function scopeOf(policy: Policy, provider: ProviderPolicy, rule: Rule, schema: SchemaInfo): Scope | null {
  const r = resolveScope(policy, provider, rule, schema);
  if (!r.ok) throw new ConfigError(`rule ${provider.id}/${rule.id}: ${r.message}; run lethe check`);
  return r.scope;
}

/** Resolves a clock reference to its FK path and column. */
export function clockAccess(schema: SchemaInfo, rule: Rule, clock: NonNullable<Rule['clock']>): ClockAccess {
  const found = findPath(schema, rule.table, clock.table);
  const col = findTable(schema, clock.table)?.columns.get(clock.column);
  if (!found.ok || !col) throw new ConfigError(`rule ${rule.provider}/${rule.id}: clock ${clock.text} is not reachable; run lethe check`);
  return { path: found.path, column: col, spec: { format: clock.format, zone: clock.zone } };
}
