/**
 * `lethe request add|list`: data-subject requests (DESIGN 9, "Requests with deadlines"). A
 * request is recorded with the provider's deadline and carried out by the next run
 * (src/exec/requests.ts). Only keys are printed, never the values of the rows.
 */
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { UsageError } from '../../errors.js';
import { actor, appendAct } from '../../audit/acts.js';
import { lockAuditHead } from '../../audit/chain.js';
import { requestRule, type RequestOutcome } from '../../exec/requests.js';
import { RowKey, type KeyValue } from '../../exec/row-key.js';
import { pathValue, T } from '../../exec/sql-fragments.js';
import { closest } from '../../policy/duration.js';
import type { ProviderPolicy } from '../../policy/model.js';
import { findTable, nearestUp } from '../../plan/fk-graph.js';
import { keyColumnsOf } from '../../plan/planner.js';
import { letheDb } from '../../store/lethe-tables.js';
import { isoUtc, parseClockValue } from '../../store/timestamps.js';
import type { TableInfo } from '../../store/types.js';
import { table } from '../format.js';
import type { Runtime } from '../context.js';
import { byFlag } from './hold.js';
import { overdueBy } from '../../requests/status.js';

export const REQUEST_KINDS = ['erasure', 'access'] as const;

export interface RequestAddFlags {
  received?: string;
  by?: string;
  reason?: string;
  provider?: string;
}

/** The deadline of a request received at `received`: respond_within later, on the calendar of the provider's zone (null: none stated). */
export function requestDeadline(provider: ProviderPolicy, received: Date): Date | null {
  const within = provider.requests?.respondWithin;
  if (!within) return null;
  return DateTime.fromJSDate(received, { zone: provider.timezone }).plus(within.units).toJSDate();
}

