/**
 * Proof of erasure: what the audit chain says was done to one row (a customer, usually)
 * and to every row that referenced it when it was changed, directly or through other rows.
 * A row's own entries name it in `keys`; the entries of rows that referenced it carry it in
 * `refs` (recorded at change time, refs.ts), so the answer holds after every one of those
 * rows is gone. Files removed with those rows, and holds placed or released on them, come
 * with them. Only keys appear: never a personal value.
 */
import { sql, type ExpressionBuilder, type Kysely, type RawBuilder } from 'kysely';
import { UsageError } from '../errors.js';
import { RowKey, type KeyValue } from '../exec/row-key.js';
import { T } from '../exec/sql-fragments.js';
import { findTable } from '../plan/fk-graph.js';
import { keyColumnsOf } from '../plan/planner.js';
import type { Policy } from '../policy/model.js';
import { letheDb } from '../store/lethe-tables.js';
import type { Adapter, SchemaInfo } from '../store/types.js';
import { rowToEntry, verifyChain, type AuditEntry } from './chain.js';

export interface RowRef {
  table: string;
  key: KeyValue;
}

/**
 * A row named on the command line or in the web view: its table's key columns read the key
 * (`42`, a UUID, or a JSON array for a composite key). A table the store no longer has is
 * still searchable: its key is read as JSON where it parses, else as text.
 */
export function parseRowRef(policy: Policy, schema: SchemaInfo, adapter: Adapter, tableName: string, keyText: string, what: string): RowRef {
  if (!tableName) throw new UsageError(`${what}: name a table`);
  if (!keyText) throw new UsageError(`${what}: name a key`);
  const t = findTable(schema, tableName);
  const columns = t ? keyColumnsOf(policy, schema, t.name) : null;
  if (t && columns) return { table: t.name, key: new RowKey(t.name, columns, adapter).parseInput(keyText, what) };
  return { table: t?.name ?? tableName, key: looseKey(keyText) };
}

/** `accounts:42`, `voicemail_messages:["/var/spool/vm",3]`. */
export function parseSubject(policy: Policy, schema: SchemaInfo, adapter: Adapter, text: string): RowRef {
  const at = text.indexOf(':');
  if (at <= 0) throw new UsageError(`--subject: "${text}" is not <table>:<key> (e.g. accounts:42)`);
  return parseRowRef(policy, schema, adapter, text.slice(0, at), text.slice(at + 1), '--subject');
}

function looseKey(text: string): KeyValue {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'number' || typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((p) => typeof p === 'number' || typeof p === 'string')) return v as KeyValue;
  } catch {
    // plain text
  }
  return text;
}

/** Whether an entry's keys name `ref`. */
export function namesRow(e: Pick<AuditEntry, 'table_name' | 'keys'>, ref: RowRef): boolean {
  if (e.table_name !== ref.table) return false;
  const want = RowKey.encode(ref.key);
  return e.keys.some((k) => RowKey.encode(k) === want);
}

/** `... like ?` that matches `text` literally anywhere, on every engine. */
export function containsText(column: string, text: string): RawBuilder<boolean> {
  const escaped = text.replace(/[!%_]/g, (c) => `!${c}`);
  return sql<boolean>`${sql.ref(column)} like ${`%${escaped}%`} escape '!'`;
}

export interface SubjectEntry {
  seq: number;
  at: string;
  run_id: number;
  action: string;
  provider: string;
  rule: string;
  stage: number;
  table: string;
  cutoff: string | null;
  /** The keys of this entry's rows that are the subject or referenced it. */
  keys: KeyValue[];
  /** `the subject`, or `referenced accounts 42` (through other rows or not). */
  via: string;
  by: string | null;
  reason: string | null;
  policy_sha256: string;
  hash: string;
}

export interface SubjectDocument {
  subject: RowRef;
  generated_at: string;
  /** Whether the subject's row is still in the store (anonymised rows stay), or null when its table is gone. */
  row_present: boolean | null;
  chain: { ok: boolean; entries: number; head_seq: number; head_hash: string; problem: string | null };
  entries: SubjectEntry[];
  summary: Record<string, number>;
}

const PAGE = 500;

