/**
 * /ui/requests: data-subject requests (lethe_requests) and their deadlines. Per provider the
 * deadline and the open, conflict and overdue counts; then the requests not done, most
 * urgent first, each overdue one marked, then the most recently done. Keys only.
 */
import { RowKey } from '../../exec/row-key.js';
import { listRequests, requestSummary, type ProviderRequests, type RequestStatus } from '../../requests/status.js';
import { tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { filterForm, selectField } from '../forms.js';
import { html, query, type Html } from '../html.js';
import { providerParam } from '../params.js';

/** How many done requests the page lists (newest first); the rest stay in the store. */
const DONE_SHOWN = 100;

/** "overdue 12 days", "due in …" is not shown: the deadline column says when. */
function standing(r: RequestStatus): Html {
  if (r.overdue) return html`<span class="bad">overdue ${r.days_overdue === 1 ? '1 day' : `${r.days_overdue} days`}</span>`;
  if (r.status === 'done') return html`<span class="muted">done</span>`;
  return html`<span class="muted">${r.due_at === null ? 'no deadline' : 'within deadline'}</span>`;
}

/** Requests as a table (id `id`): one row each, overdue ones marked (class and data-overdue). */
export function requestsTable(id: string, requests: readonly RequestStatus[], empty: string): Html {
  return tableOf({
    id,
    headers: ['id', 'provider', 'kind', 'table', 'key', 'status', 'received', 'deadline', 'standing', 'done'],
    numeric: ['id'],
    rows: requests.map((r) => {
      const key = RowKey.encode(r.key);
      return html`<tr data-request="${r.id}" data-overdue="${r.overdue ? '1' : '0'}"${r.overdue ? html` class="overdue"` : ''}><td class="num">${r.id}</td><td>${r.provider}</td><td>${r.kind}</td><td>${r.table}</td><td class="keys"><a href="/ui/audit${query({ table: r.table, key })}">${key}</a></td><td class="${r.status === 'conflict' ? 'warn' : r.status === 'done' ? 'muted' : ''}">${r.status}</td><td class="t">${r.received_at}</td><td class="t">${r.due_at ?? 'not stated'}</td><td>${standing(r)}</td><td class="t">${r.done_at ?? ''}</td></tr>`;
    }),
    empty,
  });
}

/** Per provider: its deadline and the open, conflict and overdue counts (table id `request-summary`). */
export function requestSummaryTable(summary: readonly ProviderRequests[]): Html {
  return tableOf({
    id: 'request-summary',
    headers: ['provider', 'deadline', 'open', 'conflict', 'overdue'],
    numeric: ['open', 'conflict', 'overdue'],
    rows: summary.map(
      (s) =>
        html`<tr data-provider="${s.provider}"><td><a href="/ui/requests${query({ provider: s.provider })}">${s.provider}</a></td><td${s.respond_within === null ? html` class="muted"` : ''}>${s.respond_within ?? 'not stated'}</td><td class="num">${s.open}</td><td class="num">${s.conflict}</td><td class="num${s.overdue ? ' bad' : ''}">${s.overdue}</td></tr>`,
    ),
    empty: 'The policy has no providers.',
  });
}

export async function requestsPage(view: UiView, params: URLSearchParams): Promise<PageContent> {
  const provider = providerParam(view, params);
  // One after another: SQLite has one connection.
  const summary = await requestSummary(view.adapter, view.policy, view.now, { provider });
  const { requests, doneShown, doneTotal } = await listRequests(view.adapter, view.now, { provider, doneLimit: DONE_SHOWN });
  const overdue = summary.reduce((n, s) => n + s.overdue, 0);
  return {
    title: 'Requests',
    body: html`<h1>Data-subject requests</h1>
${filterForm('/ui/requests', [selectField('provider', 'provider', view.policy.providers.map((p) => p.id), provider)], 'Show')}
<p class="meta" id="requests-overdue">${overdue === 0 ? 'No request is overdue' : html`<span class="bad">${overdue} overdue</span>`} at ${view.now.toISOString()}. A request is overdue when it is not done and its deadline (received + the provider's <code>requests.respond_within</code>) has passed; a <em>conflict</em> one (stopped by holds or keep obligations) is still owed an answer.</p>
${requestSummaryTable(summary)}
<h2>Requests</h2>
${requestsTable('requests', requests, 'No data-subject requests have been recorded.')}
${doneTotal > doneShown ? html`<p class="meta">The ${doneShown} most recently done of ${doneTotal} done requests are listed.</p>` : ''}`,
  };
}
