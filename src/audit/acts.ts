/**
 * Acts around the changes, as audit entries: a hold placed or released, a plan approved, a
 * forced run, a policy loaded. Each names who (`--by`, else the OS user) and why, and is
 * hashed into the chain like any change.
 */
import { userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import type { KeyValue } from '../exec/row-key.js';
import type { Policy } from '../policy/model.js';
import { letheDb } from '../store/lethe-tables.js';
import type { Adapter } from '../store/types.js';
import { appendAudit, lockAuditHead, type AuditAction, type AuditEntry } from './chain.js';

export interface Act {
  action: Exclude<AuditAction, 'delete' | 'anonymise' | 'set' | 'file'>;
  at: string;
  by: string;
  reason?: string | null;
  policySha256: string;
  /** The run a forced run's entry belongs to; 0 for acts outside a run. */
  runId?: number;
  provider?: string;
  rule?: string;
  /** The row an act is about (a hold), if any. */
  table?: string;
  keys?: readonly KeyValue[];
  detail?: Record<string, unknown> | null;
}

/** Appends the act in the caller's transaction (which must have locked the head, or will here). */
export async function appendAct(adapter: Adapter, tx: Kysely<any>, act: Act): Promise<AuditEntry> {
  const head = await lockAuditHead(adapter, tx);
  return appendAudit(
    adapter,
    tx,
    {
      run_id: act.runId ?? 0,
      at: act.at,
      provider: act.provider ?? '',
      rule: act.rule ?? '',
      stage: 0,
      table_name: act.table ?? '',
      action: act.action,
      cutoff: null,
      keys: act.keys ?? [],
      row_count: 0,
      policy_sha256: act.policySha256,
      by: act.by,
      reason: act.reason ?? null,
      detail: act.detail ?? null,
    },
    head,
  );
}

/** Appends the act in a transaction of its own. */
export function recordAct(adapter: Adapter, act: Act): Promise<AuditEntry> {
  return adapter.transaction((tx) => appendAct(adapter, tx, act));
}

/** Who acted: `--by` when given, else the OS user (or the uid where it has no name, as in a container). */
export function actor(by: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (by !== undefined && by.trim()) return by.trim();
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry for this uid.
  }
  return env.USER || env.LOGNAME || `uid ${process.getuid?.() ?? '?'}`;
}

/** The guard of each provider, as a `policy` entry records it. */
export type RecordedGuards = Record<string, { max_fraction: number; min_rows: number }>;

export function guardsOf(policy: Policy): RecordedGuards {
  return Object.fromEntries(policy.providers.map((p) => [p.id, { max_fraction: p.guard.maxFraction, min_rows: p.guard.minRows }]));
}

/** The last `policy` entry's sha256 and guards, or null before the first. */
export async function lastRecordedPolicy(adapter: Adapter, db: Kysely<any> = adapter.db): Promise<{ sha256: string; guards: RecordedGuards } | null> {
  const last = await letheDb(adapter, db).selectFrom('lethe_audit').select(['policy_sha256', 'detail']).where('action', '=', 'policy').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (!last) return null;
  let guards: RecordedGuards = {};
  try {
    guards = (JSON.parse(String(last.detail)) as { guards?: RecordedGuards }).guards ?? {};
  } catch {
    // An unreadable detail fails verification; it keeps no guard.
  }
  return { sha256: String(last.policy_sha256), guards };
}

/**
 * Records a `policy` entry when the policy in force differs from the last one the chain
 * recorded (its sha256, or the guards in force): the chain then says under which text and
 * guards every later change was made. `runId` is the run about to make them. Returns the
 * entry, or null when nothing changed.
 */
export async function recordPolicyLoad(adapter: Adapter, policy: Policy, by: string, at: string, runId = 0): Promise<AuditEntry | null> {
  return adapter.transaction(async (tx) => {
    await lockAuditHead(adapter, tx);
    const last = await lastRecordedPolicy(adapter, tx);
    const guards = guardsOf(policy);
    if (last && last.sha256 === policy.sha256 && sameGuards(last.guards, guards)) return null;
    return appendAct(adapter, tx, { action: 'policy', at, by, runId, policySha256: policy.sha256, detail: { guards } });
  });
}

function sameGuards(a: RecordedGuards, b: RecordedGuards): boolean {
  const ids = Object.keys(a);
  return ids.length === Object.keys(b).length && ids.every((id) => b[id] && a[id]!.max_fraction === b[id].max_fraction && a[id]!.min_rows === b[id].min_rows);
}
