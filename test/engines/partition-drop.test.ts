/**
 * DESIGN §9, partition drop: a RANGE partition of the rule's table on its clock column whose
 * whole range lies before the cutoff, with no held row and no referencing row in it, is
 * dropped in one step, audited once with its row count and key range, instead of deleted row
 * by row. Partitions that are only partly due, hold a held row, or are referenced keep their
 * partition and lose their due rows one batch at a time. Dry runs and plan show the drop
 * without doing it.
 *
 * PostgreSQL: declarative partitions, detached and dropped in the entry's transaction.
 * MySQL/MariaDB: RANGE COLUMNS partitions (and RANGE on TO_DAYS or UNIX_TIMESTAMP), dropped
 * under LOCK TABLES after the entry commits. A partitioned InnoDB table can neither reference
 * nor be referenced, so there the referenced partition is PostgreSQL's alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type RawBuilder } from 'kysely';
import type { EngineName } from '../../src/store/types.js';
import { testEngines } from '../support/engines.js';
import { cliStore, type CliStore } from '../support/safety.js';

const engines = (await testEngines()).filter((e) => e === 'postgres' || e === 'mysql');
const NOW = '2026-11-23T03:15:00.000Z'; // cutoff 12 months before: 2025-11-23T03:15Z
const CUTOFF = new Date('2025-11-23T03:15:00Z');

/** A policy deleting each `rule: table`'s calls 12 months after the call, unguarded. */
const policyFor = (rules: Record<string, string>) => `version: 1
defaults:
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme
    rules:
${Object.entries(rules)
  .map(([rule, table]) => `      ${rule}:\n        quote: "Call detail records are deleted 12 months after the call."\n        table: ${table}\n        clock: started_at\n        after: 12 months\n        action: delete\n`)
  .join('')}`;
const POLICY = policyFor({ cdr: 'cdr' });

const month = (m: number) => `2025-${String(m).padStart(2, '0')}`;
const next = (m: number) => (m === 12 ? '2026-01' : month(m + 1));

/**
 * Monthly partitions of 2025, Jan … Dec, plus one for everything else (PostgreSQL's default;
 * on MySQL one below 2025, unbounded, and one above); ids ascend with the clock.
 */
function ddl(engine: EngineName): string[] {
  if (engine === 'mysql') {
    const parts = ["partition cdr_old values less than ('2025-01-01')"];
    for (let m = 1; m <= 12; m++) parts.push(`partition cdr_${month(m).replace('-', '_')} values less than ('${next(m)}-01')`);
    parts.push('partition cdr_future values less than (maxvalue)');
    return [`create table cdr (id bigint not null, started_at datetime(3) not null, caller varchar(32), primary key (id, started_at)) partition by range columns (started_at) (${parts.join(', ')})`];
  }
  const out = [
    'create table cdr (id bigint not null, started_at timestamptz, caller text, primary key (id, started_at)) partition by range (started_at)',
    'create table cdr_notes (id bigint primary key, cdr_id bigint not null, cdr_started_at timestamptz not null, note text, foreign key (cdr_id, cdr_started_at) references cdr (id, started_at))',
    'create table cdr_default partition of cdr default',
  ];
  for (let m = 1; m <= 12; m++) out.push(`create table cdr_${month(m).replace('-', '_')} partition of cdr for values from ('${month(m)}-01 00:00:00+00') to ('${next(m)}-01 00:00:00+00')`);
  return out;
}

/** 10 calls a day of 2025, one every 2.4 hours; ids 1… in clock order. */
async function seed(store: CliStore): Promise<void> {
  if (store.engine === 'mysql') {
    await sql`insert into cdr (id, started_at, caller) select seq, timestamp '2025-01-01 00:00:00' + interval ((seq - 1) * 144) minute, concat('+4420', seq) from seq_1_to_3650`.execute(store.db);
    return;
  }
  await sql`insert into cdr (id, started_at, caller)
    select i, timestamptz '2025-01-01 00:00:00+00' + (i - 1) * interval '144 minutes', '+4420' || i
    from generate_series(1, 3650) as i`.execute(store.db);
}

