/**
 * Checks a loaded policy against the live schema: tables, columns, keys, tenancy and
 * foreign-key paths exist, clock columns have a type their format can be read from and are
 * indexed, and rules that overlap or can only ever be blocked are pointed out. Every problem
 * carries the rule's file:line:col. It reads the catalogue only (no table is scanned), so it
 * runs on every load; the clock values themselves are checked by src/clock/health.ts.
 */
import type { Problem } from '../errors.js';
import type { ColumnInfo, SchemaInfo, TableInfo } from '../store/types.js';
import { closest } from './duration.js';
import type { EnforceRule, Policy, Rule } from './model.js';
import { positionOf, problem } from './positions.js';
import { findPath, findTable, isUnique, referencingKeys } from '../plan/fk-graph.js';
import { resolveScope } from '../plan/scope.js';
import { MIN_PSEUDONYM_WIDTH } from '../exec/anonymise.js';
import { probedColumn } from '../exec/shared-files.js';
import { existsSync } from 'node:fs';

type Report = (path: string, message: string, hint?: string, severity?: Problem['severity']) => void;

/** Validates `policy` against `schema`; returns every problem, errors and warnings. */
export function liveCheck(policy: Policy, schema: SchemaInfo): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (path, message, hint, severity = 'error') => {
    const pos = policy.positions.get(`${path}.=`) ?? positionOf(policy.positions, path.split('.'));
    problems.push(problem(policy.file, pos, path, message, hint, severity));
  };
  const userTables = () => [...schema.tables.keys()].filter((t) => !t.split('.').pop()!.startsWith('lethe_'));
  const keyOfTable = new Map<string, { rule: Rule; key: readonly string[] }>();

  for (const provider of policy.providers) {
    for (const rule of provider.rules) {
      const p = rule.path;
      if (rule.table.split('.').pop()!.startsWith('lethe_')) {
        report(`${p}.table`, `lethe's own table ${rule.table} cannot be the subject of a rule`);
        continue;
      }
      const table = findTable(schema, rule.table);
      if (!table) {
        const guess = closest(rule.table, userTables());
        const qualified = rule.table.includes('.');
        report(
          `${p}.table`,
          `table "${rule.table}" does not exist in the store`,
          guess ? `did you mean "${guess}"?` : qualified ? 'check the schema (PostgreSQL) or database (MySQL) name and lethe\'s privileges on it' : 'run lethe db migrate, or name an existing table',
        );
        continue;
      }
      checkKey(rule, table, keyOfTable, report);
      for (const f of rule.where) requireColumn(table, f.column, `${p}.where.${f.column}`, 'a where column', report);

      const scoped = resolveScope(policy, provider, rule, schema);
      if (!scoped.ok) report(scoped.at === 'tenant_column' ? `${p}.tenant_column` : scoped.at === 'tenant' ? `providers.${provider.id}.tenant` : `${p}.table`, scoped.message, scoped.hint);

      if (rule.clock) checkClock(rule, schema, report);
      if (rule.kind === 'enforce') checkEnforce(policy, rule, table, report);
    }
    checkOverlaps(provider.rules, schema, report);
    checkBlockedOnly(provider.rules, schema, report);
  }
  return problems;
}

function requireColumn(table: TableInfo, column: string, path: string, what: string, report: Report): ColumnInfo | null {
  const c = table.columns.get(column);
  if (c) return c;
  const guess = closest(column, [...table.columns.keys()]);
  report(path, `${what} "${column}" does not exist in ${table.name}`, guess ? `did you mean "${guess}"?` : `columns of ${table.name}: ${[...table.columns.keys()].join(', ')}`);
  return null;
}