export async function requestAddCommand(rt: Runtime, kind: string, tableName: string, id: string, f: RequestAddFlags): Promise<number> {
  if (!(REQUEST_KINDS as readonly string[]).includes(kind)) {
    const guess = closest(kind, REQUEST_KINDS);
    throw new UsageError(`request add: "${kind}" is not a kind of request: give erasure or access${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  const t = findTable(rt.schema, tableName);
  if (!t || t.name.split('.').pop()!.startsWith('lethe_')) throw new UsageError(`request add: no table "${tableName}" in the store`);
  const keyColumns = keyColumnsOf(rt.policy, rt.schema, t.name);
  if (!keyColumns) throw new UsageError(`request add: ${t.name} has no primary key and no rule gives it a \`key\`, so its rows cannot be named`);
  const key = new RowKey(t.name, keyColumns, rt.adapter);
  const wanted = key.parseInput(id, 'request add');
  if (f.received === undefined || !f.received.trim()) throw new UsageError('request add: --received is required (when the data subject made the request, an ISO-8601 instant)');
  const received = parseClockValue(f.received.trim(), 'iso');
  if (!received) throw new UsageError(`--received: "${f.received}" is not an ISO-8601 instant (e.g. 2026-11-20T09:30:00Z)`);
  const now = rt.now ?? (await rt.adapter.dbNow());
  if (received.getTime() > now.getTime()) throw new UsageError(`--received: ${isoUtc(received)} is in the future (now is ${isoUtc(now)})`);
  if (f.reason !== undefined && !f.reason.trim()) throw new UsageError('request add: --reason is empty');
  const by = actor(byFlag(f.by, 'request add'), rt.env);
  const reason = f.reason?.trim() ?? null;

  // The row as the store prints its key, so the request names it whatever way it was typed.
  const row = (await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(t.name)} as ${sql.id(T)} where ${key.in(T, [wanted])}`.execute(rt.adapter.db)).rows[0];
  if (!row) throw new UsageError(`request add: ${t.name} has no row ${key.describe(wanted)}`);
  const canonical = key.fromRow(row);
  const provider = await providerOf(rt, t, key, canonical, f.provider);
  const dueAt = requestDeadline(provider, received);

  const placed = await rt.adapter.transaction(async (tx) => {
    // The chain's head first: the request and its entry go in together, after any running batch.
    await lockAuditHead(rt.adapter, tx);
    // Still there now that the batches are held off: a request never names a row already gone.
    const still = (await sql<Record<string, unknown>>`select ${key.select(T)} from ${sql.table(t.name)} as ${sql.id(T)} where ${key.in(T, [canonical])}`.execute(tx)).rows[0];
    if (!still) throw new UsageError(`request add: ${t.name} has no row ${key.describe(canonical)}`);
    const values = {
      provider: provider.id,
      kind,
      table_name: t.name,
      row_key: RowKey.encode(canonical),
      received_at: isoUtc(received),
      due_at: dueAt ? isoUtc(dueAt) : null,
      placed_at: isoUtc(now),
      placed_by: by,
      reason,
      status: 'open',
      done_at: null,
      run_id: null,
      outcome: null,
    };
    const ltx = letheDb(rt.adapter, tx);
    const requestId = rt.adapter.supportsReturning
      ? Number((await ltx.insertInto('lethe_requests').values(values).returning('id').executeTakeFirstOrThrow()).id)
      : Number((await ltx.insertInto('lethe_requests').values(values).executeTakeFirstOrThrow()).insertId);
    const entry = await appendAct(rt.adapter, tx, {
      action: 'request',
      at: isoUtc(now),
      by,
      reason,
      policySha256: rt.policy.sha256,
      provider: provider.id,
      rule: requestRule(requestId),
      table: t.name,
      keys: [canonical],
      detail: { request_id: requestId, kind, received_at: values.received_at, due_at: values.due_at },
    });
    return { requestId, seq: entry.seq, values };
  });

  const within = provider.requests?.respondWithin?.text ?? null;
  if (rt.json) {
    process.stdout.write(
      JSON.stringify({ id: placed.requestId, provider: provider.id, kind, table: t.name, key: canonical, received_at: placed.values.received_at, due_at: placed.values.due_at, respond_within: within, status: 'open', placed_by: by, audit_seq: placed.seq }) + '\n',
    );
  } else {
    const deadline = placed.values.due_at ? `due by ${placed.values.due_at} (${within} after receipt)` : `no deadline (${provider.id}'s policy states none)`;
    process.stdout.write(`request ${placed.requestId} recorded: ${kind} of ${t.name} ${key.describe(canonical)} for ${provider.id}, received ${placed.values.received_at}, ${deadline}; the next run carries it out\n`);
  }
  return 0;
}

/**
 * The provider a request is for: `--provider`, checked against the row's tenant where the
 * store has one; else the provider whose tenant value the row carries (on the row, or on the
 * row its foreign keys lead to); in a single-tenant store, its one provider.
 */
async function providerOf(rt: Runtime, t: TableInfo, key: RowKey, k: KeyValue, given: string | undefined): Promise<ProviderPolicy> {
  const providers = rt.policy.providers;
  let named: ProviderPolicy | undefined;
  if (given !== undefined) {
    named = providers.find((p) => p.id === given);
    if (!named) {
      const guess = closest(given, providers.map((p) => p.id));
      throw new UsageError(`--provider: no provider "${given}" in ${rt.policy.file}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
  }
  const inferred = await tenantProviders(rt, t, key, k);
  if (named) {
    if (inferred.ok && inferred.providers.length && !inferred.providers.includes(named)) {
      throw new UsageError(`--provider ${named.id}: ${t.name} ${key.describe(k)} belongs to ${inferred.providers.map((p) => p.id).join(', ')} (its ${inferred.column} is ${JSON.stringify(inferred.value)})`);
    }
    return named;
  }
  if (!inferred.ok) throw new UsageError(`request add: ${inferred.why}; give --provider`);
  if (inferred.providers.length === 1) return inferred.providers[0]!;
  if (inferred.providers.length === 0) throw new UsageError(`request add: ${t.name} ${key.describe(k)} has ${inferred.column} ${JSON.stringify(inferred.value)}, which is no provider's tenant; give --provider`);
  throw new UsageError(`request add: ${t.name} ${key.describe(k)} has ${inferred.column} ${JSON.stringify(inferred.value)}, the tenant of ${inferred.providers.map((p) => p.id).join(' and ')}; give --provider`);
}

type TenantAnswer = { ok: true; column: string; value: unknown; providers: ProviderPolicy[] } | { ok: false; why: string };

async function tenantProviders(rt: Runtime, t: TableInfo, key: RowKey, k: KeyValue): Promise<TenantAnswer> {
  const providers = rt.policy.providers;
  const column = rt.policy.store.tenantColumn;
  if (!column) {
    if (providers.length === 1) return { ok: true, column: '(single tenant)', value: null, providers: [...providers] };
    return { ok: false, why: `the store has no tenant column and the policy has ${providers.length} providers` };
  }
  const hits = nearestUp(rt.schema, t.name, (name) => rt.schema.tables.get(name)?.columns.has(column) ?? false);
  if (hits.length === 0) return { ok: false, why: `${t.name} has no tenant column "${column}" and no foreign-key path leads to a table that has it` };
  if (hits.length > 1) return { ok: false, why: `${t.name} reaches the tenant column "${column}" by ${hits.length} foreign-key paths` };
  const path = hits[0]!;
  const r = await sql<{ v: unknown }>`select ${pathValue(path, column)} as v from ${sql.table(t.name)} as ${sql.id(T)} where ${key.in(T, [k])}`.execute(rt.adapter.db);
  const value = r.rows[0]?.v ?? null;
  const where = path.length ? `${path[path.length - 1]!.toTable}.${column}` : column;
  if (value === null) return { ok: false, why: `${t.name} ${key.describe(k)} has no ${where}` };
  const text = String(value).toLowerCase();
  return { ok: true, column: where, value: typeof value === 'bigint' ? String(value) : value, providers: providers.filter((p) => String(p.tenant).toLowerCase() === text) };
}

interface ListedRequest {
  id: number;
  provider: string;
  kind: string;
  table: string;
  key: KeyValue | null;
  received_at: string;
  due_at: string | null;
  status: string;
  overdue: boolean;
  done_at: string | null;
  placed_by: string;
  run_id: number | null;
  outcome: unknown;
}

export async function requestListCommand(rt: Runtime, f: { all?: boolean }): Promise<number> {
  const now = rt.now ?? (await rt.adapter.dbNow());
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const rows: ListedRequest[] = (await letheDb(rt.adapter).selectFrom('lethe_requests').selectAll().orderBy('id').execute()).map((r) => {
    const base = { status: String(r.status), due_at: text(r.due_at) };
    let outcome: unknown = null;
    try {
      outcome = r.outcome === null || r.outcome === undefined ? null : JSON.parse(String(r.outcome));
    } catch {
      outcome = null;
    }
    return {
      id: Number(r.id),
      provider: String(r.provider),
      kind: String(r.kind),
      table: String(r.table_name),
      key: RowKey.decode(r.row_key),
      received_at: String(r.received_at),
      due_at: base.due_at,
      status: base.status,
      // The one meaning of overdue, as report, /metrics and the web view count it.
      overdue: overdueBy(base, now) !== null,
      done_at: text(r.done_at),
      placed_by: String(r.placed_by),
      run_id: r.run_id === null || r.run_id === undefined ? null : Number(r.run_id),
      outcome,
    };
  });
  const shown = f.all ? rows : rows.filter((r) => r.status !== 'done');
  if (rt.json) process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
  else {
    process.stdout.write(
      table(
        ['id', 'provider', 'kind', 'table', 'key', 'received', 'deadline', 'status', 'overdue', 'done_at'],
        shown.map((r) => [r.id, r.provider, r.kind, r.table, r.key === null ? '?' : JSON.stringify(r.key), r.received_at, r.due_at ?? 'none', r.status, r.overdue ? 'yes' : 'no', r.done_at]),
      ),
    );
  }
  return 0;
}

/** One line of `lethe run` output for a request the run took up: what it did, or would do in a dry run. */
export function requestRunLine(r: RequestOutcome, dryRun: boolean): string {
  const head = `request ${r.id} (${r.kind} of ${r.table} ${r.key === null ? '?' : JSON.stringify(r.key)}, ${r.provider})`;
  const counts = (m: Record<string, number>) => Object.entries(m).map(([t, n]) => `${t} ${n}`).join(', ') || 'nothing';
  const kept = Object.entries(r.kept)
    .map(([t, k]) => `${t} ${(['held', 'retained', 'referenced'] as const).filter((why) => k[why]).map((why) => `${k[why]} ${why}`).join(', ')}`)
    .join('; ');
  if (r.status === 'failed') return `${head}: not carried out: ${r.error}`;
  if (r.status === 'interrupted') return `${head}: interrupted (deleted so far: ${counts(r.deleted)}); the next run goes on`;
  if (r.kind === 'access') return dryRun ? `${head}: would be exported` : `${head}: ${r.status}, exported to ${r.export?.path} (sha256 ${r.export?.sha256})`;
  const verb = dryRun ? 'would delete' : 'deleted';
  return `${head}: ${dryRun ? `would be ${r.status}` : r.status}, ${verb} ${counts(r.deleted)}${kept ? `; kept ${kept}` : ''}`;
}
