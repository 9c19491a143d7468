/**
 * Helpers for the daemon tests: `lethe start` (and other CLI commands) as real child
 * processes whose pino JSON lines are parsed as they arrive, bounded waits for a line or a
 * state, a tiny HTTP client and a Prometheus text parser. Every child started here is
 * tracked so `killAll()` in afterEach leaves no process behind.
 *
 * Nothing here waits on the wall clock for a due decision: tests pass `--now` for that. The
 * only waits are "until the process logs X / the store reaches Y", each with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, TEST_HMAC_KEY } from './harness.js';

export type LogLine = Record<string, unknown> & { event?: string; msg?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process closed. */
  at: number;
}

export interface LetheProc {
  child: ChildProcess;
  pid: number;
  /** Parsed JSON lines of stdout so far (non-JSON lines are kept in `stdout()` only). */
  lines: LogLine[];
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  hasExited(): boolean;
  /** Resolves with the first line (already seen or future) matching `pred`; rejects at the deadline or on exit. */
  waitFor(pred: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the n-th (1-based) line matching `pred`. */
  waitForNth(pred: (l: LogLine) => boolean, n: number, what: string, timeoutMs?: number): Promise<LogLine>;
  /** The HTTP port from the "http" log line. */
  port(timeoutMs?: number): Promise<number>;
  /** Last part of the output, for assertion messages. */
  tail(chars?: number): string;
}

const live = new Set<LetheProc>();

export interface SpawnOptions {
  cwd: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /**
   * The environment is PATH plus `env` only; by default LETHE_HMAC_KEY (the test key) is
   * added too. `noHmacKey` leaves it out (the quickstart must work without one).
   */
  noHmacKey?: boolean;
  /** Replaces `node bin/lethe` (e.g. setpriv … node bin/lethe): the full argv before `args`. */
  argv0?: string[];
}

/** Starts `bin/lethe args` and tracks it until it exits. */
export function startLethe(args: string[], opts: SpawnOptions): LetheProc {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  if (!opts.noHmacKey) env.LETHE_HMAC_KEY = TEST_HMAC_KEY;
  Object.assign(env, opts.env ?? {});
  const [cmd, ...pre] = opts.argv0 ?? [process.execPath, BIN];
  const child = spawn(cmd!, [...pre, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let partial = '';
  let exited = false;
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      if (!l.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(l) as LogLine);
      } catch {
        /* not a log line */
      }
    }
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exitedP = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      live.delete(proc);
      resolve({ code, signal, at: performance.now() });
      notify();
    });
    child.on('error', () => {
      exited = true;
      live.delete(proc);
      resolve({ code: -1, signal: null, at: performance.now() });
      notify();
    });
  });

  const tail = (chars = 3000) => `--- stdout ---\n${out.slice(-chars)}\n--- stderr ---\n${err.slice(-chars)}`;

  const waitForNth = (pred: (l: LogLine) => boolean, n: number, what: string, timeoutMs = 15_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = () => {
        let seen = 0;
        for (const l of lines) {
          if (pred(l) && ++seen === n) {
            done();
            resolve(l);
            return;
          }
        }
        if (exited) {
          done();
          reject(new Error(`lethe (pid ${child.pid}) exited before logging ${what}\n${tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`gave up after ${timeoutMs} ms waiting for lethe (pid ${child.pid}) to log ${what}\n${tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const proc: LetheProc = {
    child,
    pid: child.pid ?? -1,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited: exitedP,
    hasExited: () => exited,
    waitFor: (pred, what, timeoutMs) => waitForNth(pred, 1, what, timeoutMs),
    waitForNth,
    port: async (timeoutMs = 15_000) => {
      const l = await waitForNth((x) => x.event === 'http', 1, 'its "http" line (the port)', timeoutMs);
      const port = Number(l.port);
      if (!Number.isInteger(port) || port <= 0) throw new Error(`bad port in ${JSON.stringify(l)}`);
      return port;
    },
    tail,
  };
  live.add(proc);
  return proc;
}

/** Runs `bin/lethe args` to completion (async, so the worker keeps polling other children). */
export async function runLethe(args: string[], opts: SpawnOptions & { timeoutMs?: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const p = startLethe(args, opts);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const e = await p.exited;
  clearTimeout(timer);
  return { code: e.code, signal: e.signal, stdout: p.stdout(), stderr: p.stderr() };
}

/** SIGKILLs every child still running and waits for each to close (afterEach: no leaks). */
export async function killAll(): Promise<void> {
  const procs = [...live];
  for (const p of procs) {
    if (!p.hasExited()) p.child.kill('SIGKILL');
  }
  await Promise.all(procs.map((p) => p.exited));
}

/** How many tracked children are still alive. */
export function liveCount(): number {
  return live.size;
}

/** Waits until `cond()` holds, re-checking every `everyMs`; fails at the deadline (or when `abort` names a reason). */
export async function until<T>(
  cond: () => T | Promise<T>,
  what: string,
  opts: { timeoutMs?: number; everyMs?: number; abort?: () => string | null } = {},
): Promise<NonNullable<T>> {
  const deadline = performance.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    const why = opts.abort?.();
    if (why) throw new Error(`gave up waiting for ${what}: ${why}`);
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what} after ${opts.timeoutMs ?? 15_000} ms`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 25));
  }
}

/** GET http://127.0.0.1:port/path. */
export async function httpGet(port: number, path: string, timeoutMs = 5_000): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition into samples (HELP/TYPE lines are skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample `name` whose labels include `labels` exactly once; undefined if none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${name}${JSON.stringify(labels)} matches ${hits.length} samples`);
  return hits[0]?.value;
}

/** The names of the metric families declared by `# TYPE` lines. */
export function metricFamilies(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}