/** The row key: the primary key, or `key:` where there is none; the same for every rule of a table. */
function checkKey(rule: Rule, table: TableInfo, seen: Map<string, { rule: Rule; key: readonly string[] }>, report: Report): void {
  const p = rule.path;
  if (table.primaryKey.length) {
    if (rule.key && rule.key.join(',') !== table.primaryKey.join(',')) {
      report(`${p}.key`, `${table.name} has a primary key (${table.primaryKey.join(', ')}); rows are named by it and \`key\` is ignored`, 'remove `key:`', 'warning');
    }
    return;
  }
  if (!rule.key) {
    report(`${p}.table`, `${table.name} has no primary key: give the rule a \`key\` (a column, or a list of columns) that names a row`, uniqueHint(table));
    return;
  }
  const cols = rule.key.map((k) => requireColumn(table, k, `${p}.key`, 'a key column', report));
  if (cols.some((c) => !c)) return;
  const other = seen.get(table.name);
  if (other && other.key.join(',') !== rule.key.join(',')) {
    report(`${p}.key`, `rules ${other.rule.provider}/${other.rule.id} and ${rule.provider}/${rule.id} name ${table.name}'s rows by different keys`, `use one key for the table: key: [${other.key.join(', ')}]`);
  }
  seen.set(table.name, { rule, key: rule.key });
  for (const c of cols) {
    if (c!.nullable) report(`${p}.key`, `key column ${table.name}.${c!.name} allows NULL: rows with a NULL key are never processed`, 'choose NOT NULL columns', 'warning');
  }
  if (!isUnique(table, rule.key)) {
    report(
      `${p}.key`,
      `no unique index covers (${rule.key.join(', ')}) on ${table.name}: rows that share a key are changed together, each only while it is due`,
      uniqueHint(table),
      'warning',
    );
  }
  // Batches take the next keys after the last one's, in key order: only an index that starts
  // with the key's columns finds them without reading the table.
  if (!indexStartsWith(table, rule.key)) {
    report(
      `${p}.key`,
      `no index starts with (${rule.key.join(', ')}) on ${table.name}: every batch reads the whole table to find its next keys`,
      `create index on ${table.name} (${rule.key.join(', ')})`,
      'warning',
    );
  }
}

function uniqueHint(table: TableInfo): string {
  const unique = table.indexes.filter((ix) => ix.unique);
  return unique.length ? `unique indexes of ${table.name}: ${unique.map((ix) => `[${ix.columns.join(', ')}]`).join(', ')}` : `${table.name} has no unique index; a column set that names one row is best`;
}

function checkClock(rule: Rule, schema: SchemaInfo, report: Report): void {
  const p = rule.path;
  const clock = rule.clock!;
  const clockTable = findTable(schema, clock.table);
  if (!clockTable) {
    const guess = closest(clock.table, [...schema.tables.keys()]);
    report(`${p}.clock`, `clock table "${clock.table}" does not exist`, guess ? `did you mean "${guess}"?` : undefined);
    return;
  }
  const column = clockTable.columns.get(clock.column);
  if (!column) {
    const guess = closest(clock.column, [...clockTable.columns.keys()]);
    report(`${p}.clock`, `column "${clock.column}" does not exist in ${clockTable.name}`, guess ? `did you mean "${guess}"?` : undefined);
    return;
  }
  const path = findPath(schema, rule.table, clockTable.name);
  if (!path.ok) {
    report(
      `${p}.clock`,
      path.reason === 'none'
        ? `no foreign-key path leads from ${rule.table} to ${clockTable.name}`
        : `${rule.table} reaches ${clockTable.name} by more than one foreign-key path (${path.alternatives.map((a) => a.map((h) => h.columns.join('+')).join('→')).join(', ')})`,
      path.reason === 'none' ? 'use a column of the table, or a table its foreign keys reach' : 'use a clock column on an intermediate table',
    );
    return;
  }
  const numeric = column.kind === 'integer' || column.kind === 'real';
  const readable = ['timestamp', 'date', 'text'].includes(column.kind);
  if (clock.format === 'iso' && !readable) {
    report(`${p}.clock`, `clock ${clock.text} is ${column.dataType}, which is not a date, a timestamp or ISO-8601 text`, numeric ? 'for epoch numbers set clock_format: epoch_s or epoch_ms' : undefined);
  } else if (clock.format !== 'iso' && !numeric) {
    report(`${p}.clock`, `clock ${clock.text} is ${column.dataType}, but clock_format ${clock.format} needs a numeric column`, readable ? 'remove clock_format (ISO-8601 and native timestamps are the default)' : undefined);
  }
  if (!indexStartsWith(clockTable, [clock.column])) {
    report(`${p}.clock`, `clock column ${clock.text} has no index; each run will scan ${clockTable.name}`, `create index on ${clockTable.name}(${clock.column})`, 'warning');
  }
}

