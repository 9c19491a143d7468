/**
 * /ui: where things stand. The chain verified now, the last runs, the report summed per
 * provider, active holds, overdue data-subject requests and plans waiting for approval, each
 * linking to its page.
 */
import { listPlans } from '../../audit/approvals.js';
import { computeReport, type ReportRow } from '../../cli/commands/report.js';
import { tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { html, query } from '../html.js';
import { requestSummary } from '../../requests/status.js';
import { allHolds } from './holds.js';
import { chainLine, chainStatus, checkpointLine } from './chain.js';
import { planState } from './plans.js';
import { requestsTable } from './requests.js';
import { newestRuns, runsTable } from './runs.js';

/** The report summed per provider: rules, gaps, and rows overdue, held and blocked. */
export function summarise(rows: readonly ReportRow[]): { provider: string; rules: number; gaps: number; overdue: number; held: number; blocked: number; badClocks: number }[] {
  const out = new Map<string, { provider: string; rules: number; gaps: number; overdue: number; held: number; blocked: number; badClocks: number }>();
  for (const r of rows) {
    const s = out.get(r.provider) ?? { provider: r.provider, rules: 0, gaps: 0, overdue: 0, held: 0, blocked: 0, badClocks: 0 };
    s.rules++;
    if (r.kind === 'unspecified') s.gaps++;
    s.overdue += r.overdue ?? 0;
    s.held += r.held ?? 0;
    s.blocked += r.blocked ?? 0;
    s.badClocks += r.bad_clocks ?? 0;
    out.set(r.provider, s);
  }
  return [...out.values()];
}

export async function overviewPage(view: UiView): Promise<PageContent> {
  // One after another: SQLite has one connection, and the pages are small.
  const status = await chainStatus(view);
  const { runs } = await newestRuns(view.adapter, 10);
  const report = await computeReport(view);
  const holds = (await allHolds(view.adapter, view.now)).filter((h) => h.state === 'active');
  const waiting = (await listPlans(view.adapter)).filter((p) => planState(p, view.policy.sha256, view.now) === 'awaiting approval');
  const summary = summarise(report.rows);
  const lateRequests = (await requestSummary(view.adapter, view.policy, view.now)).flatMap((s) => s.overdue_requests);
  return {
    title: 'Overview',
    body: html`<h1>Overview</h1>
<div class="cards">
<div class="card"><div class="muted">audit chain</div><div class="n">${status.chain.ok ? html`<span class="ok">verifies</span>` : html`<span class="bad">broken</span>`}</div><a href="/ui/chain">${status.chain.checked} entries</a></div>
<div class="card"><div class="muted">overdue rows</div><div class="n" id="overdue-total">${summary.reduce((n, s) => n + s.overdue, 0)}</div><a href="/ui/report">report</a></div>
<div class="card"><div class="muted">active holds</div><div class="n" id="active-holds">${holds.length}</div><a href="/ui/holds">holds</a></div>
<div class="card"><div class="muted">overdue requests</div><div class="n${lateRequests.length ? ' bad' : ''}" id="requests-overdue-total">${lateRequests.length}</div><a href="/ui/requests">requests</a></div>
<div class="card"><div class="muted">plans awaiting approval</div><div class="n" id="plans-waiting">${waiting.length}</div><a href="/ui/plans">plans</a></div>
</div>
<p id="chain-status"><strong>Audit chain:</strong> ${chainLine(status.chain)}</p>
<p id="checkpoint-status"><strong>Checkpoints:</strong> ${checkpointLine(status)}</p>
<p class="meta">Policy <code>${view.policy.file}</code>, sha256 <span class="hash">${view.policy.sha256}</span>; store ${view.adapter.description}.</p>
<h2>Report summary</h2>
${tableOf({
  id: 'summary',
  headers: ['provider', 'rules', 'unspecified', 'overdue', 'held', 'blocked', 'bad clocks'],
  numeric: ['rules', 'unspecified', 'overdue', 'held', 'blocked', 'bad clocks'],
  rows: summary.map(
    (s) =>
      html`<tr data-provider="${s.provider}"><td><a href="/ui/report${query({ provider: s.provider })}">${s.provider}</a></td><td class="num">${s.rules}</td><td class="num">${s.gaps}</td><td class="num${s.overdue ? ' bad' : ''}">${s.overdue}</td><td class="num">${s.held}</td><td class="num">${s.blocked}</td><td class="num">${s.badClocks}</td></tr>`,
  ),
  empty: 'The policy has no providers.',
})}
<h2>Overdue requests</h2>
${requestsTable('overdue-requests', lateRequests, 'No data-subject request is past its deadline.')}
<h2>Last runs</h2>
${runsTable(runs)}
<p><a href="/ui/runs">all runs</a> · <a href="/ui/audit">audit log</a> · <a href="/ui/subject">erasure record of a row</a></p>`,
  };
}
