/** How the view shows the values it lists: keys abbreviated, hashes short with the full one on hover, counts right-aligned. */
import { RowKey, type KeyValue } from '../exec/row-key.js';
import { html, type Html } from './html.js';

/** Up to six keys, else the first five and how many there are (the full list is in the subject record and `lethe audit --json`). */
export function abbreviateKeys(keys: readonly KeyValue[]): string {
  const show = (k: KeyValue) => (Array.isArray(k) ? RowKey.encode(k) : String(k));
  return keys.length <= 6 ? keys.map(show).join(', ') : `${keys.slice(0, 5).map(show).join(', ')}, … (${keys.length})`;
}

/** The first 12 hex digits, the whole hash in the tooltip. */
export function shortHash(hash: string | null | undefined): Html {
  return hash ? html`<span class="hash short" title="${hash}">${hash.slice(0, 12)}</span>` : html``;
}

/** A count in a right-aligned cell; null shows as empty. */
export function num(n: number | null | undefined): Html {
  return html`<td class="num">${n === null || n === undefined ? '' : n}</td>`;
}

/** A table with a header row and an id (what tests and links find it by), or a line saying there is nothing to show. */
export function tableOf(o: { id: string; headers: readonly string[]; rows: readonly Html[]; empty: string; numeric?: readonly string[] }): Html {
  if (o.rows.length === 0) return html`<p class="muted" id="${o.id}-empty">${o.empty}</p>`;
  const th = o.headers.map((h) => html`<th${o.numeric?.includes(h) ? html` class="num"` : ''}>${h}</th>`);
  return html`<table id="${o.id}">
<thead><tr>${th}</tr></thead>
<tbody>
${o.rows.map((r) => html`${r}\n`)}</tbody>
</table>`;
}
