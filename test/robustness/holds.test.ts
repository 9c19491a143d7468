/**
 * Legal holds: read inside every batch transaction, so a hold placed mid-run protects the rows
 * not yet done; lapsed (relative to the injected now) and released holds protect nothing; a
 * hold on a row protects every row that references it through foreign keys.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.js';
import { NOW, daysBefore, enforce, tempStore, type TempStore } from '../support/harness.js';
import { auditedKeys, ids, openDb, sorted, type Db } from './helpers.js';

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

function accounts(db: Db, n: number): void {
  db.prepare(`insert into providers (id, name) values ('acme', 'Acme Telecom')`).run();
  const a = db.prepare(`insert into accounts (id, provider_id, name, email, created_at) values (?, 'acme', ?, ?, ?)`);
  for (const id of range(1, n)) a.run(id, `Holder ${id}`, `holder${id}@example.com`, daysBefore(3000));
}

/** Calls 1..30 are due (400 days old), call id i belongs to account ((i-1) % 3) + 1; calls 31..36 are recent. */
function calls(db: Db, accountsN = 3): void {
  const c = db.prepare(`insert into calls (id, provider_id, account_id, direction, started_at, duration_s) values (?, 'acme', ?, 'outbound', ?, 60)`);
  for (const id of range(1, 36)) c.run(id, ((id - 1) % accountsN) + 1, daysBefore(id <= 30 ? 400 : 3));
}

const hold = (db: Db, table: string, rowId: number, extra: { expires_at?: string | null; released_at?: string | null } = {}) =>
  db
    .prepare('insert into lethe_holds (table_name, row_id, reason, placed_at, expires_at, released_at) values (?, ?, ?, ?, ?, ?)')
    .run(table, rowId, 'case 42', NOW.toISOString(), extra.expires_at ?? null, extra.released_at ?? null);

