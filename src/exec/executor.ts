/**
 * Executes one planned stage in keyset batches, one transaction per batch. Inside each
 * transaction it selects the next keys that are due (so the due condition is re-checked
 * against committed data), drops the held ones (holds are read in the same transaction,
 * so a hold placed mid-run protects every row not yet done), drops the blocked ones
 * (deletes whose rows are still referenced), acts, queues files and appends the audit
 * entry. Memory per batch is bounded by the batch size, never by the table.
 */
import { performance } from 'node:perf_hooks';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { appendAudit, lockAuditHead, normaliseKey, type AuditEntry } from '../audit/chain.js';
import type { EventBus } from '../events.js';
import type { Policy } from '../policy/model.js';
import type { StageTask } from '../plan/planner.js';
import type { Adapter } from '../store/types.js';
import { isoUtc } from '../store/timestamps.js';
import { anonymiseValue } from './anonymise.js';
import { queueFiles, type QueuedFile } from './files.js';
import type { StageOutcome } from './outcomes.js';
import { activeHolds, heldPredicate } from './holds.js';
import { bindable, col, duePredicate, fromWithClock, keyIn, T } from './sql-fragments.js';

export type Key = number | string;
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
  /** Called after each committed batch that queued files (drains the outbox). */
  afterBatch: () => Promise<void>;
  /** Checked between batches: SIGTERM, max_run_time, a lost lease. */
  shouldStop: () => boolean;
  /** Checked inside every batch transaction before anything is written (the lease's fencing token). */
  fence?: (tx: Kysely<any>) => Promise<void>;
  events: EventBus;
}

/** Runs one stage to completion (or until stopped) and reports what it did. Never throws. */
export async function executeStage(ctx: ExecContext, task: StageTask): Promise<StageOutcome> {
  const out: StageOutcome = {
    provider: task.provider.id,
    rule: task.rule.id,
    stage: task.stage.index,
    table: task.table.name,
    action: task.stage.action.kind,
    cutoff: isoUtc(task.cutoff),
    status: 'done',
    due: 0,
    changed: 0,
    held: 0,
    blocked: 0,
    batches: 0,
    longestBatchMs: 0,
    guard: null,
    error: null,
  };
  const tenant = ctx.policy.store.tenantColumn;
  const { from, clock } = fromWithClock(task);
  const due = duePredicate(ctx.adapter, task, clock, tenant);
  try {
    const guard = await checkGuard(ctx, task, from, due, tenant);
    if (guard) {
      out.status = 'guarded';
      out.guard = guard;
      out.due = guard.due;
      return out;
    }
    let cursor: Key | null = null;
    for (;;) {
      // better-sqlite3 is synchronous: without this, signals, HTTP probes, lease renewal and
      // cron ticks would wait for the whole run instead of the current batch.
      await yieldToEventLoop();
      if (ctx.shouldStop()) {
        out.status = 'interrupted';
        break;
      }
      const started = performance.now();
      const batch = await ctx.tx((tx) => runBatch(ctx, task, tx, from, due, cursor));
      if (!batch) break;
      const ms = performance.now() - started;
      out.batches++;
      out.longestBatchMs = Math.max(out.longestBatchMs, ms);
      out.due += batch.selected;
      out.changed += batch.changed;
      out.held += batch.held;
      out.blocked += batch.blocked;
      cursor = batch.last;
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
      });
      if (batch.queuedFiles) await ctx.afterBatch();
      if (batch.selected < task.batchSize) break;
    }
  } catch (err) {
    out.status = 'failed';
    out.error = (err as Error).message;
  }
  return out;
}

/**
 * The guard: a stage whose due rows exceed max_fraction of the provider's rows in the
 * table, and exceed min_rows, is not run. Counted through ctx.tx, so a dry run (one open
 * transaction on SQLite's single connection) counts inside it instead of waiting on it.
 */
async function checkGuard(
  ctx: ExecContext,
  task: StageTask,
  from: RawBuilder<unknown>,
  due: RawBuilder<unknown>,
  tenant: string,
): Promise<{ due: number; total: number } | null> {
  if (ctx.force) return null;
  const { maxFraction, minRows } = task.provider.guard;
  return ctx.tx(async (tx) => {
    const dueCount = await count(tx, sql`select count(*) as n from ${from} where ${due}`);
    if (dueCount <= minRows || dueCount === 0) return null;
    const total = await count(tx, sql`select count(*) as n from ${sql.table(task.table.name)} as ${sql.id(T)} where ${col(T, tenant)} = ${task.provider.id}`);
    return dueCount > maxFraction * total ? { due: dueCount, total } : null;
  });
}

