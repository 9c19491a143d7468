/**
 * Where data-subject requests stand (DESIGN 9, "Requests with deadlines"): the reads that
 * `lethe report`, the lethe_requests_overdue gauge and the web view share, so the three
 * count the same requests as overdue. A request is overdue when it is not done, has a
 * deadline (due_at), and that deadline is before `now`: a `conflict` request (one that holds
 * or keep obligations stopped) is as late as an open one. Only keys are read, never the
 * values of the rows a request names.
 */
import { RowKey, type KeyValue } from '../exec/row-key.js';
import type { Policy } from '../policy/model.js';
import { letheDb } from '../store/lethe-tables.js';
import type { Adapter } from '../store/types.js';

const DAY_MS = 86_400_000;

/** One request as the report and the web view show it. */
export interface RequestStatus {
  id: number;
  provider: string;
  /** erasure | access */
  kind: string;
  table: string;
  /** The row's key (RowKey.decode of row_key), or the stored text when it does not decode. */
  key: KeyValue;
  received_at: string;
  /** null: the provider states no deadline. */
  due_at: string | null;
  /** open | done | conflict */
  status: string;
  done_at: string | null;
  overdue: boolean;
  /** Whole days past the deadline (0 for less than a day); null when not overdue. */
  days_overdue: number | null;
}

/** A provider's requests in numbers, with its deadline and the overdue requests themselves. */
export interface ProviderRequests {
  provider: string;
  /** The provider's `requests.respond_within` as written ("30 days"), or null: not stated. */
  respond_within: string | null;
  open: number;
  conflict: number;
  overdue: number;
  /** Most overdue first. */
  overdue_requests: RequestStatus[];
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

/** Whether a request is overdue at `now`, and by how many whole days. */
export function overdueBy(r: { status: string; due_at: string | null }, now: Date): number | null {
  if (r.status === 'done' || r.due_at === null) return null;
  const due = Date.parse(r.due_at);
  // A deadline that does not parse is not an instant lethe wrote; it is never counted late.
  if (!Number.isFinite(due) || due >= now.getTime()) return null;
  return Math.floor((now.getTime() - due) / DAY_MS);
}

function toStatus(row: Record<string, unknown>, now: Date): RequestStatus {
  const status = String(row.status);
  const due_at = text(row.due_at);
  const days = overdueBy({ status, due_at }, now);
  return {
    id: Number(row.id),
    provider: String(row.provider),
    kind: String(row.kind),
    table: String(row.table_name),
    key: RowKey.decode(row.row_key) ?? String(row.row_key),
    received_at: String(text(row.received_at)),
    due_at,
    status,
    done_at: text(row.done_at),
    overdue: days !== null,
    days_overdue: days,
  };
}

const COLUMNS = ['id', 'provider', 'kind', 'table_name', 'row_key', 'received_at', 'due_at', 'status', 'done_at'] as const;

/** Open ordering: the most overdue first, then the nearest deadline, then those without one; ties by id. */
function byUrgency(a: RequestStatus, b: RequestStatus): number {
  if (a.due_at !== b.due_at) {
    if (a.due_at === null) return 1;
    if (b.due_at === null) return -1;
    return Date.parse(a.due_at) - Date.parse(b.due_at) || a.id - b.id;
  }
  return a.id - b.id;
}

/** The requests not yet done (open and conflict) at `now`, most urgent first; of one provider when given. */
export async function unfinishedRequests(adapter: Adapter, now: Date, f: { provider?: string } = {}): Promise<RequestStatus[]> {
  // Not done: the (status, provider) index serves both values.
  let q = letheDb(adapter).selectFrom('lethe_requests').select([...COLUMNS]).where('status', 'in', ['open', 'conflict']);
  if (f.provider) q = q.where('provider', '=', f.provider);
  return (await q.execute()).map((r) => toStatus(r, now)).sort(byUrgency);
}

/**
 * Every request for the web view: those not done first (most urgent first), then the
 * `doneLimit` most recently done, newest first; of one provider when given.
 */
export async function listRequests(adapter: Adapter, now: Date, f: { provider?: string; doneLimit?: number } = {}): Promise<{ requests: RequestStatus[]; doneShown: number; doneTotal: number }> {
  const unfinished = await unfinishedRequests(adapter, now, f);
  let done = letheDb(adapter).selectFrom('lethe_requests').select([...COLUMNS]).where('status', 'not in', ['open', 'conflict']);
  let total = letheDb(adapter).selectFrom('lethe_requests').select((eb) => eb.fn.countAll().as('n')).where('status', 'not in', ['open', 'conflict']);
  if (f.provider) {
    done = done.where('provider', '=', f.provider);
    total = total.where('provider', '=', f.provider);
  }
  const rows = (await done.orderBy('id', 'desc').limit(f.doneLimit ?? 100).execute()).map((r) => toStatus(r, now));
  const doneTotal = Number((await total.executeTakeFirst())?.n ?? 0);
  return { requests: [...unfinished, ...rows], doneShown: rows.length, doneTotal };
}

/**
 * Per provider at `now`: open, conflict and overdue counts, the provider's deadline and the
 * overdue requests. Every provider of the policy is listed (with zeros when it has no
 * request), then any provider that has requests but is no longer in the policy.
 */
export async function requestSummary(adapter: Adapter, policy: Policy, now: Date, f: { provider?: string } = {}): Promise<ProviderRequests[]> {
  const unfinished = await unfinishedRequests(adapter, now, f);
  const out = new Map<string, ProviderRequests>();
  const entry = (provider: string): ProviderRequests => {
    let e = out.get(provider);
    if (!e) {
      const p = policy.providers.find((x) => x.id === provider);
      e = { provider, respond_within: p?.requests?.respondWithin?.text ?? null, open: 0, conflict: 0, overdue: 0, overdue_requests: [] };
      out.set(provider, e);
    }
    return e;
  };
  for (const p of policy.providers) if (!f.provider || p.id === f.provider) entry(p.id);
  for (const r of unfinished) {
    const e = entry(r.provider);
    if (r.status === 'conflict') e.conflict++;
    else e.open++;
    if (r.overdue) {
      e.overdue++;
      e.overdue_requests.push(r);
    }
  }
  return [...out.values()];
}

/** Overdue requests per provider (every provider of the policy, 0 when none): what the lethe_requests_overdue gauge shows. */
export async function overdueRequestCounts(adapter: Adapter, policy: Policy, now: Date): Promise<Map<string, number>> {
  return new Map((await requestSummary(adapter, policy, now)).map((s) => [s.provider, s.overdue]));
}
