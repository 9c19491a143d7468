/**
 * lethe's SQLite connection lets the WAL grow to about WAL_CHECKPOINT_BYTES before one of its
 * commits copies it into the database: a threshold in pages would be 16 times as many bytes
 * on a store of 64 KB pages as on one of 4 KB. Checked on real files of both page sizes.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { WAL_CHECKPOINT_BYTES } from '../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'lethe-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the WAL lethe lets grow on SQLite', () => {
  it.each([4096, 65536])('is about %i-byte pages × wal_autocheckpoint = WAL_CHECKPOINT_BYTES', async (pageSize) => {
    const file = join(dir, `p${pageSize}.db`);
    const db = new Database(file);
    db.pragma(`page_size = ${pageSize}`);
    db.exec('create table t (id integer primary key)');
    db.close();
    const adapter = await openStore(`sqlite:${file}`, dir);
    try {
      const page = Number((await sql<{ page_size: number }>`pragma page_size`.execute(adapter.db)).rows[0]!.page_size);
      expect(page).toBe(pageSize);
      const pages = Number((await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(adapter.db)).rows[0]!.wal_autocheckpoint);
      expect(pages * pageSize).toBe(WAL_CHECKPOINT_BYTES);
    } finally {
      await adapter.close();
    }
  });
});
