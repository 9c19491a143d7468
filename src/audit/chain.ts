/**
 * The audit log's hash chain. Each entry's hash is sha256(prev_hash + canonical JSON of its
 * other fields). The canonical form is fixed here and nowhere else: keys sorted, numbers as
 * JSON numbers, instants as ISO-8601 UTC text, primary keys as a JSON array. It does not
 * depend on the engine, so the same run gives the same hashes on SQLite, PostgreSQL and
 * MySQL.
 *
 * Entries record changes to rows (delete, anonymise, set, file) and the acts around them
 * (hold, release, approve, force, policy), with who and why. Fields added after the first
 * release (by, reason, detail, refs) enter the canonical JSON only when set, so entries
 * written before them hash exactly as they did.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { KeyValue } from '../exec/row-key.js';
import { letheDb, letheTable } from '../store/lethe-tables.js';
import { preparedFor } from '../store/prepared.js';
import type { Adapter } from '../store/types.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Changes to rows, written by runs. */
export const ROW_ACTIONS = ['delete', 'anonymise', 'set', 'file'] as const;
/**
 * Acts around the changes: a hold placed or released, a plan approved, a forced run, a policy
 * loaded, a customer instruction, a data-subject request recorded or answered, an export written.
 */
export const EVENT_ACTIONS = ['hold', 'release', 'approve', 'force', 'policy', 'instruct', 'request', 'export'] as const;
export type AuditAction = (typeof ROW_ACTIONS)[number] | (typeof EVENT_ACTIONS)[number];

/**
 * A row that changed rows referenced when they were changed, directly or through other rows
 * (along declared foreign keys): its table, its key, and the indexes in `keys` of the rows
 * that referenced it. What `audit --subject` follows.
 */
export type AuditRef = [table: string, key: KeyValue, rows: number[]];

/** An audit entry as the executor hands it over, before it is placed in the chain. */
export interface AuditDraft {
  run_id: number;
  at: string;
  provider: string;
  rule: string;
  stage: number;
  table_name: string;
  action: AuditAction;
  cutoff: string | null;
  /** Row keys in canonical form: a scalar per row, or an array per row for a composite key. */
  keys: readonly KeyValue[];
  /** Rows changed; more than keys.length only when a rule's `key` is not unique. Defaults to keys.length. */
  row_count?: number;
  policy_sha256: string;
  /** Who: `--by`, else the OS user. */
  by?: string | null;
  /** Why: `--reason`. */
  reason?: string | null;
  /** What else the act needs to be understood: a hold's id and expiry, a plan's counts. JSON scalars, arrays and objects only. */
  detail?: Record<string, unknown> | null;
  refs?: AuditRef[] | null;
}

export interface AuditEntry extends Omit<AuditDraft, 'keys' | 'row_count' | 'by' | 'reason' | 'detail' | 'refs'> {
  seq: number;
  row_count: number;
  keys: KeyValue[];
  by: string | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
  refs: AuditRef[] | null;
  prev_hash: string;
  hash: string;
}

export type AuditBody = Omit<AuditEntry, 'prev_hash' | 'hash' | 'by' | 'reason' | 'detail' | 'refs'> & Partial<Pick<AuditEntry, 'by' | 'reason' | 'detail' | 'refs'>>;

/** The canonical JSON of an entry's fields other than prev_hash and hash. */
export function canonicalJson(e: AuditBody): string {
  const set = <K extends string, V>(k: K, v: V | null | undefined) => (v === null || v === undefined ? {} : { [k]: v });
  // Inserted in sorted order: JSON.stringify keeps insertion order.
  const fields = {
    action: e.action,
    at: e.at,
    ...set('by', e.by),
    cutoff: e.cutoff,
    ...set('detail', e.detail ? sortedKeys(e.detail) : null),
    keys: e.keys,
    policy_sha256: e.policy_sha256,
    provider: e.provider,
    ...set('reason', e.reason),
    ...set('refs', e.refs),
    row_count: e.row_count,
    rule: e.rule,
    run_id: e.run_id,
    seq: e.seq,
    stage: e.stage,
    table_name: e.table_name,
  };
  return JSON.stringify(fields);
}

/** A JSON value with every object's keys sorted, recursively. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])]));
  return v;
}

export function entryHash(prevHash: string, e: AuditBody): string {
  return createHash('sha256').update(prevHash + canonicalJson(e)).digest('hex');
}

/**
 * Locks the chain's head for the rest of the caller's transaction. Every batch takes it
 * first, and so does `hold add`: batches and hold placements are serialised, so a batch
 * sees every hold committed before it began. SQLite's BEGIN IMMEDIATE already did this.
 */
export async function lockAuditHead(adapter: Adapter, tx: Kysely<any>): Promise<AuditHead | null> {
  if (!adapter.supportsForUpdate) return null;
  const r = await sql<{ seq: unknown; hash: string }>`select seq, hash from ${letheTable(adapter, 'lethe_audit_head')} where id = 1 for update`.execute(tx);
  return r.rows[0] ? { seq: Number(r.rows[0].seq), hash: r.rows[0].hash } : null;
}

