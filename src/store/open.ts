/**
 * Opens a store from its URL: `sqlite:path` (relative to `baseDir`), `sqlite:///abs/path`,
 * `file:path`, or a bare path ending in .db/.sqlite. PostgreSQL and MySQL URLs are
 * recognised and reported as not available in this build.
 */
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { openSqlite } from './sqlite.js';
import type { Adapter } from './types.js';

/** The adapter for `url`; relative SQLite paths resolve against `baseDir`. */
export async function openStore(url: string, baseDir: string): Promise<Adapter> {
  const sqlitePath = sqliteFile(url, baseDir);
  if (sqlitePath) return openSqlite(sqlitePath);
  if (/^(postgres|postgresql|mysql|mariadb):\/\//i.test(url)) {
    throw new UsageError(`${url.split(':')[0]} stores are not supported by this build yet; use a sqlite: URL`);
  }
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

/** A URL with any password removed, for logs and messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
