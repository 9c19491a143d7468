/**
 * SQL fragments built from a planned task. Identifiers come only from the introspected
 * schema (via the plan) and go through sql.ref/sql.table; every value is a bound parameter.
 * Engine differences (clock comparison, key encoding) are asked of the adapter.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Filter, Rule, Scalar } from '../policy/model.js';
import type { ClockAccess, DueCondition, StageTask } from '../plan/planner.js';
import type { Hop } from '../plan/fk-graph.js';
import type { Scope } from '../plan/scope.js';
import type { Adapter, ForeignKeyInfo } from '../store/types.js';
import { RowKey } from './row-key.js';
import { instructedDue } from './instructions.js';

/** The alias of the task's own table in every query. */
export const T = 't';

export const col = (alias: string, column: string): RawBuilder<unknown> => sql.ref(`${alias}.${column}`);

/** `exists` a row of the foreign key's child table referencing the row `t` (aliased `c` inside). */
export function childRowExists(fk: ForeignKeyInfo): RawBuilder<unknown> {
  return sql`exists (select 1 from ${sql.table(fk.table)} as ${sql.id('c')} where ${sql.join(fk.columns.map((c, i) => sql`${col('c', c)} = ${col(T, fk.refColumns[i]!)}`), sql` and `)})`;
}

