/**
 * Throttled batches (DESIGN §3) start small and are sized from what the rows cost: the first
 * batch takes FIRST_THROTTLED_BATCH rows, later ones grow towards batch_size while they hold
 * the lock briefly, and with `throttle: off` every batch is batch_size from the first. The
 * pause comes when the batches since the last one have spent max_hold, not after every batch,
 * and starts with a checkpoint of the WAL, taken only when lethe's connection is free.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_THROTTLED_BATCH } from '../../src/exec/throttle.js';
import { EventBus } from '../../src/events.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { callsPolicy, fillCalls } from '../support/calls.js';
import { enforce } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const DUE = 3_000;

interface Seen {
  selected: number;
  pauseMs: number;
  /** performance.now() when the batch was announced. */
  at: number;
}

async function batches(throttle: string, due = DUE, onBatch?: () => void): Promise<Seen[]> {
  store = await vendorStore('sqlite', { ddl: ['create table calls (id integer primary key, started_at text)'], policy: callsPolicy({ batch_size: '1000', throttle }) });
  await fillCalls(store, due, due);
  await ensureLetheTables(store.adapter);
  // The rows in the database file itself, not only in the WAL (see the checkpoint test).
  await sql`pragma wal_checkpoint(truncate)`.execute(store.adapter.db);
  const events = new EventBus();
  const seen: Seen[] = [];
  events.on('batch', (b) => {
    seen.push({ selected: b.selected, pauseMs: b.pauseMs, at: performance.now() });
    onBatch?.();
  });
  const r = await enforce(store, { events });
  expect([r.status, r.changed], r.error ?? '').toEqual(['ok', due]);
  return seen;
}

const sizes = async (throttle: string): Promise<number[]> => (await batches(throttle)).map((b) => b.selected);

/** The time between one batch's announcement and the next's: the pause, if any, and the next batch. */
const gaps = (seen: readonly Seen[]): number[] => seen.slice(1).map((b, i) => b.at - seen[i]!.at);

/** What the store's database file alone answers to `query`: a copy of it without its WAL. */
function inMainFile(query: string): unknown[] {
  const copy = join(store!.dir, 'main-file-only.db');
  copyFileSync(store!.dbFile, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return db.prepare(query).all();
  } finally {
    db.close();
  }
}

