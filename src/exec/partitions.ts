/**
 * Partition drop (DESIGN §9). A delete stage on a table partitioned by RANGE on the rule's own
 * clock column can drop a partition whole instead of deleting its rows one batch at a time,
 * when every row in it is certainly due and nothing in it is protected:
 *
 * - its range is bounded below (so no -infinity, which is never due) and ends at or before
 *   the cutoff (the partition's constraint then makes every clock in it due);
 * - the stage's due condition is the clock alone: no tenant scope, `where`, marker, later
 *   stage, retain or stronger rule could leave one of its rows out;
 * - no active hold covers a row of it, and no child row references one (checked on the
 *   dropping connection, after the chain's head is locked, which `hold add` takes too, and
 *   with the partition locked against writes: Adapter.dropPartition).
 *
 * Anything else falls through to the stage's batches, which handle it row by row. The drop
 * is one audit entry: action `delete`, no keys, the partition's row count, and its key and
 * clock ranges in `detail`. A dry run and `plan` report the partitions without dropping them.
 */
import { sql, type Kysely } from 'kysely';
import { appendAudit, type AuditEntry } from '../audit/chain.js';
import { fenceAndLockHead, type BatchFence } from '../lease.js';
import type { StageTask } from '../plan/planner.js';
import { isoUtc } from '../store/timestamps.js';
import type { Adapter, RangePartition } from '../store/types.js';
import { activeHolds, heldPredicate, type HeldKeys } from './holds.js';
import { stageEntryFields } from './outcomes.js';
import type { KeyValue } from './row-key.js';
import { childRowExists, col, rowKey, T } from './sql-fragments.js';

/** A partition dropped (or, in a dry run and plan, that would be) and what was in it. */
export interface PartitionDrop {
  name: string;
  rows: number;
  /** The first and last row key in it, in key order (null when it was empty). */
  key_range: [KeyValue, KeyValue] | null;
  /** Its bounds: every clock in it lies in [from, to). */
  clock_range: [string, string];
}

/** The partitions of the stage's table whose whole range is due (none when the stage cannot drop partitions). */
export async function duePartitions(adapter: Adapter, task: StageTask, db: Kysely<any>): Promise<RangePartition[]> {
  if (!adapter.rangePartitions || !adapter.partitionRows || !adapter.dropPartition || task.stage.action.kind !== 'delete') return [];
  const clockOnly =
    task.clock.path.length === 0 && task.scope === null && task.rule.where.length === 0 && !task.stage.marker && task.supersededBy.length === 0 && task.retainedBy.length === 0 && task.yieldsTo.length === 0;
  if (!clockOnly || task.clock.spec.format !== 'iso') return [];
  const parts = await adapter.rangePartitions(db, task.table.name, task.clock.column, task.clock.spec.zone);
  if (!parts) return [];
  // A wall-clock bound read in a zone with DST can map out of order around a fold: a day's margin.
  const margin = task.clock.column.zoned || task.clock.spec.zone === 'UTC' ? 0 : 86_400_000;
  return parts.filter((p) => p.from !== null && p.to !== null && p.to.getTime() + margin <= task.cutoff.at.getTime());
}

/** Rows, key range, and whether a hold or a child row keeps the partition from being dropped whole. */
export async function inspectPartition(adapter: Adapter, task: StageTask, db: Kysely<any>, p: RangePartition, holds: HeldKeys): Promise<{ drop: PartitionDrop; kept: boolean }> {
  const key = rowKey(adapter, task);
  const from = sql`${adapter.partitionRows!(task.table.name, p.name)} as ${sql.id(T)}`;
  const held = heldPredicate(adapter, task, holds);
  let kept = held ? (await sql`select 1 as x from ${from} where ${held} limit 1`.execute(db)).rows.length > 0 : false;
  for (const fk of task.children) {
    if (kept) break;
    kept = (await sql`select 1 as x from ${from} where ${childRowExists(fk)} limit 1`.execute(db)).rows.length > 0;
  }
  const rows = Number((await sql<{ n: unknown }>`select count(*) as n from ${from}`.execute(db)).rows[0]?.n ?? 0);
  const edge = async (dir: 'asc' | 'desc') => {
    const order = sql.join(key.columns.map((c) => sql`${col(T, c.name)} ${sql.raw(dir)}`));
    const r = await sql<Record<string, unknown>>`select ${key.select(T)} from ${from} order by ${order} limit 1`.execute(db);
    return r.rows[0] ? key.fromRow(r.rows[0]) : null;
  };
  const first = rows ? await edge('asc') : null;
  const last = rows ? await edge('desc') : null;
  return { drop: { name: p.name, rows, key_range: first !== null && last !== null ? [first, last] : null, clock_range: [isoUtc(p.from!), isoUtc(p.to!)] }, kept };
}

/** What a dry run or `plan` shows: the partitions a run would drop whole now. */
export async function plannedDrops(adapter: Adapter, task: StageTask, db: Kysely<any>, holds: HeldKeys): Promise<PartitionDrop[]> {
  const out: PartitionDrop[] = [];
  for (const p of await duePartitions(adapter, task, db)) {
    const { drop, kept } = await inspectPartition(adapter, task, db, p, holds);
    if (!kept) out.push(drop);
  }
  return out;
}

export interface DropContext {
  adapter: Adapter;
  runId: number;
  now: Date;
  policySha256: string;
  detail: Record<string, unknown> | null;
  fence?: BatchFence;
}

/**
 * Drops one wholly due partition (Adapter.dropPartition): fence, chain head, partition lock,
 * holds and children re-checked, audit entry, detach and drop. Returns null, having changed
 * nothing, when something in it is protected or its lock cannot be had; its rows are then
 * left to the stage's batches.
 */
export async function dropPartition(ctx: DropContext, task: StageTask, p: RangePartition): Promise<{ drop: PartitionDrop; entry: AuditEntry } | null> {
  const { adapter } = ctx;
  try {
    return await adapter.dropPartition!(task.table.name, p.name, async (tx) => {
      const head = await fenceAndLockHead(adapter, tx, ctx.fence);
      await adapter.lockPartition?.(tx, p.name);
      const { drop, kept } = await inspectPartition(adapter, task, tx, p, await activeHolds(adapter, tx, ctx.now));
      if (kept) return null;
      const entry = await appendAudit(
        adapter,
        tx,
        {
          ...stageEntryFields(task, ctx.runId, ctx.now, ctx.policySha256),
          action: 'delete',
          keys: [],
          row_count: drop.rows,
          detail: { ...(ctx.detail ?? {}), partition: drop.name, key_range: drop.key_range, clock_range: drop.clock_range },
        },
        head,
      );
      return { drop, entry };
    });
  } catch (err) {
    // A lock that could not be had (or the engine's own foreign-key check at detach): the
    // transaction rolled back whole, and the batches delete the partition's rows instead.
    if (adapter.isRetryable(err) || adapter.safeError(err)) return null;
    throw err;
  }
}
