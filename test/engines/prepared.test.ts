/**
 * Statements compiled once (src/store/prepared.ts) run with each call's own values, in their
 * own slots, on every engine: a value used twice goes to both of its places, a value that is
 * not a bound parameter is refused when the statement is built, and a transaction that rolls
 * back takes a prepared write with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { Prepared, preparedFor } from '../../src/store/prepared.js';
import type { Adapter } from '../../src/store/types.js';
import { createDatabase, testEngines } from '../support/engines.js';

const engines = await testEngines();

describe.each(engines)('prepared statements on %s', (engine) => {
  let adapter: Adapter;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    if (engine === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'lethe-prepared-'));
      adapter = await openStore(`sqlite:${join(dir, 'p.db')}`, dir);
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const db = await createDatabase(engine);
      adapter = await openStore(db.url, process.cwd());
      cleanup = db.drop;
    }
    await sql`create table notes (id integer primary key, body varchar(40) not null, copy varchar(40))`.execute(adapter.db);
  });
  afterAll(async () => {
    await adapter?.close();
    await cleanup?.();
  });

  /** An insert of notes(id, body, copy): body and copy both take value 1. */
  const insertNote = () => preparedFor(adapter, 'notes:insert', (slot) => adapter.db.insertInto('notes').values({ id: slot(0), body: slot(1), copy: slot(1) }));

  it('binds each call its own values, a value used twice in both places', async () => {
    const insert = insertNote();
    await insert.execute(adapter.db, [1, 'first']);
    await insert.execute(adapter.db, [2, "it's second"]);
    // The same statement object, as a second lookup under the name returns it.
    expect(preparedFor(adapter, 'notes:insert', () => sql`select 1`)).toBe(insert);
    const read = preparedFor(adapter, 'notes:read', (slot) => sql<{ id: unknown; body: string; copy: string }>`select id, body, copy from notes where id >= ${slot(0)} and body <> ${slot(1)} order by id`);
    const all = await read.execute(adapter.db, [0, '']);
    expect(all.rows.map((r) => [Number(r.id), r.body, r.copy])).toEqual([
      [1, 'first', 'first'],
      [2, "it's second", "it's second"],
    ]);
    const some = await read.execute(adapter.db, [1, 'first']);
    expect(some.rows.map((r) => Number(r.id))).toEqual([2]);
  });

  it('runs inside a transaction, and rolls back with it', async () => {
    const insert = insertNote();
    await expect(
      adapter.transaction(async (tx) => {
        await insert.execute(tx, [3, 'third']);
        const seen = await sql<{ n: unknown }>`select count(*) as n from notes where id = 3`.execute(tx);
        expect(Number(seen.rows[0]!.n)).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const after = await sql<{ n: unknown }>`select count(*) as n from notes where id = 3`.execute(adapter.db);
    expect(Number(after.rows[0]!.n)).toBe(0);
  });

  it('refuses a slot that is not a bound parameter of the statement', () => {
    expect(() => new Prepared(adapter.db, (slot) => (slot(1), sql`select ${slot(0)} as a`))).toThrow(/value 1 is not a bound parameter/);
  });
});