let store: VendorStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('throttled batch sizes on sqlite', () => {
  it('start at FIRST_THROTTLED_BATCH rows and grow towards batch_size while batches are brief', async () => {
    // A budget no batch of these rows comes near, and no pause: only the sizing is at work.
    const seen = await sizes('{ max_hold: 10 s, pause: 0 ms }');
    expect(seen[0]).toBe(FIRST_THROTTLED_BATCH);
    expect(seen[1]).toBe(FIRST_THROTTLED_BATCH * 4);
    expect(seen[2]).toBe(1000);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(DUE);
  });

  it('are batch_size from the first with throttle off', async () => {
    expect(await sizes('off')).toEqual([1000, 1000, 1000]);
  });

  it('follow one another without a pause while the batches since the last pause fit in max_hold', async () => {
    // Batches of these rows take milliseconds: a 10 s budget holds all three, and the pause
    // (1 s) comes only once the stage is done.
    const seen = await batches('{ max_hold: 10 s, pause: 1 s }');
    expect(seen.map((b) => [b.selected, b.pauseMs])).toEqual([
      [FIRST_THROTTLED_BATCH, 0],
      [FIRST_THROTTLED_BATCH * 4, 0],
      [1000, 0],
      [1000, 0],
      [DUE - FIRST_THROTTLED_BATCH * 5 - 2000, 0],
    ]);
    for (const gap of gaps(seen)) expect(gap).toBeLessThan(1000);
  });

  it('pause after every batch when each spends max_hold', async () => {
    // A budget of 1 ms: every batch spends it, so every batch is followed by the pause.
    const seen = await batches('{ max_hold: 1 ms, pause: 100 ms }', 300);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.map((b) => b.pauseMs)).toEqual(seen.map(() => 100));
    // The pause runs from the commit, and its checkpoint comes before the batch is announced:
    // one announcement follows the last by the pause, less that batch's checkpoint, plus the
    // next batch and its checkpoint. A slow checkpoint (an fsync under load: 60 ms once in CI)
    // shortens one gap and lengthens the one before, so over the stage the gaps add up to at
    // least the pauses less the first checkpoint; batches back to back would be a few ms apart.
    const g = gaps(seen);
    expect(g.reduce((a, b) => a + b, 0) / g.length).toBeGreaterThanOrEqual(50);
  });

  it('checkpoint the WAL in their pauses, so that an application’s next commit finds nothing of theirs to copy', async () => {
    // The 3,000 rows are in the database file. Deleting them writes a few dozen pages, far
    // below lethe's own autocheckpoint (WAL_CHECKPOINT_BYTES): without the checkpoint in the
    // pause the file alone would still hold them all.
    await batches('{ max_hold: 10 s, pause: 1 ms }');
    expect(inMainFile('select count(*) as n from calls')).toEqual([{ n: 0 }]);
  });

  it('with throttle: off, checkpoint what the stage left in the WAL before the run ends, so that an application’s next commit has none of it to copy', async () => {
    // Far below lethe's own autocheckpoint: without the checkpoint at the end of the stage the
    // file alone would still hold every row, and the WAL up to WAL_CHECKPOINT_BYTES.
    await batches('off');
    expect(inMainFile('select count(*) as n from calls')).toEqual([{ n: 0 }]);
  });

  it('checkpoint as soon as the batch commits, before it is announced, so that a writer let in then finds nothing to copy', async () => {
    // What the database file alone holds as each batch is announced (events are synchronous).
    const inFile: number[] = [];
    const left = () => inFile.push((inMainFile('select count(*) as n from calls')[0] as { n: number }).n);
    // A pause after every batch.
    const seen = await batches('{ max_hold: 1 ms, pause: 1 ms }', 300, left);
    expect(seen.length).toBeGreaterThan(1);
    let deleted = 0;
    // Announced after the checkpoint, each batch's rows are already gone from the file; announced
    // first, the file still held them all until the pause.
    expect(inFile).toEqual(seen.map((b) => 300 - (deleted += b.selected)));
  });

  it('checkpoint again what a writer commits while the copy runs, so that the writer’s next commit does not copy it itself', async () => {
    store = await vendorStore('sqlite', { ddl: ['create table calls (id integer primary key, started_at text)'], policy: callsPolicy({}) });
    const adapter = store.adapter;
    await sql`pragma wal_checkpoint(truncate)`.execute(adapter.db);
    await sql`insert into calls (id, started_at) values (1, '2026-01-01T00:00:00.000Z')`.execute(adapter.db);
    // Queued behind the checkpoint's first round on the one connection, so it commits after
    // that round took its view of the WAL, as a writer committing during the copy does.
    const checkpoint = adapter.checkpoint!();
    const write = sql`insert into calls (id, started_at) values (2, '2026-01-01T00:00:00.000Z')`.execute(adapter.db);
    await Promise.all([checkpoint, write]);
    // One round copied row 1 only: row 2's pages stayed in the WAL for the writer's commit to copy.
    expect(inMainFile('select id from calls order by id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('checkpoint only once no other transaction holds lethe’s connection, as the lease’s renewal can mid-run', async () => {
    store = await vendorStore('sqlite', { ddl: ['create table calls (id integer primary key, started_at text)'], policy: callsPolicy({}) });
    const adapter = store.adapter;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A transaction open on the connection across an await, as the renewal's is.
    const renewal = adapter.transaction(async (tx) => {
      await sql`insert into calls (id, started_at) values (1, '2026-01-01T00:00:00.000Z')`.execute(tx);
      await held;
    });
    await new Promise((resolve) => setImmediate(resolve));
    // Run on the raw handle at this point, SQLite refused it: "database table is locked".
    const checkpoint = adapter.checkpoint!();
    release();
    await Promise.all([renewal, checkpoint]);
    expect(Number((await sql<{ n: unknown }>`select count(*) as n from calls`.execute(adapter.db)).rows[0]!.n)).toBe(1);
  });
});
