/**
 * The mass-deletion guard: a stage whose due rows exceed max_fraction of the provider's rows
 * in its table (and min_rows) is not run; the run is `guarded`, exits 1, logs at error level;
 * `lethe run --force` overrides it for that run only. Stages under the threshold run normally.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CompiledQuery, sql } from 'kysely';
import { daysBefore, enforce, tempStore, ts, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { callsPolicy, CLOCK_TYPE, fillCalls } from '../support/calls.js';
import { statementsOf } from '../support/statements.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';
import { NOW_ISO, auditedKeys, cli, count, ids, logLines, rows, sorted } from './helpers.js';

const engines = await testEngines();

function policy(guard: { max_fraction: number; min_rows: number }): string {
  return `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
  tenant_column: provider_id
defaults:
  timezone: UTC
  guard: { max_fraction: ${guard.max_fraction}, min_rows: ${guard.min_rows} }
providers:
  acme:
    name: Acme Telecom
    rules:
      trials:
        quote: "Trial sign-ups are deleted one year after the trial started."
        table: trial_signups
        clock: started_at
        after: 1 year
        action: delete
      visits:
        quote: "Web visits are deleted after 90 days."
        table: web_visits
        clock: visited_at
        after: 90 days
        action: delete
`;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Acme gets trial_signups 1..100 (the first `dueTrials` started 400 days ago, the rest 10 days
 * ago) and web_visits 1..100 (the first `dueVisits` 200 days ago). Another provider, which the
 * policy does not name, has 300 old trial sign-ups (ids 1001..1300): they count toward no
 * fraction and are never touched.
 */
async function fill(store: TempStore, dueTrials: number, dueVisits: number): Promise<void> {
  await store.adapter.transaction(async (db) => {
    await db.insertInto('providers').values([{ id: 'acme', name: 'Acme Telecom' }, { id: 'other', name: 'Other Telecom' }]).execute();
    await db
      .insertInto('trial_signups')
      .values([
        ...range(1, 100).map((id) => trial(store, id, 'acme', `t${id}@example.com`, id <= dueTrials ? 400 : 10)),
        ...range(1001, 1300).map((id) => trial(store, id, 'other', `o${id}@example.com`, 800)),
      ])
      .execute();
    await db
      .insertInto('web_visits')
      .values(range(1, 100).map((id) => ({ id, provider_id: 'acme', ip_address: '192.0.2.1', path: '/', user_agent: 'test', visited_at: ts(store, daysBefore(id <= dueVisits ? 200 : 5)) })))
      .execute();
  });
}

/** A trial sign-up that started `ageDays` before NOW (timestamps bound as the engine wants). */
function trial(store: TempStore, id: number, provider: string, email: string, ageDays: number): Record<string, unknown> {
  return { id, provider_id: provider, email, phone: '+447700900123', started_at: ts(store, daysBefore(ageDays)) };
}

interface StageRec {
  rule: string;
  status: string;
  due: number;
  changed: number;
  guard: { due: number; total: number } | null;
}