/** Whether an index of `table` starts with `columns`, in order: the one a seek on them can use. */
function indexStartsWith(table: TableInfo, columns: readonly string[]): boolean {
  return table.indexes.some((ix) => columns.every((c, i) => ix.columns[i] === c));
}

function checkEnforce(policy: Policy, rule: EnforceRule, table: TableInfo, report: Report): void {
  const p = rule.path;
  if (rule.files) {
    for (const c of rule.files.columns) requireColumn(table, c, `${p}.files`, 'a files column', report);
    if (!policy.store.mediaRoot) report(`${p}.files`, 'the rule deletes files, but no media_root is configured: they would all be refused', 'set store.media_root, --media-root or LETHE_MEDIA_ROOT');
    else if (!existsSync(policy.store.mediaRoot)) report(`${p}.files`, `media_root ${policy.store.mediaRoot} does not exist: no file could be deleted`, 'check store.media_root, --media-root or LETHE_MEDIA_ROOT', 'warning');
    // Before it unlinks a file, the drain looks its name up in one column of the template.
    const probed = probedColumn(rule.files);
    if (policy.store.mediaRoot && probed !== null && table.columns.has(probed) && !indexStartsWith(table, [probed])) {
      report(`${p}.files`, `files column ${table.name}.${probed} has no index: before it unlinks files, every drain reads ${table.name} for rows that still name them`, `create index on ${table.name}(${probed})`, 'warning');
    }
  }
  const keyNames = table.primaryKey.length ? table.primaryKey : (rule.key ?? []);
  rule.stages.forEach((s, i) => {
    const sp = rule.stages.length > 1 || rule.stages[0]!.index !== 1 ? `${p}.stages.${i}` : p;
    if (s.marker) requireColumn(table, s.marker, `${sp}.marker`, 'the marker column', report);
    if (s.exportBefore && !policy.store.exportRoot) {
      report(`${sp}.export_before`, 'the stage exports before it deletes, but no export root is configured: every batch would fail', 'set store.export_root in policies.yaml or LETHE_EXPORT_ROOT');
    }
    if (s.action.kind === 'anonymise') {
      // Rows sharing a non-unique key are told apart by their old value, which must compare exactly: text does.
      const perRow = s.action.columns.filter((c) => c.strategy !== null && c.strategy !== 'redact');
      const inexact = perRow.filter((c) => table.columns.get(c.column) && table.columns.get(c.column)!.kind !== 'text');
      if (inexact.length && !table.primaryKey.length && rule.key && !isUnique(table, rule.key)) {
        report(`${sp}.action`, `(${rule.key.join(', ')}) is not unique on ${table.name}, so per-row values can only be written into text columns, and ${inexact.map((c) => c.column).join(', ')} is not text`, 'name a key covered by a unique index, or use null or redact for those columns');
      }
      for (const c of s.action.columns) {
        const column = requireColumn(table, c.column, `${sp}.action.anonymise.${c.column}`, 'an anonymised column', report);
        if (!column) continue;
        if (keyNames.includes(c.column)) report(`${sp}.action.anonymise.${c.column}`, 'a key column cannot be anonymised: it names the row');
        if (c.strategy === null && !column.nullable) {
          report(`${sp}.action.anonymise.${c.column}`, `${table.name}.${c.column} is NOT NULL, so it cannot be set to null`, 'use redact or hmac');
        }
        if (c.strategy === 'hmac' && column.maxLength !== null) {
          const min = s.marker ? MIN_PSEUDONYM_WIDTH.untagged : MIN_PSEUDONYM_WIDTH.tagged;
          if (column.maxLength < min) report(`${sp}.action.anonymise.${c.column}`, `${table.name}.${c.column} holds ${column.maxLength} characters; a pseudonym needs at least ${min}`, 'use redact or null');
        }
        if (c.strategy === 'redact' && column.maxLength !== null && column.maxLength < 10) {
          report(`${sp}.action.anonymise.${c.column}`, `${table.name}.${c.column} holds ${column.maxLength} characters; "[redacted]" needs 10`, 'use null or hmac');
        }
      }
    }
    if (s.action.kind === 'set') for (const v of s.action.values) requireColumn(table, v.column, `${sp}.action.set.${v.column}`, 'a set column', report);
  });
}

