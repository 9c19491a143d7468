/**
 * Legal holds (lethe_holds). A hold on a row protects it and every row that reaches it
 * through foreign keys. Holds are read inside each batch transaction, so a hold placed
 * while a run is going protects every row that run has not yet reached. A held row is
 * named by its key in canonical JSON (row-key.ts), whatever the key's type or width.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { StageTask } from '../plan/planner.js';
import { letheDb } from '../store/lethe-tables.js';
import { preparedFor } from '../store/prepared.js';
import { isoUtc } from '../store/timestamps.js';
import type { Adapter } from '../store/types.js';
import { KEY_CHUNK, RowKey, type KeyValue } from './row-key.js';
import { childRowExists, pathExists, T } from './sql-fragments.js';

export type HeldKeys = ReadonlyMap<string, readonly KeyValue[]>;

/** Active holds at `now`, grouped by table: not released, not expired. */
export async function activeHolds(adapter: Adapter, db: Kysely<any>, now: Date): Promise<HeldKeys> {
  // Read in every batch on SQLite (executor.ts, holdsAt): compiled once.
  const read = preparedFor(adapter, 'activeHolds', (slot) =>
    letheDb(adapter)
      .selectFrom('lethe_holds')
      .select(['table_name', 'row_key'])
      .where('released_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', slot(0))])),
  );
  const rows = (await read.execute(db, [isoUtc(now)])).rows as { table_name: unknown; row_key: string }[];
  const byTable = new Map<string, KeyValue[]>();
  for (const h of rows) {
    const key = RowKey.decode(h.row_key);
    if (key === null) continue;
    const list = byTable.get(String(h.table_name)) ?? [];
    list.push(key);
    byTable.set(String(h.table_name), list);
  }
  return byTable;
}

/** `key in (…)` over any number of keys, chunked so no statement outgrows a parameter limit. */
function anyOf(key: RowKey, alias: string, keys: readonly KeyValue[]): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  for (let i = 0; i < keys.length; i += KEY_CHUNK) parts.push(key.in(alias, keys.slice(i, i + KEY_CHUNK)));
  return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` or `)})`;
}

/** A predicate on alias t true for rows protected by one of `holds`, or null when none can apply. */
export function heldPredicate(adapter: Adapter, task: Pick<StageTask, 'table' | 'keyColumns' | 'holdPaths'>, holds: HeldKeys): RawBuilder<unknown> | null {
  const preds: RawBuilder<unknown>[] = [];
  const own = holds.get(task.table.name);
  if (own?.length) preds.push(anyOf(new RowKey(task.table.name, task.keyColumns, adapter), T, own));
  for (const hp of task.holdPaths) {
    const end = hp.path[hp.path.length - 1]!.toTable;
    const ids = holds.get(end);
    if (ids?.length) preds.push(pathExists(hp.path, (a) => anyOf(new RowKey(end, hp.keyColumns, adapter), a, ids)));
  }
  return preds.length ? sql`(${sql.join(preds, sql` or `)})` : null;
}

/** A predicate on alias t true for rows some child row still references (deletes are blocked). */
export function blockedPredicate(task: Pick<StageTask, 'children'>): RawBuilder<unknown> | null {
  if (task.children.length === 0) return null;
  return sql`(${sql.join(task.children.map(childRowExists), sql` or `)})`;
}
