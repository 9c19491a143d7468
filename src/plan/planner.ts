/**
 * The planner decides, without touching the store, what a run must do: for every provider
 * and rule, each stage's cutoff (calendar arithmetic in the provider's zone), the foreign-key
 * path to the clock, the retain rules and later stages that exclude rows, and the order the
 * tasks run in (deletes child-first, then anonymise, then set). Pure: policy + now + schema.
 */
import { ConfigError } from '../errors.js';
import type { EnforceRule, Policy, ProviderPolicy, RetainRule, Rule, Stage, UnspecifiedRule } from '../policy/model.js';
import { cutoffFor } from '../policy/period-math.js';
import type { ColumnInfo, ForeignKeyInfo, SchemaInfo, TableInfo } from '../store/types.js';
import { ancestorPaths, childFirstOrder, findPath, referencingKeys, type Hop } from './fk-graph.js';

/** Where a rule's clock lives relative to its table. */
export interface ClockAccess {
  readonly path: readonly Hop[];
  readonly column: ColumnInfo;
  readonly format: EnforceRule['clock']['format'];
}

/** A condition "rule R's stage is due" used to exclude rows from another stage. */
export interface DueCondition {
  readonly rule: EnforceRule | RetainRule;
  readonly clock: ClockAccess | null;
  /** null: the condition holds for every row in scope (retain forever). */
  readonly cutoff: Date | null;
  /** Columns that must all be NULL (an unfinished marker) for the condition to hold. */
  readonly marker: string | null;
}

export interface StageTask {
  readonly provider: ProviderPolicy;
  readonly rule: EnforceRule;
  readonly stage: Stage;
  readonly table: TableInfo;
  readonly primaryKey: string;
  readonly clock: ClockAccess;
  /** Rows whose clock is strictly before this are due. */
  readonly cutoff: Date;
  /** Later non-delete stages of the same rule: a row due for one of them belongs to it. */
  readonly supersededBy: readonly DueCondition[];
  /** Active retain obligations on the same table: rows they cover are not touched. */
  readonly retainedBy: readonly DueCondition[];
  /** Stronger non-delete actions of other rules due on the same rows (for set: anonymise). */
  readonly yieldsTo: readonly DueCondition[];
  /** Foreign keys whose rows block a delete of this table's rows. */
  readonly children: readonly ForeignKeyInfo[];
  /** Upward FK chains: a hold on any row at their end protects this row. */
  readonly holdPaths: readonly (readonly Hop[])[];
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
    for (const rule of rules) {
      if (rule.kind !== 'enforce') continue;
      if (filter.rule && rule.id !== filter.rule) continue;
      for (const stage of rule.stages) tasks.push(buildTask(provider, rule, stage, rules, now, schema));
    }
    tasks.sort(
      (a, b) =>
        ORDER[a.stage.action.kind] - ORDER[b.stage.action.kind] ||
        (a.stage.action.kind === 'delete' ? rank.get(a.table.name)! - rank.get(b.table.name)! : 0) ||
        rules.indexOf(a.rule) - rules.indexOf(b.rule) ||
        b.stage.index - a.stage.index,
    );
    providers.push({ provider, tasks, retains, gaps });
  }
  return { now, providers };
}

/** The cutoff of a stage at `now`: rows with a clock strictly before it are due. */
export function stageCutoff(provider: ProviderPolicy, stage: Stage, now: Date): Date {
  return cutoffFor(now, stage.after, provider.timezone);
}

function buildTask(provider: ProviderPolicy, rule: EnforceRule, stage: Stage, all: readonly Rule[], now: Date, schema: SchemaInfo): StageTask {
  const table = requireTable(schema, rule.table);
  const clock = clockAccess(schema, rule, rule.clock);
  const later = rule.stages.filter((s) => s.index > stage.index && s.action.kind !== 'delete');
  const supersededBy: DueCondition[] = later.map((s) => ({ rule, clock, cutoff: stageCutoff(provider, s, now), marker: null }));

  const retainedBy: DueCondition[] = [];
  const yieldsTo: DueCondition[] = [];
  for (const other of all) {
    if (other === rule || other.table !== rule.table) continue;
    if (other.kind === 'retain') {
      const cutoff = other.after.kind === 'duration' ? cutoffFor(now, other.after, provider.timezone) : null;
      retainedBy.push({ rule: other, clock: other.clock ? clockAccess(schema, other, other.clock) : null, cutoff, marker: null });
    } else if (other.kind === 'enforce' && stage.action.kind === 'set') {
      for (const s of other.stages) {
        if (s.action.kind !== 'anonymise') continue;
        yieldsTo.push({ rule: other, clock: clockAccess(schema, other, other.clock), cutoff: stageCutoff(provider, s, now), marker: null });
      }
    }
  }

  return {
    provider,
    rule,
    stage,
    table,
    primaryKey: table.primaryKey[0]!,
    clock,
    cutoff: stageCutoff(provider, stage, now),
    supersededBy,
    retainedBy,
    yieldsTo,
    children: stage.action.kind === 'delete' ? referencingKeys(schema, table.name) : [],
    holdPaths: ancestorPaths(schema, table.name),
    batchSize: rule.batchSize,
  };
}

function requireTable(schema: SchemaInfo, name: string): TableInfo {
  const t = schema.tables.get(name);
  if (!t || t.primaryKey.length !== 1) throw new ConfigError(`table ${name} is missing or has no single-column primary key; run lethe check`);
  return t;
}

/** Resolves a clock reference to its FK path and column. */
export function clockAccess(schema: SchemaInfo, rule: Rule, clock: NonNullable<Rule['clock']>): ClockAccess {
  const found = findPath(schema, rule.table, clock.table);
  const col = schema.tables.get(clock.table)?.columns.get(clock.column);
  if (!found.ok || !col) throw new ConfigError(`rule ${rule.provider}/${rule.id}: clock ${clock.text} is not reachable; run lethe check`);
  return { path: found.path, column: col, format: clock.format };
}