/**
 * Two rules of one provider on one table can both match a row; precedence decides, but say so.
 * One warning per table (naming the rules), so a policy of thousands of rules on one table
 * gets one line, not millions.
 */
function checkOverlaps(rules: readonly Rule[], schema: SchemaInfo, report: Report): void {
  const byTable = new Map<string, Rule[]>();
  for (const r of rules) {
    if (r.kind === 'unspecified') continue;
    const t = findTable(schema, r.table)?.name ?? r.table;
    byTable.set(t, [...(byTable.get(t) ?? []), r]);
  }
  for (const [table, group] of byTable) {
    if (group.length < 2) continue;
    const overlapping = new Set<Rule>();
    // Rules filtered on the same column with disjoint values never meet; all others may.
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        if (!disjoint(group[i]!, group[j]!)) {
          overlapping.add(group[i]!);
          overlapping.add(group[j]!);
        }
      }
      if (overlapping.size === group.length) break;
    }
    if (overlapping.size < 2) continue;
    const list = [...overlapping];
    const names = list.length > 6 ? `${list.slice(0, 5).map((r) => r.id).join(', ')} and ${list.length - 5} more` : list.map((r) => r.id).join(', ');
    report(
      `${list[1]!.path}.table`,
      `rules ${names} overlap on ${table}: where several are due, holds, then retain, then delete > anonymise > set decide`,
      'add `where:` filters that separate them if that is not intended',
      'warning',
    );
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
  const name = (t: string) => findTable(schema, t)?.name ?? t;
  const deleted = new Set(rules.filter((r): r is EnforceRule => r.kind === 'enforce' && r.stages.some((s) => s.action.kind === 'delete')).map((r) => name(r.table)));
  const seen = new Set<string>();
  for (const r of rules) {
    if (r.kind !== 'enforce' || !r.stages.some((s) => s.action.kind === 'delete')) continue;
    const table = name(r.table);
    if (seen.has(`${table}|${r.stages.some((s) => s.action.kind === 'anonymise')}`)) continue;
    seen.add(`${table}|${r.stages.some((s) => s.action.kind === 'anonymise')}`);
    const blockers = [...new Set(referencingKeys(schema, table).map((fk) => fk.table))].filter((t) => t !== table && !deleted.has(t));
    if (blockers.length === 0) continue;
    const anonymises = r.stages.some((s) => s.action.kind === 'anonymise');
    report(
      `${r.path}.table`,
      `deletes of ${table} are blocked while rows in ${blockers.join(', ')} (which no rule of this provider deletes) reference them`,
      anonymises ? 'blocked rows keep their anonymised form until nothing references them' : 'consider an anonymise stage so blocked rows lose their personal data',
      'warning',
    );
  }
}
