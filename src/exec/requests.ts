/**
 * Carrying out data-subject requests (DESIGN 9, "Requests with deadlines"), once per provider
 * in each enforcement run, before its stages.
 *
 * Erasure deletes the named row and every row that reaches it through foreign keys, child
 * tables first, in keyset batches of one transaction each (fence, audit head, re-check,
 * delete, audit entry, file queue), as the executor does. Precedence is the stages': a row a
 * hold protects, a row an active `retain` rule covers, and a row a kept row still references
 * all stay. A request with nothing kept is `done`; otherwise it is a `conflict`, retried on
 * every later run (the hold may be released, the obligation may end).
 *
 * Access writes the subject's export (export.ts) and is `done` with its path and sha256.
 *
 * A request that cannot be carried out (no export root, a table without a key) stays as it
 * was and is reported in the run's result; it never stops the provider's stages.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { appendAct } from '../audit/acts.js';
import { appendAudit, type AuditEntry } from '../audit/chain.js';
import { fenceAndLockHead } from '../lease.js';
import { safeErrorMessage } from '../errors.js';
import type { FilesTemplate, ProviderPolicy } from '../policy/model.js';
import { findTable, reachingPaths, referencingKeys, type Hop } from '../plan/fk-graph.js';
import { clockAccess, holdPathsOf, keyColumnsOf, retainCondition, scopeOf, type DueCondition, type HoldPath } from '../plan/planner.js';
import { letheDb } from '../store/lethe-tables.js';
import { isoUtc } from '../store/timestamps.js';
import type { Adapter, ForeignKeyInfo, SchemaInfo, TableInfo } from '../store/types.js';
import { withRetry, type ExecContext } from './executor.js';
import { exportSubject, filesTemplates } from './export.js';
import { queueFiles, renderPath, type QueuedFile } from './files.js';
import { activeHolds, heldPredicate } from './holds.js';
import { auditRefs, referencedRows } from './refs.js';
import { KEY_CHUNK, RowKey, type KeyValue } from './row-key.js';
import { childRowExists, col, conditionHolds, pathExists, T } from './sql-fragments.js';

export type RequestKind = 'erasure' | 'access';
export type RequestStatus = 'open' | 'done' | 'conflict';

/** Why a row an erasure reaches was kept. */
export type KeptReason = 'held' | 'retained' | 'referenced';

/** Rows kept in one table, by reason, and (the first KEPT_KEYS_SHOWN of) their keys. */
export interface KeptRows {
  held: number;
  retained: number;
  referenced: number;
  keys: KeyValue[];
}

/** What one run did with one request. */
export interface RequestOutcome {
  id: number;
  provider: string;
  kind: RequestKind;
  table: string;
  key: KeyValue | null;
  /**
   * The request's status after this run: `done`, `conflict`, or `open` (not carried out:
   * see error, or a dry run). `interrupted`: the run stopped before it finished; it goes on
   * next run. `failed`: an error; the request keeps its status.
   */
  status: RequestStatus | 'interrupted' | 'failed';
  /** Erasure: rows deleted per table (in a dry run, rows a run would delete). */
  deleted: Record<string, number>;
  /** Erasure: rows kept per table. */
  kept: Record<string, KeptRows>;
  /** Access: the archive written (null in a dry run or on error). */
  export: { path: string; sha256: string; rows: Record<string, number>; files: number } | null;
  /** Whether this run appended a `request` act and updated the request. */
  recorded: boolean;
  error: string | null;
}

/** Keys of kept rows stored per table in a request's outcome: enough to find them, bounded however large the customer. */
export const KEPT_KEYS_SHOWN = 100;

/** The `rule` of a request's audit entries and queued files. */
export function requestRule(id: number): string {
  return `request-${id}`;
}

interface StoredRequest {
  id: number;
  provider: string;
  kind: RequestKind;
  table: string;
  key: KeyValue | null;
  status: RequestStatus;
  outcome: string | null;
}

/**
 * Carries out the provider's open and conflicting requests, oldest first. Never throws:
 * each request's error is in its outcome. `by` is who runs the run (recorded with each act).
 */
export async function carryOutRequests(ctx: ExecContext, provider: ProviderPolicy, schema: SchemaInfo, by: string): Promise<RequestOutcome[]> {
  let pending: StoredRequest[];
  try {
    pending = await ctx.read((db) => pendingRequests(ctx, db, provider.id));
  } catch (err) {
    return [{ ...blank({ id: 0, provider: provider.id, kind: 'erasure', table: '', key: null }), status: 'failed', error: `could not read the requests: ${safeErrorMessage(ctx.adapter, err)}` }];
  }
  const out: RequestOutcome[] = [];
  for (const req of pending) {
    if (ctx.shouldStop()) break;
    const outcome = req.kind === 'erasure' ? await erase(ctx, provider, schema, req, by) : await access(ctx, schema, req, by);
    announce(ctx, outcome, req);
    out.push(outcome);
    if (outcome.status === 'interrupted') break;
  }
  return out;
}

