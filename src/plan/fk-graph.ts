/**
 * The foreign-key graph of the live schema: how a rule's table reaches its clock's table,
 * which tables reference a row (children, which block deletes), which rows a hold
 * protects (everything that references a held row, transitively), and the child-first
 * order deletes go in. Pure functions of SchemaInfo.
 */
import type { ForeignKeyInfo, SchemaInfo, TableInfo } from '../store/types.js';

/** One hop from a child row to its parent: child.columns = parent.refColumns, pairwise. */
export interface Hop {
  readonly fromTable: string;
  readonly columns: readonly string[];
  readonly toTable: string;
  readonly refColumns: readonly string[];
}

/** The foreign keys of `table` whose parent is a table lethe knows, as hops (composite keys included). */
function hopsFrom(schema: SchemaInfo, table: string): Hop[] {
  const t = schema.tables.get(table);
  if (!t) return [];
  return t.foreignKeys
    .filter((fk) => fk.columns.length > 0 && fk.columns.length === fk.refColumns.length && schema.tables.has(fk.refTable))
    .map((fk) => ({ fromTable: table, columns: fk.columns, toTable: fk.refTable, refColumns: fk.refColumns }));
}

/** The nearest tables (by foreign-key hops, up to maxDepth) that satisfy `has`, with their paths. */
export function nearestUp(schema: SchemaInfo, from: string, has: (table: string) => boolean, maxDepth = 4): Hop[][] {
  if (has(from)) return [[]];
  let frontier: Hop[][] = [[]];
  for (let depth = 1; depth <= maxDepth; depth++) {
    const next: Hop[][] = [];
    for (const path of frontier) {
      const at = path.length ? path[path.length - 1]!.toTable : from;
      const seen = new Set([from, ...path.map((h) => h.toTable)]);
      for (const hop of hopsFrom(schema, at)) if (!seen.has(hop.toTable)) next.push([...path, hop]);
    }
    const hits = next.filter((p) => has(p[p.length - 1]!.toTable));
    if (hits.length) return hits;
    frontier = next;
  }
  return [];
}

export type PathResult = { ok: true; path: Hop[] } | { ok: false; reason: 'none' | 'ambiguous'; alternatives: Hop[][] };

/**
 * The shortest chain of foreign keys from `from` to `to`. Two different shortest chains are
 * ambiguous (the clock could mean either), and reported rather than guessed.
 */
export function findPath(schema: SchemaInfo, from: string, to: string, maxDepth = 4): PathResult {
  const target = findTable(schema, to)?.name ?? to;
  const hits = nearestUp(schema, findTable(schema, from)?.name ?? from, (t) => t === target, maxDepth);
  if (hits.length === 1) return { ok: true, path: hits[0]! };
  if (hits.length > 1) return { ok: false, reason: 'ambiguous', alternatives: hits };
  return { ok: false, reason: 'none', alternatives: [] };
}

/** Every acyclic chain of foreign keys upward from `table` (not including the empty one). */
export function ancestorPaths(schema: SchemaInfo, table: string, maxDepth = 4): Hop[][] {
  const out: Hop[][] = [];
  const walk = (path: Hop[], at: string, seen: Set<string>) => {
    if (path.length >= maxDepth) return;
    for (const hop of hopsFrom(schema, at)) {
      if (seen.has(hop.toTable)) continue;
      const p = [...path, hop];
      out.push(p);
      walk(p, hop.toTable, new Set([...seen, hop.toTable]));
    }
  };
  walk([], table, new Set([table]));
  return out;
}

/**
 * A customer's data, as tables and paths: every table (other than lethe's own) with the
 * chains of foreign keys by which its rows reach a row of `target`, child tables first. The
 * target table itself comes last, with an empty path (the row itself). What an instruction
 * covers, an export holds and an erasure request deletes.
 */
export function reachingPaths(schema: SchemaInfo, target: string, maxDepth = 4): { table: string; paths: Hop[][] }[] {
  const out: { table: string; paths: Hop[][] }[] = [];
  for (const table of childFirstOrder(schema)) {
    if (table === target || isLetheTable(table)) continue;
    const paths = ancestorPaths(schema, table, maxDepth).filter((p) => p[p.length - 1]!.toTable === target);
    if (paths.length) out.push({ table, paths });
  }
  out.push({ table: target, paths: [[]] });
  return out;
}

function isLetheTable(name: string): boolean {
  return name.split('.').pop()!.startsWith('lethe_');
}

/** Foreign keys in other tables (or this one) that reference `table`: rows that block its deletes. */
export function referencingKeys(schema: SchemaInfo, table: string): ForeignKeyInfo[] {
  const out: ForeignKeyInfo[] = [];
  for (const t of schema.tables.values()) {
    for (const fk of t.foreignKeys) if (fk.refTable === table && fk.columns.length > 0 && fk.columns.length === fk.refColumns.length) out.push(fk);
  }
  return out;
}

/** A hop's description for messages: `calls.account_id → accounts`. */
export function describeHop(h: Hop): string {
  return `${h.fromTable}.${h.columns.join('+')} → ${h.toTable}`;
}

/**
 * Tables ordered children before parents, so deletes in a run go child-first. Self
 * references are ignored; tables in a reference cycle keep their relative name order.
 */
export function childFirstOrder(schema: SchemaInfo): string[] {
  const names = [...schema.tables.keys()].sort();
  const parents = new Map(names.map((n) => [n, new Set(hopsFrom(schema, n).map((h) => h.toTable).filter((p) => p !== n))]));
  // Depth = the longest chain of children below a table; deeper-referenced tables go last.
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const childrenOf = (n: string) => names.filter((c) => parents.get(c)!.has(n));
  const d = (n: string): number => {
    const known = depth.get(n);
    if (known !== undefined) return known;
    if (visiting.has(n)) return 0;
    visiting.add(n);
    const v = Math.max(0, ...childrenOf(n).map((c) => d(c) + 1));
    visiting.delete(n);
    depth.set(n, v);
    return v;
  };
  return [...names].sort((a, b) => d(a) - d(b) || a.localeCompare(b));
}

/**
 * The table a policy names: `calls`, or `schema.table`. A name qualified with the store's
 * default schema (`public.calls`) is the unqualified table.
 */
export function findTable(schema: SchemaInfo, name: string): TableInfo | undefined {
  const t = schema.tables.get(name);
  if (t) return t;
  const dot = name.lastIndexOf('.');
  if (dot > 0 && schema.defaultSchema !== null && name.slice(0, dot) === schema.defaultSchema) return schema.tables.get(name.slice(dot + 1));
  return undefined;
}

/** Whether a unique index (or the primary key) covers `key`: no two rows share its values. */
export function isUnique(table: TableInfo, key: readonly string[]): boolean {
  if (table.primaryKey.length && table.primaryKey.every((c) => key.includes(c))) return true;
  return table.indexes.some((ix) => ix.unique && ix.columns.length > 0 && ix.columns.every((c) => key.includes(c)));
}

/** The schemas (or databases) other than the default that a set of qualified table names lives in. */
export function qualifiers(names: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const dot = n.lastIndexOf('.');
    if (dot > 0) out.add(n.slice(0, dot));
  }
  return [...out].sort();
}
