/** `lethe approve`: signs off a saved plan, so the guard lets its stages run (DESIGN 12). */
import { DateTime } from 'luxon';
import { UsageError } from '../../errors.js';
import { actor } from '../../audit/acts.js';
import { approvePlan, DEFAULT_APPROVAL_MS } from '../../audit/approvals.js';
import { parsePeriod } from '../../policy/duration.js';
import { parseClockValue } from '../../store/timestamps.js';
import { table } from '../format.js';
import type { Runtime } from '../context.js';
import { byFlag } from './hold.js';

export async function approveCommand(rt: Runtime, planId: string, f: { by?: string; reason?: string; expires?: string }): Promise<number> {
  if (!/^\d+$/.test(planId)) throw new UsageError(`approve: "${planId}" is not a plan id (lethe plan --save prints one)`);
  if (!f.reason?.trim()) throw new UsageError('approve: --reason is required (why these changes may go past the guard)');
  const by = actor(byFlag(f.by, 'approve'), rt.env);
  const now = rt.now ?? (await rt.adapter.dbNow());
  const expiresAt = f.expires === undefined ? new Date(now.getTime() + DEFAULT_APPROVAL_MS) : expiry(f.expires, now);
  const plan = await approvePlan(rt.adapter, { planId: Number(planId), by, reason: f.reason.trim(), at: now, expiresAt, policySha256: rt.policy.sha256 });
  const stages = plan.stages.filter((s) => s.due > 0);
  if (rt.json) {
    process.stdout.write(JSON.stringify({ plan_id: plan.id, approved_by: plan.approvedBy, approved_at: plan.approvedAt, expires_at: plan.expiresAt, reason: plan.approveReason, policy_sha256: plan.policySha256, stages }, null, 2) + '\n');
  } else {
    process.stdout.write(table(['provider', 'rule', 'stage', 'table', 'action', 'due'], stages.map((s) => [s.provider, s.rule, s.stage, s.table, s.action, s.due])));
    process.stdout.write(`plan ${plan.id} approved by ${by} until ${plan.expiresAt}: the guard lets these stages run with at most these many rows, under policy ${plan.policySha256.slice(0, 12)}…\n`);
  }
  return 0;
}

/** `--expires`: an ISO instant, or a period from now ("48 hours", "7 days", "P2D"). */
function expiry(text: string, now: Date): Date {
  const at = parseClockValue(text, 'iso');
  if (at) return at;
  const p = parsePeriod(text);
  if (p.ok && p.period.kind === 'duration' && Object.values(p.period.units).some((n) => n && n > 0)) {
    return DateTime.fromJSDate(now, { zone: 'utc' }).plus(p.period.units).toJSDate();
  }
  throw new UsageError(`--expires: "${text}" is neither an ISO-8601 instant nor a period such as "48 hours" or "7 days"`);
}

/** `lethe plan --save` output, shared with the plan table. */
export function savedPlanLine(id: number): string {
  return `plan ${id} saved; after review: lethe approve ${id} --by <who> --reason <why>\n`;
}
