/**
 * Throughput benchmark: `npm run build && npm run bench`. Prints figures; asserts nothing.
 *
 * Per engine (sqlite always; postgres and mysql when reachable):
 *   1. migrate + seed the reference schema twice, into store A and store B (same seed, same
 *      `now`, so both hold identical rows with identical ids);
 *   2. `lethe run` on A: runEnforcement in-process with the shipped policies.yaml, a fixed
 *      `now` and --force, timing every batch through the EventBus and sampling memory;
 *   3. the raw control on B: the same calls ids (read from A's audit log) deleted with plain
 *      `DELETE FROM calls WHERE id IN (…1000 ids…)` in one transaction, after deleting B's
 *      recordings that reference them (lethe deletes those children first, too);
 *   4. a summary table across engines.
 *
 * Environment:
 *   BENCH_ENGINES   comma list of sqlite,postgres,mysql (default all three)
 *   BENCH_ACCOUNTS  accounts to seed (default 50000, about 1M calls)
 *   BENCH_PROFILE   1 to time every SQL statement of the run by shape (adds a Kysely plugin
 *                   to the run's connection; small overhead, off by default)
 *   BENCH_POSTGRES_URL, BENCH_MYSQL_URL  server URLs (defaults below)
 *
 * Server engines get fresh databases lethe_bench_a and lethe_bench_b, dropped at the end.
 * Progress goes to stderr, figures to stdout.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { sql, type Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { migrate } from '../../src/cli/commands/db.js';
import { seedReferenceData } from '../../db/seed.js';
import { runEnforcement } from '../../jobs/enforce.js';
import { EventBus, type LetheEvents } from '../../src/events.js';
import type { RunResult, StageOutcome } from '../../src/exec/outcomes.js';
import { liveCheck } from '../../src/policy/live-check.js';
import { loadPolicyFile } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/model.js';
import { openStore } from '../../src/store/open.js';
import { openSqlite } from '../../src/store/sqlite.js';
import type { Adapter, EngineName } from '../../src/store/types.js';

const NOW = new Date('2026-11-23T03:15:00.000Z');
const SEED = 42;
const HMAC_KEY = 'bench-hmac-key-0123456789abcdef0123456789abcdef';
const RAW_CHUNK = 1000;
const DB_A = 'lethe_bench_a';
const DB_B = 'lethe_bench_b';

const SERVER_URLS: Record<Exclude<EngineName, 'sqlite'>, string> = {
  postgres: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mysql: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
};

const ACCOUNTS = (() => {
  const raw = process.env.BENCH_ACCOUNTS ?? '50000';
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`BENCH_ACCOUNTS: "${raw}" is not a positive whole number`);
  return n;
})();
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres,mysql')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean);
const PROFILE = process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'true';

// ---------------------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------------------

const out = (line = ''): void => {
  process.stdout.write(line + '\n');
};
const progress = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
/** Other work on the machine skews every figure; print it next to them. */
const loadavg = (): string => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';