/** The chain's head as a transaction that locked it read it. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * Appends one entry inside the caller's transaction: locks the head, links the entry to it,
 * and moves the head. Returns the entry as written.
 */
export async function appendAudit(adapter: Adapter, tx: Kysely<any>, draft: AuditDraft, locked: AuditHead | null = null): Promise<AuditEntry> {
  // A batch that locked the head at its start passes it in: this transaction holds it, so it has not moved.
  let head = locked;
  if (!head) {
    const lock = adapter.supportsForUpdate ? sql` for update` : sql``;
    const res = await sql<{ seq: unknown; hash: string }>`select seq, hash from ${letheTable(adapter, 'lethe_audit_head')} where id = 1${lock}`.execute(tx);
    if (!res.rows[0]) throw new Error('lethe_audit_head is missing: run lethe db migrate');
    head = { seq: Number(res.rows[0].seq), hash: res.rows[0].hash };
  }
  const body: Omit<AuditEntry, 'prev_hash' | 'hash'> = {
    seq: Number(head.seq) + 1,
    run_id: draft.run_id,
    at: draft.at,
    provider: draft.provider,
    rule: draft.rule,
    stage: draft.stage,
    table_name: draft.table_name,
    action: draft.action,
    cutoff: draft.cutoff,
    row_count: draft.row_count ?? draft.keys.length,
    keys: [...draft.keys],
    policy_sha256: draft.policy_sha256,
    by: draft.by ?? null,
    reason: draft.reason ?? null,
    detail: draft.detail ? (sortedKeys(draft.detail) as Record<string, unknown>) : null,
    refs: draft.refs?.length ? draft.refs : null,
  };
  const hash = entryHash(head.hash, body);
  const row: Record<(typeof AUDIT_COLUMNS)[number], unknown> = {
    seq: body.seq,
    run_id: body.run_id,
    at: body.at,
    provider: body.provider,
    rule: body.rule,
    stage: body.stage,
    table_name: body.table_name,
    action: body.action,
    cutoff: body.cutoff,
    row_count: body.row_count,
    keys: JSON.stringify(body.keys),
    policy_sha256: body.policy_sha256,
    actor: body.by,
    reason: body.reason,
    detail: body.detail ? JSON.stringify(body.detail) : null,
    refs: body.refs ? JSON.stringify(body.refs) : null,
    prev_hash: head.hash,
    hash,
  };
  const values = AUDIT_COLUMNS.map((c) => row[c]);
  // The head moves in the insert's round trip where a WITH clause may write.
  await insertEntry(adapter).execute(tx, values);
  if (!adapter.writesInWith) await moveHead(adapter).execute(tx, [body.seq, hash]);
  return { ...body, prev_hash: head.hash, hash };
}

/** lethe_audit's columns, in the order insertEntry binds them. */
const AUDIT_COLUMNS = ['seq', 'run_id', 'at', 'provider', 'rule', 'stage', 'table_name', 'action', 'cutoff', 'row_count', 'keys', 'policy_sha256', 'actor', 'reason', 'detail', 'refs', 'prev_hash', 'hash'] as const;

/** `update lethe_audit_head` to seq (value 0) and hash (value 1). */
const headMove = (db: QueryCreator<any>, seq: unknown, hash: unknown) => db.updateTable('lethe_audit_head').set({ seq, hash }).where('id', '=', 1);

function moveHead(adapter: Adapter) {
  return preparedFor(adapter, 'moveHead', (slot) => headMove(letheDb(adapter), slot(0), slot(1)));
}

/** The insert of an entry (AUDIT_COLUMNS' values), moving the head with it where a WITH clause may write: seq and hash are the entry's. */
function insertEntry(adapter: Adapter) {
  return preparedFor(adapter, 'insertEntry', (slot) => {
    const ldb = letheDb(adapter);
    const values = Object.fromEntries(AUDIT_COLUMNS.map((c, i) => [c, slot(i)]));
    const seq = slot(AUDIT_COLUMNS.indexOf('seq'));
    const hash = slot(AUDIT_COLUMNS.indexOf('hash'));
    return (adapter.writesInWith ? ldb.with('moved_head', (db) => headMove(db, seq, hash)) : ldb).insertInto('lethe_audit').values(values);
  });
}