describe.each(engines)('the mass-deletion guard on %s', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
    store = undefined;
  });

  it('stops a stage that would delete 50 of 100 rows; other stages run; --force deletes exactly the 50, once', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 10 }), engine);
    await fill(store, 50, 20);

    // plan predicts it.
    const plan = await cli(['--json', 'plan', '--now', NOW_ISO], store.dir, store.env);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { stages: { rule: string; due: number; total: number; guard: string }[] }).stages;
    expect(planned.map((s) => [s.rule, s.due, s.total, s.guard])).toEqual([
      ['trials', 50, 100, 'would stop'],
      ['visits', 20, 100, 'ok'],
    ]);

    const run = await cli(['run', '--now', NOW_ISO], store.dir, store.env);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^run 1 guarded: due 70, changed 20, held 0, blocked 0, guarded stages 1,/m);

    // The pino line: error level, event guarded, with the counts.
    const guardedLines = logLines(run.stdout).filter((l) => l.event === 'guarded');
    expect(guardedLines).toHaveLength(1);
    expect(guardedLines[0]).toMatchObject({ level: 50, event: 'guarded', run_id: 1, provider: 'acme', rule: 'trials', stage: 1, table: 'trial_signups', due: 50, total: 100 });

    const db = store.adapter.db;
    const [runRow] = (await rows(db, sql`select status, due, changed, guarded, stages from lethe_runs where id = 1`)) as { status: string; due: number; changed: number; guarded: number; stages: string }[];
    expect(runRow).toMatchObject({ status: 'guarded', due: 70, changed: 20, guarded: 1 });
    const stages = (JSON.parse(runRow!.stages) as StageRec[]).map((s) => ({ rule: s.rule, status: s.status, due: s.due, changed: s.changed, guard: s.guard }));
    expect(stages).toEqual([
      { rule: 'trials', status: 'guarded', due: 50, changed: 0, guard: { due: 50, total: 100 } },
      { rule: 'visits', status: 'done', due: 20, changed: 20, guard: null },
    ]);
    // Nothing of the guarded stage was deleted or audited; the stage under the threshold ran.
    expect(await ids(db, 'trial_signups')).toEqual([...range(1, 100), ...range(1001, 1300)]);
    expect(await ids(db, 'web_visits')).toEqual(range(21, 100));
    expect(await auditedKeys(db, 'delete')).toEqual(new Map([['web_visits', range(1, 20)]]));

    // --force: exactly the 50 due trial sign-ups go, nothing of the other provider.
    const forced = await cli(['run', '--now', NOW_ISO, '--force'], store.dir, store.env);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^run 2 ok: due 50, changed 50, held 0, blocked 0, guarded stages 0,/m);
    expect(logLines(forced.stdout).filter((l) => l.event === 'guarded')).toEqual([]);
    expect(await ids(db, 'trial_signups')).toEqual([...range(51, 100), ...range(1001, 1300)]);
    const deletes = await auditedKeys(db, 'delete');
    expect(sorted(deletes.get('trial_signups')!)).toEqual(range(1, 50));
    expect(await rows(db, sql`select id, status, guarded from lethe_runs order by id`)).toEqual([
      { id: 1, status: 'guarded', guarded: 1 },
      { id: 2, status: 'ok', guarded: 0 },
    ]);
    // --force is not remembered: a new mass deletion is stopped again (30 due of 80 > 25%).
    await db
      .insertInto('trial_signups')
      .values(range(101, 130).map((id) => trial(store!, id, 'acme', `t${id}@example.com`, 400)))
      .execute();
    const third = await cli(['--json', 'run', '--now', NOW_ISO], store.dir, store.env);
    expect(third.code).toBe(1);
    const r3 = JSON.parse(third.stdout) as { status: string; changed: number; stages: StageRec[] };
    expect(r3.status).toBe('guarded');
    expect(r3.changed).toBe(0);
    expect(r3.stages.find((s) => s.rule === 'trials')).toMatchObject({ status: 'guarded', due: 30, guard: { due: 30, total: 80 } });
  });

  // jobs/enforce.ts runs a dry run inside one outer transaction on the adapter's single SQLite
  // connection; executeStage -> checkGuard (src/exec/executor.ts) counts with ctx.adapter.db,
  // not the transaction, so it waits for Kysely's connection mutex the outer transaction holds:
  // a deadlock. Node sees the unsettled top-level await in bin/lethe and exits 13, silently.
  // (In-process the promise never settles.) --dry-run --force skips checkGuard and works.
  it('a dry run evaluates the guard, counts the rest, and changes nothing (lethe run --dry-run)', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 10 }), engine);
    await fill(store, 50, 20);
    const dry = await cli(['--json', 'run', '--dry-run', '--now', NOW_ISO], store.dir, store.env);
    expect(dry.code, `exit ${dry.code}; stdout: ${dry.stdout.slice(0, 500)}; stderr: ${dry.stderr.slice(-500)}`).toBe(0);
    const r = JSON.parse(dry.stdout) as { status: string; stages: StageRec[] };
    expect(r.status).toBe('dry_run');
    expect(r.stages.map((s) => [s.rule, s.status, s.due, s.changed])).toEqual([
      ['trials', 'guarded', 50, 0],
      ['visits', 'done', 20, 20],
    ]);
    expect(await count(store.adapter.db, sql`select count(*) from web_visits`)).toBe(100);
  });

  it('runs a stage under the threshold normally (20 of 100 due, max_fraction 0.25)', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 10 }), engine);
    await fill(store, 20, 0);
    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.guarded).toBe(0);
    expect(r.stages.map((s) => [s.rule, s.status, s.due, s.changed, s.guard])).toEqual([
      ['trials', 'done', 20, 20, null],
      ['visits', 'done', 0, 0, null],
    ]);
    expect(await ids(store.adapter.db, 'trial_signups')).toEqual([...range(21, 100), ...range(1001, 1300)]);
  });

  it('exactly max_fraction is not "exceeding" it (25 of 100 due at 0.25 runs)', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 10 }), engine);
    await fill(store, 25, 0);
    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'done', due: 25, changed: 25, guard: null });
  });

  it('does not guard below min_rows (60 of 100 due, min_rows 100)', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 100 }), engine);
    await fill(store, 60, 0);
    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.guarded).toBe(0);
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'done', due: 60, changed: 60, guard: null });
    expect(await count(store.adapter.db, sql`select count(*) from trial_signups where provider_id = 'acme'`)).toBe(40);
  });

  it('does not guard at exactly min_rows due (30 of 100, min_rows 30): due must exceed min_rows', async () => {
    // DESIGN: a stage is guarded when its due rows "exceed max_fraction … (and min_rows)".
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 30 }), engine);
    await fill(store, 30, 0);
    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'done', due: 30, changed: 30, guard: null });
  });

  it('guards one row past min_rows (31 of 100, min_rows 30)', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 30 }), engine);
    await fill(store, 31, 0);
    const r = await enforce(store);
    expect(r.status).toBe('guarded');
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'guarded', due: 31, changed: 0, guard: { due: 31, total: 100 } });
  });
});

