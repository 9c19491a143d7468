/**
 * Legal holds: read inside every batch transaction, so a hold placed mid-run protects the rows
 * not yet done; lapsed (relative to the injected now) and released holds protect nothing; a
 * hold on a row protects every row that references it through foreign keys.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.js';
import { NOW, daysBefore, enforce, runCli, tempStore, ts, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { auditedKeys, ids, rows, sorted, type Db } from './helpers.js';

const engines = await testEngines();

const HEADER = `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
  tenant_column: provider_id
defaults:
  timezone: UTC
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme Telecom
    batch_size: 5
    # The tests below count batches of exactly 5: the throttle would shrink a slow one.
    throttle: off
    rules:
`;

const CALLS_POLICY = `${HEADER}      calls:
        quote: "Call records are deleted one year after the call."
        table: calls
        clock: started_at
        after: 1 year
        action: delete
`;

const CONFERENCE_POLICY = `${HEADER}      participants:
        quote: "Conference data is deleted 90 days after the conference."
        table: conference_participants
        clock: conferences.ended_at
        after: 90 days
        action: delete
      recordings:
        quote: "Conference data is deleted 90 days after the conference."
        table: recordings
        clock: conferences.ended_at
        files: media_path
        after: 90 days
        action: delete
      conferences:
        quote: "Conference data is deleted 90 days after the conference."
        table: conferences
        clock: ended_at
        after: 90 days
        action: delete
`;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const iso = (ms: number) => new Date(ms).toISOString();

async function accounts(store: TempStore, n: number): Promise<void> {
  const db = store.adapter.db;
  await db.insertInto('providers').values({ id: 'acme', name: 'Acme Telecom' }).execute();
  await db
    .insertInto('accounts')
    .values(range(1, n).map((id) => ({ id, provider_id: 'acme', name: `Holder ${id}`, email: `holder${id}@example.com`, created_at: ts(store, daysBefore(3000)) })))
    .execute();
}

/** Calls with the given ids, each of account `accountOf(id)`, started `ageDays(id)` before NOW. */
async function insertCalls(store: TempStore, callIds: number[], accountOf: (id: number) => number, ageDays: (id: number) => number): Promise<void> {
  await store.adapter.db
    .insertInto('calls')
    .values(callIds.map((id) => ({ id, provider_id: 'acme', account_id: accountOf(id), direction: 'outbound', started_at: ts(store, daysBefore(ageDays(id))), duration_s: 60 })))
    .execute();
}

/** Calls 1..30 are due (400 days old), call id i belongs to account ((i-1) % 3) + 1; calls 31..36 are recent. */
async function calls(store: TempStore, accountsN = 3): Promise<void> {
  await insertCalls(store, range(1, 36), (id) => ((id - 1) % accountsN) + 1, (id) => (id <= 30 ? 400 : 3));
}

const hold = (db: Db, table: string, rowId: number, extra: { expires_at?: string | null; released_at?: string | null } = {}) =>
  db
    .insertInto('lethe_holds')
    .values({ table_name: table, row_key: JSON.stringify(rowId), reason: 'case 42', placed_at: NOW.toISOString(), expires_at: extra.expires_at ?? null, released_at: extra.released_at ?? null })
    .execute();

/**
 * Places a hold from another connection while the run's process waits, as `lethe hold add` in
 * another process would. The 'batch' event is emitted synchronously after a batch committed and
 * before the next one starts, so the hold must be committed before the listener returns:
 * on SQLite through a second better-sqlite3 connection to the file; on PostgreSQL and MariaDB
 * (whose drivers are asynchronous) by `lethe hold add` itself, run synchronously.
 */
function holdFromOutside(store: TempStore, table: string, rowId: number): void {
  if (store.engine === 'sqlite') {
    const side = new Database(store.dbFile, { fileMustExist: true });
    try {
      side.pragma('busy_timeout = 10000');
      side
        .prepare('insert into lethe_holds (table_name, row_key, reason, placed_at, expires_at, released_at) values (?, ?, ?, ?, ?, ?)')
        .run(table, JSON.stringify(rowId), 'case 42', NOW.toISOString(), null, null);
    } finally {
      side.close();
    }
    return;
  }
  const r = runCli(['hold', 'add', table, String(rowId), '--reason', 'case 42', '--now', NOW.toISOString(), '--json'], { cwd: store.dir, env: store.env });
  if (r.code !== 0) throw new Error(`lethe hold add exited ${r.code}: ${r.stderr}`);
}

