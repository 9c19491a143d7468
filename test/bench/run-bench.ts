/**
 * Performance bench: `npm run build && npm run bench` (quick: `BENCH_QUICK=1 npm run bench`).
 * Prints figures side by side; asserts nothing; not part of `npm test`.
 *
 * One section per engine (SQLite always; PostgreSQL and MariaDB when they answer), each on
 * scratch stores that are dropped at the end:
 *
 *   1. pairs: lethe with `throttle: off` against the raw `DELETE FROM calls WHERE started_at
 *      < cutoff`, each on its own identical copy of one seeded table, in interleaved pairs
 *      (the order rotates), with the ratio per pair and its range. A hand-written keyset loop
 *      at lethe's batch size with a hash-chained audit row per batch (runLoop) joins each
 *      pair: the floor for batches of that size, which lethe's fence, holds, child probes and
 *      log lines add to. On MariaDB pt-archiver `--purge --bulk-delete` at lethe's batch size
 *      joins each pair when it is installed.
 *   2. throttled: lethe with the default throttle while a writer on another connection
 *      inserts one row every 10 ms (SQLite busy_timeout 5 s): the writer's worst stall and
 *      errors, and the run's time against the raw DELETE's.
 *   3. rss: peak RSS of the lethe process (the kernel's ru_maxrss, written at exit) at 1M and
 *      5M due rows deleted, and at 1M anonymised, on BENCH_RSS_ENGINE.
 *   4. partitions (PostgreSQL and MariaDB): a call table partitioned by month on its clock, 24
 *      months of calls of which the oldest 12 are due: lethe (which drops the wholly due
 *      partitions and deletes the due rows of the month the cutoff falls in) against the raw
 *      DELETE of the same rows, each on its own copy.
 *
 * lethe runs as a child, `node bin/lethe run --json`, as an operator would run it; its time
 * is the run's own `duration_ms` (the CLI's start-up and schema read are printed beside it).
 * The raw DELETE runs in this process on a connection with the adapter's settings and is
 * timed around the statement (it commits by itself) and, on SQLite, the checkpoint that
 * copies its WAL into the database file: lethe's run copies its own before it ends.
 *
 * The table: `calls(id, started_at, caller, callee, duration_s)` with an index on the clock
 * and a child table `recordings(call_id → calls)` referencing only calls that are not due, so
 * lethe probes for children and the raw DELETE checks its foreign key, as on a real store.
 * Ids follow the clock, as call records are written. The policy deletes calls 12 months old,
 * single tenant, the guard at max_fraction 0.5 (so it counts, as in production).
 *
 * With BENCH_TENANTS=n (n > 1) the table is shared, as on a multi-tenant store: calls carry
 * `provider_id` (indexed), call i belongs to provider `bench` when i is a multiple of n and
 * to another provider otherwise, and call i's clock is the (7919·i mod rows)-th instant, so
 * ids no longer follow the clock and a provider's due rows are spread over the whole table.
 * lethe enforces provider `bench` under `store.tenant_column: provider_id`; the raw DELETE
 * and pt-archiver add `provider_id = 'bench'`; BENCH_DUE is then the share of all calls
 * that is due, and the bench provider's due rows are about a 1/n of them.
 *
 * With BENCH_NUMBER_INDEXES=1 the caller and callee columns are indexed too, as a store that
 * looks calls up by number has them: the numbers are not in id order, so every batch deletes
 * entries all over those two indexes.
 *
 * Environment (defaults in brackets; BENCH_QUICK=1 shrinks them):
 *   BENCH_ENGINES      sqlite,postgres,mysql
 *   BENCH_SECTIONS     pairs,throttled,rss,partitions
 *   BENCH_PART_ROWS    rows of the partitioned table [10000000; quick 1000000]
 *   BENCH_ROWS         rows in calls [900000; quick 90000]
 *   BENCH_DUE          share of them due [0.3333]
 *   BENCH_PAIRS        interleaved pairs per engine [3; quick 1]
 *   BENCH_BATCH        batch_size written in the policy [unset: lethe's default]
 *   BENCH_TENANTS      providers sharing the calls table [1: a single-tenant table]
 *   BENCH_NUMBER_INDEXES  1: index caller and callee too [0]
 *   BENCH_SQLITE_CLOCK utc: SQLite clocks as lethe writes them (2025-11-23T03:15:00.000Z);
 *                      wall: as SQLite's CURRENT_TIMESTAMP does (2025-11-23 03:15:00) [utc]
 *   BENCH_WRITER_MS    the writer's interval [10]
 *   BENCH_RSS_ROWS     due rows for the RSS runs [1000000,5000000; quick 100000,500000]
 *   BENCH_RSS_ENGINE   engine for the RSS runs [sqlite]
 *   BENCH_PROFILE      1: lethe children run with --cpu-prof (the folder is printed)
 *   BENCH_INSTALL      0: never apt-get install percona-toolkit (never tried when CI is set)
 *   BENCH_POSTGRES_URL [postgres://postgres@127.0.0.1:5432/test]
 *   BENCH_MYSQL_URL    [mysql://root@127.0.0.1:3306/test]
 *
 * Progress goes to stderr, figures to stdout. The machine is shared: the load average is
 * printed at the start and the end of every section.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openStore } from '../../src/store/open.js';
import type { Adapter, EngineName } from '../../src/store/types.js';

// ---------------------------------------------------------------------------------------
// Configuration.
// ---------------------------------------------------------------------------------------

const NOW = new Date('2026-11-23T03:15:00.000Z');
/** NOW − 12 months, UTC: the rule's cutoff, and the raw DELETE's. */
const CUTOFF = new Date('2025-11-23T03:15:00.000Z');
const QUICK = process.env.BENCH_QUICK === '1';