/** Everything the chain records about `subject`, in seq order, with the chain's own verification. */
export async function subjectDocument(adapter: Adapter, schema: SchemaInfo, policy: Policy, subject: RowRef, generatedAt: string): Promise<SubjectDocument> {
  const db = letheDb(adapter);
  const subjectKey = RowKey.encode(subject.key);
  const refPattern = `[${JSON.stringify(subject.table)},${subjectKey},[`;
  const found = new Map<number, SubjectEntry>();
  const related = new Map<string, Set<string>>(); // table -> encoded keys of rows that referenced the subject
  const entryOf = (e: AuditEntry, keys: KeyValue[], via: string): SubjectEntry => ({
    seq: e.seq,
    at: e.at,
    run_id: e.run_id,
    action: e.action,
    provider: e.provider,
    rule: e.rule,
    stage: e.stage,
    table: e.table_name,
    cutoff: e.cutoff,
    keys,
    via,
    by: e.by,
    reason: e.reason,
    policy_sha256: e.policy_sha256,
    hash: e.hash,
  });

  // 1. The subject's own entries, and every change of a row that referenced it.
  await scan(db, (q) => q.where((eb: ExpressionBuilder<any, any>) => eb.or([eb('table_name', '=', subject.table), containsText('refs', refPattern)])), (e) => {
    if (namesRow(e, subject)) found.set(e.seq, entryOf(e, [subject.key], 'the subject'));
    const ref = e.refs?.find(([table, key]) => table === subject.table && RowKey.encode(key) === subjectKey);
    if (!ref) return;
    const keys = ref[2].map((i) => e.keys[i]).filter((k): k is KeyValue => k !== undefined);
    const set = related.get(e.table_name) ?? new Set<string>();
    for (const k of keys) set.add(RowKey.encode(k));
    related.set(e.table_name, set);
    found.set(e.seq, entryOf(e, keys, `referenced ${subject.table} ${RowKey.encode(subject.key)}`));
  });

  // 2. Files removed with those rows, and holds placed on or released from them.
  const tables = [...related.keys()].filter((t) => t !== subject.table);
  if (tables.length) {
    await scan(db, (q) => q.where('action', 'in', ['file', 'hold', 'release']).where('table_name', 'in', tables), (e) => {
      const mine = related.get(e.table_name);
      const keys = e.keys.filter((k) => mine?.has(RowKey.encode(k)));
      if (keys.length && !found.has(e.seq)) found.set(e.seq, entryOf(e, keys, `referenced ${subject.table} ${RowKey.encode(subject.key)}`));
    });
  }

  const entries = [...found.values()].sort((a, b) => a.seq - b.seq);
  const summary: Record<string, number> = {};
  for (const e of entries) summary[e.action] = (summary[e.action] ?? 0) + (['hold', 'release'].includes(e.action) ? 1 : e.keys.length);
  const chain = await verifyChain(adapter);
  return {
    subject,
    generated_at: generatedAt,
    row_present: await rowPresent(adapter, schema, policy, subject),
    chain: { ok: chain.ok, entries: chain.checked, head_seq: chain.last.seq, head_hash: chain.last.hash, problem: chain.reason },
    entries,
    summary,
  };
}

/** Reads matching entries a page at a time in seq order; memory stays flat. */
export async function scan(db: Kysely<any>, filter: (q: any) => any, each: (e: AuditEntry) => void): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = (await filter(db.selectFrom('lethe_audit').selectAll().where('seq', '>', after)).orderBy('seq').limit(PAGE).execute()) as Record<string, unknown>[];
    if (rows.length === 0) return;
    for (const r of rows) each(rowToEntry(r));
    after = Number(rows[rows.length - 1]!.seq);
  }
}

async function rowPresent(adapter: Adapter, schema: SchemaInfo, policy: Policy, ref: RowRef): Promise<boolean | null> {
  const t = findTable(schema, ref.table);
  const columns = t ? keyColumnsOf(policy, schema, t.name) : null;
  if (!t || !columns) return null;
  const key = new RowKey(t.name, columns, adapter);
  try {
    const r = await sql`select 1 as x from ${sql.table(t.name)} as ${sql.id(T)} where ${key.in(T, [ref.key])}`.execute(adapter.db);
    return r.rows.length > 0;
  } catch {
    return null;
  }
}