describe.each(engines)('legal holds on %s', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
    store = undefined;
  });

  it('a hold placed after the first batch protects the rows of that account not yet done, and nothing else', async () => {
    store = await tempStore(CALLS_POLICY, engine);
    const st = store;
    const side = store.adapter.db;
    await accounts(store, 3);
    await calls(store);

    const events = new EventBus();
    const seen: { selected: number; changed: number; held: number }[] = [];
    let placed: unknown = null;
    events.on('batch', (b) => {
      seen.push({ selected: b.selected, changed: b.changed, held: b.held });
      // 'batch' fires after the batch committed: the store is free for another writer.
      if (seen.length === 1) {
        try {
          holdFromOutside(st, 'accounts', 2);
        } catch (err) {
          placed = err; // a listener's throw is swallowed by the EventBus: report it below
        }
      }
    });
    const r = await enforce(store, { events });
    expect(placed).toBeNull();
    expect(await rows(side, sql`select table_name, row_key, reason, placed_at, expires_at, released_at from lethe_holds`)).toEqual([
      { table_name: 'accounts', row_key: '2', reason: 'case 42', placed_at: NOW.toISOString(), expires_at: null, released_at: null },
    ]);

    // Account 2 owns calls 2, 5, 8, …, 29. Batch 1 (calls 1–5) ran before the hold.
    const account2Later = range(6, 30).filter((id) => (id - 1) % 3 === 1);
    expect(account2Later).toEqual([8, 11, 14, 17, 20, 23, 26, 29]);
    expect(r.status).toBe('ok');
    expect(r.stages.map((s) => [s.rule, s.status, s.due, s.changed, s.held, s.blocked, s.batches])).toEqual([['calls', 'done', 30, 22, 8, 0, 6]]);
    // Per batch: 1–5 before the hold, then 6–10 (8 held), 11–15 (11, 14), 16–20 (17, 20), 21–25 (23), 26–30 (26, 29).
    expect(seen).toEqual(range(0, 5).map(expectedBatch));
    expect(seen.map((b) => b.held)).toEqual([0, 1, 2, 2, 1, 2]);

    const survivors = [...account2Later, ...range(31, 36)];
    expect(await ids(side, 'calls')).toEqual(survivors);
    const deleted = range(1, 30).filter((id) => !account2Later.includes(id));
    expect(sorted((await auditedKeys(side, 'delete')).get('calls')!)).toEqual(deleted);
    expect(await rows(side, sql`select status, due, changed, held from lethe_runs`)).toEqual([{ status: 'ok', due: 30, changed: 22, held: 8 }]);

    // Still held on the next run; once released, the next run deletes them.
    const again = await enforce(store);
    expect([again.due, again.changed, again.held]).toEqual([8, 0, 8]);
    await side.updateTable('lethe_holds').set({ released_at: NOW.toISOString() }).where('table_name', '=', 'accounts').where('row_key', '=', '2').execute();
    const released = await enforce(store);
    expect([released.due, released.changed, released.held]).toEqual([8, 8, 0]);
    expect(await ids(side, 'calls')).toEqual(range(31, 36));

    /** Batch i covers calls 5i+1..5i+5; those of account 2 after the first batch are held. */
    function expectedBatch(i: number) {
      const keys = range(5 * i + 1, 5 * i + 5);
      const held = i === 0 ? 0 : keys.filter((id) => (id - 1) % 3 === 1).length;
      return { selected: 5, changed: 5 - held, held };
    }
  });

  it('expired holds (relative to the injected now) and released holds protect nothing', async () => {
    store = await tempStore(CALLS_POLICY, engine);
    const side = store.adapter.db;
    await accounts(store, 5);
    await insertCalls(store, range(1, 25), (id) => ((id - 1) % 5) + 1, () => 400);
    await hold(side, 'accounts', 1, { expires_at: iso(NOW.getTime() - 86_400_000) }); // lapsed a day before now
    await hold(side, 'accounts', 2, { released_at: iso(NOW.getTime() - 3_600_000) }); // released
    await hold(side, 'accounts', 3, { expires_at: iso(NOW.getTime() + 3_600_000) }); // lapses an hour after now: active
    await hold(side, 'accounts', 4, { expires_at: NOW.toISOString() }); // lapses at now: no longer active
    await hold(side, 'accounts', 99, {}); // a hold on a row that does not exist protects nothing else
    // The hold on account 3 lapses at NOW + 1h, which is already past on the wall clock (NOW is
    // 03:15 of a day whose run happens later): only the injected now keeps it active.
    const r = await enforce(store);
    const account3 = range(1, 25).filter((id) => (id - 1) % 5 === 2);
    expect(account3).toEqual([3, 8, 13, 18, 23]);
    expect([r.status, r.due, r.changed, r.held, r.blocked]).toEqual(['ok', 25, 20, 5, 0]);
    expect(await ids(side, 'calls')).toEqual(account3);
    expect(sorted((await auditedKeys(side, 'delete')).get('calls')!)).toEqual(range(1, 25).filter((id) => !account3.includes(id)));
  });

  it('a hold on a conference protects its participants and recordings (and a hold on an account, everything under it)', async () => {
    store = await tempStore(CONFERENCE_POLICY, engine);
    const st = store;
    const side = store.adapter.db;
    const media = (id: number) => `acme/recordings/${id}.wav`;
    await accounts(store, 3);
    // conference -> account: 1 and 2 of account 1, 3 of account 2, 4 of account 3; all ended 200 days ago.
    await side
      .insertInto('conferences')
      .values(([[1, 1], [2, 1], [3, 2], [4, 3]] as const).map(([id, acct]) => ({ id, provider_id: 'acme', account_id: acct, title: 'Weekly sync', started_at: ts(st, daysBefore(200.1)), ended_at: ts(st, daysBefore(200)) })))
      .execute();
    await side
      .insertInto('conference_participants')
      .values(([[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 3], [7, 3], [8, 4], [9, 4]] as const).map(([id, c]) => ({ id, provider_id: 'acme', conference_id: c, name: 'Guest', cli: '+447700900001' })))
      .execute();
    await side
      .insertInto('recordings')
      .values(([[1, 1, 1], [2, 1, 1], [3, 1, 2], [4, 2, 3], [5, 3, 4]] as const).map(([id, acct, c]) => ({ id, provider_id: 'acme', account_id: acct, conference_id: c, media_path: media(id), size_bytes: 44, recorded_at: ts(st, daysBefore(200.1)) })))
      .execute();
    await hold(side, 'conferences', 1);
    await hold(side, 'accounts', 3);
    for (const id of range(1, 5)) {
      const f = join(store.mediaRoot, media(id));
      mkdirSync(join(f, '..'), { recursive: true });
      writeFileSync(f, 'RIFF');
    }

    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.stages.map((s) => [s.rule, s.due, s.changed, s.held, s.blocked])).toEqual([
      ['participants', 9, 4, 5, 0],
      ['recordings', 5, 2, 3, 0],
      ['conferences', 4, 2, 2, 0],
    ]);
    expect([r.due, r.changed, r.held, r.blocked]).toEqual([18, 8, 10, 0]);
    expect(await ids(side, 'conferences')).toEqual([1, 4]);
    expect(await ids(side, 'conference_participants')).toEqual([1, 2, 3, 8, 9]);
    expect(await ids(side, 'recordings')).toEqual([1, 2, 5]);
    expect(range(1, 5).map((id) => existsSync(join(store!.mediaRoot, media(id))))).toEqual([true, true, false, false, true]);
    expect(r.files).toEqual({ removed: 2, missing: 0, shared: 0, refused: 0, errors: 0 });
    const deletes = await auditedKeys(side, 'delete');
    expect(Object.fromEntries([...deletes].map(([t, k]) => [t, sorted(k)]))).toEqual({
      conference_participants: [4, 5, 6, 7],
      recordings: [3, 4],
      conferences: [2, 3],
    });
    expect(sorted((await auditedKeys(side, 'file')).get('recordings')!)).toEqual([3, 4]);
  });
});