function intEnv(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}: "${raw}" is not a positive whole number`);
  return n;
}
function listEnv(name: string, dflt: string): string[] {
  return (process.env[name] || dflt)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

const ROWS = intEnv('BENCH_ROWS', QUICK ? 90_000 : 900_000);
const DUE_SHARE = Number(process.env.BENCH_DUE || 1 / 3);
if (!(DUE_SHARE > 0 && DUE_SHARE < 1)) throw new Error(`BENCH_DUE: "${process.env.BENCH_DUE}" must lie between 0 and 1`);
const PAIRS = intEnv('BENCH_PAIRS', QUICK ? 1 : 3);
const BATCH = process.env.BENCH_BATCH ? intEnv('BENCH_BATCH', 1000) : null;
const TENANTS = intEnv('BENCH_TENANTS', 1);
/** How long a server store's copy may wait for the server's background work to settle (serverKit). */
const SETTLE_MAX_MS = 60_000;
const NUMBER_INDEXES = process.env.BENCH_NUMBER_INDEXES === '1';
const SQLITE_CLOCK = process.env.BENCH_SQLITE_CLOCK || 'utc';
if (SQLITE_CLOCK !== 'utc' && SQLITE_CLOCK !== 'wall') throw new Error(`BENCH_SQLITE_CLOCK: "${SQLITE_CLOCK}" is neither utc nor wall`);
/** An instant as SQLite clock text in the BENCH_SQLITE_CLOCK form. */
const sqliteClock = (at: Date): string => (SQLITE_CLOCK === 'utc' ? at.toISOString() : at.toISOString().slice(0, 19).replace('T', ' '));
/** The provider lethe, the raw DELETE and pt-archiver purge when the table is shared. */
const BENCH_TENANT = 'bench';
const WRITER_MS = intEnv('BENCH_WRITER_MS', 10);
const RSS_ROWS = listEnv('BENCH_RSS_ROWS', QUICK ? '100000,500000' : '1000000,5000000').map((s) => {
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`BENCH_RSS_ROWS: "${s}" is not a positive whole number`);
  return n;
});
const RSS_ENGINE = (process.env.BENCH_RSS_ENGINE || 'sqlite') as EngineName;
const ENGINES = listEnv('BENCH_ENGINES', 'sqlite,postgres,mysql') as EngineName[];
const SECTIONS = new Set(listEnv('BENCH_SECTIONS', 'pairs,throttled,rss,partitions'));
const PART_ROWS = intEnv('BENCH_PART_ROWS', QUICK ? 1_000_000 : 10_000_000);
const PROFILE = process.env.BENCH_PROFILE === '1';
const SERVER: Record<Exclude<EngineName, 'sqlite'>, string> = {
  postgres: process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test',
};
/** lethe's batch_size when the policy names none (src/policy/resolve.ts). */
const LETHE_DEFAULT_BATCH = 1000;

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

const out = (line = ''): void => void process.stdout.write(line + '\n');
const progress = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const loadavg = (): string => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const s2 = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const n0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const range = (xs: readonly number[], f: (n: number) => string): string => (xs.length ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : '-');
const ratioText = (xs: readonly number[]): string => (xs.length ? `${median(xs).toFixed(2)}× (${range(xs, (n) => n.toFixed(2))})` : '-');

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  return [line(headers), '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|', ...rows.map(line)].join('\n');
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'lethe'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (bin/lethe) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
const ROOT = repoRoot();
const HERE = dirname(fileURLToPath(import.meta.url));
const WORK = mkdtempSync(join(os.tmpdir(), 'lethe-bench-'));

interface Child {
  code: number | null;
  stdout: string;
  /** The last 4 kB of stderr, and how many bytes it had in all (lethe's log lines). */
  stderrTail: string;
  stderrBytes: number;
  wallMs: number;
}

/** Runs a command to its end without blocking this process's event loop. */
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    let bytes = 0;
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      bytes += Buffer.byteLength(d);
      tail = (tail + d).slice(-4096);
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderrTail: tail, stderrBytes: bytes, wallMs: performance.now() - t }));
  });
}

// ---------------------------------------------------------------------------------------
// The seeded table, per engine, and identical copies of it.
// ---------------------------------------------------------------------------------------

/** Seconds between two calls: ids follow the clock, and the newest call stays before NOW. */
function layout(rows: number, due: number): { step: number; first: number } {
  const step = Math.max(1, Math.min(30, Math.floor((300 * 86_400) / Math.max(1, rows - due))));
  // Call i (1-based) starts at first + i * step; calls 1..due lie before the cutoff.
  return { step, first: Math.floor(CUTOFF.getTime() / 1000) - (due + 1) * step + Math.floor(step / 2) };
}

/**
 * The instant index of call i (1-based) among `rows`: i itself on a single-tenant table (ids
 * follow the clock), a fixed permutation of 1..rows on a shared one (7919 is prime, so it
 * permutes whenever it does not divide `rows`).
 */
function clockIndexSql(rows: number, i: string): string {
  if (TENANTS === 1) return i;
  if (rows % 7919 === 0) throw new Error(`BENCH_TENANTS: ${rows} rows are a multiple of 7919; choose another BENCH_ROWS`);
  return `((${i} * 7919) % ${rows} + 1)`;
}

/** The provider of call i on a shared table, as SQL (every TENANTS-th call is the bench provider's). */
function providerSql(i: string, concat: (a: string, b: string) => string): string {
  return `case when ${i} % ${TENANTS} = 0 then '${BENCH_TENANT}' else ${concat(`'p'`, `${i} % ${TENANTS}`)} end`;
}

/** The bench provider's due calls, of `rows` calls of which `due` are due (all providers). */
function benchDue(rows: number, due: number): number {
  if (TENANTS === 1) return due;
  let n = 0;
  for (let i = TENANTS; i <= rows; i += TENANTS) if (((i * 7919) % rows) + 1 <= due) n++;
  return n;
}

/** The provider column in a seeding INSERT's column list and its value, on a shared table ('' otherwise). */
const sharedColumn = TENANTS > 1 ? ', provider_id' : '';
const sharedValue = (i: string, concat: (a: string, b: string) => string): string => (TENANTS > 1 ? `, ${providerSql(i, concat)}` : '');

/**
 * The call recording i references: the newest calls (never due) on a single-tenant table,
 * calls of another provider on a shared one (so neither lethe nor the raw DELETE meets them).
 */
function recordedCallSql(rows: number, i: string): string {
  return TENANTS === 1 ? `${rows} - (${i} - 1) * 97` : `${i} * ${TENANTS} + 1`;
}

/** The scope the raw DELETE and pt-archiver add on a shared table. */
const TENANT_WHERE = TENANTS > 1 ? `provider_id = '${BENCH_TENANT}' and ` : '';

/** How the bench creates, seeds, copies and drops stores on one engine. */
interface EngineKit {
  engine: EngineName;
  /** Creates a store `name` and seeds `rows` calls of which `due` are due; returns its URL. */
  seed(name: string, rows: number, due: number): Promise<string>;
  /** A fresh identical copy of store `from`, named `name`; returns its URL. */
  copy(from: string, name: string): Promise<string>;
  drop(name: string): Promise<void>;
  /** started_at of a row the writer inserts (not due), as the engine takes it. */
  writerClock: string;
  cutoffParam: unknown;
}

const CALLS_DDL: Record<EngineName, string[]> = {
  sqlite: [
    'create table calls (id integer primary key, started_at text, caller text, callee text, duration_s integer)',
    'create index calls_started_at on calls (started_at)',
    'create table recordings (id integer primary key, call_id integer references calls (id), media_path text)',
    'create index recordings_call_id on recordings (call_id)',
  ],
  postgres: [
    'create table calls (id bigint primary key, started_at timestamptz, caller varchar(32), callee varchar(32), duration_s integer)',
    'create index calls_started_at on calls (started_at)',
    'create table recordings (id bigint primary key, call_id bigint references calls (id), media_path text)',
    'create index recordings_call_id on recordings (call_id)',
  ],
  mysql: [
    'create table calls (id bigint primary key, started_at datetime(3), caller varchar(32), callee varchar(32), duration_s int, key calls_started_at (started_at)) engine=InnoDB',
    'create table recordings (id bigint primary key, call_id bigint, media_path varchar(255), key recordings_call_id (call_id), constraint recordings_call foreign key (call_id) references calls (id)) engine=InnoDB',
  ],
};

/** CALLS_DDL, with the number indexes (BENCH_NUMBER_INDEXES), and the shared table's provider column and its index when BENCH_TENANTS > 1. */
function callsDdl(engine: EngineName): string[] {
  const ddl = [...CALLS_DDL[engine]];
  if (NUMBER_INDEXES) ddl.push('create index calls_caller on calls (caller)', 'create index calls_callee on calls (callee)');
  if (TENANTS === 1) return ddl;
  // The writer of the throttled section inserts without a provider: its rows are another's.
  ddl.push(`alter table calls add column provider_id varchar(16) not null default 'p1'`, 'create index calls_provider on calls (provider_id)');
  return ddl;
}

/** Recordings reference the newest calls only (never due), one every 97 calls; on a shared table, calls of another provider (recordedCallSql). */
function recordingsCount(rows: number, due: number): number {
  return Math.max(0, Math.min(5000, Math.floor((rows - due) / 97), TENANTS > 1 ? Math.floor((rows - 1) / TENANTS) : Infinity));
}

function sqliteKit(): EngineKit {
  const file = (name: string) => join(WORK, `${name}.db`);
  return {
    engine: 'sqlite',
    writerClock: sqliteClock(NOW),
    cutoffParam: sqliteClock(CUTOFF),
    async seed(name, rows, due) {
      const f = file(name);
      rmSync(f, { force: true });
      const { step, first } = layout(rows, due);
      const ad = await openStore(`sqlite:${f}`, WORK);
      try {
        for (const ddl of callsDdl('sqlite')) await sql.raw(ddl).execute(ad.db);
        await sql`insert into calls (id, started_at, caller, callee, duration_s${sql.raw(sharedColumn)})
          with recursive s(i) as (select 1 union all select i + 1 from s where i < ${rows})
          select i, strftime(${SQLITE_CLOCK === 'utc' ? '%Y-%m-%dT%H:%M:%fZ' : '%Y-%m-%d %H:%M:%S'}, ${first} + ${sql.raw(clockIndexSql(rows, 'i'))} * ${step}, 'unixepoch'), '+4412' || (i % 100000000), '+4420' || ((i * 7919) % 100000000), i % 3600${sql.raw(sharedValue('i', (a, b) => `${a} || ${b}`))} from s`.execute(ad.db);
        const recs = recordingsCount(rows, due);
        await sql`insert into recordings (id, call_id, media_path)
          with recursive s(i) as (select 1 union all select i + 1 from s where i < ${recs})
          select i, ${sql.raw(recordedCallSql(rows, 'i'))}, 'rec/' || i || '.wav' from s`.execute(ad.db);
        await sql`pragma wal_checkpoint(truncate)`.execute(ad.db);
      } finally {
        await ad.close();
      }
      return `sqlite:${f}`;
    },
    async copy(from, name) {
      copyFileSync(file(from), file(name));
      // On disk before anyone writes to it, as a store at rest is: otherwise the first fsync
      // of the copy (the writer's first commit) flushed hundreds of MB and took 140-250 ms,
      // with or without lethe running.
      const fd = openSync(file(name), 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return `sqlite:${file(name)}`;
    },
    async drop(name) {
      for (const ext of ['', '-wal', '-shm']) rmSync(file(name) + ext, { force: true });
    },
  };
}

function serverKit(engine: 'postgres' | 'mysql'): EngineKit {
  const admin = SERVER[engine];
  const urlOf = (name: string) => {
    const u = new URL(admin);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const onAdmin = async <R>(fn: (ad: Adapter) => Promise<R>): Promise<R> => {
    const ad = await openStore(admin, process.cwd());
    try {
      return await fn(ad);
    } finally {
      await ad.close();
    }
  };
  const drop = (name: string) =>
    onAdmin(async (ad) => {
      if (engine === 'postgres') await sql`drop database if exists ${sql.id(name)} with (force)`.execute(ad.db);
      else await sql`drop database if exists ${sql.id(name)}`.execute(ad.db);
    });
  const createEmpty = async (name: string) => {
    await drop(name);
    await onAdmin((ad) => sql`create database ${sql.id(name)}`.execute(ad.db));
    const ad = await openStore(urlOf(name), process.cwd());
    for (const ddl of callsDdl(engine)) await sql.raw(ddl).execute(ad.db);
    return ad;
  };
  /**
   * Lets the server finish the background work the copy left (and the previous contender's
   * delete: PostgreSQL's dirty buffers, InnoDB's purge and page flushing), so that the next
   * contender does not pay for it. With InnoDB's 128 MB default pool, the copy of 3M calls
   * left thousands of dirty pages that took some 20 s to flush, and a contender that ran
   * after pt-archiver's thousand transactions took 1.5x its time of the same pair before.
   */
  const settle = async (ad: Adapter) => {
    if (engine === 'postgres') {
      await sql`checkpoint`.execute(ad.db);
      return;
    }
    const status = async () => {
      const r = await sql<{ n: string; v: unknown }>`select variable_name as n, variable_value as v from information_schema.global_status where variable_name in ('INNODB_HISTORY_LIST_LENGTH', 'INNODB_BUFFER_POOL_PAGES_DIRTY')`.execute(ad.db);
      const by = new Map(r.rows.map((x) => [x.n.toUpperCase(), Number(x.v)]));
      return { history: by.get('INNODB_HISTORY_LIST_LENGTH') ?? 0, dirty: by.get('INNODB_BUFFER_POOL_PAGES_DIRTY') ?? 0 };
    };
    const until = performance.now() + SETTLE_MAX_MS;
    let before = await status();
    while (performance.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await status();
      // Purged, and the page cleaner no longer gaining: what is left is flushed only when idle.
      if (now.history <= 16 && now.dirty >= before.dirty * 0.95) return;
      before = now;
    }
  };
  const analyze = async (ad: Adapter) => {
    if (engine === 'postgres') await sql`vacuum analyze`.execute(ad.db);
    else for (const t of ['calls', 'recordings']) await sql`analyze table ${sql.table(t)}`.execute(ad.db);
  };
  return {
    engine,
    writerClock: engine === 'postgres' ? NOW.toISOString() : NOW.toISOString().slice(0, 23).replace('T', ' '),
    cutoffParam: CUTOFF,
    async seed(name, rows, due) {
      const { step, first } = layout(rows, due);
      const ad = await createEmpty(name);
      try {
        const recs = recordingsCount(rows, due);
        if (engine === 'postgres') {
          await sql`insert into calls (id, started_at, caller, callee, duration_s${sql.raw(sharedColumn)}) select i, to_timestamp(${first} + ${sql.raw(clockIndexSql(rows, 'i'))} * ${step}), '+4412' || (i % 100000000), '+4420' || ((i * 7919) % 100000000), i % 3600${sql.raw(sharedValue('i', (a, b) => `${a} || ${b}`))} from generate_series(1, ${rows}::bigint) as i`.execute(ad.db);
          if (recs) await sql`insert into recordings select i, ${sql.raw(recordedCallSql(rows, 'i'))}, 'rec/' || i || '.wav' from generate_series(1, ${recs}::bigint) as i`.execute(ad.db);
        } else {
          await sql`insert into calls (id, started_at, caller, callee, duration_s${sql.raw(sharedColumn)}) select seq, from_unixtime(${first} + ${sql.raw(clockIndexSql(rows, 'seq'))} * ${step}), concat('+4412', seq % 100000000), concat('+4420', (seq * 7919) % 100000000), seq % 3600${sql.raw(sharedValue('seq', (a, b) => `concat(${a}, ${b})`))} from ${sql.raw(`seq_1_to_${rows}`)}`.execute(ad.db);
          if (recs) await sql`insert into recordings select seq, ${sql.raw(recordedCallSql(rows, 'seq'))}, concat('rec/', seq, '.wav') from ${sql.raw(`seq_1_to_${recs}`)}`.execute(ad.db);
        }
        await analyze(ad);
      } finally {
        await ad.close();
      }
      return urlOf(name);
    },
    async copy(from, name) {
      if (engine === 'postgres') {
        await drop(name);
        await onAdmin(async (ad) => {
          await sql`create database ${sql.id(name)} template ${sql.id(from)}`.execute(ad.db);
          await settle(ad);
        });
        return urlOf(name);
      }
      const ad = await createEmpty(name);
      try {
        for (const t of ['calls', 'recordings']) await sql`insert into ${sql.table(t)} select * from ${sql.table(`${from}.${t}`)}`.execute(ad.db);
        await analyze(ad);
        await settle(ad);
      } finally {
        await ad.close();
      }
      return urlOf(name);
    },
    drop,
  };
}

const kitFor = (e: EngineName): EngineKit => (e === 'sqlite' ? sqliteKit() : serverKit(e));

// ---------------------------------------------------------------------------------------
// The contenders.
// ---------------------------------------------------------------------------------------

/** The bench rule's action: the delete every section times, or the anonymisation of the rss section. */
const ACTIONS = {
  delete: 'delete',
  anonymise: '{ anonymise: { caller: hmac, callee: phone_prefix } }',
} as const;
type BenchAction = keyof typeof ACTIONS;

function policyFile(name: string, throttle: 'off' | 'default', action: BenchAction = 'delete'): string {
  const file = join(WORK, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
${TENANTS > 1 ? 'store:\n  tenant_column: provider_id\n' : ''}defaults:
${BATCH ? `  batch_size: ${BATCH}\n` : ''}  guard: { max_fraction: 0.5, min_rows: 1000 }
providers:
  bench:
    name: Bench
${throttle === 'off' ? '    throttle: off\n' : ''}    rules:
      calls:
        quote: "Call records are deleted 12 months after the call."
        table: calls
        clock: started_at
        after: 12 months
        action: ${ACTIONS[action]}
`,
  );
  return file;
}

