/**
 * Executes one planned stage in keyset batches, one transaction per batch. Inside each
 * transaction it selects the next due keys and locks their rows (so an application cannot
 * move them out of due before the write), drops the held ones (holds are read in the same
 * transaction, so a hold placed mid-run protects every row not yet done) and the blocked
 * ones (deletes whose rows are still referenced), acts with a statement that repeats the
 * due condition, queues the files of the rows it deleted and appends the audit entry. On
 * MariaDB and PostgreSQL a plain delete batch is one statement instead, which takes the next
 * due rows in key order, deletes them and returns the keys it deleted (orderedBatch).
 * Memory per batch is bounded by the batch size, never by the table.
 */
import { performance } from 'node:perf_hooks';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { appendAudit, type AuditEntry, type AuditHead } from '../audit/chain.js';
import { fenceAndLockHead, type BatchFence } from '../lease.js';
import { safeErrorMessage } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Policy } from '../policy/model.js';
import type { StageTask } from '../plan/planner.js';
import type { Adapter, ForeignKeyInfo, SchemaInfo } from '../store/types.js';
import type { ApprovedStage } from '../audit/approvals.js';
import { isoUtc } from '../store/timestamps.js';
import { anonymiseValue, pseudonymFor } from './anonymise.js';
import { discardExport, exportRows } from './export.js';
import { queueFiles, renderPath, type QueuedFile } from './files.js';
import { stageEntryFields, startOutcome, type StageOutcome } from './outcomes.js';
import { activeHolds, heldPredicate, type HeldKeys } from './holds.js';
import { dropPartition, duePartitions, plannedDrops } from './partitions.js';
import { KEY_CHUNK, RowKey, type KeyValue } from './row-key.js';
import { Throttle } from './throttle.js';
import { auditRefs, referencedRows } from './refs.js';
import { bindable, childRowExists, col, duePredicate, fromWithClock, rowKey, scope, T, tenantScope } from './sql-fragments.js';

export type TxRunner = <R>(fn: (tx: Kysely<any>) => Promise<R>) => Promise<R>;

export interface ExecContext {
  adapter: Adapter;
  policy: Policy;
  runId: number;
  now: Date;
  hmacKey: Buffer | null;
  force: boolean;
  /** A dry run: batches are rolled back at the end, so nothing is announced as purged. */
  dryRun: boolean;
  /** Runs one batch transaction: a real transaction, or (dry run) the enclosing one. */
  tx: TxRunner;
  /** Runs reads that need no write lock: on the pool, or (dry run) in the enclosing transaction. */
  read: TxRunner;
  /** Called after each committed batch that queued files (drains the outbox). */
  afterBatch: () => Promise<void>;
  /** Checked between batches: SIGTERM, max_run_time, a lost lease. */
  shouldStop: () => boolean;
  /** Checked inside every batch transaction before anything is written (the lease's fencing token). */
  fence?: BatchFence;
  /** Stages of approved plans for this policy, still in force at `now` (approvals.ts). */
  approvals: readonly ApprovedStage[];
  events: EventBus;
  /** The live schema: a stage with `export_before` exports the rows still reaching its own. */
  schema?: SchemaInfo;
}

/** What one stage's statements are built from, worked out once per stage. */
export interface StageSql {
  key: RowKey;
  from: RawBuilder<unknown>;
  /** The clock's expression in `from` (the joined column). */
  clock: RawBuilder<unknown>;
  /** `from`, with the indexes the key query must not read for its order where the planner must be told (valueIndexes). */
  keysFrom: RawBuilder<unknown>;
  /** The due condition with the clock joined in (for selecting keys). */
  selectDue: RawBuilder<unknown>;
  /**
   * What a DELETE or UPDATE adds to its key list: the due condition again, as subqueries on t
   * (writes cannot join), where the rows are not locked (PostgreSQL) or the key may name rows
   * that are not due (a `key` that is not unique); nothing where the selected rows are locked.
   */
  writeDue: RawBuilder<unknown>;
  /** Row locks for the key query ('' when the writes re-check instead). */
  lock: RawBuilder<unknown>;
  /** The due condition as a DELETE carries it (subqueries on t), for deletes by key range; null where they are not used. */
  rangeDue: RawBuilder<unknown> | null;
  /**
   * What a DELETE adds so that it leaves every row still referenced by a child row: the
   * blocked rows are then found only when the delete comes back short, not probed for in
   * every batch. Null where they are probed for first (no children; a table that references
   * itself; a stage that exports its rows before deleting them).
   */
  unreferenced: RawBuilder<unknown> | null;
  /**
   * A query for a child row referencing a key after `cursor` up to `last`, per foreign key,
   * where one finds every child row of a batch: the key and the referencing columns are one
   * integer each (StageTask.childrenByKey), and what the probe finds stays true until the
   * delete, or the delete fails. Either the batch's rows are locked against new child rows
   * (an engine's foreign-key check on insert waits for them; SQLite's one write lock), or,
   * where the key query does not lock them (PostgreSQL), the store refuses to delete a row a
   * child row references (ReferenceGuard, childSafety): a child row that comes after the
   * probe fails the delete, and the batch runs again testing every row (ChildArrived). A
   * batch whose range has none deletes without `unreferenced`, which tests each row: on
   * MariaDB that test was a fifth of the delete's time, on PostgreSQL a tenth of the run's
   * (an anti-join reading the child table every batch). Null elsewhere.
   */
  childProbes: ((cursor: KeyValue | null, last: KeyValue) => RawBuilder<unknown>[]) | null;
  /** Whether a delete batch whose keys fill their key range deletes by that range (RowKey.filledRange). */
  filledRanges: boolean;
}

/** The stage's statement parts, worked out once per stage. */
export function stageSql(adapter: Adapter, task: StageTask): StageSql {
  const { from, clock } = fromWithClock(task);
  const lookups = adapter.notForOrder ? valueIndexes(task) : [];
  const recheck = adapter.writeReturnsKeys || !task.keyUnique;
  const q: StageSql = {
    key: rowKey(adapter, task),
    from,
    keysFrom: lookups.length ? fromWithClock(task, adapter.notForOrder!(lookups)).from : from,
    clock,
    selectDue: duePredicate(adapter, task, clock),
    writeDue: recheck ? duePredicate(adapter, task) : sql`1 = 1`,
    lock: sql``,
    rangeDue: adapter.rangeDeletes && (adapter.writeReturnsKeys || rowLock(adapter, task) !== '') && task.keyUnique && task.stage.action.kind === 'delete' ? duePredicate(adapter, task) : null,
    unreferenced: unreferenced(task),
    childProbes: null,
    filledRanges: adapter.lockedKeyRange !== undefined && task.keyUnique && task.stage.action.kind === 'delete',
  };
  // The selected rows (and their clock's parent rows) are locked until the batch commits, so
  // they cannot move out of due before the write; where writes return their keys, they
  // re-check the due condition instead and the audit names what they returned, unless the
  // batch reads the rows' values before it writes them.
  return !adapter.writeReturnsKeys || readsBeforeWrite(task) ? withRowLocks(adapter, task, q) : q;
}

/** The key query's lock on the stage's rows and its clock's parent rows (Adapter.rowLockClause). */
function rowLock(adapter: Adapter, task: StageTask): string {
  return adapter.rowLockClause(task.stage.action.kind === 'delete' ? 'delete' : 'update', T, task.clock.path.map((_h, i) => `j${i + 1}`));
}

/** `q` with a key query that locks the rows it selects, and, since new child rows then wait for the batch, child probes. */
function withRowLocks(adapter: Adapter, task: StageTask, q: StageSql): StageSql {
  const clause = rowLock(adapter, task);
  return { ...q, lock: clause ? sql` ${sql.raw(clause)}` : sql``, childProbes: q.unreferenced && task.childrenByKey ? childProbes(adapter, task) : null };
}

