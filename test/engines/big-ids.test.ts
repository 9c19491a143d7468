/**
 * Row ids beyond 2^53, which a JS number cannot hold: a stage walks, deletes and audits them
 * exactly, as text, and the ids around the boundary as numbers, on every engine. Batches of
 * three rows put cursors on both sides of 2^53, so each one binds back into the key query.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_TYPE, callsPolicy } from '../support/calls.js';
import { testEngines } from '../support/engines.js';
import { daysBefore, enforce, ts } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';

const engines = await testEngines();
const BIG = 2n ** 53n;
/** Every id, and whether it is due: due and kept ones alternate across 2^53, up to int64's largest. */
const CALLS: [bigint, boolean][] = [
  [-(BIG + 7n), true],
  [BIG - 3n, true],
  [BIG - 2n, false],
  [BIG - 1n, true],
  [BIG, true],
  [BIG + 1n, true],
  [BIG + 2n, false],
  [BIG + 3n, true],
  [BIG + 4n, true],
  [2n ** 63n - 2n, false],
  [2n ** 63n - 1n, true],
];
/** An id as the audit names it: a number where one holds it exactly, its digits beyond. */
const audited = (id: bigint): number | string => (id >= -(BIG - 1n) && id <= BIG - 1n ? Number(id) : id.toString());

describe.each(engines)('ids beyond 2^53 on %s', (engine) => {
  let store: VendorStore;
  beforeAll(async () => {
    store = await vendorStore(engine, {
      ddl: [`create table calls (id bigint primary key, started_at ${CLOCK_TYPE[engine]})`],
      policy: callsPolicy({ batch_size: '3', throttle: 'off' }),
    });
    await ensureLetheTables(store.adapter);
    for (const [id, due] of CALLS) {
      // The id as text: a JS number would round it before it reached the database.
      await sql`insert into calls (id, started_at) values (${sql.lit(id.toString())}, ${ts(store, daysBefore(due ? 400 : 10))})`.execute(store.adapter.db);
    }
  });
  afterAll(async () => {
    await store?.close();
  });

  it('deletes exactly the due ones and audits each by its exact id', async () => {
    const r = await enforce(store, {});
    const due = CALLS.filter(([, d]) => d).map(([id]) => id);
    expect([r.status, r.changed], r.error ?? '').toEqual(['ok', due.length]);
    const left = await sql<{ id: unknown }>`select cast(id as char(20)) as id from calls order by id`.execute(store.adapter.db);
    expect(left.rows.map((x) => String(x.id).trim())).toEqual(CALLS.filter(([, d]) => !d).map(([id]) => id.toString()));
    const entries = await sql<{ keys: string }>`select ${sql.ref('keys')} from lethe_audit where action = 'delete' order by seq`.execute(store.adapter.db);
    expect(entries.rows.flatMap((e) => JSON.parse(e.keys) as unknown[])).toEqual(due.map(audited));
  });
});