interface LetheRun {
  durationMs: number;
  wallMs: number;
  /** CPU time of the whole lethe process (start-up included): steadier than wall time on a busy machine. */
  cpuMs: number;
  changed: number;
  status: string;
  peakRss: number;
  logBytes: number;
}

let profileDir: string | null = null;

/** `lethe run --json` as a child; its peak RSS from maxrss.js. */
async function runLethe(url: string, policy: string, extra: readonly string[] = [], label = 'run'): Promise<LetheRun> {
  const rssFile = join(WORK, `rss-${label}-${process.hrtime.bigint()}`);
  const nodeArgs = ['--import', join(HERE, 'maxrss.js')];
  if (PROFILE) {
    profileDir ??= mkdtempSync(join(os.tmpdir(), 'lethe-bench-prof-'));
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`);
  }
  // The key of the rss section's hmac pseudonyms; a delete never reads it.
  const env = { BENCH_MAXRSS_FILE: rssFile, LETHE_HMAC_KEY: process.env.LETHE_HMAC_KEY ?? 'lethe-bench-hmac-key-0123456789abcdef' };
  const r = await run(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'lethe'), 'run', '--json', '--config', policy, '--db', url, '--now', NOW.toISOString(), ...extra], env);
  // `run --json` prints snake_case fields, as every command's JSON.
  let result: { duration_ms: number; changed: number; status: string; error: string | null };
  try {
    result = JSON.parse(r.stdout) as typeof result;
  } catch {
    throw new Error(`lethe run exited ${r.code} without a result: ${r.stderrTail.slice(-1500)}`);
  }
  if (result.status !== 'ok') throw new Error(`lethe run ended ${result.status}: ${result.error ?? r.stderrTail.slice(-1500)}`);
  const usage = existsSync(rssFile) ? (JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRss: number; cpuMs: number }) : { maxRss: NaN, cpuMs: NaN };
  rmSync(rssFile, { force: true });
  return { durationMs: result.duration_ms, wallMs: r.wallMs, cpuMs: usage.cpuMs, changed: result.changed, status: result.status, peakRss: usage.maxRss, logBytes: r.stderrBytes };
}

/**
 * The control: one DELETE of every due call, on a connection with the adapter's settings,
 * and on SQLite the checkpoint that copies its WAL into the database file, as lethe's run
 * copies its own before it ends (`statementMs` is the DELETE alone).
 */
async function runRaw(kit: EngineKit, url: string): Promise<{ ms: number; statementMs: number; changed: number }> {
  const ad = await openStore(url, WORK);
  try {
    await sql`select count(*) from calls where id < 0`.execute(ad.db); // connection warm, like lethe's
    const t = performance.now();
    const r = await sql`delete from calls where ${sql.raw(TENANT_WHERE)}started_at < ${kit.cutoffParam}`.execute(ad.db);
    const statementMs = performance.now() - t;
    await ad.checkpoint?.();
    return { ms: performance.now() - t, statementMs, changed: Number(r.numAffectedRows ?? 0n) };
  } finally {
    await ad.close();
  }
}

/**
 * The floor for batches: a hand-written keyset loop at lethe's batch size, as the issue's
 * reference has it. Each batch is one transaction (BEGIN IMMEDIATE on SQLite) that selects
 * the next due keys after the cursor in key order, deletes the key range they span, and
 * appends sha256(previous hash + the keys' JSON) to a scratch table. It has none of lethe's
 * fence, audit head, holds, child probes, file queue or log lines, and no row locks. On
 * SQLite its WAL is checkpointed at the end, as the raw DELETE's is.
 */
async function runLoop(kit: EngineKit, url: string, batch: number): Promise<{ ms: number; changed: number }> {
  const ad = await openStore(url, WORK);
  try {
    const keysType = sql.raw(kit.engine === 'mysql' ? 'mediumtext' : 'text');
    await sql`create table bench_loop_audit (seq integer primary key, row_keys ${keysType} not null, prev_hash char(64) not null, hash char(64) not null)`.execute(ad.db);
    await sql`select count(*) from calls where id < 0`.execute(ad.db); // connection warm, like lethe's
    const due = sql`${sql.raw(TENANT_WHERE)}started_at < ${kit.cutoffParam}`;
    let cursor: unknown = null;
    let prev = '0'.repeat(64);
    let seq = 0;
    let changed = 0;
    const t = performance.now();
    for (;;) {
      const n = await ad.transaction(async (tx) => {
        const after = cursor === null ? sql`` : sql` and id > ${cursor}`;
        const keys = (await sql<{ id: unknown }>`select id from calls where ${due}${after} order by id limit ${batch}`.execute(tx)).rows.map((r) => r.id);
        if (keys.length === 0) return 0;
        const last = keys[keys.length - 1];
        const d = await sql`delete from calls where ${due}${after} and id <= ${last}`.execute(tx);
        const json = JSON.stringify(keys);
        const hash = createHash('sha256').update(prev + json).digest('hex');
        await sql`insert into bench_loop_audit (seq, row_keys, prev_hash, hash) values (${seq + 1}, ${json}, ${prev}, ${hash})`.execute(tx);
        seq++;
        prev = hash;
        cursor = last;
        return Number(d.numAffectedRows ?? 0n);
      });
      if (n === 0) break;
      changed += n;
    }
    await ad.checkpoint?.();
    return { ms: performance.now() - t, changed };
  } finally {
    await ad.close();
  }
}

let ptArchiver: string | null | undefined;

/** pt-archiver's path; installed from Debian's packages when missing (never in CI, never with BENCH_INSTALL=0). */
function findPtArchiver(): { path: string | null; why: string } {
  const which = () => {
    const r = spawnSync('sh', ['-c', 'command -v pt-archiver'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  let p = which();
  if (p) return { path: p, why: '' };
  if (process.env.CI) return { path: null, why: 'pt-archiver is not installed, and the bench does not install it under CI' };
  if (process.env.BENCH_INSTALL === '0') return { path: null, why: 'pt-archiver is not installed (BENCH_INSTALL=0)' };
  if (process.getuid?.() !== 0) return { path: null, why: 'pt-archiver is not installed, and installing it needs root: apt-get install -y percona-toolkit' };
  progress('pt-archiver missing: apt-get install -y percona-toolkit');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'percona-toolkit'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  p = which();
  return p ? { path: p, why: '' } : { path: null, why: `apt-get install percona-toolkit failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}` };
}

/** pt-archiver --purge --bulk-delete at lethe's batch size; wall time of the whole command. */
async function runPtArchiver(url: string, batch: number): Promise<{ ms: number; changed: number }> {
  const u = new URL(url);
  const dsn = [`h=${u.hostname}`, `P=${u.port || 3306}`, `u=${decodeURIComponent(u.username)}`, ...(u.password ? [`p=${decodeURIComponent(u.password)}`] : []), `D=${u.pathname.slice(1)}`, 't=calls'].join(',');
  const ad = await openStore(url, WORK);
  const before = Number((await sql<{ n: unknown }>`select count(*) as n from calls`.execute(ad.db)).rows[0]!.n);
  const cutoff = CUTOFF.toISOString().slice(0, 23).replace('T', ' ');
  const r = await run(ptArchiver!, ['--source', dsn, '--where', `${TENANT_WHERE}started_at < '${cutoff}'`, '--purge', '--primary-key-only', '--bulk-delete', '--limit', String(batch), '--commit-each', '--no-check-charset']);
  if (r.code !== 0) {
    await ad.close();
    throw new Error(`pt-archiver exited ${r.code}: ${r.stderrTail.slice(-1000)}`);
  }
  const after = Number((await sql<{ n: unknown }>`select count(*) as n from calls`.execute(ad.db)).rows[0]!.n);
  await ad.close();
  return { ms: r.wallMs, changed: before - after };
}

// ---------------------------------------------------------------------------------------
// Sections.
// ---------------------------------------------------------------------------------------

interface EngineFigures {
  engine: EngineName;
  lethe: number[];
  letheWall: number[];
  letheCpu: number[];
  raw: number[];
  ratios: number[];
  loop: number[];
  /** lethe ÷ the hand-written loop, per pair. */
  loopRatios: number[];
  pt: number[];
  ptRatios: number[];
  ptNote: string;
  logBytes: number;
  throttled: { ms: number; ratio: number; writer: WriterSummary } | null;
  note: string;
}

interface WriterSummary {
  inserts: number;
  errors: number;
  errorCodes: Record<string, number>;
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  maxGapMs: number;
}

async function pairs(kit: EngineKit, tmpl: string, due: number, f: EngineFigures): Promise<void> {
  const offPolicy = policyFile(`${kit.engine}-off`, 'off');
  const batch = BATCH ?? LETHE_DEFAULT_BATCH;
  const contenders: ('lethe' | 'raw' | 'loop' | 'pt')[] = ['lethe', 'raw', 'loop'];
  if (kit.engine === 'mysql') {
    if (ptArchiver === undefined) {
      const found = findPtArchiver();
      ptArchiver = found.path;
      if (!found.path) f.ptNote = found.why;
    }
    if (ptArchiver) contenders.push('pt');
    else f.ptNote ||= 'pt-archiver unavailable';
  }
  out(`pairs on ${kit.engine}: ${n0(ROWS)} calls, ${n0(due)} due${kit.engine === 'sqlite' ? ` (clock text: ${sqliteClock(CUTOFF)})` : ''}; batch_size ${batch}; contenders ${contenders.join(', ')}; ${loadavg()}`);
  for (let p = 0; p < PAIRS; p++) {
    // The order rotates, so neither side always runs on a warmer cache or a quieter machine.
    const order = contenders.map((_c, i) => contenders[(i + p) % contenders.length]!);
    const got: Record<string, number> = {};
    for (const c of order) {
      const name = `lethe_bench_${c}`;
      const url = await kit.copy(tmpl, name);
      try {
        progress(`  ${kit.engine} pair ${p + 1}/${PAIRS}: ${c}`);
        if (c === 'lethe') {
          const r = await runLethe(url, offPolicy, [], `${kit.engine}-off`);
          if (r.changed !== due) throw new Error(`lethe changed ${r.changed} rows, ${due} are due`);
          got.lethe = r.durationMs;
          f.lethe.push(r.durationMs);
          f.letheWall.push(r.wallMs);
          f.letheCpu.push(r.cpuMs);
          f.logBytes = r.logBytes;
        } else if (c === 'raw') {
          const r = await runRaw(kit, url);
          if (r.changed !== due) throw new Error(`the raw DELETE removed ${r.changed} rows, ${due} are due`);
          got.raw = r.ms;
          got.rawStatement = r.statementMs;
          f.raw.push(r.ms);
        } else if (c === 'loop') {
          const r = await runLoop(kit, url, batch);
          if (r.changed !== due) throw new Error(`the hand-written loop removed ${r.changed} rows, ${due} are due`);
          got.loop = r.ms;
          f.loop.push(r.ms);
        } else {
          const r = await runPtArchiver(url, batch);
          if (r.changed !== due) throw new Error(`pt-archiver removed ${r.changed} rows, ${due} are due`);
          got.pt = r.ms;
          f.pt.push(r.ms);
        }
      } finally {
        await kit.drop(name);
      }
    }
    f.ratios.push(got.lethe! / got.raw!);
    f.loopRatios.push(got.lethe! / got.loop!);
    if (got.pt !== undefined) f.ptRatios.push(got.lethe! / got.pt);
    out(`  pair ${p + 1} (${order.join(' → ')}): lethe ${s2(got.lethe!)} s, raw ${s2(got.raw!)} s${got.rawStatement !== undefined && got.raw! - got.rawStatement >= 5 ? ` (the DELETE ${s2(got.rawStatement)} s, then its checkpoint)` : ''}, ratio ${(got.lethe! / got.raw!).toFixed(2)}×; hand loop ${s2(got.loop!)} s (${(got.loop! / got.raw!).toFixed(2)}× raw; lethe ${(got.lethe! / got.loop!).toFixed(2)}× the loop)${got.pt !== undefined ? `; pt-archiver ${s2(got.pt)} s (lethe takes ${(got.lethe! / got.pt).toFixed(2)}× its time)` : ''}`);
  }
  out(`  lethe's CLI wall time (start-up, schema read, run): ${range(f.letheWall, s2)} s, CPU time ${range(f.letheCpu, s2)} s; log output ${n0(f.logBytes / 1024)} kB; ${loadavg()}`);
}