/**
 * SQLite counts with the clock index's bound first (clockUpperBound) and exactly only when the
 * bound could stop the stage. Text before the bound that is not a clock (never due) must not
 * make the guard stop a stage whose due rows are a small share, nor hide one that is large.
 */
describe('the guard on SQLite when text before the cutoff is not a clock', () => {
  let store: TempStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
    store = undefined;
  });

  /** Acme trials 1..100: the first `due` 400 days old, then `junk` whose started_at is old-looking text that is no clock, the rest 10 days old. */
  async function fillJunk(s: TempStore, due: number, junk: number): Promise<void> {
    await s.adapter.transaction(async (db) => {
      await db.insertInto('providers').values([{ id: 'acme', name: 'Acme Telecom' }]).execute();
      await db
        .insertInto('trial_signups')
        .values(range(1, 100).map((id) => ({ ...trial(s, id, 'acme', `t${id}@example.com`, id <= due ? 400 : 10), ...(id > due && id <= due + junk ? { started_at: '2001-02-30T00:00:00.000Z' } : {}) })))
        .execute();
    });
  }

  it('runs a stage whose bound is 50 of 100 but whose due rows are 10 (the other 40 are not clocks)', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 5 }));
    // (Most values of the column are clocks, or the clock sample would refuse the stage.)
    await fillJunk(store, 10, 40);
    const r = await enforce(store);
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'done', due: 10, changed: 10, guard: null });
    expect(await count(store.adapter.db, sql`select count(*) from trial_signups`)).toBe(90);
  });

  it('stops a stage whose due rows are 30 of 100 when its bound says 40', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 5 }));
    await fillJunk(store, 30, 10);
    const r = await enforce(store);
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'guarded', due: 30, changed: 0, guard: { due: 30, total: 100 } });
  });

  it('runs a stage whose bound (20 of 100) is itself under the share', async () => {
    store = await tempStore(policy({ max_fraction: 0.25, min_rows: 5 }));
    await fillJunk(store, 15, 5);
    const r = await enforce(store);
    expect(r.stages[0]).toMatchObject({ rule: 'trials', status: 'done', due: 15, changed: 15, guard: null });
  });
});

