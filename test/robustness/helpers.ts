/**
 * Shared helpers for the robustness tests: engine-neutral reads of a store through Kysely
 * (the harness's adapter, or a second one opened on the same URL), an awaitable CLI child,
 * and a bounded poll. Nothing here reads the wall clock for a due decision: the injected NOW
 * is the only clock.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { BIN, NOW, TEST_HMAC_KEY, spawnCli } from '../support/harness.js';
import type { Adapter } from '../../src/store/types.js';

export const NOW_ISO = NOW.toISOString();
export { BIN };

/** A Kysely handle on the store (`store.adapter.db`, or a second adapter's). */
export type Db = Kysely<any>;


/** A value as the same plain JS on every engine: Dates as ISO-8601 UTC text, bigints as numbers. */
export function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** The rows of a query, each value made `plain`. */
export async function rows(db: Db, q: RawBuilder<unknown>): Promise<Record<string, unknown>[]> {
  const r = await (q as RawBuilder<Record<string, unknown>>).execute(db);
  return r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
}

/** `select id from <table> order by id` as numbers. */
export async function ids(db: Db, table: string): Promise<number[]> {
  const r = await sql<{ id: unknown }>`select id from ${sql.table(table)} order by id`.execute(db);
  return r.rows.map((x) => Number(x.id));
}

/** The first column of the first row of `q`, as a number (0 when there is none). */
export async function count(db: Db, q: RawBuilder<unknown>): Promise<number> {
  const r = await (q as RawBuilder<Record<string, unknown>>).execute(db);
  return Number(Object.values(r.rows[0] ?? {})[0] ?? 0);
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

export async function auditRows(db: Db): Promise<AuditRow[]> {
  return (await db.selectFrom('lethe_audit').selectAll().orderBy('seq').execute()).map((r: Record<string, unknown>) => ({
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
export async function auditedKeys(db: Db, action: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const e of await auditRows(db)) {
    if (e.action !== action) continue;
    out.set(e.table_name, [...(out.get(e.table_name) ?? []), ...e.keys]);
  }
  return out;
}

export const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

/** Rows whose foreign key points at a missing parent, found by an explicit left join per introspected FK. */
export async function danglingReferences(adapter: Adapter, tables: readonly string[]): Promise<string[]> {
  const schema = await adapter.introspect();
  const out: string[] = [];
  for (const t of tables) {
    for (const fk of schema.tables.get(t)?.foreignKeys ?? []) {
      const on = sql.join(
        fk.columns.map((c, i) => sql`${sql.ref(`p.${fk.refColumns[i]!}`)} = ${sql.ref(`c.${c}`)}`),
        sql` and `,
      );
      const notNull = sql.join(
        fk.columns.map((c) => sql`${sql.ref(`c.${c}`)} is not null`),
        sql` and `,
      );
      const n = await count(
        adapter.db,
        sql`select count(*) as n from ${sql.table(t)} c left join ${sql.table(fk.refTable)} p on ${on} where ${notNull} and ${sql.ref(`p.${fk.refColumns[0]!}`)} is null`,
      );
      if (n) out.push(`${t}.${fk.columns.join(',')} -> ${fk.refTable}.${fk.refColumns.join(',')}: ${n}`);
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

/** Awaits a CLI child to completion (`env`: the store's, `store.env`, for server engines). */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ChildResult> {
  return startCli(args, cwd, env).done;
}

/**
 * Polls `cond` until it is true, yielding to the event loop between tries. Bounded by a number
 * of tries (each a few milliseconds apart) so a stuck child fails the test instead of hanging it.
 */
export async function pollUntil(
  cond: () => boolean | Promise<boolean>,
  what: string,
  opts: { tries?: number; abort?: () => string | null } = {},
): Promise<void> {
  const tries = opts.tries ?? 15_000;
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
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