async function throttled(kit: EngineKit, tmpl: string, due: number, f: EngineFigures): Promise<void> {
  const policy = policyFile(`${kit.engine}-default`, 'default');
  const name = 'lethe_bench_throttled';
  const url = await kit.copy(tmpl, name);
  out(`throttled on ${kit.engine}: default throttle, a writer inserting every ${WRITER_MS} ms; ${loadavg()}`);
  try {
    const writerUrl = kit.engine === 'sqlite' ? url.replace(/^sqlite:/, '') : url;
    const writer = spawn(process.execPath, [join(HERE, 'insert-writer.js'), JSON.stringify({ engine: kit.engine, url: writerUrl, fromId: ROWS + 1, clock: kit.writerClock, everyMs: WRITER_MS })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    writer.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    const ready = new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (text.includes('ready\n')) {
          clearInterval(check);
          resolve();
        }
      }, 20);
      writer.on('exit', (code) => {
        clearInterval(check);
        reject(new Error(`the writer exited ${code} before it was ready`));
      });
    });
    const ended = new Promise<void>((resolve) => writer.on('close', () => resolve()));
    await ready;
    let r: LetheRun;
    try {
      r = await runLethe(url, policy, [], `${kit.engine}-throttled`);
    } finally {
      writer.kill('SIGTERM');
      await ended;
    }
    const line = text.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error('the writer printed no summary');
    const w = JSON.parse(line) as WriterSummary;
    if (r.changed !== due) throw new Error(`lethe changed ${r.changed} rows, ${due} are due`);
    const rawMedian = median(f.raw);
    f.throttled = { ms: r.durationMs, ratio: r.durationMs / rawMedian, writer: w };
    out(`  lethe ${s2(r.durationMs)} s (${Number.isFinite(rawMedian) ? `${(r.durationMs / rawMedian).toFixed(2)}× the raw DELETE's median` : 'no raw figure: run the pairs section too'}); writer: ${w.inserts} inserts, ${w.errors} errors${w.errors ? ` ${JSON.stringify(w.errorCodes)}` : ''}, worst ${w.maxMs.toFixed(1)} ms, p99 ${w.p99Ms.toFixed(1)} ms, p50 ${w.p50Ms.toFixed(2)} ms, longest gap between inserts ${w.maxGapMs.toFixed(1)} ms; ${loadavg()}`);
  } finally {
    await kit.drop(name);
  }
}