// --force skips the guard, and with it the count of the due rows; a key that is not an integer
// then takes the stage's last due key by a read of its own, which must still bound the batches.
describe.each(engines)('a forced stage with a text key on %s', (engine) => {
  let vstore: VendorStore | undefined;
  afterEach(async () => {
    await vstore?.close();
    vstore = undefined;
  });

  it('deletes exactly its due rows, in batches up to the last due key', async () => {
    vstore = await vendorStore(engine, {
      ddl: [`create table calls (k varchar(16) primary key, started_at ${CLOCK_TYPE[engine]})`],
      policy: callsPolicy({ batch_size: '7', throttle: 'off' }),
    });
    await ensureLetheTables(vstore.adapter);
    const key = (i: number) => `c${String(i).padStart(4, '0')}`;
    // c0001-c0030 are due, c0031-c0040 are not: the last due key is c0030.
    const all = Array.from({ length: 40 }, (_, i) => i + 1);
    await vstore.adapter.db.insertInto('calls').values(all.map((i) => ({ k: key(i), started_at: ts(vstore!, daysBefore(i <= 30 ? 400 : 10)) }))).execute();
    const r = await enforce(vstore, { force: true });
    expect(r.stages[0]).toMatchObject({ status: 'done', due: 30, changed: 30, batches: 5 });
    const left = (await vstore.adapter.db.selectFrom('calls').select('k').orderBy('k').execute()).map((row) => row.k);
    expect(left).toEqual(all.filter((i) => i > 30).map(key));
  });
});

/**
 * The guard counts the provider's rows only as far as due / max_fraction. On MariaDB that
 * count, taken over a `limit` in a derived table, copied the rows into a temporary table
 * first (on disk past 16 MB): 36.7 s for 10M rows, where reading them up to that offset takes
 * 1.7 s. The last due key of a text key, read by ordering the due keys in a derived table,
 * was copied so as well (6.7-8.3 s for 10M, max() 2.9 s). Every select a run makes on the
 * table is explained here: none reads a derived table.
 */
describe.each(engines.filter((e) => e === 'mysql').flatMap((e) => ['integer', 'varchar(40)'].map((k) => [e, k] as const)))("the guard's count on %s, key %s", (engine, keyType) => {
  let store: VendorStore | undefined;
  afterEach(async () => store?.close());

  it('reads the table in place, through no temporary table', async () => {
    store = await vendorStore(engine, {
      ddl: [`create table calls (id ${keyType} primary key, started_at ${CLOCK_TYPE[engine]})`],
      policy: callsPolicy({ guard: '{ max_fraction: 0.25, min_rows: 10 }' }),
    });
    await ensureLetheTables(store.adapter);
    await fillCalls(store, 1_000, 200);
    const { result, statements } = await statementsOf(() => enforce(store!));
    // 200 of 1,000 due: under a quarter, so the stage runs; the count stopped at 801 rows.
    expect(result.stages[0]).toMatchObject({ status: 'done', changed: 200 });
    const selects = statements.filter((q) => /^select\b/i.test(q.sql) && q.sql.includes('`calls`'));
    expect(selects.length).toBeGreaterThan(2);
    for (const q of selects) {
      const plan = (await store.adapter.db.executeQuery(CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]))).rows as { select_type: string; table: string | null; Extra: string | null }[];
      expect(plan.filter((r) => r.select_type === 'DERIVED' || /^<derived/.test(r.table ?? '')), q.sql).toEqual([]);
    }
  });
});