/**
 * Whether a batch reads its rows' values before it writes them: the media path it unlinks
 * (files), its export (export_before), the values it anonymises from, the rows its audit
 * entry says it references (hold paths). Where the key query does not lock the rows
 * (PostgreSQL), an application update landing between the read and the write left the
 * row's new file on disk, or was overwritten with a value derived from the old one; so
 * these stages lock them there too (stageSql).
 */
function readsBeforeWrite(task: StageTask): boolean {
  return !!task.files || !!task.stage.exportBefore || task.stage.action.kind === 'anonymise' || task.holdPaths.length > 0;
}

/**
 * The indexes a stage's key query must not read for its order: those on columns every row of
 * the stage has one value in (the tenant column, a `where` of one value), where the key is
 * the primary key that such an index ends with. MariaDB, asked for the next due keys in key
 * order, looks the value up in such an index, which yields the provider's rows in key order,
 * and checks `key > cursor` entry by entry: every batch read the provider's entries from its
 * first (171 ms a batch at the 2.4 millionth of 3M calls, 6.9 ms at the 24 thousandth).
 * Kept from it, the planner walks the primary key from the cursor (6-13 ms at both), or, when
 * few rows are due, reads them by the clock's index and sorts them (183 due rows: 0.11-0.14 s).
 * Forcing the value's index instead would seek on the value and the key (3.7 ms a batch) but
 * make that run with a few due rows read every entry of the provider (2.5-3.1 s).
 */
export function valueIndexes(task: StageTask): string[] {
  const pk = task.table.primaryKey;
  if (pk.length === 0 || pk.length !== task.keyColumns.length || !task.keyColumns.every((c, i) => c.name === pk[i])) return [];
  const fixed = new Set<string>();
  if (task.scope && task.scope.path.length === 0) fixed.add(task.scope.column.name);
  for (const f of task.rule.where) if (f.values.length === 1 && f.values[0] !== null) fixed.add(f.column);
  return task.table.indexes.filter((ix) => ix.columns.length > 0 && ix.columns.every((c) => fixed.has(c))).map((ix) => ix.name);
}

/** A batch's key query: the next `limit` due keys after the cursor, up to the stage's last due key, locked where the writes do not re-check. */
export function keyQuery(adapter: Adapter, task: StageTask, q: StageSql, at: Pick<BatchPosition, 'cursor' | 'upTo' | 'limit'>): RawBuilder<Record<string, unknown>> {
  const after = at.cursor === null ? sql`1 = 1` : q.key.after(T, at.cursor);
  const hint = task.clock.path.length && adapter.keyScanHint ? sql`${sql.raw(adapter.keyScanHint)} ` : sql``;
  return sql<Record<string, unknown>>`select ${hint}${q.key.select(T)} from ${q.keysFrom} where ${q.selectDue} and ${after} and ${at.upTo} order by ${q.key.orderBy(T)} limit ${at.limit}${q.lock}`;
}

/** Runs one stage to completion (or until stopped) and reports what it did. Never throws. */
export async function executeStage(ctx: ExecContext, task: StageTask): Promise<StageOutcome> {
  const out = startOutcome(task);
  const q0 = stageSql(ctx.adapter, task);
  try {
    const extent = await dueExtent(ctx, task, q0);
    let q = withKeyOrder(ctx.adapter, task, q0, extent);
    const guard = await checkGuard(ctx, task, q0, extent);
    if (guard && guard.approvedBy === null) {
      out.status = 'guarded';
      out.guard = { due: guard.due, total: guard.total };
      out.due = guard.due;
      return out;
    }
    // A stage the guard would stop runs under an approved plan; its entries name the plan.
    const detail = guard ? { approved_plan: guard.approvedBy } : null;
    if (guard) out.approvedPlan = guard.approvedBy;
    await partitionDrops(ctx, task, out, detail);
    q = await childSafety(ctx, task, q);
    const win = await orderedWindow(ctx, task, q, extent);
    const upTo = extent.upTo;
    const seen: HoldsSeen = { current: null };
    let cursor: KeyValue | null = null;
    const throttle = new Throttle(task.provider.throttle, ctx.adapter.defaultPauseMs, task.batchSize, ctx.dryRun);
    for (;;) {
      // better-sqlite3 is synchronous: without this, signals, HTTP probes, lease renewal and
      // cron ticks would wait for the whole run instead of the current batch.
      await yieldToEventLoop();
      if (ctx.shouldStop()) {
        out.status = 'interrupted';
        break;
      }
      const started = performance.now();
      throttle.starting(started);
      const limit = throttle.size;
      const at: BatchPosition = { cursor, upTo, limit, seen };
      const attempt = () => withRetry(ctx, () => ctx.tx((tx) => (win ? orderedBatch(ctx, task, q, tx, win, at, detail) : runBatch(ctx, task, q, tx, at, detail))));
      const batch = await attempt().catch((err: unknown) => {
        // The batch rolled back; it runs again, and it and the stage's next ones test every
        // row. Not in a dry run: its batches share the one transaction that ended.
        if (!(err instanceof ChildArrived) || ctx.dryRun) throw err;
        q = { ...q, childProbes: null };
        return attempt();
      });
      // Only an empty selection ends a stage: under row locks a batch can come back short.
      if (!batch) break;
      const ended = performance.now();
      const ms = ended - started;
      const pauseMs = throttle.ended(ms, ended);
      // The pause starts before the batch is announced: see startPause.
      const pausing = pauseMs > 0 && !ctx.shouldStop() ? await startPause(ctx.adapter, pauseMs) : null;
      out.batches++;
      out.longestBatchMs = Math.max(out.longestBatchMs, ms);
      out.due += batch.selected;
      out.changed += batch.changed;
      out.held += batch.held;
      out.blocked += batch.blocked;
      cursor = batch.last;
      // This batch's own entry moved the head it read the holds at; nothing else did.
      if (batch.entry && batch.headSeq !== null && seen.current?.seq === batch.headSeq) seen.current.seq = batch.entry.seq;
      // Announced after the commit: a log line or metric never describes a batch that rolled back.
      if (batch.entry && !ctx.dryRun) ctx.events.emit('purge', batch.entry);
      ctx.events.emit('batch', {
        runId: ctx.runId,
        provider: out.provider,
        rule: out.rule,
        stage: out.stage,
        table: out.table,
        action: out.action,
        selected: batch.selected,
        changed: batch.changed,
        held: batch.held,
        blocked: batch.blocked,
        ms,
        pauseMs,
      });
      if (batch.queuedFiles) await ctx.afterBatch();
      if (pausing) await pausing.rest();
    }
    // The writers its last batches kept waiting get in before the next stage's batches start.
    const owed = throttle.closing();
    if (owed > 0 && !ctx.shouldStop()) await (await startPause(ctx.adapter, owed)).rest();
    else if (throttle.pauseMs === 0 && out.batches > 0 && !ctx.dryRun && !ctx.shouldStop()) {
      // Batches run back to back, with no pause to checkpoint in, leave the WAL to grow (up to
      // WAL_CHECKPOINT_BYTES on SQLite): lethe copies it now, or the application's next commit
      // past its own autocheckpoint would.
      await ctx.adapter.checkpoint?.();
    }
  } catch (err) {
    out.status = 'failed';
    out.error = safeErrorMessage(ctx.adapter, err);
  }
  return out;
}

/**
 * Drops the stage's wholly due partitions first (partitions.ts), each in its own transaction
 * and audit entry; the batches then find only the rows left. A dry run lists them instead:
 * its batches delete their rows in the rolled-back transaction, so its counts are the run's.
 */
