/**
 * Test harness: real SQLite files in temp folders, the shipped CLI run as a child process,
 * and a fixed `now` passed in from the edge. No mocks of the store, no sleeps.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../src/cli/commands/db.js';
import { loadPolicyFile, loadPolicyText } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/model.js';
import { openSqlite } from '../../src/store/sqlite.js';
import type { Adapter, EngineName } from '../../src/store/types.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase } from './engines.js';
import { runEnforcement, type EnforceOptions } from '../../jobs/enforce.js';
import type { RunResult } from '../../src/exec/outcomes.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The CLI under test; LETHE_TEST_BIN points the CLI-only tests at another build (e.g. an older main, to show an attack test fails there). */
export const BIN = process.env.LETHE_TEST_BIN ?? join(ROOT, 'bin', 'lethe');
export const SHIPPED_POLICY = join(ROOT, 'policies.yaml');
/** A key long enough for the hmac strategy; tests never use a real secret. */
export const TEST_HMAC_KEY = 'test-key-0123456789abcdef0123456789abcdef';
export const NOW = new Date('2026-11-23T03:15:00.000Z');

export interface TempStore {
  engine: EngineName;
  /** The store URL. */
  url: string;
  /** Environment that points the CLI at this store (LETHE_DATABASE_URL for server engines). */
  env: Record<string, string>;
  dir: string;
  dbFile: string;
  mediaRoot: string;
  policyFile: string;
  adapter: Adapter;
  close(): Promise<void>;
}

/**
 * A fresh folder with a migrated reference schema and a copy of `policy` (the shipped
 * policies.yaml by default). On SQLite the store is data/telecom.db inside the folder; on
 * PostgreSQL and MariaDB it is a new database, dropped by close(). The policy file is
 * copied unchanged (its sha256 goes into every audit hash); `env` points the CLI at the
 * server database through LETHE_DATABASE_URL.
 */
export async function tempStore(policyText?: string, engine: EngineName = 'sqlite'): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-test-'));
  const policyFile = join(dir, 'policies.yaml');
  const dbFile = join(dir, 'data', 'telecom.db');
  let url = 'sqlite:data/telecom.db';
  let drop = async () => {};
  let adapter: Adapter;
  if (engine === 'sqlite') adapter = openSqlite(dbFile);
  else {
    const created = await createDatabase(engine);
    url = created.url;
    drop = created.drop;
    adapter = await openStore(url, dir);
  }
  writeFileSync(policyFile, policyText ?? readFileSync(SHIPPED_POLICY, 'utf8'));
  await migrate(adapter);
  return {
    engine,
    url,
    env: engine === 'sqlite' ? {} : { LETHE_DATABASE_URL: url },
    dir,
    dbFile,
    mediaRoot: join(dir, 'data', 'media'),
    policyFile,
    adapter,
    close: async () => {
      await adapter.close();
      await drop();
    },
  };
}

/** A timestamp value as the store's engine wants it bound (ISO text, or a Date). */
export function ts(store: TempStore, iso: string | Date): unknown {
  return store.adapter.encodeTimestamp(typeof iso === 'string' ? new Date(iso) : iso);
}

export function loadPolicy(file: string): Policy {
  return loadPolicyFile(file).policy;
}

export function policyFromText(text: string, file = '/virtual/policies.yaml'): Policy {
  return loadPolicyText(text, file).policy;
}

/** Runs the engine in-process at `now` (the CLI path is covered by runCli). */
export async function enforce(store: TempStore, opts: Partial<EnforceOptions> & { policy?: Policy } = {}): Promise<RunResult> {
  const policy = opts.policy ?? loadPolicy(store.policyFile);
  const schema = await store.adapter.introspect();
  return runEnforcement(store.adapter, policy, schema, {
    trigger: 'cli',
    now: NOW,
    env: { LETHE_HMAC_KEY: TEST_HMAC_KEY },
    ...opts,
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/lethe synchronously in `cwd` with a clean, explicit environment. */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string> }): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs bin/lethe against `store` (in its folder, with its environment). */
export function cli(store: TempStore, args: string[], env: Record<string, string> = {}): CliResult {
  return runCli(args, { cwd: store.dir, env: { ...store.env, ...env } });
}

/** Starts bin/lethe without waiting (for kill and signal tests). */
export function spawnCli(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** ISO text for an instant `days` days (may be fractional or negative) before NOW. */
export function daysBefore(days: number, from: Date = NOW): string {
  return new Date(from.getTime() - days * 86_400_000).toISOString();
}
