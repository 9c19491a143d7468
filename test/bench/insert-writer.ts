/**
 * The application's writer during a throttled run (bench only). One INSERT into `calls`
 * every `everyMs` on its own connection (SQLite: busy_timeout 5 s), each timed; on SIGTERM
 * it prints one JSON line: inserts, errors, the worst and p99 insert latency, and the longest
 * gap between two committed inserts. Inserted rows are not due (their clock is `now`).
 *
 * Usage: node insert-writer.js '{"engine":"sqlite","url":"/tmp/x.db","fromId":900001,"clock":"…","everyMs":10}'
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);

interface Options {
  engine: 'sqlite' | 'postgres' | 'mysql';
  url: string;
  fromId: number;
  /** The inserted rows' started_at, in the engine's literal form. */
  clock: string;
  everyMs: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
let stop = false;
process.on('SIGTERM', () => (stop = true));

type Insert = (id: number) => Promise<void>;

async function connect(): Promise<{ insert: Insert; close: () => Promise<void> }> {
  if (o.engine === 'sqlite') {
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(o.url);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    const st = db.prepare('insert into calls (id, started_at, caller, callee, duration_s) values (?, ?, ?, ?, ?)');
    return {
      insert: async (id) => {
        st.run(id, o.clock, '+441234567890', '+442079460000', 60);
      },
      close: async () => {
        db.close();
      },
    };
  }
  if (o.engine === 'postgres') {
    const pg = require('pg') as typeof import('pg');
    const c = new pg.Client({ connectionString: o.url });
    await c.connect();
    return {
      insert: async (id) => void (await c.query('insert into calls (id, started_at, caller, callee, duration_s) values ($1, $2, $3, $4, $5)', [id, o.clock, '+441234567890', '+442079460000', 60])),
      close: () => c.end(),
    };
  }
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const c = await mysql.createConnection({ uri: o.url, timezone: 'Z' });
  return {
    insert: async (id) => void (await c.execute('insert into calls (id, started_at, caller, callee, duration_s) values (?, ?, ?, ?, ?)', [id, o.clock, '+441234567890', '+442079460000', 60])),
    close: () => c.end(),
  };
}

const { insert, close } = await connect();
process.stdout.write('ready\n');
const latencies: number[] = [];
let errors = 0;
const errorCodes = new Map<string, number>();
let maxGap = 0;
let lastDone = performance.now();
let id = o.fromId;
const t0 = performance.now();
let tick = 0;
while (!stop) {
  const t = performance.now();
  try {
    await insert(id++);
    const done = performance.now();
    latencies.push(done - t);
    maxGap = Math.max(maxGap, done - lastDone);
    lastDone = done;
  } catch (err) {
    errors++;
    const code = String((err as { code?: unknown }).code ?? 'error');
    errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
  }
  // On a fixed schedule (every everyMs from the start); a stalled insert does not shift the later ones.
  tick++;
  const wait = t0 + tick * o.everyMs - performance.now();
  if (wait > 0) await sleep(wait);
  else tick = Math.ceil((performance.now() - t0) / o.everyMs);
}
await close();
latencies.sort((a, b) => a - b);
const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))]! : 0);
process.stdout.write(
  JSON.stringify({ inserts: latencies.length, errors, errorCodes: Object.fromEntries(errorCodes), maxMs: pct(100), p99Ms: pct(99), p50Ms: pct(50), maxGapMs: maxGap }) + '\n',
);