async function partitionDrops(ctx: ExecContext, task: StageTask, out: StageOutcome, detail: Record<string, unknown> | null): Promise<void> {
  const { adapter } = ctx;
  if (ctx.dryRun) {
    const planned = await ctx.read(async (db) => plannedDrops(adapter, task, db, await activeHolds(adapter, db, ctx.now)));
    if (planned.length) out.partitions = planned;
    return;
  }
  for (const p of await ctx.read((db) => duePartitions(adapter, task, db))) {
    if (ctx.shouldStop()) return;
    const started = performance.now();
    const done = await dropPartition({ adapter, runId: ctx.runId, now: ctx.now, policySha256: ctx.policy.sha256, detail, ...(ctx.fence ? { fence: ctx.fence } : {}) }, task, p);
    if (!done) continue;
    const ms = performance.now() - started;
    const rows = done.drop.rows;
    (out.partitions ??= []).push(done.drop);
    out.batches++;
    out.longestBatchMs = Math.max(out.longestBatchMs, ms);
    out.due += rows;
    out.changed += rows;
    ctx.events.emit('purge', done.entry);
    ctx.events.emit('batch', { runId: ctx.runId, provider: out.provider, rule: out.rule, stage: out.stage, table: out.table, action: out.action, selected: rows, changed: rows, held: 0, blocked: 0, ms, pauseMs: 0 });
  }
}

/** What a stage reads of its due rows before its batches (dueExtent). */
export interface DueExtent {
  /** The rows counted: the due rows, or (`exact` false) a cheaper superset of them; null when not counted (`--force`: no guard). */
  rows: number | null;
  exact: boolean;
  /** The key query's upper bound: the last key counted. */
  upTo: RawBuilder<unknown>;
  /** Ids from the first key counted to the last, where the key is one integer column and the adapter can choose the key order (null otherwise). */
  span: number | null;
  /** The first and last key counted, where `span` is known (null otherwise). */
  ends: { first: number; last: number } | null;
}

/**
 * Whether the stage's key query must read the table by its primary key from the cursor
 * (primaryKeyOrder), rather than as the planner chooses. MariaDB, asked for the next 100 keys
 * of 20,000 due rows at one instant (a backlog of one provider's sign-ups), looked the
 * provider up in its index, or the rows up in the clock's, and so read and locked every due
 * row after the cursor and sorted them, in every batch: a run took 8-18 s alone and over
 * 90 s on a busy machine. The walk reads the ids from the first due key to the last once in
 * all (span); reading all remaining due rows every batch costs about due² / (2 × batch_size).
 * So the walk is forced where it costs at most twice that; where few rows are due across many
 * ids (183 of 3M calls), the planner reads them by the clock's index.
 */
export function withKeyOrder(adapter: Adapter, task: StageTask, q: StageSql, extent: Pick<DueExtent, 'rows' | 'exact' | 'span'>): StageSql {
  if (!adapter.primaryKeyOrder || extent.rows === null || extent.span === null || !extent.exact) return q;
  const pk = task.table.primaryKey;
  if (pk.length !== 1 || task.keyColumns.length !== 1 || task.keyColumns[0]!.name !== pk[0]) return q;
  if (extent.span > (extent.rows * extent.rows) / task.batchSize) return q;
  return { ...q, keysFrom: fromWithClock(task, adapter.primaryKeyOrder()).from };
}

/**
 * The stage's due rows, counted once before its batches and outside any write transaction
 * (for the guard), and their last key, the key query's upper bound: without it, the last
 * batch (and on a table whose due rows are few, every batch) read every later row in search
 * of one more due row, under the batch's locks. Rows that become due with a later key while
 * the stage runs are the next run's. Both come from one pass over the due rows where the key
 * is one integer column, or one whose max() the engine compares as it orders the key
 * (Adapter.maxInKeyOrder); other keys take their last by ordering (PostgreSQL has no max()
 * for uuid, and text need not sort as max() compares it), and a composite key keeps the
 * open-ended query.
 */
async function dueExtent(ctx: ExecContext, task: StageTask, q: StageSql): Promise<DueExtent> {
  const { adapter } = ctx;
  // Over a cheaper superset of the due rows where there is one: the guard counts exactly only
  // when the superset is too many, and a bound need not be tight.
  const superset = dueSuperset(adapter, task, q);
  const rows = superset ?? q.selectDue;
  const c = q.key.composite ? null : q.key.columns[0]!;
  const withMax = c !== null && (c.kind === 'integer' || adapter.maxInKeyOrder?.(c) === true);
  // Counted for the guard, which --force skips; where max() comes with it, the count is free.
  const counted = withMax || !ctx.force;
  return ctx.read(async (db) => {
    // The first key only where it can choose the key order (withKeyOrder) or start the
    // windows of ordered deletes (orderedWindow).
    const withFirst = withMax && c.kind === 'integer' && (adapter.primaryKeyOrder !== undefined || adapter.orderedDelete !== undefined);
    const first = withFirst ? sql`, ${adapter.keyOut(sql`min(${col(T, c.name)})`, c)} as ${sql.id('__first')}` : sql``;
    const last = withMax ? sql`, ${adapter.keyOut(sql`max(${col(T, c.name)})`, c)} as ${sql.id('__k0')}${first}` : sql``;
    const r = counted ? await sql<Record<string, unknown>>`select count(*) as n${last} from ${q.from} where ${rows}`.execute(db) : null;
    const n = r ? Number(r.rows[0]?.n ?? 0) : null;
    let lastRow = withMax ? r!.rows[0] : undefined;
    if (c && !withMax && n !== 0) {
      // A subquery the planners keep, so that none of them answers it by walking the key's
      // index backwards through the rows that are not due.
      const o = await sql<Record<string, unknown>>`select ${adapter.keyOut(sql.ref('d.k'), c)} as ${sql.id('__k0')} from (select ${col(T, c.name)} as k from ${q.from} where ${rows} limit ${Number.MAX_SAFE_INTEGER}) as d order by ${sql.ref('d.k')} desc limit 1`.execute(db);
      lastRow = o.rows[0];
    }
    const upTo = c === null ? sql`1 = 1` : !lastRow || lastRow.__k0 === null || lastRow.__k0 === undefined ? sql`1 = 0` : q.key.upTo(T, q.key.fromRow(lastRow));
    const firstKey = withFirst && n ? Number(lastRow?.__first) : NaN;
    const lastKey = withFirst && n ? Number(lastRow?.__k0) : NaN;
    const span = Number.isFinite(firstKey) && Number.isFinite(lastKey) ? lastKey - firstKey + 1 : null;
    const exactEnds = Number.isSafeInteger(firstKey) && Number.isSafeInteger(lastKey);
    return { rows: n, exact: superset === null, upTo, span, ends: exactEnds ? { first: firstKey, last: lastKey } : null };
  });
}

/**
 * The throttle's pause begins with the store's checkpoint (Adapter.checkpoint), which holds
 * no write lock, so its time counts towards the pause; `rest` sleeps what is left of it.
 * It begins as soon as the batch has committed, before the batch's log line and files: a
 * writer waiting on SQLite's lock gets in at that commit, and if its own commit comes before
 * lethe's checkpoint, it copies lethe's batch from the WAL itself. A log line of a thousand
 * keys written to a pipe (the bench reads lethe's output through one) kept that gap open:
 * the bench's writer had a p99 of 52-54 ms in 2 runs, 35-38 ms since in 5 of 6 (54 in one).
 */
async function startPause(adapter: Adapter, ms: number): Promise<{ rest: () => Promise<void> }> {
  const started = performance.now();
  // A failed checkpoint fails the stage from `rest`, once the committed batch is announced.
  let failed: { err: unknown } | null = null;
  try {
    await adapter.checkpoint?.();
  } catch (err) {
    failed = { err };
  }
  return {
    rest: async () => {
      if (failed) throw failed.err;
      const left = ms - (performance.now() - started);
      if (left > 0) await sleep(left);
    },
  };
}

