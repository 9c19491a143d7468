/**
 * /ui/subject?subject=accounts:42: a row's erasure record (what `lethe audit --subject`
 * prints) inside the view, with the same document as a printable page, JSON and CSV.
 */
import { subjectDocument, type RowRef, type SubjectDocument } from '../../audit/subject.js';
import { subjectBody } from '../../audit/subject-html.js';
import { csv } from '../../cli/format.js';
import type { PageContent, UiView } from '../context.js';
import { filterForm, textField } from '../forms.js';
import { html, query, raw } from '../html.js';
import { param } from '../params.js';

/** The record of `subject` at the page's instant (as the CLI makes it at its --now or the store's clock). */
export function subjectRecord(view: UiView, subject: RowRef): Promise<SubjectDocument> {
  return subjectDocument(view.adapter, view.schema, view.policy, subject, view.now.toISOString());
}

const CSV_HEADERS = ['seq', 'at', 'action', 'provider', 'rule', 'stage', 'table', 'keys', 'via', 'by', 'reason', 'policy_sha256', 'hash'] as const;

/** The record as CSV, with the columns of `lethe audit --subject … --format csv`. */
export function subjectCsv(doc: SubjectDocument): string {
  return csv(CSV_HEADERS, doc.entries.map((e) => [e.seq, e.at, e.action, e.provider, e.rule, e.stage, e.table, JSON.stringify(e.keys), e.via, e.by, e.reason, e.policy_sha256, e.hash]));
}

/** A file name for downloads: the table and key with anything but letters, digits, `.`, `_` and `-` replaced. */
export function subjectFileName(doc: SubjectDocument, ext: string): string {
  return `erasure-${doc.subject.table}-${JSON.stringify(doc.subject.key)}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120) + `.${ext}`;
}

export async function subjectPage(view: UiView, params: URLSearchParams, subject: RowRef | null): Promise<PageContent> {
  const text = param(params, 'subject');
  const form = filterForm('/ui/subject', [textField('subject', 'subject (table:key)', text, 'accounts:42')], 'Show record');
  if (!subject) {
    return {
      title: 'Erasure record',
      body: html`<h1>Erasure record</h1>
${form}
<p class="meta">Name a row as <code>table:key</code> (<code>accounts:42</code>; a JSON array for a composite key) to see what the audit chain records was done to it and to every row that referenced it, directly or through other rows.</p>`,
    };
  }
  const doc = await subjectRecord(view, subject);
  const q = query({ subject: text });
  return {
    title: `Erasure record: ${subject.table} ${JSON.stringify(subject.key)}`,
    body: html`${form}
<p class="downloads">Download: <a id="printable" href="/ui/subject.html${q}">printable page</a> · <a id="json" href="/ui/subject.json${q}">JSON</a> · <a id="csv" href="/ui/subject.csv${q}">CSV</a></p>
<div id="record">${raw(subjectBody(doc))}</div>`,
  };
}
