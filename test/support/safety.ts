/**
 * Stores for the safety tests (DESIGN §11). They are built and driven through the CLI only
 * (`lethe db migrate`, `lethe run`, …), never through lethe's own modules, so the same test
 * runs against another build with LETHE_TEST_BIN — which is how each attack is shown to
 * succeed on an older main and fail on this one. Rows are written with the engines' own
 * drivers, as an application would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openStore } from '../../src/store/open.js';
import type { Adapter, EngineName } from '../../src/store/types.js';
import { createDatabase } from './engines.js';
import { cli, ROOT, type CliResult } from './harness.js';

export interface CliStore {
  engine: EngineName;
  dir: string;
  url: string;
  env: Record<string, string>;
  mediaRoot: string;
  policyFile: string;
  /** For the test's own reads and writes (the application's side). */
  adapter: Adapter;
  db: Kysely<any>;
  cli(args: string[], env?: Record<string, string>): CliResult;
  close(): Promise<void>;
}

/** A reference-schema store made by `lethe db migrate`, with `policy` as its policies.yaml. */
export async function cliStore(engine: EngineName, policy: string, extraDdl: (engine: EngineName) => string[] = () => []): Promise<CliStore> {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-safety-'));
  const mediaRoot = join(dir, 'media');
  mkdirSync(mediaRoot, { recursive: true });
  const policyFile = join(dir, 'policies.yaml');
  writeFileSync(policyFile, policy);
  let url = `sqlite:${join(dir, 'store.db')}`;
  let drop = async () => {};
  if (engine !== 'sqlite') ({ url, drop } = await createDatabase(engine));
  const env = { LETHE_DATABASE_URL: url, LETHE_MEDIA_ROOT: mediaRoot };
  const self = { dir, env };
  const m = cli(self as never, ['db', 'migrate']);
  if (m.code !== 0) throw new Error(`db migrate: ${m.stderr}`);
  const adapter = await openStore(url, dir);
  for (const ddl of extraDdl(engine)) await sql.raw(ddl).execute(adapter.db);
  return {
    engine,
    dir,
    url,
    env,
    mediaRoot,
    policyFile,
    adapter,
    db: adapter.db,
    cli: (args, more = {}) => cli(self as never, args, more),
    close: async () => {
      await adapter.close();
      await drop();
    },
  };
}

/**
 * A concurrent application process (test/support/writer.mjs) working on the store while
 * lethe runs. It prints one JSON line per committed change it made.
 */
export function startWriter(store: CliStore, script: string, args: Record<string, unknown>): { child: ChildProcess; stop: () => Promise<string[]> } {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'support', script), JSON.stringify({ engine: store.engine, url: store.url, ...args })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      if (err.trim()) throw new Error(`writer: ${err}`);
      return out.split('\n').filter(Boolean);
    },
  };
}
