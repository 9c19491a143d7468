/**
 * Checks a loaded policy against the live store: tables, columns and foreign-key paths
 * exist, clock values parse, clock columns are indexed, and rules that overlap or can
 * only ever be blocked are pointed out. Every problem carries the rule's file:line:col.
 */
import { sql } from 'kysely';
import type { Problem } from '../errors.js';
import type { SchemaInfo, TableInfo, Adapter } from '../store/types.js';
import { closest } from './duration.js';
import type { EnforceRule, Policy, Rule } from './model.js';
import { positionOf, problem } from './positions.js';
import { findPath, referencingKeys } from '../plan/fk-graph.js';
import { col, T } from '../exec/sql-fragments.js';

/** Validates `policy` against `schema` (and, with `adapter`, the clock values stored). */
export async function liveCheck(policy: Policy, schema: SchemaInfo, adapter?: Adapter): Promise<Problem[]> {
  const problems: Problem[] = [];
  const report = (path: string, message: string, hint?: string, severity: Problem['severity'] = 'error') => {
    const parts = path.split('.');
    const pos = policy.positions.get(`${path}.=`) ?? positionOf(policy.positions, parts);
    problems.push(problem(policy.file, pos, path, message, hint, severity));
  };
  const tenant = policy.store.tenantColumn;
  const checkedClocks = new Set<string>();

  for (const provider of policy.providers) {
    for (const rule of provider.rules) {
      const p = rule.path;
      if (rule.table.startsWith('lethe_')) {
        report(`${p}.table`, `lethe's own table ${rule.table} cannot be the subject of a rule`);
        continue;
      }
      const table = schema.tables.get(rule.table);
      if (!table) {
        const guess = closest(rule.table, [...schema.tables.keys()].filter((t) => !t.startsWith('lethe_')));
        report(`${p}.table`, `table "${rule.table}" does not exist in the store`, guess ? `did you mean "${guess}"?` : 'run lethe db migrate, or name an existing table');
        continue;
      }
      if (table.primaryKey.length !== 1) report(`${p}.table`, `table "${rule.table}" needs a single-column primary key`);
      const need = (column: string, at: string, what: string) => requireColumn(table, column, `${p}.${at}`, what, report);
      need(tenant, 'table', `the tenant column (store.tenant_column)`);
      for (const f of rule.where) need(f.column, `where.${f.column}`, 'a where column');

      if (rule.clock) {
        const clockTable = schema.tables.get(rule.clock.table);
        if (!clockTable) {
          report(`${p}.clock`, `clock table "${rule.clock.table}" does not exist`, hintTable(schema, rule.clock.table));
        } else if (!clockTable.columns.has(rule.clock.column)) {
          const guess = closest(rule.clock.column, [...clockTable.columns.keys()]);
          report(`${p}.clock`, `column "${rule.clock.column}" does not exist in ${rule.clock.table}`, guess ? `did you mean "${guess}"?` : undefined);
        } else {
          const path = findPath(schema, rule.table, rule.clock.table);
          if (!path.ok) {
            report(
              `${p}.clock`,
              path.reason === 'none'
                ? `no foreign-key path leads from ${rule.table} to ${rule.clock.table}`
                : `${rule.table} reaches ${rule.clock.table} by more than one foreign-key path (${path.alternatives.map((a) => a.map((h) => h.column).join('→')).join(', ')})`,
              path.reason === 'none' ? 'use a column of the table, or a table its foreign keys reach' : 'use a clock column on an intermediate table',
            );
          } else {
            if (!clockTable.indexes.some((ix) => ix.columns[0] === rule.clock!.column)) {
              report(`${p}.clock`, `clock column ${rule.clock.text} has no index; each run will scan ${rule.clock.table}`, `create index on ${rule.clock.table}(${rule.clock.column})`, 'warning');
            }
            const key = `${rule.table}|${rule.clock.text}|${rule.clock.format}`;
            if (adapter && !checkedClocks.has(key)) {
              checkedClocks.add(key);
              const bad = await unparseableClock(adapter, rule, clockTable);
              if (bad) {
                report(
                  `${p}.clock`,
                  `${rule.clock.table} row ${bad.id}: clock value ${JSON.stringify(bad.value)} does not parse as ${rule.clock.format === 'iso' ? 'ISO-8601' : rule.clock.format} (${bad.count} row(s) like it; they are never due)`,
                  rule.clock.format === 'iso' ? 'store ISO-8601 text such as 2024-03-01T00:00:00Z, or set clock_format: epoch_s / epoch_ms' : 'set clock_format to match how the column is stored',
                );
              }
            }
          }
        }
      }

      if (rule.kind === 'enforce') checkEnforce(rule, table, schema, report);
    }
    checkOverlaps(provider.rules, report);
    checkBlockedOnly(provider.rules, schema, report);
  }
  return problems;
}

type Report = (path: string, message: string, hint?: string, severity?: Problem['severity']) => void;

