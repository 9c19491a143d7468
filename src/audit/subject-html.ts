/**
 * The erasure record as a printable HTML document a DPO can hand over: one self-contained
 * file (inline styles, no script, nothing fetched), which prints to PDF from any browser.
 * It holds keys, rule ids, instants and hashes only.
 */
import type { SubjectDocument } from './subject.js';

export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const ACTION_WORDS: Record<string, string> = {
  delete: 'deleted',
  anonymise: 'anonymised',
  set: 'updated',
  file: 'media file removed',
  hold: 'legal hold placed',
  release: 'legal hold released',
};

export const SUBJECT_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
.meta { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code, .hash { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.ok { color: #1a7f37; font-weight: 600; } .bad { color: #cf222e; font-weight: 600; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
`;

/** The document's body (for the web view, which wraps it in its own page). */
export function subjectBody(doc: SubjectDocument): string {
  const who = `${escapeHtml(doc.subject.table)} ${escapeHtml(JSON.stringify(doc.subject.key))}`;
  const present =
    doc.row_present === null ? 'its table is not in the store' : doc.row_present ? 'the row is still in the store (rows that are anonymised or kept by a rule stay)' : 'the row is no longer in the store';
  const summary = Object.entries(doc.summary).map(([a, n]) => `${escapeHtml(ACTION_WORDS[a] ?? a)}: ${n}`).join(' · ') || 'no entries';
  const rows = doc.entries
    .map(
      (e) => `<tr>
  <td>${e.seq}</td><td>${escapeHtml(e.at)}</td><td>${escapeHtml(ACTION_WORDS[e.action] ?? e.action)}</td>
  <td>${escapeHtml(e.provider)}${e.rule ? ` / ${escapeHtml(e.rule)}` : ''}${e.stage ? ` (stage ${e.stage})` : ''}</td>
  <td>${escapeHtml(e.table)}</td><td><code>${escapeHtml(e.keys.map((k) => JSON.stringify(k)).join(', '))}</code></td>
  <td>${escapeHtml(e.via)}</td><td>${escapeHtml(e.by ?? '')}${e.reason ? `: ${escapeHtml(e.reason)}` : ''}</td>
  <td class="hash">${escapeHtml(e.hash)}</td>
</tr>`,
    )
    .join('\n');
  const chain = doc.chain.ok
    ? `<span class="ok">verifies</span>: ${doc.chain.entries} entries, head seq ${doc.chain.head_seq}, hash <span class="hash">${escapeHtml(doc.chain.head_hash)}</span>`
    : `<span class="bad">does not verify</span>: ${escapeHtml(doc.chain.problem)}`;
  return `<h1>Erasure record: ${who}</h1>
<p class="meta">Generated ${escapeHtml(doc.generated_at)} by lethe from its hash-chained audit log. ${escapeHtml(present)}.</p>
<p><strong>Summary:</strong> ${summary}</p>
<p><strong>Audit chain:</strong> ${chain}</p>
<table>
<thead><tr><th>seq</th><th>at</th><th>what</th><th>provider / rule</th><th>table</th><th>rows (keys)</th><th>why included</th><th>by</th><th>entry hash</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="9">The audit log records nothing done to this row or to rows that referenced it.</td></tr>'}
</tbody>
</table>
<p class="meta">Each entry's hash covers its fields and the previous entry's hash; <code>lethe audit verify</code> recomputes them,
and with <code>--checkpoints</code> checks them against signed checkpoints kept outside the store. Keys identify rows; no personal values are shown.</p>`;
}

export function subjectHtml(doc: SubjectDocument): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Erasure record: ${escapeHtml(doc.subject.table)} ${escapeHtml(JSON.stringify(doc.subject.key))}</title>
<style>${SUBJECT_CSS}</style></head>
<body>
${subjectBody(doc)}
</body></html>
`;
}