/** Booleans are bound as 0/1: SQLite has no boolean type and the reference flags are integers. */
export function bindable(v: Scalar): string | number | null {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/** `a.c1 = b.r1 and a.c2 = b.r2` for one foreign-key hop from alias `child` to alias `parent`. */
function link(hop: Hop, child: string, parent: string): RawBuilder<unknown> {
  return sql.join(
    hop.columns.map((c, i) => sql`${col(parent, hop.refColumns[i]!)} = ${col(child, c)}`),
    sql` and `,
  );
}

/** `FROM table t JOIN parent j1 ON … ` following the clock's foreign-key path. */
export function fromWithClock(task: StageTask, hint: RawBuilder<unknown> | null = null): { from: RawBuilder<unknown>; clock: RawBuilder<unknown> } {
  const parts: RawBuilder<unknown>[] = [hint ? sql`${sql.table(task.table.name)} as ${sql.id(T)} ${hint}` : sql`${sql.table(task.table.name)} as ${sql.id(T)}`];
  let alias = T;
  task.clock.path.forEach((hop, i) => {
    const next = `j${i + 1}`;
    parts.push(sql`join ${sql.table(hop.toTable)} as ${sql.id(next)} on ${link(hop, alias, next)}`);
    alias = next;
  });
  return { from: sql.join(parts, sql` `), clock: col(alias, task.clock.column.name) };
}

/** `from p1 join p2 on … where <p1 linked to t>`: the rows reached from t along `path` (non-empty). */
function pathFrom(path: readonly Hop[]): { from: RawBuilder<unknown>; last: string } {
  const joins = path.slice(1).map((hop, i) => sql`join ${sql.table(hop.toTable)} as ${sql.id(`p${i + 2}`)} on ${link(hop, `p${i + 1}`, `p${i + 2}`)}`);
  return {
    from: sql`${sql.table(path[0]!.toTable)} as ${sql.id('p1')} ${sql.join(joins, sql` `)} where ${link(path[0]!, T, 'p1')}`,
    last: `p${path.length}`,
  };
}

/** The value of `column` in the row reached from `t` along `path`, as a correlated scalar subquery. */
export function pathValue(path: readonly Hop[], column: string): RawBuilder<unknown> {
  if (path.length === 0) return col(T, column);
  const { from, last } = pathFrom(path);
  return sql`(select ${col(last, column)} from ${from})`;
}

/** True when the row reached from `t` along `path` satisfies `pred` (on the last table's alias). */
export function pathExists(path: readonly Hop[], pred: (alias: string) => RawBuilder<unknown>): RawBuilder<unknown> {
  if (path.length === 0) return pred(T);
  const { from, last } = pathFrom(path);
  return sql`exists (select 1 from ${from} and ${pred(last)})`;
}

/**
 * `the row belongs to the provider AND the rule's where-filters`, on alias t, or on `alias`
 * (a table's own name, in a statement that takes no alias) where the tenant column is the
 * table's own.
 */
export function scope(rule: Rule, sc: Scope | null, alias = T): RawBuilder<unknown> {
  const preds: RawBuilder<unknown>[] = [tenantScope(sc, alias)];
  for (const f of rule.where) preds.push(filterPredicate(f, alias));
  return sql.join(preds, sql` and `);
}

/** `the row belongs to the provider` on alias t (every row in a single-tenant store): the guard's denominator. */
export function tenantScope(sc: Scope | null, alias = T): RawBuilder<unknown> {
  if (!sc) return sql`1 = 1`;
  const pred = (a: string) => sql`${col(a, sc.column.name)} = ${sc.value}`;
  if (sc.path.length === 0) return pred(alias);
  // Reached through foreign keys: pathExists links them from alias t.
  if (alias !== T) throw new Error(`tenantScope: a tenant column reached through foreign keys needs alias ${T}`);
  return pathExists(sc.path, pred);
}

function filterPredicate(f: Filter, alias: string): RawBuilder<unknown> {
  const c = col(alias, f.column);
  const nonNull = f.values.filter((v) => v !== null).map(bindable);
  const parts: RawBuilder<unknown>[] = [];
  if (nonNull.length === 1) parts.push(sql`${c} = ${nonNull[0]}`);
  if (nonNull.length > 1) parts.push(sql`${c} in (${sql.join(nonNull)})`);
  if (f.values.some((v) => v === null)) parts.push(sql`${c} is null`);
  return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` or `)})`;
}

/** The clock value of the row at t, through its foreign-key path (a subquery when it is not t's own). */
export function clockValue(clock: ClockAccess): RawBuilder<unknown> {
  return pathValue(clock.path, clock.column.name);
}

/** True for rows an exclusion condition (a later stage, a retain, a stronger rule) claims. */
export function conditionHolds(adapter: Adapter, cond: DueCondition): RawBuilder<unknown> {
  const inScope = scope(cond.rule, cond.scope);
  if (cond.rule.kind === 'retain') {
    // A retain obligation lasts while its clock is NULL or not yet past: keep unless provably expired.
    if (!cond.cutoff || !cond.clock) return sql`(${inScope})`;
    const expired = adapter.clockBefore(clockValue(cond.clock), cond.clock.column, cond.clock.spec, cond.cutoff.at);
    return sql`(${inScope} and not ${expired})`;
  }
  const due = adapter.clockBefore(clockValue(cond.clock!), cond.clock!.column, cond.clock!.spec, cond.cutoff!.at);
  return sql`(${inScope} and ${due})`;
}

/**
 * The full "due for this task" predicate on alias t. `clock` is the clock expression: the
 * joined column from fromWithClock when selecting, or omitted for the subquery form that
 * DELETE and UPDATE statements carry (they cannot join).
 */
export function duePredicate(adapter: Adapter, task: StageTask, clock: RawBuilder<unknown> = clockValue(task.clock)): RawBuilder<unknown> {
  const onTime = adapter.clockBefore(clock, task.clock.column, task.clock.spec, task.cutoff.at);
  const preds: RawBuilder<unknown>[] = [scope(task.rule, task.scope), task.instructed ? instructedDue(adapter, task, clock, onTime) : onTime];
  if (task.stage.marker) preds.push(sql`${col(T, task.stage.marker)} is null`);
  const action = task.stage.action;
  if (action.kind === 'set') {
    // Rows already restricted are not changed again: a second run is a no-op.
    preds.push(sql`not (${sql.join(action.values.map((v) => (v.value === null ? sql`${col(T, v.column)} is null` : sql`${col(T, v.column)} = ${bindable(v.value)}`)), sql` and `)})`);
  }
  if (action.kind === 'anonymise' && !task.stage.marker) {
    // Without a marker, rows already in their anonymised form are skipped where SQL can tell.
    const settled = action.columns
      .filter((c) => c.strategy === null || c.strategy === 'redact')
      .map((c) => (c.strategy === null ? sql`${col(T, c.column)} is null` : sql`${col(T, c.column)} = ${REDACTED}`));
    if (settled.length === action.columns.length) preds.push(sql`not (${sql.join(settled, sql` and `)})`);
  }
  for (const c of [...task.supersededBy, ...task.retainedBy, ...task.yieldsTo]) preds.push(sql`not ${conditionHolds(adapter, c)}`);
  return allOf(preds);
}

/**
 * `a and b and …` nested as a balanced tree: a flat chain of a thousand conditions (a policy
 * with a thousand rules on one table) is a thousand levels deep to SQLite's parser, whose
 * limit is 1000.
 */
export function allOf(preds: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  if (preds.length <= 8) return preds.length ? sql.join(preds, sql` and `) : sql`1 = 1`;
  const mid = Math.ceil(preds.length / 2);
  return sql`(${allOf(preds.slice(0, mid))}) and (${allOf(preds.slice(mid))})`;
}

export const REDACTED = '[redacted]';

/** The task's row key on `adapter`. */
export function rowKey(adapter: Adapter, task: Pick<StageTask, 'table' | 'keyColumns'>): RowKey {
  return new RowKey(task.table.name, task.keyColumns, adapter);
}
