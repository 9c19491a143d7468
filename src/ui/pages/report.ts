/** /ui/report: the compliance report (`lethe report`), per provider and rule, from the same computation. */
import { computeReport, type ReportRow } from '../../cli/commands/report.js';
import { num, tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { filterForm, selectField } from '../forms.js';
import { html, type Html } from '../html.js';
import { providerParam } from '../params.js';

const lastRun = (r: ReportRow) => (r.last_run ? `${r.last_run.finished_at} (run ${r.last_run.id}, ${r.last_run.status})` : 'never');

/** The report's rows as a table: the columns `lethe report` prints. */
export function reportTable(rows: readonly ReportRow[]): Html {
  return tableOf({
    id: 'report',
    headers: ['provider', 'rule', 'table', 'period', 'covered', 'overdue', 'held', 'blocked', 'bad_clocks', 'oldest_days', 'last_run'],
    numeric: ['covered', 'overdue', 'held', 'blocked', 'bad_clocks', 'oldest_days'],
    rows: rows.map(
      (r) =>
        html`<tr data-provider="${r.provider}" data-rule="${r.rule}"><td>${r.provider}</td><td>${r.rule}</td><td>${r.table}</td><td${r.kind === 'unspecified' ? html` class="warn"` : ''}>${r.period}</td>${num(r.covered)}<td class="num${r.overdue ? ' bad' : ''}">${r.overdue ?? ''}</td>${num(r.held)}${num(r.blocked)}${num(r.bad_clocks)}${num(r.oldest_days)}<td>${lastRun(r)}</td></tr>`,
    ),
    empty: 'The policy has no rules for this provider.',
  });
}

export async function reportPage(view: UiView, params: URLSearchParams): Promise<PageContent> {
  const provider = providerParam(view, params);
  const report = await computeReport(view, { provider });
  return {
    title: 'Report',
    body: html`<h1>Compliance report</h1>
${filterForm('/ui/report', [selectField('provider', 'provider', view.policy.providers.map((p) => p.id), provider)], 'Show')}
<p class="meta">At ${report.now.toISOString()}; ${report.gaps} rule(s) with an unspecified period (documented, not enforced).</p>
${reportTable(report.rows)}
<p class="meta">"overdue" rows are due and not yet changed; "held" are protected by a legal hold; "blocked" are still referenced by rows no rule removes; "oldest_days" is how many days the longest-overdue row has been due; "bad_clocks" counts values that are not valid clocks (never due; <code>lethe check</code> names the first).</p>`,
  };
}
