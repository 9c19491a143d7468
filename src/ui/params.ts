/**
 * The view's query parameters, validated once at the edge as the CLI validates its flags:
 * an unknown provider, rule, action or table, a key its table cannot read, or an instant
 * that is not ISO-8601 is a UsageError, which the server shows on the page with status 400.
 * An empty parameter (a form field left blank) means "any".
 */
import { EVENT_ACTIONS, ROW_ACTIONS } from '../audit/chain.js';
import { parseRowRef, parseSubject, type RowRef } from '../audit/subject.js';
import { UsageError } from '../errors.js';
import { findTable } from '../plan/fk-graph.js';
import { closest } from '../policy/duration.js';
import { letheDb } from '../store/lethe-tables.js';
import { parseClockValue } from '../store/timestamps.js';
import type { UiView } from './context.js';

export const ACTIONS: readonly string[] = [...ROW_ACTIONS, ...EVENT_ACTIONS];

/** A parameter's value, or undefined when it is absent or blank. */
export function param(params: URLSearchParams, name: string): string | undefined {
  const v = params.get(name)?.trim();
  return v ? v : undefined;
}

const didYouMean = (word: string, candidates: readonly string[]) => {
  const guess = closest(word, candidates);
  return guess ? ` (did you mean "${guess}"?)` : '';
};

/** `provider`: one of the policy's providers. */
export function providerParam(view: UiView, params: URLSearchParams): string | undefined {
  const p = param(params, 'provider');
  const ids = view.policy.providers.map((o) => o.id);
  if (p !== undefined && !ids.includes(p)) throw new UsageError(`provider: no provider "${p}" in ${view.policy.file}${didYouMean(p, ids)}`);
  return p;
}

/** `rule`: a rule of `provider`, or of any provider. */
export function ruleParam(view: UiView, params: URLSearchParams, provider: string | undefined): string | undefined {
  const r = param(params, 'rule');
  const rules = view.policy.providers.filter((p) => !provider || p.id === provider).flatMap((p) => p.rules.map((x) => x.id));
  if (r !== undefined && !rules.includes(r)) throw new UsageError(`rule: no rule "${r}"${provider ? ` for ${provider}` : ''}${didYouMean(r, rules)}`);
  return r;
}

/** `action`: one the audit log records. */
export function actionParam(params: URLSearchParams): string | undefined {
  const a = param(params, 'action');
  if (a !== undefined && !ACTIONS.includes(a)) throw new UsageError(`action: "${a}" is not one of ${ACTIONS.join(', ')}`);
  return a;
}

/** `since` / `until`: an ISO-8601 instant, as canonical UTC text (what lethe's tables hold). */
export function instantParam(params: URLSearchParams, name: string): string | undefined {
  const v = param(params, name);
  if (v === undefined) return undefined;
  const d = parseClockValue(v, 'iso');
  if (!d) throw new UsageError(`${name}: "${v}" is not an ISO-8601 instant (e.g. 2026-11-23T03:15:00Z)`);
  return d.toISOString();
}

/** A page cursor: a positive whole number (a seq or an id). */
export function cursorParam(params: URLSearchParams, name: string): number | undefined {
  const v = param(params, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v) || Number(v) < 1) throw new UsageError(`${name}: "${v}" is not a page position`);
  return Number(v);
}

/**
 * A table the view can ask about: one the store has, or one the audit log names (a table
 * dropped since its rows were changed). Anything else is a typo.
 */
export async function knownTable(view: UiView, name: string, what: string): Promise<void> {
  if (findTable(view.schema, name)) return;
  const named = await letheDb(view.adapter).selectFrom('lethe_audit').select('seq').where('table_name', '=', name).limit(1).executeTakeFirst();
  if (named) return;
  const tables = [...view.schema.tables.keys()].filter((t) => !t.split('.').pop()!.startsWith('lethe_'));
  throw new UsageError(`${what}: no table "${name}" in the store or the audit log${didYouMean(name, tables)}`);
}

/** `table` and `key`: a row (both), a table (table alone), or nothing. A key needs its table. */
export async function rowParam(view: UiView, params: URLSearchParams): Promise<{ table: string | undefined; row: RowRef | null }> {
  const table = param(params, 'table');
  const key = param(params, 'key');
  if (key !== undefined && table === undefined) throw new UsageError('key: name its table too');
  if (table === undefined) return { table, row: null };
  await knownTable(view, table, 'table');
  if (key === undefined) return { table: findTable(view.schema, table)?.name ?? table, row: null };
  const row = parseRowRef(view.policy, view.schema, view.adapter, table, key, 'key');
  return { table: row.table, row };
}

/** `subject`: `accounts:42`, a row of a table the store has or the audit log names. */
export async function subjectParam(view: UiView, params: URLSearchParams): Promise<RowRef | null> {
  const text = param(params, 'subject');
  if (text === undefined) return null;
  const subject = parseSubject(view.policy, view.schema, view.adapter, text);
  await knownTable(view, subject.table, 'subject');
  return subject;
}