/** Batches rolled back by a deadlock, a lock wait or rows changing underneath are retried. */
const ATTEMPTS = 3;

export async function withRetry<R>(ctx: Pick<ExecContext, 'adapter' | 'dryRun'>, fn: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // A dry run's batches share one transaction: after an error there is nothing to retry in.
      const retryable = err instanceof RowsMoved || ctx.adapter.isRetryable(err);
      if (ctx.dryRun || attempt >= ATTEMPTS || !retryable) throw err;
      await yieldToEventLoop();
    }
  }
}

/**
 * The store refused to delete a row a child row came to reference after the batch probed
 * for child rows (StageSql.childProbes) or after its delete's snapshot: the batch is rolled
 * back, and runs again once, testing every row.
 */
class ChildArrived extends Error {
  constructor(table: string) {
    super(`a row of ${table} came to be referenced while the batch ran; the batch was rolled back`);
  }
}

/**
 * How a delete stage whose key query does not lock its rows (PostgreSQL) keeps every row a
 * child row references. A child row inserted while the delete waited for its lock on the
 * parent is not in the delete's snapshot. Where the store refuses to delete a referenced row
 * (ReferenceGuard), it refuses that delete, and the batch runs again (ChildArrived); its
 * batches can then probe for child rows (StageSql.childProbes), but not in a dry run, whose
 * one transaction a refusal would end. Where a foreign key would cascade or set null, or is
 * not enforced, that child row would be changed unaudited: the key query locks the rows, as
 * on MySQL, so the insert waits for the batch, or the batch for the insert and then sees it.
 */
async function childSafety(ctx: ExecContext, task: StageTask, q: StageSql): Promise<StageSql> {
  const { adapter } = ctx;
  // Locked already (stageSql), or nothing a child row could make it change.
  if (!adapter.writeReturnsKeys || readsBeforeWrite(task) || task.stage.action.kind !== 'delete' || task.children.length === 0) return q;
  const guard = adapter.referenceGuard;
  if (!guard || !(await ctx.read((db) => guard.enforced(db, task.table.name)))) return withRowLocks(adapter, task, q);
  return ctx.dryRun || !q.unreferenced || !task.childrenByKey ? q : { ...q, childProbes: childProbes(adapter, task) };
}

/** An update matched fewer rows than it locked: the batch is rolled back and tried again. */
export class RowsMoved extends Error {
  constructor(table: string, expected: number, got: number) {
    super(`rows of ${table} changed while the batch ran (${got} of ${expected} still due); the batch was rolled back`);
  }
}

/**
 * The guard: a stage whose due rows exceed max_fraction of the provider's rows in the
 * table, and exceed min_rows, is not run, unless an approved plan for this policy covers
 * the stage with at least as many rows (approvedBy names it). The due rows were counted by
 * dueExtent; counted through ctx.read, so a dry run (one open transaction on SQLite's single
 * connection) counts inside it.
 */
async function checkGuard(ctx: ExecContext, task: StageTask, q: StageSql, extent: DueExtent): Promise<{ due: number; total: number; approvedBy: number | null } | null> {
  if (ctx.force) return null;
  const { maxFraction, minRows } = task.provider.guard;
  const counted = extent.rows!;
  // Under min_rows, or a superset that is: the stage runs whatever the table holds.
  if (counted <= minRows) return null;
  // Counted outside any write transaction (a dry run's one connection is its transaction):
  // a count holds no write lock, so the application's writers never wait on it.
  return ctx.read(async (db) => {
    // The provider's rows only as far as they could still make `due` a small share: guarded
    // exactly when due > max_fraction × total, so counting past due / max_fraction cannot
    // change the answer. The cost follows the due rows, not the table. Asked as one row at
    // that offset, and counted only when there is none (then there are fewer): MariaDB
    // copied a count over `limit` into a temporary table first, 36.7 s for 10M rows where
    // reading them to the offset takes 1.7 s.
    const totalFor = async (due: number) => {
      const cap = Math.floor(due / maxFraction) + 1;
      const from = sql`from ${sql.table(task.table.name)} as ${sql.id(T)} where ${tenantScope(task.scope)}`;
      const past = await sql`select 1 as x ${from} limit 1 offset ${cap - 1}`.execute(db);
      return past.rows.length > 0 ? cap : count(db, sql`select count(*) as n ${from}`);
    };
    // When even the superset is a small share, the exact count cannot stop the stage either.
    if (!extent.exact && counted <= maxFraction * (await totalFor(counted))) return null;
    const dueCount = extent.exact ? counted : await count(db, sql`select count(*) as n from ${q.from} where ${q.selectDue}`);
    if (dueCount <= minRows) return null;
    const total = await totalFor(dueCount);
    if (dueCount <= maxFraction * total) return null;
    const approval = ctx.approvals.find((a) => a.provider === task.provider.id && a.rule === task.rule.id && a.stage === task.stage.index && dueCount <= a.due);
    return { due: dueCount, total, approvedBy: approval?.planId ?? null };
  });
}

/**
 * Where the due condition is costly per row (SQLite's strict clock check), the stage's scope
 * and an index range on its clock that holds every due row, and a few more; null elsewhere,
 * and where instructions make rows due whatever their clock.
 */
function dueSuperset(adapter: Adapter, task: StageTask, q: StageSql): RawBuilder<unknown> | null {
  if (!adapter.clockUpperBound || task.instructed) return null;
  return sql`${scope(task.rule, task.scope)} and ${adapter.clockUpperBound(q.clock, task.clock.column, task.clock.spec, task.cutoff.at)}`;
}

