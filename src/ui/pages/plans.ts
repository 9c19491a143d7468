/**
 * /ui/plans: saved plans (`lethe plan --save`) and their approvals (`lethe approve`), newest
 * first, each with where it stands now: awaiting approval, approved and in force, expired,
 * or ended because the policy it was saved under is no longer the one in force.
 */
import { listPlans, type SavedPlan } from '../../audit/approvals.js';
import { shortHash, tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { html } from '../html.js';

export type PlanState = 'awaiting approval' | 'in force' | 'expired' | 'policy changed';

/** Where a plan stands at `now` under the policy `sha256` (the rules `approvedStages` applies). */
export function planState(p: SavedPlan, sha256: string, now: Date): PlanState {
  if (p.policySha256 !== sha256) return 'policy changed';
  if (!p.approvedAt) return 'awaiting approval';
  return p.expiresAt !== null && p.expiresAt > now.toISOString() ? 'in force' : 'expired';
}

const STATE_CLASS: Record<PlanState, string> = { 'awaiting approval': 'warn', 'in force': 'ok', expired: 'muted', 'policy changed': 'muted' };

export async function plansPage(view: UiView): Promise<PageContent> {
  const plans = await listPlans(view.adapter);
  const rows = plans.map((p) => {
    const state = planState(p, view.policy.sha256, view.now);
    const due = p.stages.filter((s) => s.due > 0);
    const stages = due.length ? due.map((s) => html`${s.provider}/${s.rule} stage ${s.stage}: ${s.action} ${s.due} ${s.table}${s.guard && s.guard !== 'ok' ? ` (${s.guard})` : ''}<br>`) : html`<span class="muted">nothing due</span>`;
    return html`<tr data-plan="${p.id}"><td class="num">${p.id}</td><td class="${STATE_CLASS[state]}">${state}</td><td class="t">${p.createdAt}</td><td>${p.createdBy}</td><td class="t">${p.now}</td><td>${p.provider ?? 'all'}${p.rule ? ` / ${p.rule}` : ''}</td><td>${stages}</td><td>${p.approvedBy ?? ''}</td><td class="t">${p.approvedAt ?? ''}</td><td>${p.approveReason ?? ''}</td><td class="t">${p.expiresAt ?? ''}</td><td>${shortHash(p.policySha256)}</td></tr>`;
  });
  return {
    title: 'Plans',
    body: html`<h1>Plans and approvals</h1>
<p class="meta">A plan records what a run would change under one policy text at one instant; an approval lets the stages the mass-deletion guard stops run, up to the rows approved, until it expires or the policy changes. The policy in force is ${shortHash(view.policy.sha256)}.</p>
${tableOf({
  id: 'plans',
  headers: ['id', 'state', 'saved', 'saved by', 'now', 'scope', 'due stages', 'approved by', 'approved', 'reason', 'expires', 'policy'],
  numeric: ['id'],
  rows,
  empty: 'No plans have been saved (lethe plan --save).',
})}`,
  };
}