async function pendingRequests(ctx: ExecContext, db: Kysely<any>, provider: string): Promise<StoredRequest[]> {
  const rows = await letheDb(ctx.adapter, db)
    .selectFrom('lethe_requests')
    .select(['id', 'provider', 'kind', 'table_name', 'row_key', 'status', 'outcome'])
    .where('provider', '=', provider)
    .where('status', 'in', ['open', 'conflict'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    provider: String(r.provider),
    kind: String(r.kind) as RequestKind,
    table: String(r.table_name),
    key: RowKey.decode(r.row_key),
    status: String(r.status) as RequestStatus,
    outcome: r.outcome === null || r.outcome === undefined ? null : String(r.outcome),
  }));
}

function blank(req: Pick<StoredRequest, 'id' | 'provider' | 'kind' | 'table' | 'key'>): RequestOutcome {
  return { id: req.id, provider: req.provider, kind: req.kind, table: req.table, key: req.key, status: 'open', deleted: {}, kept: {}, export: null, recorded: false, error: null };
}

/** Events for logs and metrics: a conflict newly found (or changed), a request done, one that failed. */
function announce(ctx: ExecContext, o: RequestOutcome, req: StoredRequest): void {
  const payload = { runId: ctx.runId, ...o, dryRun: ctx.dryRun };
  if (o.status === 'failed') ctx.events.emit('request:failed', payload);
  else if (o.status === 'conflict' && (o.recorded || ctx.dryRun || req.status !== 'conflict')) ctx.events.emit('request:conflict', payload);
  else if (o.status === 'done') ctx.events.emit('request:done', payload);
}

// ---- erasure ------------------------------------------------------------------------------------

/** One table an erasure reaches: how its rows are named, reached, protected and referenced. */
interface ErasureTable {
  table: TableInfo;
  key: RowKey;
  /** True for rows that reach the subject (on alias t). */
  reach: RawBuilder<unknown>;
  holdPaths: HoldPath[];
  /** Active retain obligations on the table (any provider's, each in its own scope). */
  retained: RawBuilder<unknown> | null;
  /** Foreign keys whose remaining rows keep a row of this table. */
  children: ForeignKeyInfo[];
  files: FilesTemplate[];
}

async function erase(ctx: ExecContext, provider: ProviderPolicy, schema: SchemaInfo, req: StoredRequest, by: string): Promise<RequestOutcome> {
  const out = blank(req);
  try {
    const tables = erasureTables(ctx, schema, req);
    const batchSize = provider.batchSize;
    for (const et of tables) {
      let cursor: KeyValue | null = null;
      for (;;) {
        // better-sqlite3 is synchronous: let signals, probes and lease renewal in between batches.
        await yieldToEventLoop();
        if (ctx.shouldStop()) {
          out.status = 'interrupted';
          return out;
        }
        // Candidates are read outside the write transaction (the reach condition may walk
        // joins); the batch re-checks them by key, under its locks.
        const after: KeyValue | null = cursor;
        const candidates: KeyValue[] = await ctx.read(async (db): Promise<KeyValue[]> => {
          const where: RawBuilder<unknown> = after === null ? et.reach : sql`${et.reach} and ${et.key.after(T, after)}`;
          const r = await sql<Record<string, unknown>>`select ${et.key.select(T)} from ${sql.table(et.table.name)} as ${sql.id(T)} where ${where} order by ${et.key.orderBy(T)} limit ${batchSize}`.execute(db);
          return r.rows.map((row) => et.key.fromRow(row));
        });
        if (candidates.length === 0) break;
        cursor = candidates[candidates.length - 1]!;
        const batch = await withRetry(ctx, () => ctx.tx((tx) => eraseBatch(ctx, req, et, tx, candidates)));
        if (batch.deleted) out.deleted[et.table.name] = (out.deleted[et.table.name] ?? 0) + batch.deleted;
        for (const [reason, keys] of Object.entries(batch.kept) as [KeptReason, KeyValue[]][]) {
          if (!keys.length) continue;
          const k = (out.kept[et.table.name] ??= { held: 0, retained: 0, referenced: 0, keys: [] });
          k[reason] += keys.length;
          for (const key of keys) if (k.keys.length < KEPT_KEYS_SHOWN) k.keys.push(key);
        }
        // Announced after the commit: a log line never describes a batch that rolled back.
        if (batch.entry && !ctx.dryRun) ctx.events.emit('purge', batch.entry);
        if (batch.queuedFiles) await ctx.afterBatch();
      }
    }
    out.status = Object.keys(out.kept).length ? 'conflict' : 'done';
    const earlier = storedOutcome(req.outcome);
    // A conflict found again, unchanged, by a later run is not recorded again: the chain gets
    // one entry per change of answer, not one per run while a hold lasts.
    if (out.status === 'conflict' && req.status === 'conflict' && Object.keys(out.deleted).length === 0 && JSON.stringify(earlier.kept) === JSON.stringify(out.kept)) return out;
    // The request's outcome counts every row deleted for it, over all the runs it took; each
    // run's act says what that run deleted.
    const total = { ...earlier.deleted };
    for (const [t, n] of Object.entries(out.deleted)) total[t] = (total[t] ?? 0) + n;
    await complete(ctx, req, by, out.status, { deleted: total, kept: out.kept }, { deleted: out.deleted, kept: keptCounts(out.kept) });
    out.recorded = true;
  } catch (err) {
    out.status = 'failed';
    out.error = safeErrorMessage(ctx.adapter, err);
  }
  return out;
}

