/** /ui/holds: legal holds (lethe_holds), active and past, newest first. */
import { letheDb } from '../../store/lethe-tables.js';
import type { Adapter } from '../../store/types.js';
import { tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { html, query } from '../html.js';

export interface HoldRecord {
  id: number;
  table: string;
  /** The held row's key as canonical JSON. */
  key: string;
  reason: string;
  placed_at: string;
  placed_by: string | null;
  expires_at: string | null;
  released_at: string | null;
  released_by: string | null;
  release_reason: string | null;
  state: 'active' | 'released' | 'expired';
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Every hold, newest first, with its state at `now` (as `lethe hold list --all` decides it). */
export async function allHolds(adapter: Adapter, now: Date): Promise<HoldRecord[]> {
  const at = now.toISOString();
  const rows = await letheDb(adapter).selectFrom('lethe_holds').selectAll().orderBy('id', 'desc').execute();
  return rows.map((h) => {
    const expires = text(h.expires_at);
    const released = text(h.released_at);
    return {
      id: Number(h.id),
      table: String(h.table_name),
      key: String(h.row_key),
      reason: String(h.reason),
      placed_at: String(h.placed_at),
      placed_by: text(h.placed_by),
      expires_at: expires,
      released_at: released,
      released_by: text(h.released_by),
      release_reason: text(h.release_reason),
      state: released !== null ? 'released' : expires !== null && expires <= at ? 'expired' : 'active',
    };
  });
}

export async function holdsPage(view: UiView): Promise<PageContent> {
  const holds = await allHolds(view.adapter, view.now);
  const active = holds.filter((h) => h.state === 'active').length;
  return {
    title: 'Holds',
    body: html`<h1>Legal holds</h1>
<p class="meta">${active} active, ${holds.length - active} released or expired. A hold protects its row and every row that references it; place and release them with <code>lethe hold add</code> and <code>lethe hold release</code>.</p>
${tableOf({
  id: 'holds',
  headers: ['id', 'state', 'table', 'key', 'reason', 'placed', 'by', 'expires', 'released', 'released by', 'release reason'],
  numeric: ['id'],
  rows: holds.map(
    (h) =>
      html`<tr data-hold="${h.id}"><td class="num">${h.id}</td><td class="${h.state === 'active' ? 'warn' : 'muted'}">${h.state}</td><td>${h.table}</td><td class="keys"><a href="/ui/audit${query({ table: h.table, key: h.key })}">${h.key}</a></td><td>${h.reason}</td><td class="t">${h.placed_at}</td><td>${h.placed_by ?? ''}</td><td class="t">${h.expires_at ?? ''}</td><td class="t">${h.released_at ?? ''}</td><td>${h.released_by ?? ''}</td><td>${h.release_reason ?? ''}</td></tr>`,
  ),
  empty: 'No holds have been placed.',
})}`,
  };
}
