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
import { instructionsFor, type ActiveInstructions, type Instruction } from '../exec/instructions.js';

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
  /**
   * Whether every one of `children` references the one integer key column from an integer
   * column: a batch's child rows then lie in its key range, however an engine compares.
   */
  readonly childrenByKey: boolean;
  /** Upward FK chains: a hold on any row at their end protects this row. */
  readonly holdPaths: readonly HoldPath[];
  readonly files: FilesTemplate | null;
  readonly batchSize: number;
  /** Customer instructions that can move this stage's rows (instructions.ts); absent when none can. */
  readonly instructed?: { readonly now: Date; readonly list: readonly Instruction[] };
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

/**
 * Builds the run's tasks in execution order. The schema must already have passed live-check.
 * `instructions` are the customer instructions in force (read from the store by the caller).
 */
export function planRun(policy: Policy, now: Date, schema: SchemaInfo, filter: PlanFilter = {}, instructions?: ActiveInstructions): Plan {
  const tableOrder = childFirstOrder(schema);
  const rank = new Map(tableOrder.map((t, i) => [t, i]));
  const providers: ProviderPlan[] = [];
  for (const provider of policy.providers) {
    if (filter.provider && provider.id !== filter.provider) continue;
    const rules = provider.rules;
    const retains = rules.filter((r): r is RetainRule => r.kind === 'retain');
    const gaps = rules.filter((r): r is UnspecifiedRule => r.kind === 'unspecified');
    const tasks: StageTask[] = [];
    const facts = new RuleFacts(policy, provider, schema, now);
    for (const rule of rules) {
      if (rule.kind !== 'enforce') continue;
      if (filter.rule && rule.id !== filter.rule) continue;
      const list = instructionsFor(rule, instructions);
      for (const stage of rule.stages) {
        const task = buildTask(policy, provider, rule, stage, facts, now, schema);
        tasks.push(list.length ? { ...task, instructed: { now, list } } : task);
      }
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

/**
 * What a plan needs of each rule, worked out once per rule (scope, clock path) and per
 * table (the exclusion conditions its rules impose on each other): a policy with thousands
 * of rules on one table must not redo a foreign-key search per pair of rules.
 */
class RuleFacts {
  readonly #scope = new Map<Rule, Scope | null>();
  readonly #clock = new Map<Rule, ClockAccess | null>();
  readonly #byTable = new Map<string, Rule[]>();
  readonly #retains = new Map<string, DueCondition[]>();
  readonly #anonymises = new Map<string, DueCondition[]>();

  constructor(
    private readonly policy: Policy,
    private readonly provider: ProviderPolicy,
    private readonly schema: SchemaInfo,
    private readonly now: Date,
  ) {
    for (const r of provider.rules) {
      const t = findTable(schema, r.table)?.name ?? r.table;
      this.#byTable.set(t, [...(this.#byTable.get(t) ?? []), r]);
    }
  }

  scope(rule: Rule): Scope | null {
    if (!this.#scope.has(rule)) this.#scope.set(rule, scopeOf(this.policy, this.provider, rule, this.schema));
    return this.#scope.get(rule)!;
  }

  clock(rule: Rule): ClockAccess | null {
    if (!this.#clock.has(rule)) this.#clock.set(rule, rule.clock ? clockAccess(this.schema, rule, rule.clock) : null);
    return this.#clock.get(rule)!;
  }

  /** Active retain obligations of the table, merged (see mergeConditions). */
  retains(table: string): DueCondition[] {
    let out = this.#retains.get(table);
    if (!out) {
      out = mergeConditions(
        (this.#byTable.get(table) ?? []).flatMap((r): DueCondition[] => {
          if (r.kind !== 'retain') return [];
          return [retainCondition(this.provider, r, this.scope(r), this.clock(r), this.now)];
        }),
      );
      this.#retains.set(table, out);
    }
    return out;
  }

  /** The anonymise stages of the table's enforce rules other than `rule`, merged. */
  anonymisesBesides(table: string, rule: EnforceRule): DueCondition[] {
    const key = `${table}\u0000${rule.id}`;
    let out = this.#anonymises.get(key);
    if (!out) {
      out = mergeConditions(
        (this.#byTable.get(table) ?? []).flatMap((r): DueCondition[] => {
          if (r === rule || r.kind !== 'enforce') return [];
          const c = this.clock(r)!;
          return r.stages.filter((s) => s.action.kind === 'anonymise').map((s) => ({ rule: r, scope: this.scope(r), clock: c, cutoff: stageCutoff(this.provider, s, this.now, c.spec.zone) }));
        }),
      );
      this.#anonymises.set(key, out);
    }
    return out;
  }
}

/** A retain rule at `now`: in force while its clock is NULL or not yet past its period (always, for `forever`). */
export function retainCondition(provider: ProviderPolicy, rule: RetainRule, scope: Scope | null, clock: ClockAccess | null, now: Date): DueCondition {
  const cutoff = rule.after.kind === 'duration' && clock ? cutoffOf(cutoffFor(now, rule.after, provider.timezone), clock.spec.zone) : null;
  return { rule, scope, clock, cutoff };
}

/**
 * Conditions that differ only in their cutoff say one thing: "due" for any of several
 * cutoffs is "before the latest"; "retained" by any of several obligations is "not past the
 * earliest" (and an obligation without end retains everything). Merging them keeps a
 * stage's SQL one condition per distinct (scope, where, clock) however many rules there are.
 */
export function mergeConditions(conds: readonly DueCondition[]): DueCondition[] {
  const groups = new Map<string, DueCondition>();
  for (const c of conds) {
    const k = JSON.stringify([
      c.rule.kind,
      c.rule.where,
      c.scope ? [c.scope.path, c.scope.column.name, c.scope.value] : null,
      c.clock ? [c.clock.path, c.clock.column.name, c.clock.spec] : null,
    ]);
    const had = groups.get(k);
    if (!had) groups.set(k, c);
    else if (c.rule.kind === 'retain') {
      if (had.cutoff && (!c.cutoff || c.cutoff.at < had.cutoff.at)) groups.set(k, c);
    } else if (c.cutoff && had.cutoff && c.cutoff.at > had.cutoff.at) groups.set(k, c);
  }
  return [...groups.values()];
}

/** The cutoff of a stage at `now`, for clocks read in `clockZone`. */
export function stageCutoff(provider: ProviderPolicy, stage: Stage, now: Date, clockZone: string): Cutoff {
  return cutoffOf(cutoffFor(now, stage.after, provider.timezone), clockZone);
}

function buildTask(policy: Policy, provider: ProviderPolicy, rule: EnforceRule, stage: Stage, facts: RuleFacts, now: Date, schema: SchemaInfo): StageTask {
  const table = requireTable(schema, rule.table);
  const keyColumns = keyColumnsOf(policy, schema, table.name);
  if (!keyColumns) throw new ConfigError(`rule ${provider.id}/${rule.id}: ${table.name} has no primary key and the rule gives no \`key\`; run lethe check`);
  const scope = facts.scope(rule);
  const clock = facts.clock(rule)!;
  const later = rule.stages.filter((s) => s.index > stage.index && s.action.kind !== 'delete');
  const supersededBy = mergeConditions(later.map((s) => ({ rule, scope, clock, cutoff: stageCutoff(provider, s, now, clock.spec.zone) })));
  const children = stage.action.kind === 'delete' ? referencingKeys(schema, table.name) : [];
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
    retainedBy: facts.retains(table.name),
    yieldsTo: stage.action.kind === 'set' ? facts.anonymisesBesides(table.name, rule) : [],
    children,
    childrenByKey: children.length > 0 && integerChildren(schema, keyColumns, children),
    holdPaths: holdPathsOf(policy, schema, table.name),
    files: rule.files,
    batchSize: rule.batchSize,
  };
}

/** See StageTask.childrenByKey. Text keys are left out: a child column may compare text by another collation than the key's. */
function integerChildren(schema: SchemaInfo, keyColumns: readonly ColumnInfo[], children: readonly ForeignKeyInfo[]): boolean {
  const key = keyColumns.length === 1 ? keyColumns[0]! : null;
  if (!key || key.kind !== 'integer') return false;
  return children.every((fk) => fk.columns.length === 1 && fk.refColumns[0] === key.name && schema.tables.get(fk.table)?.columns.get(fk.columns[0]!)?.kind === 'integer');
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
