/**
 * Stores written by the first release (lethe schema version 1, holds and queued files named
 * by an integer row_id) are migrated in place on the next start: every hold and queued file
 * keeps its id, table and row, now as a canonical row_key, and new ids continue after them.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLetheTables, LETHE_SCHEMA_VERSION } from '../../src/store/lethe-schema.js';
import { testEngines } from '../support/engines.js';
import { tempStore, type TempStore } from '../support/harness.js';

const engines = await testEngines();

describe.each(engines)('lethe schema 1 → %s', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  it('migrates holds and queued files to row keys, keeping ids and rows', async () => {
    store = await tempStore(undefined, engine);
    const db = store.adapter.db;
    const adapter = store.adapter;
    const t = (k: Parameters<typeof adapter.sqlType>[0]) => sql.raw(adapter.sqlType(k));
    // The version-1 layout, as the first release created it.
    await db.schema.dropTable('lethe_holds').execute();
    await db.schema.dropTable('lethe_file_queue').execute();
    await db.schema
      .createTable('lethe_holds')
      .addColumn('id', t('serial'), (c) => c.primaryKey())
      .addColumn('table_name', t('key'), (c) => c.notNull())
      .addColumn('row_id', t('bigint'), (c) => c.notNull())
      .addColumn('reason', t('text'), (c) => c.notNull())
      .addColumn('placed_at', t('key'), (c) => c.notNull())
      .addColumn('expires_at', t('key'))
      .addColumn('released_at', t('key'))
      .execute();
    await db.schema
      .createTable('lethe_file_queue')
      .addColumn('id', t('serial'), (c) => c.primaryKey())
      .addColumn('run_id', t('bigint'), (c) => c.notNull())
      .addColumn('provider', t('key'), (c) => c.notNull())
      .addColumn('rule', t('key'), (c) => c.notNull())
      .addColumn('stage', t('int'), (c) => c.notNull())
      .addColumn('table_name', t('key'), (c) => c.notNull())
      .addColumn('row_id', t('bigint'), (c) => c.notNull())
      .addColumn('path', t('text'), (c) => c.notNull())
      .addColumn('status', t('key'), (c) => c.notNull())
      .addColumn('queued_at', t('key'), (c) => c.notNull())
      .addColumn('note', t('text'))
      .execute();
    await db.insertInto('lethe_holds').values([
      { table_name: 'accounts', row_id: 42, reason: 'litigation', placed_at: '2026-01-01T00:00:00.000Z' },
      { table_name: 'calls', row_id: 9007199254740991, reason: 'regulator', placed_at: '2026-01-02T00:00:00.000Z', released_at: '2026-02-01T00:00:00.000Z' },
    ]).execute();
    await db.insertInto('lethe_file_queue').values({ run_id: 3, provider: 'loop', rule: 'vm', stage: 1, table_name: 'voicemails', row_id: 7, path: 'loop/vm/7.wav', status: 'queued', queued_at: '2026-01-01T00:00:00.000Z' }).execute();
    await db.updateTable('lethe_meta').set({ value: '1' }).where('name', '=', 'schema_version').execute();

    await ensureLetheTables(store.adapter);

    expect(await db.selectFrom('lethe_meta').select('value').where('name', '=', 'schema_version').executeTakeFirst()).toEqual({ value: String(LETHE_SCHEMA_VERSION) });
    const holds = await db.selectFrom('lethe_holds').select(['id', 'table_name', 'row_key', 'reason', 'released_at']).orderBy('id').execute();
    expect(holds.map((h) => ({ ...h, id: Number(h.id) }))).toEqual([
      { id: 1, table_name: 'accounts', row_key: '42', reason: 'litigation', released_at: null },
      { id: 2, table_name: 'calls', row_key: '9007199254740991', reason: 'regulator', released_at: '2026-02-01T00:00:00.000Z' },
    ]);
    const queue = await db.selectFrom('lethe_file_queue').select(['id', 'row_key', 'path', 'status']).execute();
    expect(queue.map((q) => ({ ...q, id: Number(q.id) }))).toEqual([{ id: 1, row_key: '7', path: 'loop/vm/7.wav', status: 'queued' }]);
    // New ids continue after the migrated ones (PostgreSQL's sequence was moved past them).
    await db.insertInto('lethe_holds').values({ table_name: 'accounts', row_key: '43', reason: 'new', placed_at: '2026-03-01T00:00:00.000Z' }).execute();
    expect((await db.selectFrom('lethe_holds').select('id').orderBy('id', 'desc').executeTakeFirst())!.id).toSatisfy((id: unknown) => Number(id) === 3);
    // Running it again is a no-op.
    await ensureLetheTables(store.adapter);
    expect(await db.selectFrom('lethe_holds').select('id').execute()).toHaveLength(3);
  });
});
