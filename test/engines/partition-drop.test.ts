/**
 * DESIGN §9, partition drop: on PostgreSQL, a RANGE partition of the rule's table on its clock
 * column whose whole range lies before the cutoff, with no held row and no referencing row in
 * it, is detached and dropped in one step, audited once with its row count and key range,
 * instead of deleted row by row. Partitions that are only partly due, hold a held row, or are
 * referenced keep their partition and lose their due rows one batch at a time. Dry runs and
 * plan show the drop without doing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { cliStore, type CliStore } from '../support/safety.js';

const engines = (await testEngines()).filter((e) => e === 'postgres');
const NOW = '2026-11-23T03:15:00.000Z'; // cutoff 12 months before: 2025-11-23T03:15Z

const POLICY = `version: 1
defaults:
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme
    rules:
      cdr:
        quote: "Call detail records are deleted 12 months after the call."
        table: cdr
        clock: started_at
        after: 12 months
        action: delete
`;

/** Monthly partitions of 2025, Jan … Dec, plus a default one; ids ascend with the clock. */
function ddl(): string[] {
  const out = [
    'create table cdr (id bigint not null, started_at timestamptz, caller text, primary key (id, started_at)) partition by range (started_at)',
    'create table cdr_notes (id bigint primary key, cdr_id bigint not null, cdr_started_at timestamptz not null, note text, foreign key (cdr_id, cdr_started_at) references cdr (id, started_at))',
    'create table cdr_default partition of cdr default',
  ];
  for (let m = 1; m <= 12; m++) {
    const from = `2025-${String(m).padStart(2, '0')}-01`;
    const to = m === 12 ? '2026-01-01' : `2025-${String(m + 1).padStart(2, '0')}-01`;
    out.push(`create table cdr_2025_${String(m).padStart(2, '0')} partition of cdr for values from ('${from} 00:00:00+00') to ('${to} 00:00:00+00')`);
  }
  return out;
}

/** 10 calls a day of 2025, one every 2.4 hours; ids 1… in clock order. */
async function seed(store: CliStore): Promise<void> {
  await sql`insert into cdr (id, started_at, caller)
    select i, timestamptz '2025-01-01 00:00:00+00' + (i - 1) * interval '144 minutes', '+4420' || i
    from generate_series(1, 3650) as i`.execute(store.db);
}

const partitions = async (store: CliStore) =>
  (await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'cdr'::regclass order by 1`.execute(store.db)).rows.map((r) => r.name);
const count = async (store: CliStore, where = sql`true`) => Number((await sql<{ n: string }>`select count(*) as n from cdr where ${where}`.execute(store.db)).rows[0]!.n);

describe.each(engines)('partition drop on %s', (engine) => {
  let store: CliStore;
  beforeAll(async () => {
    store = await cliStore(engine, POLICY, ddl);
    await seed(store);
  });
  afterAll(async () => store?.close());

  it('plan and dry run name the partitions a run would drop, and change nothing', async () => {
    const held = Number((await sql<{ id: string }>`select id from cdr where started_at >= '2025-03-10' order by id limit 1`.execute(store.db)).rows[0]!.id);
    const h = store.cli(['hold', 'add', 'cdr', JSON.stringify([held, (await sql<{ t: string }>`select to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t from cdr where id = ${held}`.execute(store.db)).rows[0]!.t]), '--reason', 'litigation']);
    expect(h.code, h.stderr).toBe(0);
    const note = Number((await sql<{ id: string }>`select id from cdr where started_at >= '2025-06-10' order by id limit 1`.execute(store.db)).rows[0]!.id);
    await sql`insert into cdr_notes select 1, id, started_at, 'disputed' from cdr where id = ${note}`.execute(store.db);

    const plan = store.cli(['plan', '--json', '--now', NOW]);
    expect(plan.code, plan.stderr).toBe(0);
    const stage = (JSON.parse(plan.stdout) as { stages: { rule: string; partitions?: { name: string; rows: number }[] }[] }).stages.find((s) => s.rule === 'cdr')!;
    // Jan, Feb, Apr, May, Jul … Oct: wholly before the cutoff; March holds a held row, June a referenced one.
    expect(stage.partitions?.map((p) => p.name)).toEqual(['cdr_2025_01', 'cdr_2025_02', 'cdr_2025_04', 'cdr_2025_05', 'cdr_2025_07', 'cdr_2025_08', 'cdr_2025_09', 'cdr_2025_10']);
    expect(stage.partitions?.find((p) => p.name === 'cdr_2025_02')?.rows).toBe(280);

    const before = await count(store);
    const dry = store.cli(['run', '--dry-run', '--json', '--now', NOW]);
    expect(dry.code, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout) as { changed: number; stages: { rule: string; partitions?: { name: string }[] }[] };
    expect(d.stages.find((s) => s.rule === 'cdr')!.partitions?.map((p) => p.name)).toEqual(stage.partitions!.map((p) => p.name));
    expect(await partitions(store)).toHaveLength(13);
    expect(await count(store)).toBe(before);
    // Every due row but the held and the referenced one: the dry run's figure is the real run's.
    expect(d.changed).toBe((await count(store, sql`started_at < ${new Date('2025-11-23T03:15:00Z')}`)) - 2);
  });

  it('drops wholly due partitions in one step each, audited with row count and key range; the rest go row by row', async () => {
    const due = await count(store, sql`started_at < ${new Date('2025-11-23T03:15:00Z')}`);
    const run = store.cli(['run', '--json', '--now', NOW]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { changed: number; blocked: number; held: number; stages: { rule: string; partitions?: { name: string; rows: number }[] }[] };
    expect(r.changed).toBe(due - 2);

    const left = await partitions(store);
    expect(left).toEqual(['cdr_2025_03', 'cdr_2025_06', 'cdr_2025_11', 'cdr_2025_12', 'cdr_default']);
    // March and June keep only their held and referenced rows; November only what is not due.
    expect(await count(store, sql`started_at < '2025-11-01'`)).toBe(2);
    expect(await count(store, sql`started_at >= '2025-11-01' and started_at < ${new Date('2025-11-23T03:15:00Z')}`)).toBe(0);
    expect(await count(store, sql`started_at >= ${new Date('2025-11-23T03:15:00Z')}`)).toBeGreaterThan(0);

    const entries = (
      await sql<{ row_count: number; keys: string; detail: string | null; action: string }>`select row_count, keys, detail, action from lethe_audit where table_name = 'cdr' order by seq`.execute(store.db)
    ).rows;
    const drops = entries.filter((e) => e.detail && (JSON.parse(e.detail) as { partition?: string }).partition);
    expect(drops).toHaveLength(8);
    const feb = drops.map((e) => ({ ...e, d: JSON.parse(e.detail!) as { partition: string; key_range: unknown[]; clock_range: string[] } })).find((e) => e.d.partition === 'cdr_2025_02')!;
    expect(Number(feb.row_count)).toBe(280);
    expect(feb.action).toBe('delete');
    expect(JSON.parse(feb.keys)).toEqual([]);
    // Feb 2025: calls 311 … 590 (10 a day from Jan 1, 2.4 h apart); the key is (id, started_at).
    expect(feb.d.key_range.map((k) => (k as unknown[])[0])).toEqual([311, 590]);
    expect(feb.d.clock_range).toEqual(['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z']);
    // Every row is accounted for: dropped partitions plus row-by-row entries.
    expect(entries.reduce((n, e) => n + Number(e.row_count), 0)).toBe(due - 2);

    const v = store.cli(['audit', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