interface RssRow {
  action: BenchAction;
  due: number;
  ms: number;
  rss: number;
}

/**
 * Peak RSS at each of RSS_ROWS due rows, deleted; and at the first of them anonymised (an
 * hmac and a prefix per row, each row's values written by a CASE over its key), whose
 * statements and pseudonyms make far more garbage per row than a delete.
 */
async function rss(kit: EngineKit): Promise<RssRow[]> {
  const runs: { action: BenchAction; due: number }[] = [...RSS_ROWS.map((due) => ({ action: 'delete' as const, due })), { action: 'anonymise', due: RSS_ROWS[0]! }];
  const rows: RssRow[] = [];
  for (const { action, due } of runs) {
    const name = `lethe_bench_rss`;
    progress(`  rss: seeding ${n0(due)} due rows on ${kit.engine}`);
    const total = due + Math.max(1000, Math.floor(due / 100));
    const url = await kit.seed(name, total, due);
    try {
      progress(`  rss: lethe ${action} over ${n0(due)} due rows`);
      const r = await runLethe(url, policyFile(`${kit.engine}-rss-${action}`, 'off', action), ['--force'], `${kit.engine}-rss-${action}-${due}`);
      if (r.changed !== benchDue(total, due)) throw new Error(`lethe changed ${r.changed} rows, ${benchDue(total, due)} are due`);
      rows.push({ action, due, ms: r.durationMs, rss: r.peakRss });
      out(`  rss at ${n0(due)} due rows (${kit.engine}, ${action}, throttle off, --force): peak RSS ${mb(r.peakRss)} MB, run ${s2(r.durationMs)} s (${n0(due / (r.durationMs / 1000))} rows/s), log output ${n0(r.logBytes / 1024)} kB; ${loadavg()}`);
    } finally {
      await kit.drop(name);
    }
  }
  return rows;
}