/** Nearest-rank percentile of an ascending-sorted array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[], rightAlignFrom = 1): string {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

/** The repository root: the nearest folder up from this file holding policies.yaml. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'policies.yaml')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (policies.yaml) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A gc() handle, so memory before/after is measured on a collected heap (best effort). */
const gc: (() => void) | null = (() => {
  try {
    v8.setFlagsFromString('--expose_gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

async function countRows(db: Kysely<any>, tableName: string): Promise<number> {
  const r = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(tableName)}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

function affected(r: QueryResult<unknown>): number {
  return Number(r.numAffectedRows ?? 0n);
}

// ---------------------------------------------------------------------------------------
// Stores: two identical ones per engine.
// ---------------------------------------------------------------------------------------

interface StorePair {
  a: Adapter;
  b: Adapter;
  /** Size of each store on disk where it is cheap to know (SQLite files). */
  sizes: () => string;
  /** Closes both stores and drops / removes them. Safe to call twice. */
  cleanup: () => Promise<void>;
}

async function openPair(engine: EngineName): Promise<StorePair> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(os.tmpdir(), 'lethe-bench-'));
    const fa = join(dir, 'a.db');
    const fb = join(dir, 'b.db');
    const a = openSqlite(fa);
    const b = openSqlite(fb);
    let done = false;
    const size = (f: string) => ['', '-wal'].reduce((s, ext) => s + (existsSync(f + ext) ? statSync(f + ext).size : 0), 0);
    return {
      a,
      b,
      sizes: () => `A ${mb(size(fa))} MB, B ${mb(size(fb))} MB (db + wal, ${dir})`,
      cleanup: async () => {
        if (done) return;
        done = true;
        await a.close().catch(() => undefined);
        await b.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const admin = SERVER_URLS[engine];
  const urlFor = (name: string) => {
    const u = new URL(admin);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const drop = async (name: string) => {
    const ad = await openStore(admin, process.cwd());
    try {
      if (engine === 'postgres') await sql`drop database if exists ${sql.id(name)} with (force)`.execute(ad.db);
      else await sql`drop database if exists ${sql.id(name)}`.execute(ad.db);
    } finally {
      await ad.close();
    }
  };
  const create = async (name: string) => {
    await drop(name);
    const ad = await openStore(admin, process.cwd());
    try {
      await sql`create database ${sql.id(name)}`.execute(ad.db);
    } finally {
      await ad.close();
    }
  };
  const opened: Adapter[] = [];
  let done = false;
  const cleanup = async () => {
    if (done) return;
    done = true;
    for (const ad of opened) await ad.close().catch(() => undefined);
    for (const name of [DB_A, DB_B]) {
      try {
        await drop(name);
      } catch (err) {
        progress(`WARNING: could not drop ${engine} database ${name}: ${(err as Error).message}`);
      }
    }
  };
  try {
    await create(DB_A);
    await create(DB_B);
    opened.push(await openStore(urlFor(DB_A), process.cwd()));
    opened.push(await openStore(urlFor(DB_B), process.cwd()));
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { a: opened[0]!, b: opened[1]!, sizes: () => '', cleanup };
}

/** Engine statistics, as a server would have them after autovacuum / InnoDB auto-recalc. SQLite is left as shipped (no ANALYZE). */
async function refreshStats(adapter: Adapter): Promise<void> {
  if (adapter.engine === 'postgres') await sql`vacuum analyze`.execute(adapter.db);
  else if (adapter.engine === 'mysql') {
    const t = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE'`.execute(adapter.db);
    for (const r of t.rows) await sql`analyze table ${sql.table(r.t)}`.execute(adapter.db);
  }
}

// ---------------------------------------------------------------------------------------
// Optional per-statement profile (BENCH_PROFILE=1).
// ---------------------------------------------------------------------------------------

interface ShapeStat {
  count: number;
  ms: number;
  maxMs: number;
  example: string;
}

class QueryProfiler implements KyselyPlugin {
  readonly shapes = new Map<string, ShapeStat>();
  readonly #started = new WeakMap<object, { t: number; shape: string }>();
  constructor(private readonly compile: (node: RootOperationNode, queryId: PluginTransformQueryArgs['queryId']) => string) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    let text = '?';
    try {
      text = this.compile(args.node, args.queryId);
    } catch {
      text = args.node.kind;
    }
    const shape = text
      .replace(/\(\s*(?:\?|\$\d+)(?:\s*,\s*(?:\?|\$\d+))+\s*\)/g, '(…)')
      .replace(/\$\d+/g, '?')
      .replace(/\s+/g, ' ')
      .trim();
    this.#started.set(args.queryId, { t: performance.now(), shape });
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.#started.get(args.queryId);
    if (s) {
      const ms = performance.now() - s.t;
      const st = this.shapes.get(s.shape) ?? { count: 0, ms: 0, maxMs: 0, example: s.shape };
      st.count++;
      st.ms += ms;
      st.maxMs = Math.max(st.maxMs, ms);
      this.shapes.set(s.shape, st);
    }
    return args.result;
  }
}

/** The same adapter, with its Kysely instance (and so its transactions) carrying `plugin`. */
function withPlugin(adapter: Adapter, plugin: KyselyPlugin): Adapter {
  const wrapped = Object.create(adapter) as Adapter;
  Object.defineProperty(wrapped, 'db', { value: adapter.db.withPlugin(plugin), enumerable: true });
  return wrapped;
}

// ---------------------------------------------------------------------------------------
// The measurements.
// ---------------------------------------------------------------------------------------

interface StageTiming {
  outcome: StageOutcome;
  wallMs: number;
}

interface RunFigures {
  result: RunResult;
  wallMs: number;
  batches: number;
  batchMs: number[];
  stages: StageTiming[];
  callsChanged: number;
  callsStageMs: number;
  callsBatchMs: number;
  mem: { rssBefore: number; rssAfter: number; heapBefore: number; heapAfter: number; peakRss: number; peakHeap: number; samples: number };
  profile: QueryProfiler | null;
}

async function measureRun(adapter: Adapter, policy: Policy): Promise<RunFigures> {
  const schema = await adapter.introspect();
  const problems = liveCheck(policy, schema);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new Error(`the shipped policy does not validate against the seeded store: ${errors.map((e) => e.message).join('; ')}`);

  const events = new EventBus();
  const batchMs: number[] = [];
  let callsBatchMs = 0;
  events.on('batch', (b: LetheEvents['batch']) => {
    batchMs.push(b.ms);
    if (b.table === 'calls') callsBatchMs += b.ms;
  });
  const stages: StageTiming[] = [];
  let stageStart = 0;
  let lastLog = 0;
  let changedSoFar = 0;
  events.on('run:start', () => {
    stageStart = performance.now();
  });
  events.on('batch', (b) => {
    changedSoFar += b.changed;
    const t = performance.now();
    if (t - lastLog > 5000) {
      lastLog = t;
      progress(`  run: ${b.provider}/${b.rule} stage ${b.stage} (${b.table}) … ${fmt(changedSoFar)} rows changed so far`);
    }
  });
  events.on('stage:end', (o) => {
    const t = performance.now();
    stages.push({ outcome: o, wallMs: t - stageStart });
    stageStart = t;
  });

  const profiler = PROFILE ? new QueryProfiler((node, queryId) => adapter.db.getExecutor().compileQuery(node, queryId).sql) : null;
  const runAdapter = profiler ? withPlugin(adapter, profiler) : adapter;

  gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let samples = 0;
  // Sampled every 100 ms and after every batch: better-sqlite3 is synchronous and a run on
  // SQLite resolves only microtasks, so the interval alone may never fire there.
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    samples++;
  };
  const sampler = setInterval(sample, 100);
  const offBatch = events.on('batch', sample);
  const t0 = performance.now();
  let result: RunResult;
  try {
    result = await runEnforcement(runAdapter, policy, schema, {
      trigger: 'cli',
      now: NOW,
      force: true,
      env: { LETHE_HMAC_KEY: HMAC_KEY },
      events,
    });
  } finally {
    clearInterval(sampler);
    offBatch();
  }
  const wallMs = performance.now() - t0;
  const afterNoGc = process.memoryUsage();
  peakRss = Math.max(peakRss, afterNoGc.rss);
  peakHeap = Math.max(peakHeap, afterNoGc.heapUsed);
  gc?.();
  const after = process.memoryUsage();

  const callsStages = stages.filter((s) => s.outcome.table === 'calls');
  return {
    result,
    wallMs,
    batches: batchMs.length,
    batchMs: [...batchMs].sort((x, y) => x - y),
    stages,
    callsChanged: callsStages.reduce((s, x) => s + x.outcome.changed, 0),
    callsStageMs: callsStages.reduce((s, x) => s + x.wallMs, 0),
    callsBatchMs,
    mem: { rssBefore: before.rss, rssAfter: after.rss, heapBefore: before.heapUsed, heapAfter: after.heapUsed, peakRss, peakHeap, samples },
    profile: profiler,
  };
}

/** The ids lethe deleted from calls in run `runId`, from the audit log (ascending). */
async function deletedCallIds(adapter: Adapter, runId: number): Promise<number[]> {
  const ids: number[] = [];
  let afterSeq = 0;
  for (;;) {
    const r = await sql<{ seq: unknown; keys: unknown }>`
      select seq, ${sql.ref('keys')} from lethe_audit
      where run_id = ${runId} and table_name = 'calls' and action = 'delete' and seq > ${afterSeq}
      order by seq limit 500`.execute(adapter.db);
    if (r.rows.length === 0) break;
    for (const row of r.rows) {
      const keys = JSON.parse(String(row.keys)) as unknown[];
      for (const k of keys) ids.push(Number(k));
      afterSeq = Number(row.seq);
    }
  }
  ids.sort((x, y) => x - y);
  return ids;
}

interface RawFigures {
  ids: number;
  childrenDeleted: number;
  childrenMs: number;
  chunkedDeleted: number;
  chunkedMs: number;
  chunkedStmtMs: number;
  single: { deleted: number; ms: number; rollbackMs: number; sql: string } | { error: string } | null;
  callsAfter: number;
}

class Rollback extends Error {}

async function measureRaw(b: Adapter, ids: readonly number[]): Promise<RawFigures> {
  const chunks: number[][] = [];
  for (let i = 0; i < ids.length; i += RAW_CHUNK) chunks.push(ids.slice(i, i + RAW_CHUNK));

  // Children first, as lethe did: B's recordings that reference the calls to delete.
  progress(`  raw: deleting B's recordings that reference the ${fmt(ids.length)} calls`);
  let t = performance.now();
  const childrenDeleted = await b.transaction(async (tx) => {
    let n = 0;
    for (const c of chunks) n += affected(await sql`delete from recordings where call_id in (${sql.join(c)})`.execute(tx));
    return n;
  });
  const childrenMs = performance.now() - t;

  // Variant: one statement joining an id table, rolled back afterwards (its rows are needed
  // for the chunked control, which is the headline and runs second, committed).
  let single: RawFigures['single'] = null;
  if (ids.length) {
    progress('  raw: single-statement variant (rolled back)');
    try {
      await sql`drop table if exists bench_ids`.execute(b.db);
      await sql`create table bench_ids (id ${sql.raw(b.sqlType('id'))} primary key)`.execute(b.db);
      await b.transaction(async (tx) => {
        for (const c of chunks) await tx.insertInto('bench_ids').values(c.map((id) => ({ id }))).execute();
      });
      await refreshStats(b);
      const stmt =
        b.engine === 'mysql'
          ? sql`delete c from calls c join bench_ids i on i.id = c.id`
          : b.engine === 'postgres'
            ? sql`delete from calls c using bench_ids i where i.id = c.id`
            : sql`delete from calls where id in (select id from bench_ids)`;
      const text = stmt.compile(b.db).sql;
      let deleted = 0;
      let ms = 0;
      let tRolledBackStart = 0;
      try {
        await b.transaction(async (tx) => {
          const ts = performance.now();
          deleted = affected(await stmt.execute(tx));
          ms = performance.now() - ts;
          tRolledBackStart = performance.now();
          throw new Rollback();
        });
      } catch (err) {
        if (!(err instanceof Rollback)) throw err;
      }
      const rollbackMs = performance.now() - tRolledBackStart;
      single = { deleted, ms, rollbackMs, sql: text };
      await sql`drop table if exists bench_ids`.execute(b.db);
      // PostgreSQL: the aborted delete left xmax marks on every tuple; vacuum clears them so
      // the headline control below does not pay for the variant's leftovers.
      if (b.engine === 'postgres') await sql`vacuum analyze calls`.execute(b.db);
    } catch (err) {
      single = { error: (err as Error).message };
      await sql`drop table if exists bench_ids`.execute(b.db).catch(() => undefined);
    }
  }

  // Headline control: 1000 ids per statement, one transaction, timed including the commit.
  progress(`  raw: chunked DELETE of ${fmt(ids.length)} calls, ${chunks.length} statements, one transaction`);
  let stmtMs = 0;
  t = performance.now();
  const chunkedDeleted = await b.transaction(async (tx) => {
    let n = 0;
    for (const c of chunks) {
      const ts = performance.now();
      n += affected(await sql`delete from calls where id in (${sql.join(c)})`.execute(tx));
      stmtMs += performance.now() - ts;
    }
    return n;
  });
  const chunkedMs = performance.now() - t;
  return { ids: ids.length, childrenDeleted, childrenMs, chunkedDeleted, chunkedMs, chunkedStmtMs: stmtMs, single, callsAfter: await countRows(b.db, 'calls') };
}

// ---------------------------------------------------------------------------------------
// Per engine.
// ---------------------------------------------------------------------------------------

interface Summary {
  engine: EngineName;
  changed: number;
  runS: number;
  rowsPerS: number;
  callsPerS: number;
  rawPerS: number;
  ratio: number;
  longestBatchMs: number;
  p99BatchMs: number;
  peakRssMb: number;
  status: string;
}

async function seedOne(label: string, adapter: Adapter): Promise<{ ms: number; counts: Record<string, number> }> {
  progress(`  seeding ${label} (${fmt(ACCOUNTS)} accounts)`);
  let lastLog = 0;
  const t = performance.now();
  await migrate(adapter);
  const counts = await seedReferenceData(adapter, {
    accounts: ACCOUNTS,
    seed: SEED,
    now: NOW,
    mediaRoot: null,
    onProgress: (tableName, rows) => {
      const n = performance.now();
      if (n - lastLog > 10_000) {
        lastLog = n;
        progress(`    ${label}: ${tableName} ${fmt(rows)}`);
      }
    },
  });
  const ms = performance.now() - t;
  await refreshStats(adapter);
  return { ms, counts };
}

async function benchEngine(engine: EngineName, policy: Policy): Promise<Summary> {
  out(`\n=== ${engine} ===`);
  const pair = await openPair(engine);
  try {
    out(`store A: ${pair.a.description}`);
    out(`store B: ${pair.b.description}`);

    // 1–2. Seed A, then B with the same seed: identical rows and ids.
    const seedA = await seedOne('A', pair.a);
    const seedB = await seedOne('B', pair.b);
    const totalRows = Object.values(seedA.counts).reduce((s, n) => s + n, 0);
    const same = Object.keys(seedA.counts).every((k) => seedA.counts[k] === seedB.counts[k]);
    out(`seeding: A ${fmt(seedA.ms / 1000, 1)} s, B ${fmt(seedB.ms / 1000, 1)} s; ${fmt(totalRows)} rows per store (${fmt(totalRows / (seedA.ms / 1000))} rows/s into A); A and B identical counts: ${same ? 'yes' : 'NO'}`);
    out(table(['table', 'rows'], Object.entries(seedA.counts).map(([k, n]) => [k, fmt(n)])));
    if (!same) throw new Error('stores A and B were seeded differently; the control would not be on the same rows');
    const sizes = pair.sizes();
    if (sizes) out(`on disk after seeding: ${sizes}`);

    // 3. lethe run on A.
    progress(`  ${engine}: lethe run on A`);
    out(`before the run: ${loadavg()}`);
    const run = await measureRun(pair.a, policy);
    const r = run.result;
    const runS = run.wallMs / 1000;
    out(`\nlethe run on A: status ${r.status}${r.error ? ` (error: ${r.error})` : ''}; due ${fmt(r.due)}, changed ${fmt(r.changed)}, held ${fmt(r.held)}, blocked ${fmt(r.blocked)}, guarded ${r.guarded}`);
    out(`  wall ${fmt(runS, 2)} s, ${fmt(r.changed / runS)} rows/s; ${fmt(run.batches)} batches, longest ${fmt(percentile(run.batchMs, 100), 1)} ms, p50 ${fmt(percentile(run.batchMs, 50), 1)} ms, p99 ${fmt(percentile(run.batchMs, 99), 1)} ms`);
    out(`  calls delete stages: ${fmt(run.callsChanged)} rows in ${fmt(run.callsStageMs / 1000, 2)} s = ${fmt(run.callsChanged / (run.callsStageMs / 1000))} rows/s (sum of batch ms alone: ${fmt(run.callsBatchMs / 1000, 2)} s)`);
    const m = run.mem;
    out(`  memory: RSS ${mb(m.rssBefore)} → ${mb(m.rssAfter)} MB (peak ${mb(m.peakRss)} MB over ${m.samples} samples, every 100 ms and after each batch); heap used ${mb(m.heapBefore)} → ${mb(m.heapAfter)} MB (peak ${mb(m.peakHeap)} MB)${gc ? ' [before/after measured after gc()]' : ''}`);

    const stageRows = run.stages
      .filter((s) => s.outcome.batches > 0 || s.outcome.due > 0 || s.outcome.status !== 'done')
      .sort((x, y) => y.wallMs - x.wallMs)
      .map((s) => {
        const o = s.outcome;
        return [`${o.provider}/${o.rule}#${o.stage}`, o.table, o.action, o.status, fmt(o.changed), fmt(o.blocked), fmt(o.batches), fmt(s.wallMs / 1000, 2), fmt(o.changed / (s.wallMs / 1000)), fmt(o.longestBatchMs, 1), `${fmt((100 * s.wallMs) / run.wallMs, 1)}%`];
      });
    out('\n  stages by wall time:');
    out(table(['stage', 'table', 'action', 'status', 'changed', 'blocked', 'batches', 'wall s', 'rows/s', 'longest ms', 'share'], stageRows, 4));

    if (run.profile) {
      const shapes = [...run.profile.shapes.values()].sort((x, y) => y.ms - x.ms);
      const total = shapes.reduce((s, x) => s + x.ms, 0);
      out(`\n  statements by total time (BENCH_PROFILE; ${fmt(total / 1000, 2)} s in SQL of ${fmt(runS, 2)} s wall):`);
      for (const s of shapes.slice(0, 15)) {
        out(`  ${fmt(s.ms / 1000, 2).padStart(8)} s ${fmt((100 * s.ms) / run.wallMs, 1).padStart(5)}%  n=${fmt(s.count)}  avg ${fmt(s.ms / s.count, 2)} ms  max ${fmt(s.maxMs, 1)} ms`);
        out(`      ${s.example.length > 400 ? s.example.slice(0, 400) + ' …' : s.example}`);
      }
    }

    // 4. Raw control on B.
    out(`after the run: ${loadavg()}`);
    const ids = await deletedCallIds(pair.a, r.runId);
    const callsLeftA = await countRows(pair.a.db, 'calls');
    progress(`  ${engine}: raw control on B (${fmt(ids.length)} ids)`);
    const raw = await measureRaw(pair.b, ids);
    const rawS = raw.chunkedMs / 1000;
    const rawPerS = raw.chunkedDeleted / rawS;
    const callsPerS = run.callsChanged / (run.callsStageMs / 1000);
    out(`\nraw control on B: ${fmt(raw.ids)} calls ids from A's audit log (lethe's calls stages changed ${fmt(run.callsChanged)})`);
    out(`  children first: ${fmt(raw.childrenDeleted)} recordings deleted in ${fmt(raw.childrenMs / 1000, 2)} s (not counted below)`);
    if (raw.single && 'error' in raw.single) out(`  single statement: failed: ${raw.single.error}`);
    else if (raw.single) {
      out(`  single statement: ${raw.single.sql}`);
      out(`    ${fmt(raw.single.deleted)} rows in ${fmt(raw.single.ms / 1000, 2)} s = ${fmt(raw.single.deleted / (raw.single.ms / 1000))} rows/s (statement only, then rolled back in ${fmt(raw.single.rollbackMs / 1000, 2)} s)`);
    }
    out(`  chunked: ${Math.ceil(raw.ids / RAW_CHUNK)} × DELETE FROM calls WHERE id IN (${RAW_CHUNK} ids), one transaction: ${fmt(raw.chunkedDeleted)} rows in ${fmt(rawS, 2)} s incl. commit (${fmt(raw.chunkedStmtMs / 1000, 2)} s in statements) = ${fmt(rawPerS)} rows/s`);
    out(`  calls left: A after lethe ${fmt(callsLeftA)}, B after raw ${fmt(raw.callsAfter)} (${callsLeftA === raw.callsAfter ? 'same rows deleted' : 'MISMATCH'})`);
    out(`  lethe calls rows/s ÷ raw rows/s = ${fmt(callsPerS / rawPerS, 3)}`);

    return {
      engine,
      changed: r.changed,
      runS,
      rowsPerS: r.changed / runS,
      callsPerS,
      rawPerS,
      ratio: callsPerS / rawPerS,
      longestBatchMs: percentile(run.batchMs, 100),
      p99BatchMs: percentile(run.batchMs, 99),
      peakRssMb: m.peakRss / 1024 / 1024,
      status: r.status,
    };
  } finally {
    progress(`  ${engine}: dropping the bench stores`);
    await pair.cleanup();
  }
}

/** Whether a server engine answers; the reason when it does not. */
async function probe(engine: EngineName): Promise<string | null> {
  if (engine === 'sqlite') return null;
  try {
    const a = await openStore(SERVER_URLS[engine], process.cwd());
    await a.close();
    return null;
  } catch (err) {
    return `${SERVER_URLS[engine]} unreachable: ${(err as Error).message}`;
  }
}

async function main(): Promise<number> {
  const root = repoRoot();
  const policyFile = join(root, 'policies.yaml');
  const loaded = loadPolicyFile(policyFile).policy;
  // Queued files are unlinked under media_root after each batch; the bench seeds no files, so
  // point it at an empty folder rather than the shipped data/media.
  const mediaDir = mkdtempSync(join(os.tmpdir(), 'lethe-bench-media-'));
  const policy: Policy = Object.freeze({ ...loaded, store: Object.freeze({ ...loaded.store, mediaRoot: mediaDir }) });

  out(`lethe bench: ${fmt(ACCOUNTS)} accounts, seed ${SEED}, now ${NOW.toISOString()}, policy ${policyFile} (sha256 ${policy.sha256.slice(0, 12)}…), force, batch_size from the policy`);
  out(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem())} MB RAM, ${os.type()} ${os.release()}; node ${process.version}; ${loadavg()}${PROFILE ? '; BENCH_PROFILE on' : ''}`);

  const skipped: string[] = [];
  const engines: EngineName[] = [];
  for (const e of ENGINES) {
    if (e !== 'sqlite' && e !== 'postgres' && e !== 'mysql') {
      skipped.push(`${e}: unknown engine (expected sqlite, postgres or mysql)`);
      continue;
    }
    const why = await probe(e);
    if (why) skipped.push(`${e}: ${why}`);
    else engines.push(e);
  }
  for (const e of ['sqlite', 'postgres', 'mysql']) if (!ENGINES.includes(e)) skipped.push(`${e}: not in BENCH_ENGINES`);
  out(`engines: ${engines.join(', ') || 'none'}${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}`);

  const summaries: Summary[] = [];
  const failures: string[] = [];
  try {
    for (const e of engines) {
      try {
        summaries.push(await benchEngine(e, policy));
      } catch (err) {
        failures.push(`${e}: ${(err as Error).stack ?? (err as Error).message}`);
        out(`\n${e}: FAILED: ${(err as Error).message}`);
      }
    }
  } finally {
    rmSync(mediaDir, { recursive: true, force: true });
  }

  out('\n=== summary ===');
  out(`machine: ${os.cpus().length} CPUs, ${mb(os.totalmem())} MB RAM; node ${process.version}; ${fmt(ACCOUNTS)} accounts; ${loadavg()} at the end`);
  out(
    table(
      ['engine', 'rows changed', 'run s', 'rows/s', 'calls rows/s', 'raw DELETE calls rows/s', 'ratio', 'longest batch ms', 'p99 batch ms', 'peak RSS MB'],
      summaries.map((s) => [
        s.status === 'ok' ? s.engine : `${s.engine} (${s.status})`,
        fmt(s.changed),
        fmt(s.runS, 2),
        fmt(s.rowsPerS),
        fmt(s.callsPerS),
        fmt(s.rawPerS),
        fmt(s.ratio, 3),
        fmt(s.longestBatchMs, 1),
        fmt(s.p99BatchMs, 1),
        fmt(s.peakRssMb, 1),
      ]),
    ),
  );
  if (skipped.length) out(`skipped: ${skipped.join('; ')}`);
  for (const f of failures) process.stderr.write(`\nFAILED ${f}\n`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
