/**
 * A provider's batches walk its rows in key order by a seek from the cursor, on a shared
 * table whose ids do not follow the clock (issue 9: "the key select uses the tenant index,
 * with `id > ?` only as an index condition, so every batch rescans the provider's entries
 * from the start"). On every engine the run deletes exactly the provider's due rows; on
 * MariaDB the key query halfway through must seek from the cursor, not look the tenant value
 * up and skip the provider's earlier entries one by one, and with few rows due it must still
 * read them by the clock's index.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyQuery, stageSql, valueIndexes, withKeyOrder } from '../../src/exec/executor.js';
import { T } from '../../src/exec/sql-fragments.js';
import { planRun } from '../../src/plan/planner.js';
import { letheDb } from '../../src/store/lethe-tables.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { callsPolicy, CLOCK_TYPE } from '../support/calls.js';
import { testEngines } from '../support/engines.js';
import { daysBefore, enforce, NOW, policyFromText, ts } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const TENANTS = ['acme', 'globex', 'initech', 'umbrella'] as const;
const ROWS = 40_000;

const POLICY = callsPolicy({ batch_size: '500', throttle: 'off' }, { tenant_column: 'provider_id' });

/** Row i: the tenants in turn, and an age in days that jumps about with i (0.5 to 550.5). */
const tenantOf = (i: number) => TENANTS[i % TENANTS.length]!;
const ageOf = (i: number) => ((i * 7919) % 1101) / 2 + 0.5;
// 12 months before NOW are 365 days: an age of exactly 365 days is the cutoff itself, not due.
const dueOf = (i: number) => ageOf(i) > 365;

/** The access to `name` in an EXPLAIN FORMAT=JSON plan, wherever the plan nests it. */
function tableIn(node: unknown, name: string): Record<string, unknown> | null {
  if (!node || typeof node !== 'object') return null;
  const o = node as Record<string, unknown>;
  if (o.table_name === name) return o;
  for (const v of Object.values(o)) {
    const hit = tableIn(v, name);
    if (hit) return hit;
  }
  return null;
}

