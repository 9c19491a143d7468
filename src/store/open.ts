/**
 * Opens a store from its URL: `sqlite:path` (relative to `baseDir`), `sqlite:///abs/path`,
 * `file:path`, a bare path ending in .db/.sqlite, `postgres://…`, or `mysql://…` /
 * `mariadb://…`. Server stores are pinged once, so an unreachable store fails here with
 * its (password-free) URL rather than in the middle of a run.
 */
import { isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ConfigError, StoreError, UsageError } from '../errors.js';
import { redact } from './redact.js';
import { openMysql } from './mysql.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import type { Adapter } from './types.js';

export interface OpenStoreOptions {
  mustExist?: boolean;
  letheSchema?: string | null;
  /** For reading commands: a SQLite file is opened read-only (server stores are opened as usual). */
  readonly?: boolean;
  /** Create a SQLite file's missing folders (default true). */
  createDir?: boolean;
  /** SQLite's commit durability (SqliteOptions.synchronous); server stores keep their own. */
  synchronous?: 'normal' | 'full';
}

/**
 * The adapter for `url`; relative SQLite paths resolve against `baseDir`. With
 * `mustExist`, a SQLite file that is not there is an error rather than a new empty store,
 * so a mistyped path leaves nothing behind.
 */
export async function openStore(url: string, baseDir: string, opts: OpenStoreOptions = {}): Promise<Adapter> {
  const adapter = await open(url, baseDir, opts);
  adapter.letheSchema = opts.letheSchema ?? null;
  return adapter;
}

async function open(url: string, baseDir: string, opts: OpenStoreOptions): Promise<Adapter> {
  const sqlitePath = sqliteFile(url, baseDir);
  if (sqlitePath) {
    if (opts.mustExist && sqlitePath !== ':memory:' && !existsSync(sqlitePath)) {
      throw new ConfigError(`the SQLite store ${sqlitePath} does not exist; create it with \`lethe db migrate\` (or check --db / LETHE_DATABASE_URL / store.url)`);
    }
    return openSqlite(sqlitePath, { readonly: opts.readonly === true && sqlitePath !== ':memory:', createDir: opts.createDir ?? true, ...(opts.synchronous ? { synchronous: opts.synchronous } : {}) });
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return connectChecked(openPostgres(url));
  if (/^(mysql|mariadb):\/\//i.test(url)) return connectChecked(openMysql(url));
  throw new UsageError(`cannot tell which engine the store URL "${redact(url)}" is for`, {
    cause: 'expected sqlite:path, postgres://… or mysql://…',
  });
}

/** The SQLite file a URL names, or null when it is not a SQLite URL. */
export function sqliteFile(url: string, baseDir: string): string | null {
  let path: string | null = null;
  if (url.startsWith('sqlite://')) path = url.slice('sqlite://'.length);
  else if (url.startsWith('sqlite:')) path = url.slice('sqlite:'.length);
  else if (url.startsWith('file:')) path = url.slice('file:'.length);
  else if (/\.(db|sqlite3?)$/i.test(url) && !url.includes('://')) path = url;
  if (path === null) return null;
  if (path === ':memory:') return path;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export { redact } from './redact.js';

async function connectChecked(adapter: Adapter): Promise<Adapter> {
  try {
    await adapter.dbNow();
    return adapter;
  } catch (err) {
    await adapter.close().catch(() => undefined);
    throw new StoreError(`cannot reach ${adapter.description}: ${(err as Error).message}`, { cause: err, unreachable: true });
  }
}
