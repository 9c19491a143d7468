/**
 * Legal holds (lethe_holds). A hold on a row protects it and every row that reaches it
 * through foreign keys. Holds are read inside each batch transaction, so a hold placed
 * while a run is going protects every row that run has not yet reached.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { normaliseKey } from '../audit/chain.js';
import type { StageTask } from '../plan/planner.js';
import { isoUtc } from '../store/timestamps.js';
import { col, pathValue, T } from './sql-fragments.js';

export type HeldIds = ReadonlyMap<string, readonly (number | string)[]>;

/** Active holds at `now`, grouped by table: not released, not expired. */
export async function activeHolds(db: Kysely<any>, now: Date): Promise<HeldIds> {
  const nowText = isoUtc(now);
  const rows = await db
    .selectFrom('lethe_holds')
    .select(['table_name', 'row_id'])
    .where('released_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowText)]))
    .execute();
  const byTable = new Map<string, (number | string)[]>();
  for (const h of rows) {
    const list = byTable.get(String(h.table_name)) ?? [];
    list.push(normaliseKey(h.row_id));
    byTable.set(String(h.table_name), list);
  }
  return byTable;
}

/** A predicate on alias t true for rows protected by one of `holds`, or null when none can apply. */
export function heldPredicate(task: Pick<StageTask, 'table' | 'primaryKey' | 'holdPaths'>, holds: HeldIds): RawBuilder<unknown> | null {
  const preds: RawBuilder<unknown>[] = [];
  const own = holds.get(task.table.name);
  if (own?.length) preds.push(sql`${col(T, task.primaryKey)} in (${sql.join(own)})`);
  for (const path of task.holdPaths) {
    const last = path[path.length - 1]!;
    const ids = holds.get(last.toTable);
    if (ids?.length) preds.push(sql`${pathValue(path, last.refColumn)} in (${sql.join(ids)})`);
  }
  return preds.length ? sql`(${sql.join(preds, sql` or `)})` : null;
}

/** A predicate on alias t true for rows some child row still references (deletes are blocked). */
export function blockedPredicate(task: Pick<StageTask, 'children'>): RawBuilder<unknown> | null {
  if (task.children.length === 0) return null;
  const exists = task.children.map(
    (fk) => sql`exists (select 1 from ${sql.table(fk.table)} as ${sql.id('c')} where ${col('c', fk.columns[0]!)} = ${col(T, fk.refColumns[0]!)})`,
  );
  return sql`(${sql.join(exists, sql` or `)})`;
}