async function count(db: Kysely<any>, q: RawBuilder<unknown>): Promise<number> {
  const r = await (q as RawBuilder<{ n: unknown }>).execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * The holds a stage last read, and the chain head's seq they are current at. Every change to
 * lethe_holds (`hold add`, `hold release`) appends to the chain in the same transaction, under
 * the head's lock; so while the head has not moved but by this stage's own entries, the holds
 * are as read and a batch need not read them again. Not on SQLite, where the read costs
 * microseconds in-process: there they are read every batch, so that a hold inserted into
 * lethe_holds with plain SQL protects the rows not yet done too.
 */
interface HoldsSeen {
  current: { seq: number; holds: HeldKeys } | null;
}

/** Where a batch starts and stops, and what it may reuse from the batches before it. */
export interface BatchPosition {
  cursor: KeyValue | null;
  upTo: RawBuilder<unknown>;
  limit: number;
  seen: HoldsSeen;
}

interface BatchResult {
  entry: AuditEntry | null;
  /** The chain head's seq when the batch started, where it locked the head. */
  headSeq: number | null;
  selected: number;
  changed: number;
  held: number;
  blocked: number;
  last: KeyValue;
  queuedFiles: boolean;
}

/** One batch: its key query, then the action on the keys not held or blocked, and its audit entry. `locked`: the fence was checked and the head locked in this transaction already. */
async function runBatch(ctx: ExecContext, task: StageTask, q: StageSql, tx: Kysely<any>, at: BatchPosition, detail: Record<string, unknown> | null, locked?: { head: AuditHead | null }): Promise<BatchResult | null> {
  const { adapter } = ctx;
  const { cursor } = at;
  const key = q.key;
  const head = locked ? locked.head : await fenceAndLockHead(adapter, tx, ctx.fence);
  const sel = await keyQuery(adapter, task, q, at).execute(tx);
  if (sel.rows.length === 0) return null;
  const selected = sel.rows.map((r) => key.fromRow(r));
  const last = selected[selected.length - 1]!;
  // A rule's `key` need not be unique: each key is acted on once, for all its due rows.
  const keys = task.keyUnique ? selected : unique(selected);

  // Filtered only when something is held or blocked: encoding every key of every batch was
  // a tenth of a run's CPU, for sets that are almost always empty.
  // Every held row of the table, as a condition (null when none is), and those of the batch.
  const heldWhere = heldPredicate(adapter, task, await holdsAt(ctx, tx, head, at.seen));
  const held = heldWhere ? await keysWhere(task, tx, key, keys, heldWhere) : new Set<string>();
  let todo = held.size ? keys.filter((k) => !held.has(RowKey.encode(k))) : keys;
  let blocked = 0;
  if (task.stage.action.kind === 'delete' && todo.length && !q.unreferenced) {
    const b = await blockedKeys(adapter, task, tx, key, todo);
    blocked = b.size;
    if (b.size) todo = todo.filter((k) => !b.has(RowKey.encode(k)));
  }

  let changed: KeyValue[] = [];
  let rowCount = 0;
  let queuedFiles = false;
  let entryDetail = detail;
  // What the rows reference, read before they change (a deleted row's foreign keys go with it).
  const referenced = await referencedRows(adapter, task, tx, key, todo);
  if (todo.length) {
    const action = task.stage.action;
    if (action.kind === 'delete') {
      // Read the files first (the rows are about to go), queue only those of rows really deleted.
      const files = task.files ? await filePaths(ctx, task, tx, key, todo) : [];
      // Return before destroy: the rows (read in this transaction, under its locks) go to an
      // archive first; a failed export throws, so nothing is deleted without it. A dry run writes none.
      const archive = task.stage.exportBefore && !ctx.dryRun ? await exportBatch(ctx, task, tx, todo) : null;
      if (archive) entryDetail = { ...(detail ?? {}), export: { path: archive.path, sha256: archive.sha256 } };
      // Tested row by row only where a child row may reference one of the batch's keys.
      const d = q.childProbes && (await noChildren(tx, q.childProbes(cursor, last))) ? { ...q, unreferenced: null } : q;
      const unreferenced = d.unreferenced ?? sql`1 = 1`;
      let w: Awaited<ReturnType<typeof write>>;
      try {
        // The range the keys fill, where the store's write lock keeps it as selected (SQLite).
        // Otherwise the batch's key range with the due condition: where the key query locked
        // it (nothing selected may be held), or where the delete returns its keys (held rows
        // left out by the condition); never when blocked rows were probed for first, which
        // only a key list leaves out; on MySQL not where the range holds many more rows than
        // the batch (denseRange).
        const filled = q.filledRanges ? key.filledRange(T, todo) : null;
        const range = !filled && q.rangeDue && blocked === 0 && (adapter.writeReturnsKeys || (todo.length === selected.length && denseRange(cursor, selected)));
        w = filled
          ? await deleteCounted(adapter, task, d, tx, sql`${filled} and ${unreferenced}`, todo.length)
          : range
          ? await deleteRange(adapter, task, d, tx, { cursor, last, todo, heldWhere })
          : await write(adapter, key, tx, todo, (chunk) => adapter.deleteWhere(task.table.name, T, sql`${key.in(T, chunk)} and ${q.writeDue} and ${unreferenced}`));
      } catch (err) {
        // The batch rolls back: its rows stay, so their archive is not left behind.
        if (archive) discardExport(archive.path);
        if (adapter.referenceGuard?.refused(err)) throw new ChildArrived(task.table.name);
        throw err;
      }
      rowCount = w.rowCount;
      changed = w.keys ?? (await deletedKeys(task, tx, key, todo, rowCount));
      const short = changed.length < todo.length;
      // Encoded only when needed: for the rows left behind, or for the files of those gone.
      const gone = short || files.length ? new Set(changed.map((k) => RowKey.encode(k))) : null;
      // A short delete left rows behind: those still referenced are blocked (the others
      // moved out of due underneath, where the rows are not locked).
      if (d.unreferenced && short) blocked = (await blockedKeys(adapter, task, tx, key, todo.filter((k) => !gone!.has(RowKey.encode(k))))).size;
      const queued = gone ? files.filter((f) => gone.has(f.row_key)) : [];
      if (queued.length) {
        await queueFiles(adapter, tx, queued, isoUtc(ctx.now));
        queuedFiles = true;
      }
    } else if (action.kind === 'set') {
      const sets = action.values.map((v) => sql`${sql.ref(v.column)} = ${bindable(v.value)}`);
      if (task.stage.marker) sets.push(sql`${sql.ref(task.stage.marker)} = ${adapter.encodeTimestamp(ctx.now)}`);
      const w = await write(adapter, key, tx, todo, (chunk) => sql`update ${sql.table(task.table.name)} as ${sql.id(T)} set ${sql.join(sets)} where ${key.in(T, chunk)} and ${q.writeDue}`);
      rowCount = w.rowCount;
      changed = w.keys ?? allUpdated(task, todo, rowCount);
    } else {
      ({ changed, rowCount } = await anonymiseRows(ctx, task, q, tx, todo));
    }
  }

  let entry: AuditEntry | null = null;
  if (changed.length) {
    entry = await appendAudit(adapter, tx, {
      ...stageEntryFields(task, ctx.runId, ctx.now, ctx.policy.sha256),
      action: task.stage.action.kind,
      keys: changed,
      row_count: Math.max(rowCount, changed.length),
      detail: entryDetail,
      refs: auditRefs(changed, referenced),
    }, head);
  }
  return { entry, headSeq: head?.seq ?? null, selected: selected.length, changed: changed.length, held: held.size, blocked, last, queuedFiles };
}

/**
 * Ids per due row below which a window is `limit` ids (OrderedDelete.window): its batches then
 * take at least 80% of a full one.
 */
const DENSE_IDS_PER_ROW = 1.25;

/**
 * A stage's ordered deletes (Adapter.orderedDelete): each batch is one statement that deletes
 * the next due rows in key order, within a window of ids after the cursor, and returns their
 * keys for the audit entry. On MariaDB it replaces the locking key query and the delete by
 * range: 3M calls, 1M due, 1,000 a batch took 10.4 ms a batch, against 3.1 + 9.4 ms for the
 * two (experiment, 200 batches each). On PostgreSQL it replaces the key query and the delete
 * returning its keys: a round trip less a batch. Where ids are dense, a window of `limit`
 * ids holds a batch at most, and its delete needs no limit (OrderedDelete.window). The
 * statement takes no index hint: the window keeps it on a short range of the primary key,
 * where `order by id limit n` could otherwise be read from the clock's index, every remaining
 * due row sorted in every batch (withKeyOrder).
 */
interface KeyWindow {
  /** The stage's first and last due key as counted (DueExtent.ends): the windows run from one to the other. */
  first: number;
  last: number;
  /** Ids per due row, as the last batch found them: a window spans a batch's worth and a quarter, or, dense, a batch's ids. */
  idsPerRow: number;
  /** Whether child rows may reference the keys ahead: each window is probed for them then. */
  children: boolean;
  /** The due condition on the table's own name (the statement takes no alias). */
  due: RawBuilder<unknown>;
}

/**
 * The stage's KeyWindow where its batches can be ordered deletes, null otherwise: a delete of
 * rows named by one integer primary key, whose due condition is on the table's own columns,
 * with nothing to read before the rows go (files, exports, references for the audit or for
 * holds through them) and no other rule's condition to leave out; and a store that refuses
 * to delete a row a
 * child row references (OrderedDelete.usable), so that a child row added after a window was
 * probed fails the statement instead of losing its parent.
 */
async function orderedWindow(ctx: ExecContext, task: StageTask, q: StageSql, extent: DueExtent): Promise<KeyWindow | null> {
  const { adapter } = ctx;
  const od = adapter.orderedDelete;
  const [k, ...more] = task.keyColumns;
  if (!od || !k || more.length || k.kind !== 'integer' || task.table.primaryKey.join() !== k.name || !task.keyUnique) return null;
  if (!extent.ends || !extent.exact || !extent.rows || !extent.span) return null;
  const action = task.stage.action.kind;
  if (action !== 'delete' || task.stage.exportBefore || task.files || task.stage.marker || task.instructed || task.holdPaths.length) return null;
  if (task.clock.path.length || task.scope?.path.length || task.supersededBy.length || task.retainedBy.length || task.yieldsTo.length) return null;
  // Child rows are probed for by key range; a table referencing itself keeps the key query's batches.
  if (task.children.length && (!q.childProbes || task.children.some((fk) => fk.table === task.table.name))) return null;
  const name = task.table.name;
  const guard = adapter.referenceGuard;
  if (!guard || !(await ctx.read(async (db) => (await od.usable(db, name)) && (await guard.enforced(db, name))))) return null;
  const { first, last } = extent.ends;
  const children = task.children.length > 0 && !(await ctx.read((db) => noChildren(db, q.childProbes!(first - 1, last))));
  const clock = adapter.clockBefore(col(name, task.clock.column.name), task.clock.column, task.clock.spec, task.cutoff.at);
  return { first, last, idsPerRow: extent.span / extent.rows, children, due: sql`${scope(task.rule, task.scope, name)} and ${clock}` };
}

/**
 * One ordered delete (KeyWindow), or the key query's batch (runBatch) in the same
 * transaction where the window holds rows it must leave out by key: held rows, or rows child
 * rows reference. A window with no due row moves the cursor on and the next, four times as
 * wide, is tried; past the last due key the stage is done.
 */
async function orderedBatch(ctx: ExecContext, task: StageTask, q: StageSql, tx: Kysely<any>, win: KeyWindow, at: BatchPosition, detail: Record<string, unknown> | null): Promise<BatchResult | null> {
  const { adapter } = ctx;
  const od = adapter.orderedDelete!;
  const name = task.table.name;
  const head = await fenceAndLockHead(adapter, tx, ctx.fence);
  const byKey = (cursor: number) => runBatch(ctx, task, q, tx, { ...at, cursor }, detail, { head });
  let lo = at.cursor === null ? win.first - 1 : Number(at.cursor);
  // The table's own holds (a rule with hold paths has no ordered deletes). No hold can be
  // added before the commit: `hold add` locks the head this batch holds.
  const held = (await holdsAt(ctx, tx, head, at.seen)).get(name) ?? [];
  while (lo < win.last) {
    // Where ids are dense, a window of `limit` ids, which holds a batch at most (OrderedDelete.window).
    const dense = od.window !== undefined && win.idsPerRow < DENSE_IDS_PER_ROW;
    const hi = Math.min(win.last, lo + (dense ? at.limit : Math.ceil(at.limit * win.idsPerRow * 1.25)));
    // Held keys are left out by the key query's batch; a key that is not an integer could match any row.
    if (held.some((k) => typeof k !== 'number' || (k > lo && k <= hi))) return byKey(lo);
    // With no probes left (a child row arrived: executeStage), every window goes by key.
    if (win.children && (!q.childProbes || !(await noChildren(tx, q.childProbes(lo, hi))))) return byKey(lo);
    let rows: Record<string, unknown>[];
    try {
      const where = sql`${q.key.after(name, lo)} and ${q.key.upTo(name, hi)} and ${win.due}`;
      const statement = dense ? od.window!(name, where, q.key.select(name)) : od.statement(name, where, q.key.orderBy(name), at.limit, q.key.select(name));
      rows = (await statement.execute(tx)).rows;
    } catch (err) {
      // A child row came since the probe, and nothing was deleted. Where only the statement
      // rolled back, the batch goes by key; where the transaction did, it runs again, and
      // the stage's later batches test every row (executeStage).
      const guard = adapter.referenceGuard!;
      if (!guard.refused(err)) throw err;
      win.children = true;
      if (guard.refusalRollsBack === 'transaction') throw new ChildArrived(name);
      return byKey(lo);
    }
    // A window's delete takes exactly the rows it deletes; fewer than `limit` ends the batch at the window's end.
    const out = dense ? { deleted: rows, taken: null } : od.outcome(rows);
    const keys = out.deleted.map((r) => Number(q.key.fromRow(r))).sort((a, b) => a - b);
    const t = out.taken ?? { count: keys.length, last: keys[keys.length - 1] ?? NaN };
    if (t.count === 0) {
      lo = hi;
      win.idsPerRow *= 4;
      continue;
    }
    // A batch that took its limit ends at the last key it took; one that did not, at its window's end.
    const last = t.count < at.limit ? hi : t.last;
    win.idsPerRow = Math.max(1, (last - lo) / t.count);
    const entry = keys.length ? await appendAudit(adapter, tx, { ...stageEntryFields(task, ctx.runId, ctx.now, ctx.policy.sha256), action: 'delete', keys, row_count: keys.length, detail, refs: [] }, head) : null;
    return { entry, headSeq: head?.seq ?? null, selected: t.count, changed: keys.length, held: 0, blocked: 0, last, queuedFiles: false };
  }
  return null;
}

/** The batch's rows about to be deleted, with every row still reaching them and their media, in one archive. */
function exportBatch(ctx: ExecContext, task: StageTask, tx: Kysely<any>, todo: readonly KeyValue[]) {
  if (!ctx.schema) throw new Error(`${task.table.name}: export_before needs the live schema in the run's context`);
  return exportRows(ctx.adapter, ctx.policy, ctx.schema, tx, { table: task.table.name, keyColumns: task.keyColumns, keys: todo }, {
    now: ctx.now,
    nameParts: [`run${ctx.runId}`, task.rule.id, `s${task.stage.index}`],
    about: { kind: 'export_before', run_id: ctx.runId, provider: task.provider.id, rule: task.rule.id, stage: task.stage.index },
  });
}

/**
 * Deletes the due rows with keys after `cursor` up to `last`, but held and referenced ones:
 * the batch's `todo` rows. On MySQL its key query locked them together with the gaps between
 * them, so no other row can be due in that range, and more rows than `todo` means that did
 * not hold (an isolation level without gap locks); fewer is rows still referenced. On
 * PostgreSQL the delete returns its keys, and one outside `todo` is a row that became due
 * meanwhile. Either way the batch is rolled back and tried again, never audited wrong.
 */
async function deleteRange(
  adapter: Adapter,
  task: StageTask,
  q: StageSql,
  tx: Kysely<any>,
  b: { cursor: KeyValue | null; last: KeyValue; todo: readonly KeyValue[]; heldWhere: RawBuilder<unknown> | null },
): Promise<{ rowCount: number; keys: KeyValue[] | null }> {
  const expected = b.todo.length;
  const from = b.cursor === null ? sql`1 = 1` : q.key.after(T, b.cursor);
  const where = sql`${from} and ${q.key.upTo(T, b.last)} and ${q.rangeDue!} and ${q.unreferenced ?? sql`1 = 1`}${b.heldWhere ? sql` and not (${b.heldWhere})` : sql``}`;
  if (adapter.writeReturnsKeys) {
    // Unlocked rows: one that became due in the range after the key query would go too,
    // without its files queued or its references read.
    const r = await sql<Record<string, unknown>>`${adapter.deleteWhere(task.table.name, T, where)} returning ${q.key.select(T)}`.execute(tx);
    const keys = r.rows.map((row) => q.key.fromRow(row));
    const mine = new Set(b.todo.map((k) => RowKey.encode(k)));
    if (keys.some((k) => !mine.has(RowKey.encode(k)))) throw new RowsMoved(task.table.name, expected, keys.length);
    return { rowCount: keys.length, keys };
  }
  return deleteCounted(adapter, task, q, tx, where, expected);
}

/** A DELETE of exactly the batch's `expected` rows, but those still referenced, where it cannot return its keys. */
async function deleteCounted(adapter: Adapter, task: StageTask, q: StageSql, tx: Kysely<any>, where: RawBuilder<unknown>, expected: number): Promise<{ rowCount: number; keys: null }> {
  const n = affected(await adapter.deleteWhere(task.table.name, T, where).execute(tx));
  // Fewer is rows still referenced (deletedKeys reads back which); more is a row that was not selected.
  if (n > expected || (n < expected && !q.unreferenced)) throw new RowsMoved(task.table.name, expected, n);
  return { rowCount: n, keys: null };
}

/** How many ids a batch's key range may span, per row selected, for a delete by range. */
const DENSE_SPAN = 2;

/**
 * Whether the batch's key range, after `cursor` up to its last selected key, holds few rows
 * besides the selected ones, as far as integer keys tell (other keys: assumed so). A delete by
 * range reads every row in it: on a table several providers share, a provider's thousand due
 * calls span some 15,000 ids, and on MariaDB (3M calls, 5 providers) deleting them by range took
 * 18 ms a batch where their key list took 10 (median of 12, each rolled back). PostgreSQL reads
 * such a range faster than it looks up the list (3.5 ms against 5.9), so it keeps the range.
 */
function denseRange(cursor: KeyValue | null, selected: readonly KeyValue[]): boolean {
  const first = selected[0];
  const last = selected[selected.length - 1];
  const from = cursor ?? (typeof first === 'number' ? first - 1 : null);
  if (typeof from !== 'number' || typeof last !== 'number') return true;
  return last - from <= DENSE_SPAN * selected.length;
}

/**
 * `not exists` a child row, for every foreign key referencing the stage's table, as a DELETE
 * carries it; null where blocked rows are probed for before the delete instead (see StageSql).
 */
function unreferenced(task: StageTask): RawBuilder<unknown> | null {
  if (task.stage.action.kind !== 'delete' || task.stage.exportBefore || task.children.length === 0) return null;
  // MySQL refuses a subquery on the table being deleted from, and a row and its child in one
  // batch must be told apart before either goes.
  if (task.children.some((fk) => fk.table === task.table.name)) return null;
  return sql.join(
    task.children.map((fk) => sql`not ${childRowExists(fk)}`),
    sql` and `,
  );
}

/** StageSql.childProbes: `select 1 … limit 1` on each child table, by its referencing column's index. */
function childProbes(adapter: Adapter, task: StageTask): (cursor: KeyValue | null, last: KeyValue) => RawBuilder<unknown>[] {
  const keys = task.children.map((fk) => childKey(adapter, task, fk));
  return (cursor, last) =>
    task.children.map((fk, i) => {
      const after = cursor === null ? sql`1 = 1` : keys[i]!.after('c', cursor);
      return sql`select 1 as x from ${sql.table(fk.table)} as ${sql.id('c')} where ${after} and ${keys[i]!.upTo('c', last)} limit 1`;
    });
}

/** A foreign key's referencing columns as a key of the child table, typed as the key they reference (fk.refColumns are the stage's key columns). */
function childKey(adapter: Adapter, task: StageTask, fk: ForeignKeyInfo): RowKey {
  return new RowKey(fk.table, fk.columns.map((c, j) => ({ ...task.keyColumns[j]!, name: c })), adapter);
}

async function noChildren(tx: Kysely<any>, probes: readonly RawBuilder<unknown>[]): Promise<boolean> {
  for (const p of probes) if ((await p.execute(tx)).rows.length > 0) return false;
  return true;
}

function unique(keys: readonly KeyValue[]): KeyValue[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const e = RowKey.encode(k);
    if (seen.has(e)) return false;
    seen.add(e);
    return true;
  });
}

