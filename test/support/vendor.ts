/**
 * Stores built from telephony products' published DDL, loaded verbatim (test/vendor/…), and
 * the whole-store check every vendor scenario makes through the documented CLI:
 *
 *   check passes → a dry run changes nothing and counts what the run then does → after the
 *   run, every due row is deleted or anonymised and every other row is byte-for-byte as it
 *   was → media of deleted rows are gone and all other media stay → `audit verify` passes,
 *   the audit names exactly the deleted keys → a second run changes nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { expect } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Adapter, EngineName } from '../../src/store/types.js';
import { createDatabase, SERVER_URLS } from './engines.js';
import { ROOT, cli, type CliResult, type TempStore } from './harness.js';

export const VENDOR = join(ROOT, 'test', 'vendor');

/** A vendor DDL file, verbatim. */
export function ddl(product: string, engine: EngineName, file: string): string {
  return readFileSync(join(VENDOR, product, engine, file), 'utf8');
}

export interface DdlGroup {
  /** PostgreSQL schema or MySQL database to load this DDL into (created); the default one if absent. */
  schema?: string;
  /** DDL texts, run in order as the vendor ships them. */
  ddl: readonly string[];
}

export interface VendorOptions {
  /** DDL loaded into the default schema (shorthand for one group). */
  ddl?: readonly string[];
  /** Load the DDL into this schema (database) instead of the default. */
  schema?: string;
  /** More DDL, each group in a schema (database) of its own. */
  groups?: readonly DdlGroup[];
  /** SQL run before all DDL (e.g. an extension the vendor's installer creates). */
  before?: readonly string[];
  policy: string;
}

export interface VendorStore extends TempStore {
  /** The schema (database) names the groups were loaded into: on MySQL they carry a unique suffix. */
  schemas: Record<string, string>;
  /** The first group's schema, or null for the default. */
  schema: string | null;
  /** `name` qualified with the first group's schema, as a policy names it. */
  t(name: string, group?: string): string;
}

/** A fresh store holding a vendor's schema, with policies.yaml written beside it. */
export async function vendorStore(engine: EngineName, o: VendorOptions): Promise<VendorStore> {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-vendor-'));
  const policyFile = join(dir, 'policies.yaml');
  const dbFile = join(dir, 'data', 'store.db');
  const mediaRoot = join(dir, 'media');
  mkdirSync(mediaRoot, { recursive: true });
  writeFileSync(policyFile, o.policy);
  const groups: DdlGroup[] = [...(o.ddl ? [{ ...(o.schema ? { schema: o.schema } : {}), ddl: o.ddl }] : []), ...(o.groups ?? [])];
  const schemas: Record<string, string> = {};
  let url: string;
  let drop = async () => {};
  const drops: (() => Promise<void>)[] = [];
  if (engine === 'sqlite') {
    mkdirSync(dirname(dbFile), { recursive: true });
    const db = new Database(dbFile);
    try {
      for (const s of o.before ?? []) db.exec(s);
      for (const g of groups) for (const s of g.ddl) db.exec(s);
    } finally {
      db.close();
    }
    url = `sqlite:${dbFile}`;
  } else {
    const created = await createDatabase(engine);
    url = created.url;
    drop = created.drop;
    if (engine === 'postgres') {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        for (const s of o.before ?? []) await c.query(s);
        for (const g of groups) {
          if (g.schema) {
            await c.query(`create schema "${g.schema}"; set search_path to "${g.schema}", public`);
            schemas[g.schema] = g.schema;
          } else await c.query('set search_path to public');
          for (const s of g.ddl) await c.query(s);
        }
      } finally {
        await c.end();
      }
    } else {
      const c = await mysql.createConnection({ uri: url, multipleStatements: true });
      const home = new URL(url).pathname.slice(1);
      try {
        for (const s of o.before ?? []) await c.query(s);
        for (const g of groups) {
          let target = home;
          if (g.schema) {
            target = `${g.schema}_${home.slice(-12)}`;
            schemas[g.schema] = target;
            await c.query(`create database \`${target}\``);
            drops.push(() => dropMysqlDatabase(target));
          }
          await c.query(`use \`${target}\``);
          for (const s of g.ddl) await c.query(s);
        }
      } finally {
        await c.end();
      }
    }
  }
  const adapter = await openStore(url, dir);
  const first = groups[0]?.schema ? schemas[groups[0].schema]! : null;
  return {
    engine,
    url,
    env: { LETHE_DATABASE_URL: url, LETHE_MEDIA_ROOT: mediaRoot },
    dir,
    dbFile,
    mediaRoot,
    policyFile,
    adapter,
    schemas,
    schema: first,
    t: (name, group) => {
      const s = group ? (schemas[group] ?? null) : first;
      return s ? `${s}.${name}` : name;
    },
    close: async () => {
      await adapter.close();
      for (const d of drops) await d();
      await drop();
    },
  };
}

/** Drops a MySQL database made for a test (a vendor schema, or lethe's own lethe_schema). */
export async function dropMysqlDatabase(name: string): Promise<void> {
  const c = await mysql.createConnection({ uri: SERVER_URLS.mysql });
  try {
    await c.query(`drop database if exists \`${name}\``);
  } finally {
    await c.end();
  }
}

/** A row as JSON text: Dates as ISO, Buffers as hex, bigints as text, so rows compare byte for byte. */
export function rowText(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_k, v: unknown) => {
    if (v instanceof Date) return `date:${v.toISOString()}`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
    if (typeof v === 'bigint') return `big:${v.toString()}`;
    return v;
  });
}