describe('legal holds', () => {
  let store: TempStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
    store = undefined;
  });

  it('a hold placed after the first batch protects the rows of that account not yet done, and nothing else', async () => {
    store = await tempStore(CALLS_POLICY);
    const side = openDb(store.dbFile); // a second connection, as `lethe hold add` in another process would be
    try {
      side.transaction(() => {
        accounts(side, 3);
        calls(side);
      })();

      const events = new EventBus();
      const seen: { selected: number; changed: number; held: number }[] = [];
      events.on('batch', (b) => {
        seen.push({ selected: b.selected, changed: b.changed, held: b.held });
        // 'batch' fires after the batch committed: the store is free for another writer.
        if (seen.length === 1) hold(side, 'accounts', 2);
      });
      const r = await enforce(store, { events });

      // Account 2 owns calls 2, 5, 8, …, 29. Batch 1 (calls 1–5) ran before the hold.
      const account2Later = range(6, 30).filter((id) => (id - 1) % 3 === 1);
      expect(account2Later).toEqual([8, 11, 14, 17, 20, 23, 26, 29]);
      expect(r.status).toBe('ok');
      expect(r.stages.map((s) => [s.rule, s.status, s.due, s.changed, s.held, s.blocked, s.batches])).toEqual([['calls', 'done', 30, 22, 8, 0, 6]]);
      // Per batch: 1–5 before the hold, then 6–10 (8 held), 11–15 (11, 14), 16–20 (17, 20), 21–25 (23), 26–30 (26, 29).
      expect(seen).toEqual(range(0, 5).map(expectedBatch));
      expect(seen.map((b) => b.held)).toEqual([0, 1, 2, 2, 1, 2]);

      const survivors = [...account2Later, ...range(31, 36)];
      expect(ids(side, 'calls')).toEqual(survivors);
      const deleted = range(1, 30).filter((id) => !account2Later.includes(id));
      expect(sorted(auditedKeys(side, 'delete').get('calls')!)).toEqual(deleted);
      expect(side.prepare('select status, due, changed, held from lethe_runs').all()).toEqual([{ status: 'ok', due: 30, changed: 22, held: 8 }]);

      // Still held on the next run; once released, the next run deletes them.
      const again = await enforce(store);
      expect([again.due, again.changed, again.held]).toEqual([8, 0, 8]);
      side.prepare('update lethe_holds set released_at = ? where table_name = ? and row_id = ?').run(NOW.toISOString(), 'accounts', 2);
      const released = await enforce(store);
      expect([released.due, released.changed, released.held]).toEqual([8, 8, 0]);
      expect(ids(side, 'calls')).toEqual(range(31, 36));
    } finally {
      side.close();
    }

    /** Batch i covers calls 5i+1..5i+5; those of account 2 after the first batch are held. */
    function expectedBatch(i: number) {
      const keys = range(5 * i + 1, 5 * i + 5);
      const held = i === 0 ? 0 : keys.filter((id) => (id - 1) % 3 === 1).length;
      return { selected: 5, changed: 5 - held, held };
    }
  });

  it('expired holds (relative to the injected now) and released holds protect nothing', async () => {
    store = await tempStore(CALLS_POLICY);
    const side = openDb(store.dbFile);
    try {
      side.transaction(() => {
        accounts(side, 5);
        const c = side.prepare(`insert into calls (id, provider_id, account_id, direction, started_at, duration_s) values (?, 'acme', ?, 'outbound', ?, 60)`);
        for (const id of range(1, 25)) c.run(id, ((id - 1) % 5) + 1, daysBefore(400));
        hold(side, 'accounts', 1, { expires_at: iso(NOW.getTime() - 86_400_000) }); // lapsed a day before now
        hold(side, 'accounts', 2, { released_at: iso(NOW.getTime() - 3_600_000) }); // released
        hold(side, 'accounts', 3, { expires_at: iso(NOW.getTime() + 3_600_000) }); // lapses an hour after now: active
        hold(side, 'accounts', 4, { expires_at: NOW.toISOString() }); // lapses at now: no longer active
        hold(side, 'accounts', 99, {}); // a hold on a row that does not exist protects nothing else
      })();
      // The hold on account 3 lapses at NOW + 1h, which is already past on the wall clock (NOW is
      // 03:15 of a day whose run happens later): only the injected now keeps it active.
      const r = await enforce(store);
      const account3 = range(1, 25).filter((id) => (id - 1) % 5 === 2);
      expect(account3).toEqual([3, 8, 13, 18, 23]);
      expect([r.status, r.due, r.changed, r.held, r.blocked]).toEqual(['ok', 25, 20, 5, 0]);
      expect(ids(side, 'calls')).toEqual(account3);
      expect(sorted(auditedKeys(side, 'delete').get('calls')!)).toEqual(range(1, 25).filter((id) => !account3.includes(id)));
    } finally {
      side.close();
    }
  });

  it('a hold on a conference protects its participants and recordings (and a hold on an account, everything under it)', async () => {
    store = await tempStore(CONFERENCE_POLICY);
    const side = openDb(store.dbFile);
    const media = (id: number) => `acme/recordings/${id}.wav`;
    try {
      side.transaction(() => {
        accounts(side, 3);
        const conf = side.prepare(`insert into conferences (id, provider_id, account_id, title, started_at, ended_at) values (?, 'acme', ?, 'Weekly sync', ?, ?)`);
        // conference -> account: 1 and 2 of account 1, 3 of account 2, 4 of account 3; all ended 200 days ago.
        for (const [id, acct] of [[1, 1], [2, 1], [3, 2], [4, 3]] as const) conf.run(id, acct, daysBefore(200.1), daysBefore(200));
        const part = side.prepare(`insert into conference_participants (id, provider_id, conference_id, name, cli) values (?, 'acme', ?, 'Guest', '+447700900001')`);
        for (const [id, c] of [[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 3], [7, 3], [8, 4], [9, 4]] as const) part.run(id, c);
        const rec = side.prepare(`insert into recordings (id, provider_id, account_id, conference_id, media_path, size_bytes, recorded_at) values (?, 'acme', ?, ?, ?, 44, ?)`);
        for (const [id, acct, c] of [[1, 1, 1], [2, 1, 1], [3, 1, 2], [4, 2, 3], [5, 3, 4]] as const) rec.run(id, acct, c, media(id), daysBefore(200.1));
        hold(side, 'conferences', 1);
        hold(side, 'accounts', 3);
      })();
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
      expect(ids(side, 'conferences')).toEqual([1, 4]);
      expect(ids(side, 'conference_participants')).toEqual([1, 2, 3, 8, 9]);
      expect(ids(side, 'recordings')).toEqual([1, 2, 5]);
      expect(range(1, 5).map((id) => existsSync(join(store!.mediaRoot, media(id))))).toEqual([true, true, false, false, true]);
      expect(r.files).toEqual({ removed: 2, missing: 0, refused: 0, errors: 0 });
      const deletes = auditedKeys(side, 'delete');
      expect(Object.fromEntries([...deletes].map(([t, k]) => [t, sorted(k)]))).toEqual({
        conference_participants: [4, 5, 6, 7],
        recordings: [3, 4],
        conferences: [2, 3],
      });
      expect(sorted(auditedKeys(side, 'file').get('recordings')!)).toEqual([3, 4]);
    } finally {
      side.close();
    }
  });
});
