/**
 * /ui/audit: the audit log, newest first, 100 entries a page, filtered by provider, rule,
 * action, instants, and table or row (table + key). Pages are keyset pages on seq (`before`),
 * so a page stays right while runs append entries.
 */
import { rowToEntry, type AuditEntry } from '../../audit/chain.js';
import { containsText, namesRow, type RowRef } from '../../audit/subject.js';
import { RowKey } from '../../exec/row-key.js';
import { letheDb } from '../../store/lethe-tables.js';
import type { Adapter } from '../../store/types.js';
import { abbreviateKeys, num, shortHash, tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { filterForm, selectField, textField } from '../forms.js';
import { html, query } from '../html.js';
import { ACTIONS, actionParam, cursorParam, instantParam, param, providerParam, rowParam, ruleParam } from '../params.js';

export const AUDIT_PAGE_SIZE = 100;

export interface AuditFilter {
  provider?: string;
  rule?: string;
  action?: string;
  since?: string;
  until?: string;
  table?: string;
  row?: RowRef | null;
  /** Only entries with a smaller seq (the next page). */
  before?: number;
}

/**
 * Up to `limit` entries matching `f`, newest first, and whether older ones match too. A key
 * narrows the scan in SQL by its JSON text; the exact match is made on the parsed keys (50 is
 * inside 507), so the scan goes on until the page is full or the log ends.
 */
export async function newestEntries(adapter: Adapter, f: AuditFilter, limit: number): Promise<{ entries: AuditEntry[]; more: boolean }> {
  const out: AuditEntry[] = [];
  let cursor = f.before;
  for (;;) {
    let q = letheDb(adapter).selectFrom('lethe_audit').selectAll().orderBy('seq', 'desc').limit(limit + 1);
    if (cursor !== undefined) q = q.where('seq', '<', cursor);
    if (f.provider) q = q.where('provider', '=', f.provider);
    if (f.rule) q = q.where('rule', '=', f.rule);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<', f.until);
    if (f.table) q = q.where('table_name', '=', f.table);
    if (f.row) q = q.where(containsText('keys', RowKey.encode(f.row.key)));
    const rows = await q.execute();
    for (const r of rows) {
      const e = rowToEntry(r);
      if (f.row && !namesRow(e, f.row)) continue;
      if (out.length === limit) return { entries: out, more: true };
      out.push(e);
    }
    if (rows.length <= limit) return { entries: out, more: false };
    cursor = Number(rows[rows.length - 1]!.seq);
  }
}

export async function auditPage(view: UiView, params: URLSearchParams): Promise<PageContent> {
  const provider = providerParam(view, params);
  const rule = ruleParam(view, params, provider);
  const action = actionParam(params);
  const since = instantParam(params, 'since');
  const until = instantParam(params, 'until');
  const { table, row } = await rowParam(view, params);
  const before = cursorParam(params, 'before');
  const { entries, more } = await newestEntries(view.adapter, { provider, rule, action, since, until, table, row, before }, AUDIT_PAGE_SIZE);

  const rules = [...new Set(view.policy.providers.filter((p) => !provider || p.id === provider).flatMap((p) => p.rules.map((r) => r.id)))].sort();
  const form = filterForm('/ui/audit', [
    selectField('provider', 'provider', view.policy.providers.map((p) => p.id), provider),
    selectField('rule', 'rule', rules, rule),
    selectField('action', 'action', ACTIONS, action),
    textField('since', 'since (ISO)', param(params, 'since'), '2026-01-01T00:00:00Z'),
    textField('until', 'until (ISO)', param(params, 'until'), ''),
    textField('table', 'table', param(params, 'table'), 'accounts'),
    textField('key', 'key', param(params, 'key'), '42 or ["a",1]'),
  ]);
  const rowsHtml = entries.map(
    (e) => html`<tr data-seq="${e.seq}"><td class="num">${e.seq}</td><td class="t">${e.at}</td><td>${e.action}</td><td>${e.provider}</td><td>${e.rule}</td>${num(e.stage || null)}<td>${e.table_name}</td>${num(e.row_count)}<td class="keys">${abbreviateKeys(e.keys)}</td><td>${e.by ?? ''}</td><td>${e.reason ?? ''}</td><td>${shortHash(e.hash)}</td></tr>`,
  );
  const keep = { provider, rule, action, since: param(params, 'since'), until: param(params, 'until'), table: param(params, 'table'), key: param(params, 'key') };
  const last = entries[entries.length - 1];
  const pager = html`<div class="pager">${before !== undefined ? html`<a href="/ui/audit${query(keep)}">newest</a>` : ''}${more && last ? html`<a id="older" href="/ui/audit${query({ ...keep, before: last.seq })}">older →</a>` : ''}</div>`;
  const what = row ? html` of ${row.table} row <code>${RowKey.encode(row.key)}</code>` : '';
  const shown = entries.length ? html`<p class="meta" id="audit-summary">${entries.length} entries${what}, seq ${entries[0]!.seq} down to ${last!.seq}${more ? '; older ones on the next page' : ''}.</p>` : '';
  return {
    title: 'Audit log',
    body: html`<h1>Audit log</h1>
${form}
${shown}
${tableOf({
  id: 'audit',
  headers: ['seq', 'at', 'action', 'provider', 'rule', 'stage', 'table', 'rows', 'keys', 'by', 'reason', 'hash'],
  numeric: ['seq', 'stage', 'rows'],
  rows: rowsHtml,
  empty: 'No entries match.',
})}
${pager}
<p class="meta">Keys name rows; no personal values are kept in the log. The full record of a row and of every row that referenced it is its <a href="/ui/subject">erasure record</a>.</p>`,
  };
}
