/**
 * The statements lethe runs through Kysely while `fn` runs, on any engine: each still runs, on
 * the real store, as it would; the list is for asserting how many there were and what they
 * say (and for asking the engine to explain them).
 */
import { DefaultQueryExecutor, type CompiledQuery } from 'kysely';
import { vi } from 'vitest';

export async function statementsOf<R>(fn: () => Promise<R>): Promise<{ result: R; statements: CompiledQuery[] }> {
  const statements: CompiledQuery[] = [];
  const execute = DefaultQueryExecutor.prototype.executeQuery;
  const spy = vi.spyOn(DefaultQueryExecutor.prototype, 'executeQuery').mockImplementation(function (this: DefaultQueryExecutor, q) {
    statements.push(q);
    return execute.call(this, q);
  });
  try {
    return { result: await fn(), statements };
  } finally {
    spy.mockRestore();
  }
}
