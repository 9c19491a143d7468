/**
 * A stage's key query stops at the last due key (read once, before the batches): its last
 * batch does not read on through every later row looking for one more due row. On MariaDB,
 * where the key query locks what it reads, that read would also wait on any row an
 * application holds anywhere after the due rows; here one such lock stays held through the
 * whole run, which must finish untouched by it.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { runCliAsync } from '../support/cli-async.js';
import { callsPolicy, fillCalls } from '../support/calls.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = (await testEngines()).filter((e) => e === 'mysql');
const DUE = 1_500;
const ROWS = 3_000;

const policy = callsPolicy({ batch_size: '400', throttle: 'off' });

describe.each(engines)('the key query stops at the last due key on %s', (engine) => {
  let store: VendorStore;
  let app: mysql.Connection;
  beforeAll(async () => {
    store = await vendorStore(engine, {
      ddl: [`create table calls (id integer primary key, started_at datetime(3), key calls_started_at (started_at))`],
      policy,
    });
    await fillCalls(store, ROWS, DUE);
    // An application's open transaction holding the last row (not due) of the table.
    app = await mysql.createConnection({ uri: store.url });
    await app.beginTransaction();
    await app.query('select id from calls where id = ? for update', [ROWS]);
  });
  afterAll(async () => {
    await app?.rollback().catch(() => undefined);
    await app?.end().catch(() => undefined);
    await store?.close();
  });

  it('deletes every due row without waiting on a lock held after them', { timeout: 30_000 }, async () => {
    // Waiting on the lock would take InnoDB's 50 s lock wait per attempt: give up well before.
    const r = await runCliAsync(['run', '--json'], { cwd: store.dir, env: store.env, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'ok', due: DUE, changed: DUE, blocked: 0 });
    // The lock is still the application's, and its row is still there.
    const [rows] = await app.query('select id from calls where id > ? order by id', [DUE]);
    expect((rows as { id: number }[]).length).toBe(ROWS - DUE);
  });
});
