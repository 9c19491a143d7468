/**
 * Shared helpers for the robustness tests: plain better-sqlite3 reads of a store file (a
 * separate connection from the engine's), an awaitable CLI child, and a bounded poll.
 * Nothing here reads the wall clock for a due decision: the injected NOW is the only clock.
 */
import Database from 'better-sqlite3';
import { BIN, NOW, TEST_HMAC_KEY, spawnCli } from '../support/harness.js';

export const NOW_ISO = NOW.toISOString();
export { BIN };

export type Db = Database.Database;

/** A second, independent connection to the store file. */
export function openDb(file: string, readonly = false): Db {
  const db = new Database(file, { readonly, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return db;
}

/** `select <col> from <table> order by id` as numbers. */
export function ids(db: Db, table: string): number[] {
  return (db.prepare(`select id from "${table}" order by id`).all() as { id: number }[]).map((r) => Number(r.id));
}

export function count(db: Db, sql: string, ...params: unknown[]): number {
  const row = db.prepare(sql).get(...params) as Record<string, unknown> | undefined;
  return Number(Object.values(row ?? {})[0] ?? 0);
}

export interface AuditRow {
  seq: number;
  run_id: number;
  provider: string;
  rule: string;
  stage: number;
  table_name: string;
  action: string;
  row_count: number;
  keys: number[];
}

export function auditRows(db: Db): AuditRow[] {
  return (db.prepare('select * from lethe_audit order by seq').all() as Record<string, unknown>[]).map((r) => ({
    seq: Number(r.seq),
    run_id: Number(r.run_id),
    provider: String(r.provider),
    rule: String(r.rule),
    stage: Number(r.stage),
    table_name: String(r.table_name),
    action: String(r.action),
    row_count: Number(r.row_count),
    keys: (JSON.parse(String(r.keys)) as unknown[]).map(Number),
  }));
}

/** Every key audited for `action`, per table, in seq order (duplicates kept, so callers can check them). */
export function auditedKeys(db: Db, action: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const e of auditRows(db)) {
    if (e.action !== action) continue;
    out.set(e.table_name, [...(out.get(e.table_name) ?? []), ...e.keys]);
  }
  return out;
}

export const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

/** Rows whose foreign key points at a missing parent, found by an explicit left join per FK. */
export function danglingReferences(db: Db, tables: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tables) {
    const fks = db.prepare(`select * from pragma_foreign_key_list(?)`).all(t) as { table: string; from: string; to: string | null }[];
    for (const fk of fks) {
      const to = fk.to ?? 'id';
      const n = count(
        db,
        `select count(*) from "${t}" c left join "${fk.table}" p on p."${to}" = c."${fk.from}" where c."${fk.from}" is not null and p."${to}" is null`,
      );
      if (n) out.push(`${t}.${fk.from} -> ${fk.table}.${to}: ${n}`);
    }
  }
  return out;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** bin/lethe as a child process, with its output drained (a full pipe would stall it) and an awaitable exit. */
export function startCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawnCli(args, { cwd, env: { LETHE_HMAC_KEY: TEST_HMAC_KEY, ...env } });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<ChildResult>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, hasExited: () => exited, output: () => stdout + stderr };
}

/** Awaits a CLI child to completion. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ChildResult> {
  return startCli(args, cwd, env).done;
}

/**
 * Polls `cond` until it is true, yielding to the event loop between tries. Bounded by a number
 * of tries (each a few milliseconds apart) so a stuck child fails the test instead of hanging it.
 */
export async function pollUntil(cond: () => boolean, what: string, opts: { tries?: number; abort?: () => string | null } = {}): Promise<void> {
  const tries = opts.tries ?? 15_000;
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    const why = opts.abort?.();
    if (why) throw new Error(`gave up waiting for ${what}: ${why}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`gave up waiting for ${what} after ${tries} polls`);
}

/** The pino JSON lines of a child's output. */
export function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
