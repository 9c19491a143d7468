/** `lethe hold add|release|list`: legal holds kept in the store. */
import { sql } from 'kysely';
import { UsageError } from '../../errors.js';
import { actor, appendAct } from '../../audit/acts.js';
import { RowKey } from '../../exec/row-key.js';
import { T } from '../../exec/sql-fragments.js';
import { findTable } from '../../plan/fk-graph.js';
import { keyColumnsOf } from '../../plan/planner.js';
import { letheDb } from '../../store/lethe-tables.js';
import { parseClockValue, isoUtc } from '../../store/timestamps.js';
import { table } from '../format.js';
import type { Runtime } from '../context.js';

export async function holdAddCommand(rt: Runtime, tableName: string, id: string, f: { reason?: string; until?: string; by?: string }): Promise<number> {
  const t = findTable(rt.schema, tableName);
  if (!t || t.name.split('.').pop()!.startsWith('lethe_')) throw new UsageError(`hold add: no table "${tableName}" in the store`);
  if (!f.reason || !f.reason.trim()) throw new UsageError('hold add: --reason is required (who asked for the hold, and why)');
  const keyColumns = keyColumnsOf(rt.policy, rt.schema, t.name);
  if (!keyColumns) throw new UsageError(`hold add: ${t.name} has no primary key and no rule gives it a \`key\`, so its rows cannot be named`);
  const key = new RowKey(t.name, keyColumns, rt.adapter);
  const wanted = key.parseInput(id, 'hold add');
  const now = rt.now ?? (await rt.adapter.dbNow());
  let expires: string | null = null;
  if (f.until) {
    const d = parseClockValue(f.until, 'iso');
    if (!d) throw new UsageError(`--until: "${f.until}" is not an ISO-8601 instant`);
    if (d <= now) throw new UsageError(`--until: ${f.until} is not in the future`);
    expires = isoUtc(d);
  }
  const by = actor(byFlag(f.by, 'hold add'), rt.env);
  const placed = await rt.adapter.transaction(async (tx) => {
    // The hold's audit entry locks the chain's head first: that waits for a running batch to
    // commit, so the hold applies to every row not yet done.
    const row = (await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(t.name)} as ${sql.id(T)} where ${key.in(T, [wanted])}`.execute(tx)).rows[0];
    if (!row) throw new UsageError(`hold add: ${t.name} has no row ${key.describe(wanted)}`);
    // The key as the store prints it, so the hold matches the row whatever way it was typed.
    const canonical = key.fromRow(row);
    const values = { table_name: t.name, row_key: RowKey.encode(canonical), reason: f.reason!.trim(), placed_at: isoUtc(now), placed_by: by, expires_at: expires, released_at: null };
    const ltx = letheDb(rt.adapter, tx);
    const insert = async () =>
      rt.adapter.supportsReturning
        ? Number((await ltx.insertInto('lethe_holds').values(values).returning('id').executeTakeFirstOrThrow()).id)
        : Number((await ltx.insertInto('lethe_holds').values(values).executeTakeFirstOrThrow()).insertId);
    // The entry first (it takes the head's lock), then the hold, in one transaction.
    const entry = await appendAct(rt.adapter, tx, { action: 'hold', at: isoUtc(now), by, reason: values.reason, policySha256: rt.policy.sha256, table: t.name, keys: [canonical], detail: { expires_at: expires } });
    const holdId = await insert();
    return { holdId, canonical, seq: entry.seq };
  });
  if (rt.json) process.stdout.write(JSON.stringify({ id: placed.holdId, table: t.name, key: placed.canonical, row_id: placed.canonical, expires_at: expires, placed_by: by, audit_seq: placed.seq }) + '\n');
  else process.stdout.write(`hold ${placed.holdId} placed on ${t.name} ${key.describe(placed.canonical)}${expires ? ` until ${expires}` : ''}; it protects the row and every row that references it\n`);
  return 0;
}

export async function holdReleaseCommand(rt: Runtime, id: string, f: { reason?: string; by?: string }): Promise<number> {
  if (!/^\d+$/.test(id)) throw new UsageError(`hold release: "${id}" is not a hold id`);
  if (f.reason !== undefined && !f.reason.trim()) throw new UsageError('hold release: --reason is empty');
  const by = actor(byFlag(f.by, 'hold release'), rt.env);
  const reason = f.reason?.trim() ?? null;
  const now = isoUtc(rt.now ?? (await rt.adapter.dbNow()));
  await rt.adapter.transaction(async (tx) => {
    const ltx = letheDb(rt.adapter, tx);
    const hold = await ltx.selectFrom('lethe_holds').selectAll().where('id', '=', Number(id)).where('released_at', 'is', null).executeTakeFirst();
    if (!hold) throw new UsageError(`hold release: no active hold ${id}`);
    await appendAct(rt.adapter, tx, { action: 'release', at: now, by, reason, policySha256: rt.policy.sha256, table: String(hold.table_name), keys: [RowKey.decode(hold.row_key) ?? String(hold.row_key)], detail: { hold_id: Number(id), placed_by: hold.placed_by ?? null } });
    const res = await ltx.updateTable('lethe_holds').set({ released_at: now, released_by: by, release_reason: reason }).where('id', '=', Number(id)).where('released_at', 'is', null).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new UsageError(`hold release: no active hold ${id}`);
  });
  process.stdout.write(rt.json ? JSON.stringify({ id: Number(id), released_at: now, released_by: by, reason }) + '\n' : `hold ${id} released by ${by}\n`);
  return 0;
}

/** `--by` as given: absent means the OS user; present but blank is a mistake. */
export function byFlag(by: string | undefined, command: string): string | undefined {
  if (by !== undefined && !by.trim()) throw new UsageError(`${command}: --by is empty (name who acts, or leave it out to record the OS user)`);
  return by;
}

export async function holdListCommand(rt: Runtime, f: { all?: boolean }): Promise<number> {
  const now = isoUtc(rt.now ?? (await rt.adapter.dbNow()));
  const rows = (await letheDb(rt.adapter).selectFrom('lethe_holds').selectAll().orderBy('id').execute()).map((h) => ({
    id: Number(h.id),
    table: String(h.table_name),
    key: RowKey.decode(h.row_key),
    reason: String(h.reason),
    placed_at: String(h.placed_at),
    placed_by: h.placed_by === null || h.placed_by === undefined ? null : String(h.placed_by),
    expires_at: h.expires_at === null ? null : String(h.expires_at),
    released_at: h.released_at === null ? null : String(h.released_at),
    released_by: h.released_by === null || h.released_by === undefined ? null : String(h.released_by),
    release_reason: h.release_reason === null || h.release_reason === undefined ? null : String(h.release_reason),
    state: h.released_at !== null ? 'released' : h.expires_at !== null && String(h.expires_at) <= now ? 'expired' : 'active',
  }));
  const shown = f.all ? rows : rows.filter((r) => r.state === 'active');
  if (rt.json) process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
  else process.stdout.write(table(['id', 'table', 'key', 'state', 'placed_at', 'placed_by', 'expires_at', 'released_at', 'released_by', 'reason'], shown.map((r) => [r.id, r.table, JSON.stringify(r.key), r.state, r.placed_at, r.placed_by, r.expires_at, r.released_at, r.released_by, r.reason])));
  return 0;
}