/** Turns a stored row back into an entry (drivers return bigint columns in various forms). */
export function rowToEntry(r: Record<string, unknown>): AuditEntry {
  return {
    seq: Number(r.seq),
    run_id: Number(r.run_id),
    at: String(r.at),
    provider: String(r.provider),
    rule: String(r.rule),
    stage: Number(r.stage),
    table_name: String(r.table_name),
    action: String(r.action) as AuditAction,
    cutoff: r.cutoff === null || r.cutoff === undefined ? null : String(r.cutoff),
    row_count: Number(r.row_count),
    keys: safeJson(r.keys, (v): v is KeyValue[] => Array.isArray(v)) ?? [],
    policy_sha256: String(r.policy_sha256),
    by: r.actor === null || r.actor === undefined ? null : String(r.actor),
    reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
    detail: safeJson(r.detail, (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)),
    refs: safeJson(r.refs, (v): v is AuditRef[] => Array.isArray(v)),
    prev_hash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

/**
 * A JSON column as written: JSON.stringify of what is parsed gives back the hashed text. A
 * value that does not parse, or is not the shape expected, is read as null, and the entry
 * then fails verification instead of crashing the reader.
 */
function safeJson<T>(raw: unknown, is: (v: unknown) => v is T): T | null {
  if (raw === null || raw === undefined) return null;
  try {
    const v = JSON.parse(String(raw)) as unknown;
    return is(v) ? v : null;
  } catch {
    return null;
  }
}

/** Whether an entry records a change to rows (as opposed to a hold, approval, forced run or policy load). */
export function isRowAction(action: string): boolean {
  return (ROW_ACTIONS as readonly string[]).includes(action);
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first seq whose entry does not verify. */
  firstBad: number | null;
  reason: string | null;
  /** The last entry that verified: its seq and hash (0 and the genesis hash for an empty chain). */
  last: { seq: number; hash: string };
}

export interface VerifyOptions {
  pageSize?: number;
  /** Seqs whose hashes the caller wants (checkpoints): returned in `hashes` as the chain is read. */
  want?: ReadonlySet<number>;
}

/**
 * Recomputes the chain in seq order, a page at a time (memory stays flat), and checks the
 * head row against the last entry, so a truncated tail is caught as well as an edit. The
 * head must exist: lethe creates it once, when it sets a store up. Each finished run's
 * changes must be accounted for by its entries. What the store alone cannot show (a tail
 * removed together with its run rows, a chain rewritten with recomputed hashes) is what
 * signed checkpoints are for (checkpoint.ts).
 */
export async function verifyChain(adapter: Adapter, opts: VerifyOptions = {}): Promise<VerifyResult & { hashes: Map<number, string> }> {
  const db = letheDb(adapter);
  const pageSize = opts.pageSize ?? 2000;
  const hashes = new Map<number, string>();
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let checked = 0;
  // Rows each run changed according to its entries (row_count: a key that is not unique counts all its rows).
  const perRun = new Map<number, number>();
  const bad = (seq: number, reason: string) => ({ ok: false, checked, firstBad: seq, reason, last: { seq: expectSeq - 1, hash: prev }, hashes });
  for (;;) {
    const rows = await db.selectFrom('lethe_audit').selectAll().where('seq', '>=', expectSeq).orderBy('seq').limit(pageSize).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const e = rowToEntry(row);
      if (e.seq !== expectSeq) return bad(expectSeq, `entry ${expectSeq} is missing (next is ${e.seq})`);
      if (e.prev_hash !== prev) return bad(e.seq, `prev_hash does not match the hash of entry ${e.seq - 1}`);
      const { prev_hash: _p, hash: _h, ...body } = e;
      if (entryHash(prev, body) !== e.hash || (isRowAction(e.action) && e.row_count < e.keys.length)) return bad(e.seq, 'the entry was changed after it was written');
      if (e.action === 'delete' || e.action === 'anonymise' || e.action === 'set') perRun.set(e.run_id, (perRun.get(e.run_id) ?? 0) + e.row_count);
      if (opts.want?.has(e.seq)) hashes.set(e.seq, e.hash);
      prev = e.hash;
      expectSeq++;
      checked++;
    }
  }
  const head = await db.selectFrom('lethe_audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head) return bad(expectSeq, `the chain's head row (lethe_audit_head) is missing: the log was removed or reset; restore it from a backup`);
  if (Number(head.seq) !== expectSeq - 1 || head.hash !== prev) {
    return bad(Math.min(Number(head.seq), expectSeq), `the chain ends at ${expectSeq - 1} but its head says ${Number(head.seq)}: entries were removed`);
  }
  // A run that finished recorded how many rows it changed; its batches' entries must add up to at least that.
  const runs = await db.selectFrom('lethe_runs').select(['id', 'changed']).where('status', 'not in', ['running', 'dry_run']).where('changed', '>', 0).orderBy('id').execute();
  for (const r of runs) {
    const found = perRun.get(Number(r.id)) ?? 0;
    if (found < Number(r.changed)) return bad(expectSeq, `run ${Number(r.id)} changed ${Number(r.changed)} rows but the chain records ${found} of them: entries were removed`);
  }
  return { ok: true, checked, firstBad: null, reason: null, last: { seq: expectSeq - 1, hash: prev }, hashes };
}