/**
 * Runs a DELETE or UPDATE over the keys, in chunks small enough for every engine's parameter
 * limit (one statement per batch for a one-column key). Where writes return their keys, the
 * keys really changed come back; otherwise only the count.
 */
async function write(adapter: Adapter, key: RowKey, tx: Kysely<any>, keys: readonly KeyValue[], stmt: (chunk: KeyValue[]) => RawBuilder<unknown>): Promise<{ rowCount: number; keys: KeyValue[] | null }> {
  const size = key.chunk;
  let rowCount = 0;
  const returned: KeyValue[] = [];
  for (let i = 0; i < keys.length; i += size) {
    const chunk = keys.slice(i, i + size);
    if (adapter.writeReturnsKeys) {
      const r = await sql<Record<string, unknown>>`${stmt(chunk)} returning ${key.select(T)}`.execute(tx);
      rowCount += r.rows.length;
      for (const row of r.rows) returned.push(key.fromRow(row));
    } else rowCount += affected(await stmt(chunk).execute(tx));
  }
  return { rowCount, keys: adapter.writeReturnsKeys ? unique(returned) : null };
}

function affected(r: { numAffectedRows?: bigint; numUpdatedOrDeletedRows?: bigint }): number {
  return Number(r.numAffectedRows ?? r.numUpdatedOrDeletedRows ?? 0);
}

