/**
 * What changed rows referenced when they were changed: for each row of a batch, the rows it
 * reaches along declared foreign keys, directly or through other rows (the paths holds
 * follow), read in the batch's transaction before the change. The audit entry keeps them
 * (AuditRef), so `audit --subject accounts:42` finds a call deleted years after, through
 * the user it belonged to, even when the user row is gone too.
 *
 * One query per chunk of keys: the table left-joined along every upward path at once (each
 * hop is a many-to-one join on the parent's key, so rows never multiply).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AuditRef } from '../audit/chain.js';
import type { HoldPath, StageTask } from '../plan/planner.js';
import type { Adapter } from '../store/types.js';
import { RowKey, type KeyValue } from './row-key.js';
import { col, T } from './sql-fragments.js';

/** The rows each key's row references, as [table, key] pairs, by encoded key. */
export type ReferencedRows = Map<string, [string, KeyValue][]>;

export async function referencedRows(adapter: Adapter, task: Pick<StageTask, 'table' | 'holdPaths'>, tx: Kysely<any>, key: RowKey, keys: readonly KeyValue[]): Promise<ReferencedRows> {
  const out: ReferencedRows = new Map();
  if (task.holdPaths.length === 0 || keys.length === 0) return out;
  const { joins, ends } = joinTree(adapter, task.holdPaths);
  const selects = sql.join([key.select(T), ...ends.map((e, j) => e.key.select(e.alias, `__r${j}_`))]);
  for (let i = 0; i < keys.length; i += key.chunk) {
    const rows = await sql<Record<string, unknown>>`select ${selects} from ${sql.table(task.table.name)} as ${sql.id(T)} ${joins} where ${key.in(T, keys.slice(i, i + key.chunk))}`.execute(tx);
    for (const row of rows.rows) {
      const own = RowKey.encode(key.fromRow(row));
      const list = out.get(own) ?? [];
      ends.forEach((e, j) => {
        if (e.key.columns.some((_c, n) => row[`__r${j}_${n}`] === null || row[`__r${j}_${n}`] === undefined)) return;
        list.push([e.key.table, e.key.fromRow(row, `__r${j}_`)]);
      });
      out.set(own, list);
    }
  }
  return out;
}

/** The refs of the rows actually changed, grouped by referenced row, in a canonical order. */
export function auditRefs(changed: readonly KeyValue[], referenced: ReferencedRows): AuditRef[] {
  // A table that references nothing: no key of the batch need be encoded to find that out.
  if (referenced.size === 0) return [];
  const groups = new Map<string, AuditRef>();
  changed.forEach((k, index) => {
    for (const [table, ref] of referenced.get(RowKey.encode(k)) ?? []) {
      const id = `${table}\u0000${RowKey.encode(ref)}`;
      const g = groups.get(id) ?? ([table, ref, []] as AuditRef);
      if (g[2][g[2].length - 1] !== index) g[2].push(index);
      groups.set(id, g);
    }
  });
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

/** `left join` clauses for every path (shared prefixes joined once) and each path's end. */
function joinTree(adapter: Adapter, paths: readonly HoldPath[]): { joins: RawBuilder<unknown>; ends: { alias: string; key: RowKey }[] } {
  const aliases = new Map<string, string>();
  const joins: RawBuilder<unknown>[] = [];
  const ends: { alias: string; key: RowKey }[] = [];
  for (const hp of paths) {
    let at = T;
    let prefix = '';
    for (const hop of hp.path) {
      prefix += `|${hop.columns.join(',')}>${hop.toTable}`;
      let alias = aliases.get(prefix);
      if (!alias) {
        alias = `r${aliases.size + 1}`;
        aliases.set(prefix, alias);
        const on = sql.join(hop.columns.map((c, i) => sql`${col(alias!, hop.refColumns[i]!)} = ${col(at, c)}`), sql` and `);
        joins.push(sql`left join ${sql.table(hop.toTable)} as ${sql.id(alias)} on ${on}`);
      }
      at = alias;
    }
    ends.push({ alias: at, key: new RowKey(hp.path[hp.path.length - 1]!.toTable, hp.keyColumns, adapter) });
  }
  return { joins: sql.join(joins, sql` `), ends };
}
