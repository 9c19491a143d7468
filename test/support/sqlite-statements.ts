/**
 * The statements lethe's SQLite connection runs while `fn` runs: each still runs, on the real
 * store, as it would; the list is for asserting how many there were and what they say.
 */
import type { CompiledQuery } from 'kysely';
import { vi } from 'vitest';
import { CachedSqliteConnection } from '../../src/store/sqlite-statements.js';

export async function sqliteStatements<R>(fn: () => Promise<R>): Promise<{ result: R; statements: CompiledQuery[] }> {
  const statements: CompiledQuery[] = [];
  const execute = CachedSqliteConnection.prototype.executeQuery;
  const spy = vi.spyOn(CachedSqliteConnection.prototype, 'executeQuery').mockImplementation(function (this: CachedSqliteConnection, q) {
    statements.push(q);
    return execute.call(this, q);
  });
  try {
    return { result: await fn(), statements };
  } finally {
    spy.mockRestore();
  }
}