/**
 * The keys a DELETE really removed. Under the batch's row locks that is every key in
 * `todo`; if it removed fewer rows (a row moved out of due in a way the locks did not
 * cover), the survivors are read back so the audit names only rows that are gone.
 */
async function deletedKeys(task: StageTask, tx: Kysely<any>, key: RowKey, todo: KeyValue[], rowCount: number): Promise<KeyValue[]> {
  if (rowCount >= todo.length) return todo;
  const left = new Set<string>();
  for (let i = 0; i < todo.length; i += key.chunk) {
    const r = await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(task.table.name)} as ${sql.id(T)} where ${key.in(T, todo.slice(i, i + key.chunk))}`.execute(tx);
    for (const row of r.rows) left.add(RowKey.encode(key.fromRow(row)));
  }
  return todo.filter((k) => !left.has(RowKey.encode(k)));
}

/**
 * An UPDATE must match every row it was given (they are locked): fewer means a row left
 * due underneath, and the batch is retried rather than audited as changing a row it did not.
 * A `key` that is not unique may match more; that is the rows sharing the key.
 */
function allUpdated(task: StageTask, todo: readonly KeyValue[], rowCount: number): KeyValue[] {
  if (rowCount < todo.length) throw new RowsMoved(task.table.name, todo.length, rowCount);
  return [...todo];
}

/** The active holds, read in this transaction unless the head shows them unchanged since the stage last read them (HoldsSeen). */
async function holdsAt(ctx: ExecContext, tx: Kysely<any>, head: { seq: number } | null, seen: HoldsSeen): Promise<HeldKeys> {
  const reuse = head !== null && ctx.adapter.engine !== 'sqlite';
  if (reuse && seen.current?.seq === head.seq) return seen.current.holds;
  const holds = await activeHolds(ctx.adapter, tx, ctx.now);
  if (reuse) seen.current = { seq: head.seq, holds };
  return holds;
}

/**
 * Keys still referenced by a row in any child table: deleting them would orphan or fail.
 * One index probe per child table, limited to the batch's keys: a single query with an
 * EXISTS per child makes PostgreSQL and MariaDB scan whole child tables on every batch.
 */
async function blockedKeys(adapter: Adapter, task: StageTask, tx: Kysely<any>, key: RowKey, keys: KeyValue[]): Promise<Set<string>> {
  const blocked = new Set<string>();
  const keyNames = task.keyColumns.map((c) => c.name);
  const size = key.chunk;
  for (const fk of task.children) {
    for (let i = 0; i < keys.length; i += size) {
      const chunk = keys.slice(i, i + size);
      if (fk.refColumns.length === keyNames.length && fk.refColumns.every((c, j) => c === keyNames[j])) {
        // The foreign key references the row's key itself: probe the child table directly.
        const child = childKey(adapter, task, fk);
        const r = await sql<Record<string, unknown>>`select distinct ${child.select('c')} from ${sql.table(fk.table)} as ${sql.id('c')} where ${child.in('c', chunk)}`.execute(tx);
        for (const row of r.rows) blocked.add(RowKey.encode(child.fromRow(row)));
      } else {
        for (const k of await keysWhere(task, tx, key, chunk, childRowExists(fk))) blocked.add(k);
      }
    }
  }
  return new Set(keys.map((k) => RowKey.encode(k)).filter((e) => blocked.has(e)));
}

async function keysWhere(task: StageTask, tx: Kysely<any>, key: RowKey, keys: KeyValue[], pred: RawBuilder<unknown>): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < keys.length; i += key.chunk) {
    const r = await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(task.table.name)} as ${sql.id(T)} where ${key.in(T, keys.slice(i, i + key.chunk))} and ${pred}`.execute(tx);
    for (const row of r.rows) out.add(RowKey.encode(key.fromRow(row)));
  }
  return out;
}

