/**
 * The audit log's hash chain. Each entry's hash is sha256(prev_hash + canonical JSON of its
 * other fields). The canonical form is fixed here and nowhere else: keys sorted, numbers as
 * JSON numbers, instants as ISO-8601 UTC text, primary keys as a JSON array. It does not
 * depend on the engine, so the same run gives the same hashes on SQLite, PostgreSQL and
 * MySQL.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { KeyValue } from '../exec/row-key.js';
import { letheDb, letheTable } from '../store/lethe-tables.js';
import type { Adapter } from '../store/types.js';

export const GENESIS_HASH = '0'.repeat(64);

export type AuditAction = 'delete' | 'anonymise' | 'set' | 'file';

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
}

export interface AuditEntry extends Omit<AuditDraft, 'keys' | 'row_count'> {
  seq: number;
  row_count: number;
  keys: KeyValue[];
  prev_hash: string;
  hash: string;
}

/** The canonical JSON of an entry's fields other than prev_hash and hash. */
export function canonicalJson(e: Omit<AuditEntry, 'prev_hash' | 'hash'>): string {
  const fields = {
    action: e.action,
    at: e.at,
    cutoff: e.cutoff,
    keys: e.keys,
    policy_sha256: e.policy_sha256,
    provider: e.provider,
    row_count: e.row_count,
    rule: e.rule,
    run_id: e.run_id,
    seq: e.seq,
    stage: e.stage,
    table_name: e.table_name,
  };
  return JSON.stringify(fields);
}

export function entryHash(prevHash: string, e: Omit<AuditEntry, 'prev_hash' | 'hash'>): string {
  return createHash('sha256').update(prevHash + canonicalJson(e)).digest('hex');
}

/** Creates the head row of the chain if it does not exist (run inside migrations). */
export async function ensureAuditHead(adapter: Adapter): Promise<void> {
  const db = letheDb(adapter);
  const head = await db.selectFrom('lethe_audit_head').select('id').where('id', '=', 1).executeTakeFirst();
  if (!head) await db.insertInto('lethe_audit_head').values({ id: 1, seq: 0, hash: GENESIS_HASH }).execute();
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
  const body = {
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
  };
  const hash = entryHash(head.hash, body);
  const ltx = letheDb(adapter, tx);
  await ltx
    .insertInto('lethe_audit')
    .values({ ...body, keys: JSON.stringify(body.keys), prev_hash: head.hash, hash })
    .execute();
  await ltx.updateTable('lethe_audit_head').set({ seq: body.seq, hash }).where('id', '=', 1).execute();
  return { ...body, prev_hash: head.hash, hash };
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
    keys: safeKeys(r.keys),
    policy_sha256: String(r.policy_sha256),
    prev_hash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

/** The keys as written: JSON.stringify of what is parsed gives back the hashed text. */
function safeKeys(raw: unknown): KeyValue[] {
  try {
    const v = JSON.parse(String(raw)) as unknown;
    return Array.isArray(v) ? (v as KeyValue[]) : [];
  } catch {
    return [];
  }
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first seq whose entry does not verify. */
  firstBad: number | null;
  reason: string | null;
}

/**
 * Recomputes the chain in seq order, a page at a time (memory stays flat), and checks the
 * head row against the last entry, so a truncated tail is caught as well as an edit.
 */
export async function verifyChain(adapter: Adapter, pageSize = 2000): Promise<VerifyResult> {
  const db = letheDb(adapter);
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let checked = 0;
  for (;;) {
    const rows = await db.selectFrom('lethe_audit').selectAll().where('seq', '>=', expectSeq).orderBy('seq').limit(pageSize).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const e = rowToEntry(row);
      if (e.seq !== expectSeq) return bad(checked, expectSeq, `entry ${expectSeq} is missing (next is ${e.seq})`);
      if (e.prev_hash !== prev) return bad(checked, e.seq, `prev_hash does not match the hash of entry ${e.seq - 1}`);
      const { prev_hash: _p, hash: _h, ...body } = e;
      if (entryHash(prev, body) !== e.hash || e.row_count < e.keys.length) return bad(checked, e.seq, 'the entry was changed after it was written');
      prev = e.hash;
      expectSeq++;
      checked++;
    }
  }
  const head = await db.selectFrom('lethe_audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (head && (Number(head.seq) !== expectSeq - 1 || head.hash !== prev)) {
    return bad(checked, Math.min(Number(head.seq), expectSeq), `the chain ends at ${expectSeq - 1} but its head says ${Number(head.seq)}: entries were removed`);
  }
  return { ok: true, checked, firstBad: null, reason: null };
}

function bad(checked: number, seq: number, reason: string): VerifyResult {
  return { ok: false, checked, firstBad: seq, reason };
}