async function count(db: Kysely<any>, q: RawBuilder<unknown>): Promise<number> {
  const r = await (q as RawBuilder<{ n: unknown }>).execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

interface BatchResult {
  entry: AuditEntry | null;
  selected: number;
  changed: number;
  held: number;
  blocked: number;
  last: Key;
  queuedFiles: boolean;
}

async function runBatch(
  ctx: ExecContext,
  task: StageTask,
  tx: Kysely<any>,
  from: RawBuilder<unknown>,
  due: RawBuilder<unknown>,
  cursor: Key | null,
): Promise<BatchResult | null> {
  if (ctx.fence) await ctx.fence(tx);
  await lockAuditHead(ctx.adapter, tx);
  const pk = col(T, task.primaryKey);
  const after = cursor === null ? sql`1 = 1` : sql`${pk} > ${cursor}`;
  const hint = task.clock.path.length && ctx.adapter.keyScanHint ? sql`${sql.raw(ctx.adapter.keyScanHint)} ` : sql``;
  const sel = await sql<{ k: unknown }>`select ${hint}${pk} as k from ${from} where ${due} and ${after} order by ${pk} limit ${task.batchSize}`.execute(tx);
  if (sel.rows.length === 0) return null;
  const keys = sel.rows.map((r) => normaliseKey(r.k));
  const last = keys[keys.length - 1]!;

  const held = new Set(await heldKeys(ctx, task, tx, keys));
  let todo = keys.filter((k) => !held.has(k));
  let blocked = 0;
  if (task.stage.action.kind === 'delete' && todo.length) {
    const b = new Set(await blockedKeys(task, tx, todo));
    blocked = b.size;
    todo = todo.filter((k) => !b.has(k));
  }

  let changedKeys: Key[] = [];
  let queuedFiles = false;
  if (todo.length) {
    const action = task.stage.action;
    if (action.kind === 'delete') {
      if (task.rule.files) {
        const rows = await sql<{ k: unknown; f: unknown }>`select ${pk} as k, ${col(T, task.rule.files)} as f from ${sql.table(task.table.name)} as ${sql.id(T)} where ${keyIn(task, todo)}`.execute(tx);
        const files: QueuedFile[] = rows.rows
          .filter((r) => typeof r.f === 'string' && r.f !== '')
          .map((r) => ({ run_id: ctx.runId, provider: task.provider.id, rule: task.rule.id, stage: task.stage.index, table_name: task.table.name, row_id: normaliseKey(r.k), path: String(r.f) }));
        if (files.length) {
          await queueFiles(tx, files, isoUtc(ctx.now));
          queuedFiles = true;
        }
      }
      await sql`delete from ${sql.table(task.table.name)} where ${sql.ref(task.primaryKey)} in (${sql.join(todo)})`.execute(tx);
      changedKeys = todo;
    } else if (action.kind === 'set') {
      const sets = action.values.map((v) => sql`${sql.ref(v.column)} = ${bindable(v.value)}`);
      if (task.stage.marker) sets.push(sql`${sql.ref(task.stage.marker)} = ${ctx.adapter.encodeTimestamp(ctx.now)}`);
      await sql`update ${sql.table(task.table.name)} set ${sql.join(sets)} where ${sql.ref(task.primaryKey)} in (${sql.join(todo)})`.execute(tx);
      changedKeys = todo;
    } else {
      changedKeys = await anonymiseRows(ctx, task, tx, todo);
    }
  }

  let entry: AuditEntry | null = null;
  if (changedKeys.length) {
    entry = await appendAudit(ctx.adapter, tx, {
      run_id: ctx.runId,
      at: isoUtc(ctx.now),
      provider: task.provider.id,
      rule: task.rule.id,
      stage: task.stage.index,
      table_name: task.table.name,
      action: task.stage.action.kind,
      cutoff: isoUtc(task.cutoff),
      keys: changedKeys,
      policy_sha256: ctx.policy.sha256,
    });
  }
  return { entry, selected: keys.length, changed: changedKeys.length, held: held.size, blocked, last, queuedFiles };
}

/** Keys of the batch protected by an active hold (read in this transaction). */
async function heldKeys(ctx: ExecContext, task: StageTask, tx: Kysely<any>, keys: Key[]): Promise<Key[]> {
  const held = heldPredicate(task, await activeHolds(tx, ctx.now));
  return held ? keysWhere(task, tx, keys, held) : [];
}

/**
 * Keys still referenced by a row in any child table: deleting them would orphan or fail.
 * One index probe per child table, limited to the batch's keys: a single query with an
 * EXISTS per child makes PostgreSQL and MariaDB scan whole child tables on every batch.
 */
async function blockedKeys(task: StageTask, tx: Kysely<any>, keys: Key[]): Promise<Key[]> {
  const blocked = new Set<Key>();
  const byRef = new Map<string, Key[]>();
  for (const fk of task.children) {
    const ref = fk.refColumns[0]!;
    // The referenced column is almost always the primary key: the batch's keys are its values.
    let values = byRef.get(ref);
    if (!values) {
      values = ref === task.primaryKey ? keys : (await sql<{ v: unknown }>`select ${col(T, ref)} as v from ${sql.table(task.table.name)} as ${sql.id(T)} where ${keyIn(task, keys)}`.execute(tx)).rows.map((r) => normaliseKey(r.v));
      byRef.set(ref, values);
    }
    if (values.length === 0) continue;
    const r = await sql<{ v: unknown }>`select distinct ${col('c', fk.columns[0]!)} as v from ${sql.table(fk.table)} as ${sql.id('c')} where ${col('c', fk.columns[0]!)} in (${sql.join(values)})`.execute(tx);
    for (const row of r.rows) blocked.add(normaliseKey(row.v));
  }
  if (blocked.size === 0) return [];
  if (task.children.every((fk) => fk.refColumns[0] === task.primaryKey)) return keys.filter((k) => blocked.has(k));
  return keysWhere(task, tx, keys, sql`(${sql.join(
    [...byRef.keys()].map((ref) => sql`${col(T, ref)} in (${sql.join([...blocked])})`),
    sql` or `,
  )})`);
}

async function keysWhere(task: StageTask, tx: Kysely<any>, keys: Key[], pred: RawBuilder<unknown>): Promise<Key[]> {
  const r = await sql<{ k: unknown }>`select ${col(T, task.primaryKey)} as k from ${sql.table(task.table.name)} as ${sql.id(T)} where ${keyIn(task, keys)} and ${pred}`.execute(tx);
  return r.rows.map((x) => normaliseKey(x.k));
}

/** Rows per UPDATE when anonymising: two parameters per row and column stay far below every engine's limit. */
const ANONYMISE_CHUNK = 200;

/**
 * Rewrites personal columns. Values differ per row, so each column is set with a
 * CASE over the primary key, a chunk of rows per statement (one round trip per chunk,
 * not per row). Returns the keys changed.
 */
async function anonymiseRows(ctx: ExecContext, task: StageTask, tx: Kysely<any>, keys: Key[]): Promise<Key[]> {
  if (task.stage.action.kind !== 'anonymise') return [];
  const columns = task.stage.action.columns;
  const marker = task.stage.marker;
  const rows = await sql<Record<string, unknown>>`select ${col(T, task.primaryKey)} as ${sql.id('__k')}, ${sql.join(columns.map((c) => col(T, c.column)))} from ${sql.table(task.table.name)} as ${sql.id(T)} where ${keyIn(task, keys)} order by ${col(T, task.primaryKey)}`.execute(tx);
  const actx = { hmacKey: ctx.hmacKey, encodeTimestamp: (d: Date) => ctx.adapter.encodeTimestamp(d) };
  const pending: { key: Key; values: unknown[] }[] = [];
  for (const row of rows.rows) {
    const values = columns.map((c) => anonymiseValue(c.strategy, row[c.column], actx));
    // Without a marker, a row already in its anonymised form is left alone (idempotent reruns).
    if (!marker && values.every((v, i) => sameValue(v, row[columns[i]!.column]))) continue;
    pending.push({ key: normaliseKey(row.__k), values });
  }
  const pk = sql.ref(task.primaryKey);
  for (let i = 0; i < pending.length; i += ANONYMISE_CHUNK) {
    const chunk = pending.slice(i, i + ANONYMISE_CHUNK);
    const sets = columns.map((c, j) => {
      const first = chunk[0]!.values[j];
      // null and redact give every row the same value: no CASE needed.
      if (chunk.every((p) => sameValue(p.values[j], first))) return sql`${sql.ref(c.column)} = ${first}`;
      const cases = sql`case ${pk} ${sql.join(chunk.map((p) => sql`when ${p.key} then ${p.values[j]}`), sql` `)} end`;
      return sql`${sql.ref(c.column)} = ${ctx.adapter.castForColumn(cases, task.table.columns.get(c.column)!)}`;
    });
    if (marker) sets.push(sql`${sql.ref(marker)} = ${ctx.adapter.encodeTimestamp(ctx.now)}`);
    await sql`update ${sql.table(task.table.name)} set ${sql.join(sets)} where ${pk} in (${sql.join(chunk.map((p) => p.key))})`.execute(tx);
  }
  return pending.map((p) => p.key);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b || (a === null && b === undefined);
}

