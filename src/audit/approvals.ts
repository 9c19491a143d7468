/**
 * Saved plans and their approvals (lethe_plans). `plan --save` records what a run would do
 * under one policy (its sha256) at one instant: the due rows of every stage. `approve`
 * signs that off, once, with who and why, for a limited time. A stage the guard stops then
 * runs when an approval of the same policy covers it with at least as many rows as are due
 * now. Editing policies.yaml changes its sha256 and ends every approval of the old text.
 */
import type { Kysely } from 'kysely';
import { UsageError } from '../errors.js';
import { letheDb } from '../store/lethe-tables.js';
import { isoUtc } from '../store/timestamps.js';
import type { Adapter } from '../store/types.js';
import { appendAct } from './acts.js';

/** How long an approval lasts when `--expires` is not given. */
export const DEFAULT_APPROVAL_MS = 24 * 3600 * 1000;

export interface PlannedStage {
  provider: string;
  rule: string;
  stage: number;
  table: string;
  action: string;
  due: number;
  guard: string;
}

export interface SavedPlan {
  id: number;
  createdAt: string;
  createdBy: string;
  now: string;
  policySha256: string;
  provider: string | null;
  rule: string | null;
  stages: PlannedStage[];
  approvedAt: string | null;
  approvedBy: string | null;
  approveReason: string | null;
  expiresAt: string | null;
}

/** A stage an approval in force lets past the guard, up to `due` rows. */
export interface ApprovedStage {
  planId: number;
  provider: string;
  rule: string;
  stage: number;
  due: number;
}

export async function savePlan(adapter: Adapter, p: Omit<SavedPlan, 'id' | 'approvedAt' | 'approvedBy' | 'approveReason' | 'expiresAt'>): Promise<number> {
  const values = {
    created_at: p.createdAt,
    created_by: p.createdBy,
    now: p.now,
    policy_sha256: p.policySha256,
    provider: p.provider,
    rule: p.rule,
    stages: JSON.stringify(p.stages),
  };
  const db = letheDb(adapter);
  if (adapter.supportsReturning) return Number((await db.insertInto('lethe_plans').values(values).returning('id').executeTakeFirstOrThrow()).id);
  return Number((await db.insertInto('lethe_plans').values(values).executeTakeFirstOrThrow()).insertId);
}

export async function loadPlan(adapter: Adapter, db: Kysely<any>, id: number): Promise<SavedPlan | null> {
  const r = await letheDb(adapter, db).selectFrom('lethe_plans').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toPlan(r) : null;
}

export async function listPlans(adapter: Adapter): Promise<SavedPlan[]> {
  return (await letheDb(adapter).selectFrom('lethe_plans').selectAll().orderBy('id', 'desc').execute()).map(toPlan);
}

function toPlan(r: Record<string, unknown>): SavedPlan {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  let stages: PlannedStage[] = [];
  try {
    const parsed = JSON.parse(String(r.stages)) as unknown;
    if (Array.isArray(parsed)) stages = parsed as PlannedStage[];
  } catch {
    // An unreadable plan approves nothing.
  }
  return {
    id: Number(r.id),
    createdAt: String(r.created_at),
    createdBy: String(r.created_by),
    now: String(r.now),
    policySha256: String(r.policy_sha256),
    provider: text(r.provider),
    rule: text(r.rule),
    stages,
    approvedAt: text(r.approved_at),
    approvedBy: text(r.approved_by),
    approveReason: text(r.approve_reason),
    expiresAt: text(r.expires_at),
  };
}

export interface Approval {
  planId: number;
  by: string;
  reason: string;
  at: Date;
  expiresAt: Date;
  policySha256: string;
}

/**
 * Approves a saved plan under the policy in force, in one transaction with its audit entry
 * (the chain's head is locked first, as for every entry). Refuses a plan of another policy,
 * one already approved and in force, and an expiry that is not after `at`.
 */
export async function approvePlan(adapter: Adapter, a: Approval): Promise<SavedPlan> {
  if (a.expiresAt.getTime() <= a.at.getTime()) throw new UsageError(`approve: --expires ${isoUtc(a.expiresAt)} is not after now (${isoUtc(a.at)})`);
  return adapter.transaction(async (tx) => {
    const plan = await loadPlan(adapter, tx, a.planId);
    if (!plan) throw new UsageError(`approve: no saved plan ${a.planId} (save one with lethe plan --save)`);
    if (plan.policySha256 !== a.policySha256) {
      throw new UsageError(`approve: plan ${a.planId} was saved under policy ${plan.policySha256.slice(0, 12)}…, and the policy in force is ${a.policySha256.slice(0, 12)}…; save a new plan under this policy`);
    }
    if (plan.approvedAt && plan.expiresAt && plan.expiresAt > isoUtc(a.at)) throw new UsageError(`approve: plan ${a.planId} is already approved (by ${plan.approvedBy}, until ${plan.expiresAt})`);
    const approved = { approvedAt: isoUtc(a.at), approvedBy: a.by, approveReason: a.reason, expiresAt: isoUtc(a.expiresAt) };
    await appendAct(adapter, tx, {
      action: 'approve',
      at: approved.approvedAt,
      by: a.by,
      reason: a.reason,
      policySha256: plan.policySha256,
      provider: plan.provider ?? '',
      rule: plan.rule ?? '',
      detail: {
        plan_id: plan.id,
        plan_now: plan.now,
        saved_by: plan.createdBy,
        expires_at: approved.expiresAt,
        stages: plan.stages.filter((s) => s.due > 0).map((s) => ({ provider: s.provider, rule: s.rule, stage: s.stage, table: s.table, action: s.action, due: s.due })),
      },
    });
    await letheDb(adapter, tx)
      .updateTable('lethe_plans')
      .set({ approved_at: approved.approvedAt, approved_by: approved.approvedBy, approve_reason: approved.approveReason, expires_at: approved.expiresAt })
      .where('id', '=', plan.id)
      .execute();
    return { ...plan, ...approved };
  });
}

/** The stages that approvals of `policySha256`, in force at `now`, let past the guard. */
export async function approvedStages(adapter: Adapter, db: Kysely<any>, policySha256: string, now: Date): Promise<ApprovedStage[]> {
  const rows = await letheDb(adapter, db)
    .selectFrom('lethe_plans')
    .selectAll()
    .where('policy_sha256', '=', policySha256)
    .where('approved_at', 'is not', null)
    .where('expires_at', '>', isoUtc(now))
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toPlan).flatMap((p) => p.stages.filter((s) => s.due > 0).map((s) => ({ planId: p.id, provider: s.provider, rule: s.rule, stage: s.stage, due: s.due })));
}
