/**
 * Keyset batches stay index-driven on composite keys: the key query of a batch deep in a
 * table seeks through the key's index on every engine, in whatever form that engine can seek
 * on (row values on PostgreSQL and SQLite, the expanded `a >= ? and (a > ? or …)` on MariaDB).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RowKey } from '../../src/exec/row-key.js';
import { testEngines } from '../support/engines.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const ROWS = 20_000;

describe.each(engines)('composite keyset on %s', (engine) => {
  let store: VendorStore;
  beforeAll(async () => {
    const text = engine === 'mysql' ? 'varchar(64)' : 'text';
    store = await vendorStore(engine, {
      ddl: [`create table vm (dir ${text} not null, msgnum integer not null, origtime integer, primary key (dir, msgnum))`],
      policy: 'version: 1\nproviders: {}\n',
    });
    const rows = Array.from({ length: ROWS }, (_, i) => ({ dir: `/spool/${String(i % 200).padStart(4, '0')}`, msgnum: Math.floor(i / 200), origtime: i }));
    for (let i = 0; i < rows.length; i += 1000) await store.adapter.db.insertInto('vm').values(rows.slice(i, i + 1000)).execute();
    if (engine === 'postgres') await sql`analyze vm`.execute(store.adapter.db);
    if (engine === 'mysql') await sql`analyze table vm`.execute(store.adapter.db);
  });
  afterAll(async () => store?.close());

  it('seeks through the primary key from a cursor in the middle of the table', async () => {
    const schema = await store.adapter.introspect();
    const table = schema.tables.get('vm')!;
    const key = new RowKey('vm', table.primaryKey.map((c) => table.columns.get(c)!), store.adapter);
    const q = sql`select ${key.select('t')} from vm as t where ${key.after('t', ['/spool/0100', 50])} order by ${key.orderBy('t')} limit 1000`;
    const rows = (await q.execute(store.adapter.db)).rows as Record<string, unknown>[];
    expect(key.fromRow(rows[0]!)).toEqual(['/spool/0100', 51]);
    expect(rows).toHaveLength(1000);
    const explain = (await sql`${sql.raw(engine === 'sqlite' ? 'explain query plan' : 'explain')} ${q}`.execute(store.adapter.db)).rows as Record<string, unknown>[];
    const plan = JSON.stringify(explain);
    if (engine === 'postgres') {
      expect(plan).toMatch(/Index (Only )?Scan using vm_pkey/);
      expect(plan).not.toMatch(/Seq Scan|Sort/);
    } else if (engine === 'mysql') {
      expect(explain[0]).toMatchObject({ key: 'PRIMARY', type: 'range' });
      expect(String(explain[0]!.Extra ?? '')).not.toMatch(/filesort/);
    } else {
      expect(plan).toMatch(/SEARCH t USING (COVERING )?INDEX sqlite_autoindex_vm_1 \(\(dir,msgnum\)>\(\?,\?\)\)|SEARCH t USING (COVERING )?INDEX sqlite_autoindex_vm_1/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("finds a batch's thousand composite keys in one statement, through the primary key", async () => {
    const schema = await store.adapter.introspect();
    const table = schema.tables.get('vm')!;
    const key = new RowKey('vm', table.primaryKey.map((c) => table.columns.get(c)!), store.adapter);
    // An OR of ANDs took KEY_CHUNK (500) keys a statement, and tested every term on every row
    // where no index serves it; a tuple list takes the batch whole.
    expect(key.chunk).toBeGreaterThanOrEqual(1000);
    const keys = Array.from({ length: 1000 }, (_, i) => [`/spool/${String(i % 200).padStart(4, '0')}`, 10 + Math.floor(i / 200)]);
    const missing = [['/spool/0000', 100], ['/spool/0200', 10]];
    const q = sql`select ${key.select('t')} from vm as t where ${key.in('t', [...keys, ...missing])}`;
    const found = ((await q.execute(store.adapter.db)).rows as Record<string, unknown>[]).map((r) => JSON.stringify(key.fromRow(r)));
    expect(found.sort()).toEqual(keys.map((k) => JSON.stringify(k)).sort());
    if (engine === 'postgres') return;
    const explain = (await sql`${sql.raw(engine === 'sqlite' ? 'explain query plan' : 'explain')} ${q}`.execute(store.adapter.db)).rows as Record<string, unknown>[];
    if (engine === 'mysql') {
      // A range of the keys, or (past in_predicate_conversion_threshold) a lookup per key.
      const onVm = explain.find((r) => r.table === 't');
      expect(onVm).toMatchObject({ key: 'PRIMARY' });
      expect(['range', 'eq_ref']).toContain(onVm!.type);
    } else {
      const plan = JSON.stringify(explain);
      expect(plan).toMatch(/SEARCH t USING (COVERING )?INDEX sqlite_autoindex_vm_1 \(dir=\? AND msgnum=\?\)/);
      expect(plan).not.toMatch(/MULTI-INDEX OR/);
    }
  });
});
