/** `lethe hold add|release|list`: legal holds kept in the store. */
import { UsageError } from '../../errors.js';
import { lockAuditHead } from '../../audit/chain.js';
import { parseClockValue, isoUtc } from '../../store/timestamps.js';
import { table } from '../format.js';
import type { Runtime } from '../context.js';

export async function holdAddCommand(rt: Runtime, tableName: string, id: string, f: { reason?: string; until?: string }): Promise<number> {
  const t = rt.schema.tables.get(tableName);
  if (!t || tableName.startsWith('lethe_')) throw new UsageError(`hold add: no table "${tableName}" in the store`);
  if (!f.reason || !f.reason.trim()) throw new UsageError('hold add: --reason is required (who asked for the hold, and why)');
  if (!/^-?\d+$/.test(id)) throw new UsageError(`hold add: "${id}" is not a row id`);
  const now = rt.now ?? (await rt.adapter.dbNow());
  let expires: string | null = null;
  if (f.until) {
    const d = parseClockValue(f.until, 'iso');
    if (!d) throw new UsageError(`--until: "${f.until}" is not an ISO-8601 instant`);
    if (d <= now) throw new UsageError(`--until: ${f.until} is not in the future`);
    expires = isoUtc(d);
  }
  const pk = t.primaryKey[0]!;
  const holdId = await rt.adapter.transaction(async (tx) => {
    // Waits for a running batch to commit, so the hold applies to every row not yet done.
    await lockAuditHead(rt.adapter, tx);
    const row = await tx.selectFrom(tableName).select(pk).where(pk, '=', Number(id)).executeTakeFirst();
    if (!row) throw new UsageError(`hold add: ${tableName} has no row ${id}`);
    const values = { table_name: tableName, row_id: Number(id), reason: f.reason!.trim(), placed_at: isoUtc(now), expires_at: expires, released_at: null };
    if (rt.adapter.supportsReturning) return Number((await tx.insertInto('lethe_holds').values(values).returning('id').executeTakeFirstOrThrow()).id);
    return Number((await tx.insertInto('lethe_holds').values(values).executeTakeFirstOrThrow()).insertId);
  });
  if (rt.json) process.stdout.write(JSON.stringify({ id: holdId, table: tableName, row_id: Number(id), expires_at: expires }) + '\n');
  else process.stdout.write(`hold ${holdId} placed on ${tableName} ${id}${expires ? ` until ${expires}` : ''}; it protects the row and every row that references it\n`);
  return 0;
}

export async function holdReleaseCommand(rt: Runtime, id: string): Promise<number> {
  if (!/^\d+$/.test(id)) throw new UsageError(`hold release: "${id}" is not a hold id`);
  const now = rt.now ?? (await rt.adapter.dbNow());
  const res = await rt.adapter.db.updateTable('lethe_holds').set({ released_at: isoUtc(now) }).where('id', '=', Number(id)).where('released_at', 'is', null).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new UsageError(`hold release: no active hold ${id}`);
  process.stdout.write(rt.json ? JSON.stringify({ id: Number(id), released_at: isoUtc(now) }) + '\n' : `hold ${id} released\n`);
  return 0;
}

export async function holdListCommand(rt: Runtime, f: { all?: boolean }): Promise<number> {
  const now = isoUtc(rt.now ?? (await rt.adapter.dbNow()));
  const rows = (await rt.adapter.db.selectFrom('lethe_holds').selectAll().orderBy('id').execute()).map((h) => ({
    id: Number(h.id),
    table: String(h.table_name),
    row_id: Number(h.row_id),
    reason: String(h.reason),
    placed_at: String(h.placed_at),
    expires_at: h.expires_at === null ? null : String(h.expires_at),
    released_at: h.released_at === null ? null : String(h.released_at),
    state: h.released_at !== null ? 'released' : h.expires_at !== null && String(h.expires_at) <= now ? 'expired' : 'active',
  }));
  const shown = f.all ? rows : rows.filter((r) => r.state === 'active');
  if (rt.json) process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
  else process.stdout.write(table(['id', 'table', 'row_id', 'state', 'placed_at', 'expires_at', 'reason'], shown.map((r) => [r.id, r.table, r.row_id, r.state, r.placed_at, r.expires_at, r.reason])));
  return 0;
}