/**
 * The tables an erasure of `req` reaches, child tables first, the subject's table last. Every
 * table must have a key before anything is deleted, so a request that cannot finish never
 * starts.
 */
function erasureTables(ctx: ExecContext, schema: SchemaInfo, req: StoredRequest): ErasureTable[] {
  const { adapter, policy } = ctx;
  const target = findTable(schema, req.table);
  if (!target) throw new Error(`request ${req.id}: table ${req.table} is not in the store`);
  const targetCols = keyColumnsOf(policy, schema, target.name);
  if (!targetCols) throw new Error(`request ${req.id}: ${target.name} has no primary key and no rule gives it a \`key\``);
  if (req.key === null) throw new Error(`request ${req.id}: its row_key does not decode`);
  const subject = req.key;
  const targetKey = new RowKey(target.name, targetCols, adapter);
  return reachingPaths(schema, target.name).map(({ table, paths }) => {
    const info = schema.tables.get(table)!;
    const cols = keyColumnsOf(policy, schema, table);
    if (!cols) throw new Error(`request ${req.id}: ${table} references ${target.name} but has no primary key and no rule gives it a \`key\`, so its rows cannot be named`);
    const reach = paths.map((p) => reachPredicate(adapter, p, targetKey, subject));
    return {
      table: info,
      key: new RowKey(table, cols, adapter),
      reach: reach.length === 1 ? reach[0]! : sql`(${sql.join(reach, sql` or `)})`,
      holdPaths: holdPathsOf(policy, schema, table),
      retained: retainedPredicate(ctx, schema, table),
      children: referencingKeys(schema, table),
      files: filesTemplates(policy, schema, table),
    };
  });
}

/**
 * Rows (alias t) that reach the subject along `path`. Where the last hop references the
 * subject's key itself, its foreign-key columns are compared with the key directly, so the
 * engine can use their index instead of joining the subject's table.
 */
function reachPredicate(adapter: Adapter, path: readonly Hop[], targetKey: RowKey, subject: KeyValue): RawBuilder<unknown> {
  if (path.length === 0) return targetKey.in(T, [subject]);
  const last = path[path.length - 1]!;
  const names = targetKey.columns.map((c) => c.name);
  if (last.refColumns.length === names.length && last.refColumns.every((c, i) => c === names[i])) {
    const fkKey = new RowKey(last.fromTable, last.columns.map((c, i) => ({ ...targetKey.columns[i]!, name: c })), adapter);
    return pathExists(path.slice(0, -1), (a) => fkKey.in(a, [subject]));
  }
  return pathExists(path, (a) => targetKey.in(a, [subject]));
}

/** Active retain obligations on `table` (every provider's, each within its own scope), or null when none. */
function retainedPredicate(ctx: ExecContext, schema: SchemaInfo, table: string): RawBuilder<unknown> | null {
  const conds: DueCondition[] = [];
  for (const p of ctx.policy.providers) {
    for (const r of p.rules) {
      if (r.kind !== 'retain' || findTable(schema, r.table)?.name !== table) continue;
      conds.push(retainCondition(p, r, scopeOf(ctx.policy, p, r, schema), r.clock ? clockAccess(schema, r, r.clock) : null, ctx.now));
    }
  }
  if (!conds.length) return null;
  return sql`(${sql.join(conds.map((c) => conditionHolds(ctx.adapter, c)), sql` or `)})`;
}

