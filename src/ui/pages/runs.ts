/** /ui/runs: the run records (lethe_runs), newest first, 100 a page. */
import { letheDb } from '../../store/lethe-tables.js';
import type { Adapter } from '../../store/types.js';
import { num, tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { html, type Html } from '../html.js';
import { cursorParam } from '../params.js';

export const RUNS_PAGE_SIZE = 100;

export interface RunRecord {
  id: number;
  trigger: string;
  provider: string | null;
  rule: string | null;
  status: string;
  now: string;
  started_at: string;
  finished_at: string | null;
  due: number;
  changed: number;
  held: number;
  blocked: number;
  guarded: number;
  error: string | null;
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Up to `limit` runs, newest first, with ids below `before`; and whether there are older ones. */
export async function newestRuns(adapter: Adapter, limit: number, before?: number): Promise<{ runs: RunRecord[]; more: boolean }> {
  let q = letheDb(adapter)
    .selectFrom('lethe_runs')
    .select(['id', 'trigger', 'provider', 'rule', 'status', 'now', 'started_at', 'finished_at', 'due', 'changed', 'held', 'blocked', 'guarded', 'error'])
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (before !== undefined) q = q.where('id', '<', before);
  const rows = await q.execute();
  const runs = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    trigger: String(r.trigger),
    provider: text(r.provider),
    rule: text(r.rule),
    status: String(r.status),
    now: String(r.now),
    started_at: String(r.started_at),
    finished_at: text(r.finished_at),
    due: Number(r.due),
    changed: Number(r.changed),
    held: Number(r.held),
    blocked: Number(r.blocked),
    guarded: Number(r.guarded),
    error: text(r.error),
  }));
  return { runs, more: rows.length > limit };
}

const STATUS_CLASS: Record<string, string> = { ok: 'ok', failed: 'bad', guarded: 'warn', interrupted: 'warn' };

/** The runs table (also on the overview). */
export function runsTable(runs: readonly RunRecord[]): Html {
  return tableOf({
    id: 'runs',
    headers: ['id', 'trigger', 'provider', 'status', 'now', 'started', 'finished', 'due', 'changed', 'held', 'blocked', 'guarded', 'error'],
    numeric: ['id', 'due', 'changed', 'held', 'blocked', 'guarded'],
    rows: runs.map(
      (r) =>
        html`<tr data-run="${r.id}"><td class="num">${r.id}</td><td>${r.trigger}</td><td>${r.provider ?? 'all'}${r.rule ? ` / ${r.rule}` : ''}</td><td class="${STATUS_CLASS[r.status] ?? ''}">${r.status}</td><td class="t">${r.now}</td><td class="t">${r.started_at}</td><td class="t">${r.finished_at ?? ''}</td>${num(r.due)}${num(r.changed)}${num(r.held)}${num(r.blocked)}${num(r.guarded)}<td>${r.error ?? ''}</td></tr>`,
    ),
    empty: 'No runs yet.',
  });
}

export async function runsPage(view: UiView, params: URLSearchParams): Promise<PageContent> {
  const before = cursorParam(params, 'before');
  const { runs, more } = await newestRuns(view.adapter, RUNS_PAGE_SIZE, before);
  const last = runs[runs.length - 1];
  return {
    title: 'Runs',
    body: html`<h1>Runs</h1>
<p class="meta">Each enforcement run, newest first: what was due, changed, held (a legal hold), blocked (still referenced) and guarded (stopped by the mass-deletion guard).</p>
${runsTable(runs)}
<div class="pager">${before !== undefined ? html`<a href="/ui/runs">newest</a>` : ''}${more && last ? html`<a id="older" href="/ui/runs?before=${last.id}">older →</a>` : ''}</div>`,
  };
}