/**
 * Partition drop against row deletes: `calls` partitioned by month on started_at (PostgreSQL:
 * declarative partitions; MySQL: RANGE COLUMNS, with a first partition below the 24 months,
 * which is unbounded below and so never dropped whole), PART_ROWS calls spread evenly over
 * the 24 months before NOW, so about half of them are due. lethe drops the partitions lying
 * wholly before the cutoff and deletes the due rows of the month the cutoff falls in batch by
 * batch; the raw DELETE removes the same rows one by one on an identical copy.
 */
interface PartitionFigures {
  engine: 'postgres' | 'mysql';
  rows: number;
  due: number;
  whole: number;
  lethe: LetheRun;
  dropped: number;
  rawMs: number;
}

async function partitions(engine: 'postgres' | 'mysql'): Promise<PartitionFigures> {
  const admin = SERVER[engine];
  const pg = engine === 'postgres';
  const urlOf = (name: string) => {
    const u = new URL(admin);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const onAdmin = async (q: ReturnType<typeof sql>) => {
    const ad = await openStore(admin, process.cwd());
    try {
      await q.execute(ad.db);
    } finally {
      await ad.close();
    }
  };
  const dropDb = (name: string) => onAdmin(pg ? sql`drop database if exists ${sql.id(name)} with (force)` : sql`drop database if exists ${sql.id(name)}`);
  const names = ['lethe_bench_part_lethe', 'lethe_bench_part_raw'];
  const first = new Date(Date.UTC(NOW.getUTCFullYear() - 2, NOW.getUTCMonth(), 1));
  const months: [string, string][] = [];
  for (let m = 0; m <= 24; m++) {
    const from = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + m, 1));
    const to = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + m + 1, 1));
    months.push([from.toISOString(), to.toISOString()]);
  }
  const span = (NOW.getTime() - first.getTime()) / 1000;
  const start = first.getTime() / 1000;
  const step = span / (PART_ROWS + 1);
  // The rows of the partitions that end at or before the cutoff: dropped whole.
  const cutoffMonth = new Date(Date.UTC(CUTOFF.getUTCFullYear(), CUTOFF.getUTCMonth(), 1));
  const wall = (iso: string) => iso.slice(0, 19).replace('T', ' ');
  const partitionCount = async (db: Adapter['db']) =>
    Number(
      (
        await (pg
          ? sql<{ n: string }>`select count(*) as n from pg_inherits where inhparent = 'calls'::regclass`
          : sql<{ n: string }>`select count(*) as n from information_schema.partitions where table_schema = database() and table_name = 'calls'`
        ).execute(db)
      ).rows[0]!.n,
    );
  let due = 0;
  let whole = 0;
  let before = 0;
  try {
    for (const name of names) {
      progress(`  partitions (${engine}): seeding ${n0(PART_ROWS)} calls into ${name}`);
      await dropDb(name);
      await onAdmin(sql`create database ${sql.id(name)}`);
      const ad = await openStore(urlOf(name), process.cwd());
      try {
        if (pg) {
          await sql`create table calls (id bigint not null, started_at timestamptz not null, caller varchar(32), callee varchar(32), duration_s integer, primary key (id, started_at)) partition by range (started_at)`.execute(ad.db);
          for (const [i, [from, to]] of months.entries()) {
            await sql`create table ${sql.id(`calls_m${String(i).padStart(2, '0')}`)} partition of calls for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(ad.db);
          }
          await sql`create index calls_started_at on calls (started_at)`.execute(ad.db);
          await sql`insert into calls select i, to_timestamp(${start}::double precision + i * ${step}::double precision), '+4412' || (i % 100000000), '+4420' || ((i * 7919) % 100000000), i % 3600 from generate_series(1, ${PART_ROWS}::bigint) as i`.execute(ad.db);
          await sql`vacuum analyze`.execute(ad.db);
        } else {
          const parts = [sql`partition calls_old values less than (${sql.lit(wall(months[0]![0]))})`, ...months.map(([, to], i) => sql`partition ${sql.id(`calls_m${String(i).padStart(2, '0')}`)} values less than (${sql.lit(wall(to))})`)];
          await sql`create table calls (id bigint not null, started_at datetime(3) not null, caller varchar(32), callee varchar(32), duration_s int, primary key (id, started_at), key calls_started_at (started_at)) partition by range columns (started_at) (${sql.join(parts)})`.execute(ad.db);
          await sql`insert into calls select seq, from_unixtime(${start} + seq * ${step}), concat('+4412', seq % 100000000), concat('+4420', (seq * 7919) % 100000000), seq % 3600 from ${sql.table(`seq_1_to_${PART_ROWS}`)}`.execute(ad.db);
          await sql`analyze table calls`.execute(ad.db);
        }
        due = Number((await sql<{ n: string }>`select count(*) as n from calls where started_at < ${CUTOFF}`.execute(ad.db)).rows[0]!.n);
        whole = Number((await sql<{ n: string }>`select count(*) as n from calls where started_at < ${cutoffMonth}`.execute(ad.db)).rows[0]!.n);
        before = await partitionCount(ad.db);
      } finally {
        await ad.close();
      }
    }
    progress(`  partitions (${engine}): lethe run`);
    const lethe = await runLethe(urlOf(names[0]!), policyFile(`${engine}-partitions`, 'off'), ['--force'], `${engine}-partitions`);
    if (lethe.changed !== due) throw new Error(`lethe changed ${lethe.changed} rows, ${due} are due`);
    const ad = await openStore(urlOf(names[0]!), process.cwd());
    let dropped = 0;
    try {
      dropped = before - (await partitionCount(ad.db));
    } finally {
      await ad.close();
    }
    progress(`  partitions (${engine}): raw DELETE`);
    const raw = await openStore(urlOf(names[1]!), process.cwd());
    let rawMs: number;
    try {
      const t = performance.now();
      await sql`delete from calls where started_at < ${CUTOFF}`.execute(raw.db);
      rawMs = performance.now() - t;
    } finally {
      await raw.close();
    }
    out(`  partitions (${engine}, ${n0(PART_ROWS)} calls by month, ${n0(due)} due, ${n0(whole)} in wholly due partitions): lethe ${s2(lethe.durationMs)} s (${dropped} partitions dropped, ${n0(due - whole)} rows in batches), raw DELETE ${s2(rawMs)} s, lethe takes ${(lethe.durationMs / rawMs).toFixed(3)}× the raw DELETE's time; ${loadavg()}`);
    return { engine, rows: PART_ROWS, due, whole, lethe, dropped, rawMs };
  } finally {
    for (const name of names) await dropDb(name).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------

async function reachable(e: EngineName): Promise<string | null> {
  if (e === 'sqlite') return null;
  try {
    const ad = await openStore(SERVER[e], process.cwd());
    await ad.close();
    return null;
  } catch (err) {
    return `${e}: unreachable (${(err as Error).message.split('\n')[0]})`;
  }
}

async function main(): Promise<number> {
  out(`lethe bench${QUICK ? ' (quick)' : ''}: ${n0(ROWS)} calls, ${(DUE_SHARE * 100).toFixed(1)}% due${NUMBER_INDEXES ? ', caller and callee indexed' : ''}, ${PAIRS} pair(s) per engine, now ${NOW.toISOString()}, cutoff ${CUTOFF.toISOString()}`);
  out(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem())} MB RAM; node ${process.version}; start ${loadavg()}`);
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const skipped: string[] = [];
  const figures: EngineFigures[] = [];
  let rssRows: RssRow[] = [];
  const partRows: PartitionFigures[] = [];
  const failures: string[] = [];
  const due = Math.round(ROWS * DUE_SHARE);
  mkdirSync(WORK, { recursive: true });
  try {
    for (const e of ENGINES) {
      if (e !== 'sqlite' && e !== 'postgres' && e !== 'mysql') {
        skipped.push(`${e}: unknown engine`);
        continue;
      }
      const why = await reachable(e);
      if (why) {
        skipped.push(why);
        continue;
      }
      const kit = kitFor(e);
      const f: EngineFigures = { engine: e, lethe: [], letheWall: [], letheCpu: [], raw: [], ratios: [], loop: [], loopRatios: [], pt: [], ptRatios: [], ptNote: '', logBytes: 0, throttled: null, note: '' };
      figures.push(f);
      out(`\n=== ${e} ===`);
      const tmpl = 'lethe_bench_tmpl';
      try {
        if (SECTIONS.has('pairs') || SECTIONS.has('throttled')) {
          progress(`${e}: seeding ${n0(ROWS)} calls`);
          const t = performance.now();
          await kit.seed(tmpl, ROWS, due);
          out(`seeded ${n0(ROWS)} calls (${n0(due)} due${TENANTS > 1 ? `, ${n0(benchDue(ROWS, due))} of them provider ${BENCH_TENANT}'s, one of ${TENANTS} providers` : ''}) in ${s2(performance.now() - t)} s`);
        }
        if (SECTIONS.has('pairs')) await pairs(kit, tmpl, benchDue(ROWS, due), f);
        if (SECTIONS.has('throttled')) await throttled(kit, tmpl, benchDue(ROWS, due), f);
      } catch (err) {
        f.note = `FAILED: ${(err as Error).message.split('\n')[0]}`;
        failures.push(`${e}: ${(err as Error).stack ?? err}`);
        out(`${e}: ${f.note}`);
      } finally {
        await kit.drop(tmpl).catch(() => undefined);
      }
    }
    if (SECTIONS.has('rss')) {
      out(`\n=== peak RSS (${RSS_ENGINE}) ===`);
      try {
        if (await reachable(RSS_ENGINE)) throw new Error(`${RSS_ENGINE} is unreachable`);
        rssRows = await rss(kitFor(RSS_ENGINE));
      } catch (err) {
        failures.push(`rss: ${(err as Error).stack ?? err}`);
        out(`rss: FAILED: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    for (const e of ENGINES) {
      if (!SECTIONS.has('partitions') || (e !== 'postgres' && e !== 'mysql')) continue;
      out(`\n=== partition drop (${e}) ===`);
      try {
        if (await reachable(e)) throw new Error(`${e} is unreachable`);
        partRows.push(await partitions(e));
      } catch (err) {
        failures.push(`partitions (${e}): ${(err as Error).stack ?? err}`);
        out(`partitions (${e}): FAILED: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    rmSync(WORK, { recursive: true, force: true });
  }

  out('\n=== summary ===');
  out(`${n0(ROWS)} calls, ${n0(due)} due; times are the run's own (lethe's durationMs; the raw statement and the hand-written loop, on SQLite with the checkpoint of its WAL; pt-archiver's whole command); median (min–max) over ${PAIRS} interleaved pair(s)`);
  out(
    table(
      ['engine', 'lethe off s', 'raw DELETE s', 'lethe ÷ raw', 'hand loop s', 'lethe ÷ loop', 'pt-archiver s', 'lethe ÷ pt-archiver', 'throttled s', 'throttled ÷ raw', 'writer worst ms', 'writer p99 ms', 'writer errors'],
      figures.map((f) => [
        f.note ? `${f.engine} (${f.note})` : f.engine,
        f.lethe.length ? `${s2(median(f.lethe))} (${range(f.lethe, s2)})` : '-',
        f.raw.length ? `${s2(median(f.raw))} (${range(f.raw, s2)})` : '-',
        ratioText(f.ratios),
        f.loop.length ? `${s2(median(f.loop))} (${range(f.loop, s2)})` : '-',
        f.loopRatios.length ? ratioText(f.loopRatios) : '-',
        f.pt.length ? `${s2(median(f.pt))} (${range(f.pt, s2)})` : f.engine === 'mysql' ? 'skipped' : 'n/a',
        f.ptRatios.length ? ratioText(f.ptRatios) : '-',
        f.throttled ? s2(f.throttled.ms) : '-',
        f.throttled && Number.isFinite(f.throttled.ratio) ? `${f.throttled.ratio.toFixed(2)}×` : '-',
        f.throttled ? f.throttled.writer.maxMs.toFixed(1) : '-',
        f.throttled ? f.throttled.writer.p99Ms.toFixed(1) : '-',
        f.throttled ? String(f.throttled.writer.errors) : '-',
      ]),
    ),
  );
  for (const f of figures) if (f.ptNote) out(`pt-archiver skipped on ${f.engine}: ${f.ptNote}`);
  if (rssRows.length) {
    out(`\npeak RSS of the lethe process (${RSS_ENGINE}, throttle off):`);
    out(table(['action', 'due rows', 'peak RSS MB', 'run s', 'rows/s'], rssRows.map((r) => [r.action, n0(r.due), mb(r.rss), s2(r.ms), n0(r.due / (r.ms / 1000))])));
  }
  if (partRows.length) {
    out(`\npartition drop against row deletes (throttle off):`);
    out(
      table(
        ['engine', 'rows', 'due', 'in wholly due partitions', 'partitions dropped', 'rows in batches', 'lethe s', 'raw DELETE s', 'lethe ÷ raw'],
        partRows.map((p) => [p.engine, n0(p.rows), n0(p.due), n0(p.whole), String(p.dropped), n0(p.due - p.whole), s2(p.lethe.durationMs), s2(p.rawMs), `${(p.lethe.durationMs / p.rawMs).toFixed(3)}×`]),
      ),
    );
  }
  if (skipped.length) out(`skipped: ${skipped.join('; ')}`);
  if (profileDir) out(`CPU profiles (BENCH_PROFILE): ${profileDir}`);
  out(`end ${loadavg()}`);
  for (const f of failures) process.stderr.write(`\nFAILED ${f}\n`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    rmSync(WORK, { recursive: true, force: true });
    process.exitCode = 1;
  },
);
