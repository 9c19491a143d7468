/**
 * On SQLite a batch whose keys are every integer from its first to its last deletes that key
 * range, with no due condition: the transaction's write lock keeps the range as the key query
 * saw it. A column declared integer may still hold other values, and one of them can lie
 * inside the range without being due; it must stay, and the audit must name only the rows
 * the range held.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { callsPolicy } from '../support/calls.js';
import { cli, daysBefore, ts } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = (await testEngines()).filter((e) => e === 'sqlite');

describe.each(engines)('deleting the key range a batch fills on %s', (engine) => {
  let store: VendorStore;
  beforeAll(async () => {
    store = await vendorStore(engine, {
      // WITHOUT ROWID: the key is an ordinary column with integer affinity, so 3.5 stays REAL.
      ddl: [`create table calls (id integer not null primary key, started_at text) without rowid`, `create index calls_started_at on calls (started_at)`],
      policy: callsPolicy({ batch_size: '100', throttle: 'off' }),
    });
    const old = ts(store, daysBefore(400));
    const recent = ts(store, daysBefore(10));
    await store.adapter.db
      .insertInto('calls')
      .values([
        ...[1, 2, 3, 4, 5, 6].map((id) => ({ id, started_at: old })),
        { id: 3.5, started_at: recent },
        { id: 7, started_at: recent },
      ])
      .execute();
  });
  afterAll(async () => store?.close());

  it('leaves a value between two due keys that is not due, and audits only the keys deleted', async () => {
    const r = cli(store, ['run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'ok', due: 6, changed: 6, held: 0, blocked: 0 });

    const left = (await sql<{ id: unknown; t: string }>`select id, typeof(id) as t from calls order by id`.execute(store.adapter.db)).rows;
    expect(left).toEqual([
      { id: 3.5, t: 'real' },
      { id: 7, t: 'integer' },
    ]);
    const entries = JSON.parse(cli(store, ['audit', '--format', 'json']).stdout) as { action: string; keys: unknown[] }[];
    expect(entries.filter((e) => e.action === 'delete').flatMap((e) => e.keys)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(cli(store, ['audit', 'verify'])).toMatchObject({ code: 0 });
  });
});