/** Every row of `table` (qualified names allowed), each as rowText. */
export async function rowsOf(db: Kysely<any>, table: string): Promise<Record<string, unknown>[]> {
  return (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
}

export type Fate = 'keep' | 'delete' | { anonymise: readonly string[] };

export interface TableExpectation {
  table: string;
  /** What the run must do to each row, decided by the test from the values it seeded. */
  fate: (row: Record<string, unknown>) => Fate;
  /** The key the audit names a row by (the primary key or the rule's key), as the audit writes it. */
  key: (row: Record<string, unknown>) => unknown;
  /** For anonymised columns: checks on the new value (default: it differs from the old one). */
  anonymised?: Record<string, (after: unknown, before: unknown) => void>;
  /** The media path (under media_root) of a row, if it has one. */
  media?: (row: Record<string, unknown>) => string | null;
}

export interface WholeStoreResult {
  dry: Record<string, unknown>;
  run: Record<string, unknown>;
}

function json(r: CliResult, what: string): Record<string, unknown> {
  expect(r.code, `${what}: exit ${r.code}\n${r.stderr.slice(-3000)}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * The whole-store check (see the file's comment). `tables` lists every table the policy may
 * touch; other tables must not change either, and are compared whole.
 */
export async function checkWholeStore(store: VendorStore, nowIso: string, tables: readonly TableExpectation[], untouched: readonly string[] = []): Promise<WholeStoreResult> {
  const db = store.adapter.db;
  const chk = cli(store, ['check', '--now', nowIso]);
  expect(chk.code, `check:\n${chk.stdout}\n${chk.stderr}`).toBe(0);

  const before = new Map<string, Record<string, unknown>[]>();
  for (const t of [...tables.map((x) => x.table), ...untouched]) before.set(t, await rowsOf(db, t));
  for (const t of tables) {
    for (const row of before.get(t.table)!) {
      const m = t.media?.(row);
      if (m) {
        mkdirSync(dirname(join(store.mediaRoot, m)), { recursive: true });
        writeFileSync(join(store.mediaRoot, m), 'RIFF');
      }
    }
  }
  const snapshot = async () => Object.fromEntries(await Promise.all([...before.keys()].map(async (t) => [t, (await rowsOf(db, t)).map(rowText).sort()] as const)));
  const initial = await snapshot();

  const dry = json(cli(store, ['run', '--dry-run', '--json', '--now', nowIso]), 'dry run');
  expect(await snapshot(), 'a dry run changes nothing').toEqual(initial);

  const run = json(cli(store, ['run', '--json', '--now', nowIso]), 'run');
  expect(run.status).toBe('ok');
  const counts = (r: Record<string, unknown>) => (r.stages as { rule: string; stage: number; changed: number; due: number }[]).map((s) => `${s.rule}#${s.stage}: due ${s.due}, changed ${s.changed}`);
  expect(counts(run), 'the dry run counts what the run does').toEqual(counts(dry));

  const deletedKeys = new Map<string, string[]>();
  for (const t of tables) {
    const after = (await rowsOf(db, t.table)).map((r) => ({ r, k: JSON.stringify(t.key(r)) }));
    const afterByKey = new Map<string, Record<string, unknown>[]>();
    for (const a of after) afterByKey.set(a.k, [...(afterByKey.get(a.k) ?? []), a.r]);
    const expectedAfter: string[] = [];
    const deleted: string[] = [];
    for (const row of before.get(t.table)!) {
      const fate = t.fate(row);
      const k = JSON.stringify(t.key(row));
      const m = t.media?.(row);
      if (fate === 'delete') {
        deleted.push(k);
        if (m) expect(existsSync(join(store.mediaRoot, m)), `${t.table} ${k}: media ${m} is deleted with its row`).toBe(false);
        continue;
      }
      if (m) expect(existsSync(join(store.mediaRoot, m)), `${t.table} ${k}: media ${m} of a kept row stays`).toBe(true);
      if (fate === 'keep') {
        expectedAfter.push(rowText(row));
        continue;
      }
      // Anonymised: the named columns changed as the strategy says; every other column is as it was.
      const now = (afterByKey.get(k) ?? []).find((r) => Object.keys(row).every((c) => fate.anonymise.includes(c) || rowText({ v: r[c] }) === rowText({ v: row[c] })));
      expect(now, `${t.table} ${k}: anonymised, other columns unchanged`).toBeDefined();
      for (const c of fate.anonymise) {
        const check = t.anonymised?.[c];
        if (check) check(now![c], row[c]);
        else if (row[c] !== null) expect(now![c], `${t.table} ${k}.${c} no longer holds its value`).not.toEqual(row[c]);
      }
      expectedAfter.push(rowText(now!));
    }
    expect(after.map((a) => rowText(a.r)).sort(), `${t.table}: exactly the rows that are not due remain, byte for byte`).toEqual(expectedAfter.sort());
    deletedKeys.set(t.table, deleted.sort());
  }
  for (const t of untouched) expect((await rowsOf(db, t)).map(rowText).sort(), `${t} is untouched`).toEqual(initial[t]);

  const verify = cli(store, ['audit', 'verify']);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const audit = JSON.parse(cli(store, ['audit', '--format', 'json']).stdout) as { table_name: string; action: string; keys: unknown[] }[];
  for (const t of tables) {
    const audited = audit.filter((e) => e.action === 'delete' && (e.table_name === t.table || e.table_name.endsWith(`.${t.table}`))).flatMap((e) => e.keys.map((k) => JSON.stringify(k)));
    expect([...new Set(audited)].sort(), `${t.table}: the audit names exactly the deleted keys`).toEqual([...new Set(deletedKeys.get(t.table))].sort());
  }

  const again = json(cli(store, ['run', '--json', '--now', nowIso]), 'second run');
  expect(again.changed, 'a second run changes nothing').toBe(0);
  return { dry, run };
}

export type { Adapter };