/** The media paths of the rows about to be deleted (rows whose template yields no path have none). */
async function filePaths(ctx: ExecContext, task: StageTask, tx: Kysely<any>, key: RowKey, keys: KeyValue[]): Promise<QueuedFile[]> {
  const template = task.files!;
  const out: QueuedFile[] = [];
  for (let i = 0; i < keys.length; i += key.chunk) {
    const cols = sql.join(template.columns.map((c, j) => sql`${col(T, c)} as ${sql.id(`__f${j}`)}`));
    const rows = await sql<Record<string, unknown>>`select ${key.select(T)}, ${cols} from ${sql.table(task.table.name)} as ${sql.id(T)} where ${key.in(T, keys.slice(i, i + key.chunk))}`.execute(tx);
    for (const r of rows.rows) {
      const path = renderPath(template, (c) => r[`__f${template.columns.indexOf(c)}`]);
      if (path === null) continue;
      out.push({ run_id: ctx.runId, provider: task.provider.id, rule: task.rule.id, stage: task.stage.index, table_name: task.table.name, row_key: RowKey.encode(key.fromRow(r)), path });
    }
  }
  return out;
}

/** Rows per UPDATE when anonymising: two parameters per row and column stay far below every engine's limit. */
const ANONYMISE_CHUNK = 200;

/**
 * Rewrites personal columns. Values differ per row, so each column is set with a CASE over
 * the key, a chunk of rows per statement (one round trip per chunk, not per row); the
 * statement repeats the due condition. Returns the keys changed.
 */
async function anonymiseRows(ctx: ExecContext, task: StageTask, q: StageSql, tx: Kysely<any>, keys: KeyValue[]): Promise<{ changed: KeyValue[]; rowCount: number }> {
  if (task.stage.action.kind !== 'anonymise') return { changed: [], rowCount: 0 };
  const { adapter } = ctx;
  const key = q.key;
  const columns = task.stage.action.columns;
  const marker = task.stage.marker;
  const actx = { hmacKey: ctx.hmacKey, encodeTimestamp: (d: Date) => adapter.encodeTimestamp(d) };
  const pseudonyms = columns.map((c) => pseudonymFor(task.table.columns.get(c.column)!, marker !== null));
  const pending: { key: KeyValue; old: unknown[]; values: unknown[] }[] = [];
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    // Only the due rows: with a key that is not unique, a key may also name rows that are not.
    const rows = await sql<Record<string, unknown>>`select ${key.select(T)}, ${sql.join(columns.map((c, j) => sql`${col(T, c.column)} as ${sql.id(`__a${j}`)}`))} from ${sql.table(task.table.name)} as ${sql.id(T)} where ${key.in(T, keys.slice(i, i + KEY_CHUNK))} and ${q.writeDue} order by ${key.orderBy(T)}`.execute(tx);
    for (const row of rows.rows) {
      const old = columns.map((_c, j) => row[`__a${j}`]);
      const values = columns.map((c, j) => anonymiseValue(c.strategy, old[j], { ...actx, pseudonym: pseudonyms[j]! }));
      // Without a marker, a row already in its anonymised form is left alone (idempotent reruns).
      if (!marker && values.every((v, j) => sameValue(v, old[j]))) continue;
      pending.push({ key: key.fromRow(row), old, values });
    }
  }
  let rowCount = 0;
  const returned: KeyValue[] = [];
  // Where the engine joins rows of text values by key (rowsByKey, which carries no binary
  // key), a statement per key chunk; otherwise a CASE per column, ANONYMISE_CHUNK rows a statement.
  const joined =
    adapter.rowsByKey !== undefined &&
    task.keyUnique &&
    key.columns.every((c) => c.kind !== 'binary') &&
    pending.every((p) => p.values.every((v) => typeof v === 'string' || v === null));
  for (let i = 0; i < pending.length; i += joined ? key.chunk : ANONYMISE_CHUNK) {
    const chunk = pending.slice(i, i + (joined ? key.chunk : ANONYMISE_CHUNK));
    const sets: RawBuilder<unknown>[] = [];
    const varying: number[] = [];
    columns.forEach((c, j) => {
      const first = chunk[0]!.values[j];
      // null and redact give every row the same value: set once.
      if (chunk.every((p) => sameValue(p.values[j], first))) sets.push(sql`${sql.ref(c.column)} = ${first}`);
      else varying.push(j);
    });
    if (marker) sets.push(sql`${sql.ref(marker)} = ${adapter.encodeTimestamp(ctx.now)}`);
    const rows = joined && varying.length > 0 ? adapter.rowsByKey!(T, key.columns, chunk.map((p) => [...key.parts(p.key), ...varying.map((j) => p.values[j] as string | null)])) : null;
    let update: (c: KeyValue[]) => RawBuilder<unknown>;
    if (rows) {
      varying.forEach((j, i) => sets.push(sql`${sql.ref(columns[j]!.column)} = ${adapter.castForColumn(rows.value(i), task.table.columns.get(columns[j]!.column)!)}`));
      // The chunk is at most key.chunk keys, so write() makes it one statement.
      update = () => sql`update ${sql.table(task.table.name)} as ${sql.id(T)} set ${sql.join(sets)} from ${rows.from} where ${rows.match} and ${q.writeDue}`;
    } else {
      for (const j of varying) {
        const c = columns[j]!;
        // A unique key names one row. Rows sharing a key that is not unique are told apart by the
        // old value (a text column: check allows nothing else), which the new one is a function of.
        const when = (p: (typeof chunk)[number]) =>
          task.keyUnique || p.old[j] === null ? key.is(T, p.key) : sql`${key.is(T, p.key)} and ${col(T, c.column)} = ${p.old[j]}`;
        const cases = sql`case ${sql.join(chunk.map((p) => sql`when ${when(p)} then ${p.values[j]}`), sql` `)} else ${col(T, c.column)} end`;
        sets.push(sql`${sql.ref(c.column)} = ${adapter.castForColumn(cases, task.table.columns.get(c.column)!)}`);
      }
      update = (c) => sql`update ${sql.table(task.table.name)} as ${sql.id(T)} set ${sql.join(sets)} where ${key.in(T, c)} and ${q.writeDue}`;
    }
    const w = await write(adapter, key, tx, unique(chunk.map((p) => p.key)), update);
    rowCount += w.rowCount;
    if (w.keys) returned.push(...w.keys);
  }
  const todo = unique(pending.map((p) => p.key));
  return { changed: adapter.writeReturnsKeys ? unique(returned) : allUpdated(task, todo, rowCount), rowCount };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b || (a === null && b === undefined);
}
