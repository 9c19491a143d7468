/**
 * Opens a store from its URL: `sqlite:path` (relative to `baseDir`), `sqlite:///abs/path`,
 * `file:path`, a bare path ending in .db/.sqlite, `postgres://…`, or `mysql://…` /
 * `mariadb://…`. Server stores are pinged once, so an unreachable store fails here with
 * its (password-free) URL rather than in the middle of a run.
 */
import { isAbsolute, resolve } from 'node:path';
import { StoreError, UsageError } from '../errors.js';
import { redact } from './redact.js';
import { openMysql } from './mysql.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import type { Adapter } from './types.js';

/** The adapter for `url`; relative SQLite paths resolve against `baseDir`. */
export async function openStore(url: string, baseDir: string): Promise<Adapter> {
  const sqlitePath = sqliteFile(url, baseDir);
  if (sqlitePath) return openSqlite(sqlitePath);
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
    throw new StoreError(`cannot reach ${adapter.description}: ${(err as Error).message}`, { cause: err });
  }
}
