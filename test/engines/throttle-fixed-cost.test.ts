/**
 * The throttle where a batch takes about as long whatever its size. On a table with no index
 * on its key or its clock (Asterisk ships `cdr` so), every key query reads the whole table,
 * and no batch fits a max_hold shorter than that read, not even one of one row. Sized in
 * proportion to their time alone, the batches shrank to one row each, and a stage took a
 * batch, and a full read, per due row (on PostgreSQL without statistics, 10 minutes for
 * 9,687 of a stage's 33,062 rows). They now stop shrinking once a batch half the size or
 * less of an earlier one took nearly as long.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { CLOCK_TYPE } from '../support/calls.js';
import { testEngines } from '../support/engines.js';
import { daysBefore, enforce, ts } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();

const ROWS = 60_000;
const DUE = 1000;

// A max_hold far below the read of 60,000 rows, so that every batch runs over it.
const POLICY = `version: 1
providers:
  acme:
    name: Acme Telecom
    throttle: { max_hold: 1 ms, pause: 0 ms }
    guard: { max_fraction: 1 }
    rules:
      calls:
        quote: "Call records are deleted after 12 months."
        table: calls
        key: id
        clock: started_at
        after: 12 months
        action: delete
`;

describe.each(engines)('a throttled stage whose batches take as long at any size (%s)', (engine) => {
  let s: VendorStore | undefined;
  afterEach(async () => s?.close());

  it('stops shrinking its batches, and deletes and audits every due row', async () => {
    s = await vendorStore(engine, { ddl: [`create table calls (id integer, started_at ${CLOCK_TYPE[engine]})`], policy: POLICY });
    await ensureLetheTables(s.adapter);
    const old = ts(s, daysBefore(400));
    const recent = ts(s, daysBefore(10));
    for (let i = 0; i < ROWS; i += 1000) {
      await s.adapter.db.insertInto('calls').values(Array.from({ length: 1000 }, (_, j) => ({ id: i + j + 1, started_at: i + j < DUE ? old : recent }))).execute();
    }
    const result = await enforce(s);
    expect(result.stages[0]).toMatchObject({ status: 'done', due: DUE, changed: DUE });
    // One row a batch made it about a thousand; stopping where smaller was no faster, 5-44
    // (measured, with two busy loops beside it; 451 once on a busy CI before twice the floor
    // was tried again after a comparison another load spoilt).
    expect(result.stages[0]!.batches).toBeLessThanOrEqual(250);
    const left = await sql<{ n: unknown }>`select count(*) as n from calls`.execute(s.adapter.db);
    expect(Number(left.rows[0]!.n)).toBe(ROWS - DUE);
  });
});