function requireColumn(table: TableInfo, column: string, path: string, what: string, report: Report): boolean {
  if (table.columns.has(column)) return true;
  const guess = closest(column, [...table.columns.keys()]);
  report(path, `${what} "${column}" does not exist in ${table.name}`, guess ? `did you mean "${guess}"?` : `columns of ${table.name}: ${[...table.columns.keys()].join(', ')}`);
  return false;
}

function hintTable(schema: SchemaInfo, name: string): string | undefined {
  const guess = closest(name, [...schema.tables.keys()]);
  return guess ? `did you mean "${guess}"?` : undefined;
}

function checkEnforce(rule: EnforceRule, table: TableInfo, _schema: SchemaInfo, report: Report): void {
  const p = rule.path;
  if (rule.files) requireColumn(table, rule.files, `${p}.files`, 'the files column', report);
  rule.stages.forEach((s, i) => {
    const sp = rule.stages.length > 1 || rule.stages[0]!.index !== 1 ? `${p}.stages.${i}` : p;
    if (s.marker) requireColumn(table, s.marker, `${sp}.marker`, 'the marker column', report);
    if (s.action.kind === 'anonymise') {
      for (const c of s.action.columns) {
        if (!requireColumn(table, c.column, `${sp}.action.anonymise.${c.column}`, 'an anonymised column', report)) continue;
        if (c.column === table.primaryKey[0]) report(`${sp}.action.anonymise.${c.column}`, 'the primary key cannot be anonymised');
        if (c.strategy === null && !table.columns.get(c.column)!.nullable) {
          report(`${sp}.action.anonymise.${c.column}`, `${table.name}.${c.column} is NOT NULL, so it cannot be set to null`, 'use redact or hmac');
        }
      }
    }
    if (s.action.kind === 'set') for (const v of s.action.values) requireColumn(table, v.column, `${sp}.action.set.${v.column}`, 'a set column', report);
  });
}

/** Two rules of one provider on one table can both match a row; precedence decides, but say so. */
function checkOverlaps(rules: readonly Rule[], report: Report): void {
  const active = rules.filter((r) => r.kind !== 'unspecified');
  for (let i = 0; i < active.length; i++) {
    for (let j = i + 1; j < active.length; j++) {
      const a = active[i]!;
      const b = active[j]!;
      if (a.table !== b.table || disjoint(a, b)) continue;
      report(
        `${b.path}.table`,
        `rule ${b.id} overlaps rule ${a.id} on ${a.table}: where both are due, holds, then retain, then delete > anonymise > set decide`,
        'add `where:` filters that separate them if that is not intended',
        'warning',
      );
    }
  }
}

function disjoint(a: Rule, b: Rule): boolean {
  for (const fa of a.where) {
    const fb = b.where.find((f) => f.column === fa.column);
    if (fb && !fa.values.some((v) => fb.values.includes(v))) return true;
  }
  return false;
}

/** A delete rule whose rows are referenced by a table no rule of the provider deletes can only be blocked. */
function checkBlockedOnly(rules: readonly Rule[], schema: SchemaInfo, report: Report): void {
  const deleted = new Set(
    rules.filter((r): r is EnforceRule => r.kind === 'enforce' && r.stages.some((s) => s.action.kind === 'delete')).map((r) => r.table),
  );
  for (const r of rules) {
    if (r.kind !== 'enforce' || !r.stages.some((s) => s.action.kind === 'delete')) continue;
    const blockers = [...new Set(referencingKeys(schema, r.table).map((fk) => fk.table))].filter((t) => t !== r.table && !deleted.has(t));
    if (blockers.length === 0) continue;
    const anonymises = r.stages.some((s) => s.action.kind === 'anonymise');
    report(
      `${r.path}.table`,
      `deletes of ${r.table} are blocked while rows in ${blockers.join(', ')} (which no rule of this provider deletes) reference them`,
      anonymises ? 'blocked rows keep their anonymised form until nothing references them' : 'consider an anonymise stage so blocked rows lose their personal data',
      'warning',
    );
  }
}

async function unparseableClock(adapter: Adapter, rule: Rule, clockTable: TableInfo): Promise<{ id: unknown; value: unknown; count: number } | null> {
  const clock = rule.clock!;
  // Check the clock table directly: it is smaller and names the row that holds the bad value.
  const column = clockTable.columns.get(clock.column)!;
  if (column.kind === 'timestamp' && clock.format === 'iso') return null; // native timestamps always parse
  const expr = col(T, clock.column);
  const bad = adapter.clockUnparseable(expr, column, clock.format);
  const pk = clockTable.primaryKey[0] ?? clock.column;
  const first = await sql<{ id: unknown; v: unknown }>`select ${col(T, pk)} as id, ${expr} as v from ${sql.table(clockTable.name)} as ${sql.id(T)} where ${bad} order by ${col(T, pk)} limit 1`.execute(adapter.db);
  if (!first.rows[0]) return null;
  const n = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(clockTable.name)} as ${sql.id(T)} where ${bad}`.execute(adapter.db);
  return { id: first.rows[0].id, value: first.rows[0].v, count: Number(n.rows[0]?.n ?? 0) };
}