interface ErasureBatch {
  deleted: number;
  kept: Record<KeptReason, KeyValue[]>;
  entry: AuditEntry | null;
  queuedFiles: boolean;
}

/**
 * One batch: the candidates still there and still reaching the subject, less those held
 * (holds are read here, under the chain's head lock, so a hold placed meanwhile counts),
 * retained or still referenced; the rest deleted, audited and their files queued.
 */
async function eraseBatch(ctx: ExecContext, req: StoredRequest, et: ErasureTable, tx: Kysely<any>, candidates: KeyValue[]): Promise<ErasureBatch> {
  const { adapter } = ctx;
  const head = await fenceAndLockHead(adapter, tx, ctx.fence);
  const key = et.key;
  const lock = adapter.rowLockClause('delete', T, []);
  const present: KeyValue[] = [];
  for (let i = 0; i < candidates.length; i += KEY_CHUNK) {
    const r = await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(et.table.name)} as ${sql.id(T)} where ${key.in(T, candidates.slice(i, i + KEY_CHUNK))} and ${et.reach} order by ${key.orderBy(T)}${lock ? sql` ${sql.raw(lock)}` : sql``}`.execute(tx);
    for (const row of r.rows) present.push(key.fromRow(row));
  }
  const kept: Record<KeptReason, KeyValue[]> = { held: [], retained: [], referenced: [] };
  let todo = present;
  const held = heldPredicate(adapter, { table: et.table, keyColumns: key.columns, holdPaths: et.holdPaths }, await activeHolds(adapter, tx, ctx.now));
  if (held && todo.length) todo = split(todo, await keysWhere(et, tx, todo, held), kept.held);
  if (et.retained && todo.length) todo = split(todo, await keysWhere(et, tx, todo, et.retained), kept.retained);
  // Children first: a row still referenced here is referenced by a row that was kept (or
  // that does not reach the subject at all); deleting it would orphan that row.
  if (et.children.length && todo.length) todo = split(todo, await referencedKeys(et, tx, todo), kept.referenced);

  let entry: AuditEntry | null = null;
  let queuedFiles = false;
  let deleted = 0;
  if (todo.length) {
    const referenced = await referencedRows(adapter, { table: et.table, holdPaths: et.holdPaths }, tx, key, todo);
    const files = et.files.length ? await filePaths(ctx, req, et, tx, todo) : [];
    for (let i = 0; i < todo.length; i += KEY_CHUNK) {
      const r = await adapter.deleteWhere(et.table.name, T, key.in(T, todo.slice(i, i + KEY_CHUNK))).execute(tx);
      deleted += Number((r as { numAffectedRows?: bigint }).numAffectedRows ?? 0);
    }
    // The rows are locked (or the store's one write lock is held): every key in todo is gone.
    if (files.length) {
      await queueFiles(adapter, tx, files, isoUtc(ctx.now));
      queuedFiles = true;
    }
    entry = await appendAudit(
      adapter,
      tx,
      {
        run_id: ctx.runId,
        at: isoUtc(ctx.now),
        provider: req.provider,
        rule: requestRule(req.id),
        stage: 0,
        table_name: et.table.name,
        action: 'delete',
        cutoff: null,
        keys: todo,
        row_count: Math.max(deleted, todo.length),
        policy_sha256: ctx.policy.sha256,
        detail: { request_id: req.id },
        refs: auditRefs(todo, referenced),
      },
      head,
    );
    deleted = todo.length;
  }
  return { deleted, kept, entry, queuedFiles };
}

/** `keys` less those in `drop` (which are appended to `into`), in order. */
function split(keys: KeyValue[], drop: Set<string>, into: KeyValue[]): KeyValue[] {
  if (!drop.size) return keys;
  const rest: KeyValue[] = [];
  for (const k of keys) (drop.has(RowKey.encode(k)) ? into : rest).push(k);
  return rest;
}

async function keysWhere(et: ErasureTable, tx: Kysely<any>, keys: KeyValue[], pred: RawBuilder<unknown>): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const r = await sql<Record<string, unknown>>`select ${et.key.select(T)} from ${sql.table(et.table.name)} as ${sql.id(T)} where ${et.key.in(T, keys.slice(i, i + KEY_CHUNK))} and ${pred}`.execute(tx);
    for (const row of r.rows) out.add(RowKey.encode(et.key.fromRow(row)));
  }
  return out;
}

/** Keys some row of a child table still references: one probe per foreign key and chunk. */
async function referencedKeys(et: ErasureTable, tx: Kysely<any>, keys: KeyValue[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const fk of et.children) {
    for (const k of await keysWhere(et, tx, keys, childRowExists(fk))) out.add(k);
  }
  return out;
}

/** The media paths of the rows about to be deleted, from every template of their table. */
async function filePaths(ctx: ExecContext, req: StoredRequest, et: ErasureTable, tx: Kysely<any>, keys: KeyValue[]): Promise<QueuedFile[]> {
  const columns = [...new Set(et.files.flatMap((f) => f.columns))];
  const out: QueuedFile[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const cols = sql.join(columns.map((c, j) => sql`${col(T, c)} as ${sql.id(`__f${j}`)}`));
    const rows = await sql<Record<string, unknown>>`select ${et.key.select(T)}, ${cols} from ${sql.table(et.table.name)} as ${sql.id(T)} where ${et.key.in(T, keys.slice(i, i + KEY_CHUNK))}`.execute(tx);
    for (const r of rows.rows) {
      const rowKey = RowKey.encode(et.key.fromRow(r));
      for (const template of et.files) {
        const path = renderPath(template, (c) => r[`__f${columns.indexOf(c)}`]);
        if (path === null || seen.has(`${rowKey}\u0000${path}`)) continue;
        seen.add(`${rowKey}\u0000${path}`);
        out.push({ run_id: ctx.runId, provider: req.provider, rule: requestRule(req.id), stage: 0, table_name: et.table.name, row_key: rowKey, path });
      }
    }
  }
  return out;
}

function keptCounts(kept: Record<string, KeptRows>): Record<string, Partial<Record<KeptReason, number>>> {
  return Object.fromEntries(
    Object.entries(kept).map(([t, k]) => [t, Object.fromEntries((['held', 'retained', 'referenced'] as const).filter((r) => k[r] > 0).map((r) => [r, k[r]]))]),
  );
}

/** An erasure's outcome as an earlier run stored it (nothing, for a request not yet taken up). */
function storedOutcome(stored: string | null): { deleted: Record<string, number>; kept: Record<string, KeptRows> } {
  try {
    const v = stored === null ? null : (JSON.parse(stored) as { deleted?: Record<string, number>; kept?: Record<string, KeptRows> } | null);
    return { deleted: v?.deleted ?? {}, kept: v?.kept ?? {} };
  } catch {
    return { deleted: {}, kept: {} };
  }
}

// ---- access -------------------------------------------------------------------------------------

async function access(ctx: ExecContext, schema: SchemaInfo, req: StoredRequest, by: string): Promise<RequestOutcome> {
  const out = blank(req);
  // A dry run writes no archive: it reports that the run would.
  if (ctx.dryRun) return out;
  try {
    if (req.key === null) throw new Error(`request ${req.id}: its row_key does not decode`);
    const key = req.key;
    const x = await ctx.read((db) => exportSubject(ctx.adapter, ctx.policy, schema, db, req.table, key, { now: ctx.now, label: requestRule(req.id) }));
    out.export = { path: x.path, sha256: x.sha256, rows: x.rows, files: x.files };
    await complete(ctx, req, by, 'done', { path: x.path, sha256: x.sha256, rows: x.rows, files: x.files }, { export: { path: x.path, sha256: x.sha256 } });
    out.status = 'done';
    out.recorded = true;
  } catch (err) {
    out.status = 'failed';
    out.error = safeErrorMessage(ctx.adapter, err);
  }
  return out;
}

// ---- completion ---------------------------------------------------------------------------------

/** Records a request's new status and outcome, with its `request` act, in one transaction. */
async function complete(ctx: ExecContext, req: StoredRequest, by: string, status: RequestStatus, outcome: unknown, detail: Record<string, unknown>): Promise<void> {
  const at = isoUtc(ctx.now);
  await withRetry(ctx, () =>
    ctx.tx(async (tx) => {
      if (ctx.fence) await ctx.fence.check(tx);
      await appendAct(ctx.adapter, tx, {
        action: 'request',
        at,
        by,
        policySha256: ctx.policy.sha256,
        runId: ctx.runId,
        provider: req.provider,
        rule: requestRule(req.id),
        table: req.table,
        keys: req.key === null ? [] : [req.key],
        detail: { request_id: req.id, status, ...detail },
      });
      await letheDb(ctx.adapter, tx)
        .updateTable('lethe_requests')
        .set({ status, done_at: status === 'done' ? at : null, run_id: ctx.runId, outcome: JSON.stringify(outcome) })
        .where('id', '=', req.id)
        .execute();
    }),
  );
}