async function partitions(store: CliStore): Promise<string[]> {
  const q =
    store.engine === 'mysql'
      ? sql<{ name: string }>`select partition_name as name from information_schema.partitions where table_schema = database() and table_name = 'cdr' order by 1`
      : sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'cdr'::regclass order by 1`;
  return (await q.execute(store.db)).rows.map((r) => r.name);
}
const count = async (store: CliStore, where: RawBuilder<unknown> = sql`1 = 1`) => Number((await sql<{ n: string }>`select count(*) as n from cdr where ${where}`.execute(store.db)).rows[0]!.n);
/** The first call at or after `at`: its key as `hold add` takes it. */
async function keyAt(store: CliStore, at: string): Promise<string> {
  const r =
    store.engine === 'mysql'
      ? await sql<{ id: number; t: string }>`select id, date_format(started_at, '%Y-%m-%d %H:%i:%s.%f') as t from cdr where started_at >= ${at} order by id limit 1`.execute(store.db)
      : await sql<{ id: string; t: string }>`select id, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t from cdr where started_at >= ${at} order by id limit 1`.execute(store.db);
  return JSON.stringify([Number(r.rows[0]!.id), r.rows[0]!.t]);
}

/** The partitions a run drops whole: every month wholly due, but March (a held row) and on PostgreSQL June (a referenced row). */
const dropped = (engine: EngineName) => [1, 2, 4, 5, 6, 7, 8, 9, 10].filter((m) => engine === 'mysql' || m !== 6).map((m) => `cdr_${month(m).replace('-', '_')}`);
/** Due rows a run leaves: the held one, and on PostgreSQL the referenced one. */
const kept = (engine: EngineName) => (engine === 'mysql' ? 1 : 2);
/** The cutoff as the clock column compares: MySQL's DATETIME holds UTC wall time as text binds it. */
const cutoffParam = (engine: EngineName) => (engine === 'mysql' ? '2025-11-23 03:15:00' : CUTOFF);

describe.each(engines)('partition drop on %s', (engine) => {
  let store: CliStore;
  beforeAll(async () => {
    store = await cliStore(engine, POLICY, ddl);
    await seed(store);
  });
  afterAll(async () => store?.close());

  it('plan and dry run name the partitions a run would drop, and change nothing', async () => {
    const h = store.cli(['hold', 'add', 'cdr', await keyAt(store, '2025-03-10'), '--reason', 'litigation']);
    expect(h.code, h.stderr).toBe(0);
    if (engine === 'postgres') {
      const note = Number((await sql<{ id: string }>`select id from cdr where started_at >= '2025-06-10' order by id limit 1`.execute(store.db)).rows[0]!.id);
      await sql`insert into cdr_notes select 1, id, started_at, 'disputed' from cdr where id = ${note}`.execute(store.db);
    }

    const plan = store.cli(['plan', '--json', '--now', NOW]);
    expect(plan.code, plan.stderr).toBe(0);
    const stage = (JSON.parse(plan.stdout) as { stages: { rule: string; partitions?: { name: string; rows: number }[] }[] }).stages.find((s) => s.rule === 'cdr')!;
    // Jan, Feb, Apr, May, Jul … Oct: wholly before the cutoff; March holds a held row, June (PostgreSQL) a referenced one.
    expect(stage.partitions?.map((p) => p.name)).toEqual(dropped(engine));
    expect(stage.partitions?.find((p) => p.name === 'cdr_2025_02')?.rows).toBe(280);

    const before = await count(store);
    const dry = store.cli(['run', '--dry-run', '--json', '--now', NOW]);
    expect(dry.code, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout) as { changed: number; stages: { rule: string; partitions?: { name: string }[] }[] };
    expect(d.stages.find((s) => s.rule === 'cdr')!.partitions?.map((p) => p.name)).toEqual(stage.partitions!.map((p) => p.name));
    expect(await partitions(store)).toHaveLength(engine === 'mysql' ? 14 : 13);
    expect(await count(store)).toBe(before);
    // Every due row but the held and the referenced one: the dry run's figure is the real run's.
    expect(d.changed).toBe((await count(store, sql`started_at < ${cutoffParam(engine)}`)) - kept(engine));
  });

  it('drops wholly due partitions in one step each, audited with row count and key range; the rest go row by row', async () => {
    const due = await count(store, sql`started_at < ${cutoffParam(engine)}`);
    const run = store.cli(['run', '--json', '--now', NOW]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { changed: number; blocked: number; held: number; stages: { rule: string; partitions?: { name: string; rows: number }[] }[] };
    expect(r.changed).toBe(due - kept(engine));

    const left = await partitions(store);
    expect(left).toEqual(engine === 'mysql' ? ['cdr_2025_03', 'cdr_2025_11', 'cdr_2025_12', 'cdr_future', 'cdr_old'] : ['cdr_2025_03', 'cdr_2025_06', 'cdr_2025_11', 'cdr_2025_12', 'cdr_default']);
    // March and June keep only their held and referenced rows; November only what is not due.
    expect(await count(store, sql`started_at < '2025-11-01'`)).toBe(kept(engine));
    expect(await count(store, sql`started_at >= '2025-11-01' and started_at < ${cutoffParam(engine)}`)).toBe(0);
    expect(await count(store, sql`started_at >= ${cutoffParam(engine)}`)).toBeGreaterThan(0);

    const entries = (
      await sql<{ row_count: number; keys: string; detail: string | null; action: string }>`select row_count, ${sql.ref('keys')}, detail, action from lethe_audit where table_name = 'cdr' order by seq`.execute(store.db)
    ).rows;
    const drops = entries.filter((e) => e.detail && (JSON.parse(e.detail) as { partition?: string }).partition);
    expect(drops).toHaveLength(dropped(engine).length);
    const feb = drops.map((e) => ({ ...e, d: JSON.parse(e.detail!) as { partition: string; key_range: unknown[]; clock_range: string[] } })).find((e) => e.d.partition === 'cdr_2025_02')!;
    expect(Number(feb.row_count)).toBe(280);
    expect(feb.action).toBe('delete');
    expect(JSON.parse(feb.keys)).toEqual([]);
    // Feb 2025: calls 311 … 590 (10 a day from Jan 1, 2.4 h apart); the key is (id, started_at).
    expect(feb.d.key_range.map((k) => (k as unknown[])[0])).toEqual([311, 590]);
    expect(feb.d.clock_range).toEqual(['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z']);
    // Every row is accounted for: dropped partitions plus row-by-row entries.
    expect(entries.reduce((n, e) => n + Number(e.row_count), 0)).toBe(due - kept(engine));

    const v = store.cli(['audit', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});

/** MySQL partitions on a function of the clock: TO_DAYS of a DATETIME, UNIX_TIMESTAMP of a TIMESTAMP. */
describe.each(engines.filter((e) => e === 'mysql'))('partition drop on %s, partitioned by a function of the clock', (engine) => {
  const policy = policyFor({ 'by-days': 'cdr_days', 'by-epoch': 'cdr_epoch' });
  const parts = (fn: (bound: string) => string) =>
    [`partition p_old values less than (${fn('2025-01-01')})`, ...[1, 2, 3].map((m) => `partition p_${month(m).replace('-', '_')} values less than (${fn(`${next(m)}-01`)})`), `partition p_late values less than (${fn('2026-12-01')})`].join(', ');
  let store: CliStore;
  beforeAll(async () => {
    store = await cliStore(engine, policy, () => [
      `create table cdr_days (id bigint not null, started_at datetime not null, primary key (id, started_at)) partition by range (to_days(started_at)) (${parts((d) => `to_days('${d}')`)})`,
      `create table cdr_epoch (id bigint not null, started_at timestamp not null default current_timestamp, primary key (id, started_at)) partition by range (unix_timestamp(started_at)) (${parts((d) => `unix_timestamp('${d} 00:00:00')`)})`,
    ]);
    // Calls from mid-December 2024 to mid-April 2025, one every 6 hours.
    for (const t of ['cdr_days', 'cdr_epoch'])
      await sql`insert into ${sql.table(t)} (id, started_at) select seq, timestamp '2024-12-15 00:00:00' + interval ((seq - 1) * 6) hour from seq_1_to_480`.execute(store.db);
  });
  afterAll(async () => store?.close());

  it('drops the months wholly due, and leaves the first partition, unbounded below, to the batches', async () => {
    const run = store.cli(['run', '--json', '--now', NOW]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { changed: number; stages: { rule: string; partitions?: { name: string; rows: number; clock_range: string[] }[] }[] };
    for (const rule of ['by-days', 'by-epoch']) {
      const stage = r.stages.find((s) => s.rule === rule)!;
      // Jan … Mar 2025: 4 calls a day; April, cut by the end of the data, is due too but its range is not.
      expect(stage.partitions?.map((p) => [p.name, p.rows])).toEqual([
        ['p_2025_01', 124],
        ['p_2025_02', 112],
        ['p_2025_03', 124],
      ]);
      expect(stage.partitions?.[1]?.clock_range).toEqual(['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z']);
    }
    expect(r.changed).toBe(2 * 480);
    for (const t of ['cdr_days', 'cdr_epoch']) {
      const left = await sql<{ name: string }>`select partition_name as name from information_schema.partitions where table_schema = database() and table_name = ${t} order by 1`.execute(store.db);
      expect(left.rows.map((x) => x.name)).toEqual(['p_late', 'p_old']);
      expect(Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(store.db)).rows[0]!.n)).toBe(0);
    }
    const v = store.cli(['audit', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});

/**
 * On MySQL the entry commits before the DDL: a user who may delete rows but not ALTER or DROP
 * the table would have its drop audited and then refused. Such a user's partitions are not
 * listed, and their rows go in batches.
 */
describe.each(engines.filter((e) => e === 'mysql'))('partition drop on %s without the privileges to drop', (engine) => {
  let store: CliStore;
  let url: string;
  const user = `lethe_np_${process.pid}`;
  beforeAll(async () => {
    store = await cliStore(engine, POLICY, ddl);
    await seed(store);
    const database = String((await sql<{ d: string }>`select database() as d`.execute(store.db)).rows[0]!.d);
    await sql`create user ${sql.lit(user)}@'%' identified by 'np-password'`.execute(store.db);
    await sql`grant select, insert, update, delete, create, index on ${sql.id(database)}.* to ${sql.lit(user)}@'%'`.execute(store.db);
    const u = new URL(store.url);
    u.username = user;
    u.password = 'np-password';
    url = u.toString();
  });
  afterAll(async () => {
    await sql`drop user if exists ${sql.lit(user)}@'%'`.execute(store.db).catch(() => undefined);
    await store?.close();
  });

  it('lists no partition to drop and deletes the due rows in batches, with no entry for a drop', async () => {
    const env = { LETHE_DATABASE_URL: url };
    const plan = store.cli(['plan', '--json', '--now', NOW], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { stages: { partitions?: unknown[] }[] }).stages[0]!.partitions).toBeUndefined();
    const due = await count(store, sql`started_at < ${cutoffParam(engine)}`);
    const run = store.cli(['run', '--json', '--now', NOW], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'ok', changed: due });
    expect(await partitions(store)).toHaveLength(14);
    const drops = await sql<{ n: number }>`select count(*) as n from lethe_audit where detail like '%"partition"%'`.execute(store.db);
    expect(Number(drops.rows[0]!.n)).toBe(0);
  });
});