describe.each(engines)('tenant-scoped key order on %s', (engine) => {
  let store: VendorStore;
  beforeAll(async () => {
    store = await vendorStore(engine, {
      ddl: [
        `create table calls (id integer primary key, provider_id varchar(32) not null, started_at ${CLOCK_TYPE[engine]})`,
        'create index calls_provider on calls (provider_id)',
        'create index calls_started_at on calls (started_at)',
      ],
      policy: POLICY,
    });
    for (let i = 1; i <= ROWS; i += 1000) {
      const rows = Array.from({ length: 1000 }, (_, j) => ({ id: i + j, provider_id: tenantOf(i + j), started_at: ts(store, daysBefore(ageOf(i + j))) }));
      await store.adapter.db.insertInto('calls').values(rows).execute();
    }
    if (engine === 'mysql') await sql`analyze table calls`.execute(store.adapter.db);
    if (engine === 'postgres') await sql`analyze calls`.execute(store.adapter.db);
    await ensureLetheTables(store.adapter);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  /**
   * The access to t of the key query of `after`'s stage, from `cursor`, as MariaDB plans it:
   * with the key order the stage would choose from its due rows' count and span (withKeyOrder).
   */
  async function keyPlan(after: string, cursor: number) {
    const schema = await store.adapter.introspect();
    const policy = policyFromText(callsPolicy({ batch_size: '500', throttle: 'off' }, { tenant_column: 'provider_id' }).replace('after: 12 months', `after: ${after}`));
    const task = planRun(policy, NOW, schema).providers[0]!.tasks[0]!;
    expect(valueIndexes(task)).toEqual(['calls_provider']);
    const due = (await sql<{ n: unknown; lo: unknown; hi: unknown }>`select count(*) as n, min(id) as lo, max(id) as hi from calls where provider_id = 'acme' and started_at < ${task.cutoff.at}`.execute(store.adapter.db)).rows[0]!;
    const q = withKeyOrder(store.adapter, task, stageSql(store.adapter, task), { rows: Number(due.n), exact: true, span: Number(due.hi) - Number(due.lo) + 1 });
    const query = keyQuery(store.adapter, task, q, { cursor, upTo: q.key.upTo(T, ROWS), limit: 500 });
    const plan = JSON.parse(String(Object.values((await sql<Record<string, unknown>>`explain format=json ${query}`.execute(store.adapter.db)).rows[0]!)[0]));
    const access = tableIn(plan, T)!;
    return { type: access.access_type, key: access.key, parts: access.used_key_parts };
  }

  it.runIf(engine === 'mysql')('the key query halfway through the table seeks from the cursor, not from the provider’s first entry', async () => {
    // Without the hint: a ref lookup of provider_id = 'acme' in calls_provider, `id > cursor` checked entry by entry.
    const half = await keyPlan('12 months', ROWS / 2);
    expect(half.type).toBe('range');
    expect(half.parts).toContain('id');
  });

  it.runIf(engine === 'mysql')('with few rows due, the key query still reads them by the clock’s index', async () => {
    // 18 months: ages above 549 days, about 27 of the provider's rows. Forcing calls_provider would walk all 10,000.
    expect(await keyPlan('18 months', 0)).toMatchObject({ type: 'range', key: 'calls_started_at' });
  });

  it.runIf(engine === 'mysql')('with most rows due, the key query walks the primary key from the cursor, not all due rows by an index', async () => {
    // 1 day: all but a few of the provider's 10,000 rows are due, over 40,000 ids. Read by an
    // index, every batch would read (and lock) all the due rows after the cursor, then sort them.
    const half = await keyPlan('1 day', ROWS / 2);
    expect(half).toMatchObject({ type: 'range', key: 'PRIMARY' });
  });

  it("deletes exactly the provider's due rows, and leaves the others' rows", { timeout: 120_000 }, async () => {
    const expected = Array.from({ length: ROWS }, (_, k) => k + 1).filter((i) => tenantOf(i) === 'acme' && dueOf(i));
    const r = await enforce(store);
    expect([r.status, r.changed], r.error ?? '').toEqual(['ok', expected.length]);
    const audited = (await letheDb(store.adapter).selectFrom('lethe_audit').select('keys').where('action', '=', 'delete').execute()).flatMap((e) => JSON.parse(String(e.keys)) as number[]);
    expect(audited.sort((a, b) => a - b)).toEqual(expected);
    const left = await store.adapter.db.selectFrom('calls').select(['provider_id', (e) => e.fn.countAll().as('n')]).groupBy('provider_id').orderBy('provider_id').execute();
    expect(left.map((row) => [row.provider_id, Number(row.n)])).toEqual(TENANTS.slice().sort().map((t) => [t, ROWS / TENANTS.length - (t === 'acme' ? expected.length : 0)]));
  });
});

/**
 * One provider's rows all due, and all at one instant, in a table freshly filled (no ANALYZE):
 * the shape of a backlog of sign-ups. MariaDB read each batch's keys by the clock's index,
 * every due row after the cursor, locking each, then sorted them for the first 100: a run of
 * 20,000 such rows took 8-18 s alone and over 90 s beside other tests, each batch locking up
 * to 35,000 rows.
 */
describe.runIf(engines.includes('mysql'))('a backlog at one instant on mysql', () => {
  const BACKLOG = 20_000;
  let store: VendorStore;
  beforeAll(async () => {
    store = await vendorStore('mysql', {
      ddl: [
        'create table calls (id bigint primary key, provider_id varchar(32) not null, started_at datetime(3))',
        'create index calls_provider on calls (provider_id)',
        'create index calls_started_at on calls (started_at)',
      ],
      policy: callsPolicy({ batch_size: '100', throttle: 'off' }, { tenant_column: 'provider_id' }),
    });
    const at = ts(store, daysBefore(400));
    for (let i = 1; i <= BACKLOG; i += 1000) {
      await store.adapter.db.insertInto('calls').values(Array.from({ length: 1000 }, (_, j) => ({ id: i + j, provider_id: 'acme', started_at: at }))).execute();
    }
    await ensureLetheTables(store.adapter);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  it('each batch reads its keys by the primary key from the cursor', async () => {
    const schema = await store.adapter.introspect();
    const policy = policyFromText(callsPolicy({ batch_size: '100', throttle: 'off' }, { tenant_column: 'provider_id' }));
    const task = planRun(policy, NOW, schema).providers[0]!.tasks[0]!;
    const q = withKeyOrder(store.adapter, task, stageSql(store.adapter, task), { rows: BACKLOG, exact: true, span: BACKLOG });
    const query = keyQuery(store.adapter, task, q, { cursor: BACKLOG / 2, upTo: q.key.upTo(T, BACKLOG), limit: 100 });
    const plan = JSON.parse(String(Object.values((await sql<Record<string, unknown>>`explain format=json ${query}`.execute(store.adapter.db)).rows[0]!)[0]));
    expect(tableIn(plan, T)).toMatchObject({ access_type: 'range', key: 'PRIMARY' });
  });

  it('a run deletes the whole backlog, a batch_size at a time', { timeout: 120_000 }, async () => {
    const r = await enforce(store);
    expect([r.status, r.changed, r.stages[0]?.batches], r.error ?? '').toEqual(['ok', BACKLOG, BACKLOG / 100]);
    expect(Number((await sql<{ n: unknown }>`select count(*) as n from calls`.execute(store.adapter.db)).rows[0]!.n)).toBe(0);
  });
});
