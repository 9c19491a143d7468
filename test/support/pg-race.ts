/**
 * An application write that lands in the middle of a lethe batch on PostgreSQL, without
 * sleeping: before the second batch, another connection runs the write and keeps its
 * transaction open until a lethe statement waits on its lock (polled in pg_locks), then
 * commits. The batch's reads before that statement do not see the write; the statement
 * waits for it and then goes on with it committed.
 */
import pg from 'pg';
import { sql } from 'kysely';
import type { BatchFence } from '../../src/lease.js';
import { fenceBefore } from './fence-before.js';
import type { TempStore } from './harness.js';

export interface MidBatchWrite {
  /** The fence to run the batches with (EnforceOptions.fence). */
  fence: BatchFence;
  /** Settles once the write has committed (at once if no second batch began). */
  committed(): Promise<void>;
}

export function writeMidBatch(s: TempStore, text: string, values: readonly unknown[] = []): MidBatchWrite {
  let committed: Promise<void> = Promise.resolve();
  const fence = fenceBefore(s.adapter, 2, async () => {
    const c = new pg.Client({ connectionString: s.url });
    await c.connect();
    await c.query('begin');
    await c.query(text, [...values]);
    committed = (async () => {
      try {
        for (let polls = 0; ; polls++) {
          const r = await sql<{ n: number }>`select count(*)::int as n from pg_locks where not granted`.execute(s.adapter.db);
          if (r.rows[0]!.n > 0) break;
          if (polls > 20_000) throw new Error(`no statement ever waited on: ${text}`);
        }
        await c.query('commit');
      } finally {
        await c.end();
      }
    })();
  });
  return { fence, committed: () => committed };
}
