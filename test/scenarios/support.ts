/**
 * Shared helpers for the provider scenarios: explicit fixtures (no random seeder), cutoffs
 * computed with luxon exactly as DESIGN section 3 defines them, full-store dumps and diffs,
 * and audit-log readers. Every scenario builds its rows by hand so every expectation is exact.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import { DateTime, type DurationLikeObject } from 'luxon';
import { BIN, NOW, TEST_HMAC_KEY, enforce, tempStore, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { parseClockValue } from '../../src/store/timestamps.js';
import { ROW_ACTIONS } from '../../src/audit/chain.js';
import type { EngineName, SchemaInfo, TableInfo } from '../../src/store/types.js';

export type Row = Record<string, unknown>;
export type Dump = Record<string, Row[]>;

export const LONDON = 'Europe/London';
export const NEW_YORK = 'America/New_York';
export const DAY = 86_400_000;
export const NOW_ISO = NOW.toISOString();

/** `now − period`, calendar arithmetic in `zone` (DESIGN section 3). */
export function cutoff(zone: string, period: DurationLikeObject): Date {
  return DateTime.fromJSDate(NOW, { zone }).minus(period).toJSDate();
}

export const iso = (d: Date): string => d.toISOString();
export const shift = (d: Date, ms: number): Date => new Date(d.getTime() + ms);

/** Clock values one day before (due), exactly at (kept) and one day after (kept) a cutoff. */
export function around(c: Date): { before: string; at: string; after: string; justBefore: string } {
  return { before: iso(shift(c, -DAY)), at: iso(c), after: iso(shift(c, DAY)), justBefore: iso(shift(c, -1)) };
}

export function hmacHex(value: string): string {
  return createHmac('sha256', Buffer.from(TEST_HMAC_KEY, 'utf8')).update(value, 'utf8').digest('hex');
}

/** The reference tables (DESIGN section 7), parents first. */
export const REFERENCE_TABLES = [
  'providers',
  'accounts',
  'users',
  'contacts',
  'calls',
  'conferences',
  'conference_participants',
  'recordings',
  'voicemail_greetings',
  'voicemails',
  'support_tickets',
  'trial_signups',
  'push_registrations',
  'referrals',
  'web_visits',
  'prospects',
  'debug_logs',
  'sales_documents',
] as const;

/** Columns that hold personal values, per table: none of these may ever reach the audit log. */
export const PERSONAL: Record<string, readonly string[]> = {
  accounts: ['name', 'email', 'phone', 'employer', 'date_of_birth', 'username', 'password_hash'],
  users: ['name', 'email', 'phone'],
  contacts: ['first_name', 'last_name', 'company', 'email', 'phone'],
  calls: ['local_number', 'remote_number'],
  conferences: ['title'],
  conference_participants: ['name', 'cli'],
  voicemails: ['caller_number'],
  support_tickets: ['subject', 'body', 'contact_email', 'contact_phone'],
  trial_signups: ['email', 'phone'],
  push_registrations: ['sip_uri', 'device_token'],
  referrals: ['friend_name', 'friend_email', 'message'],
  web_visits: ['ip_address', 'user_agent'],
  prospects: ['name', 'company', 'email', 'phone'],
  debug_logs: ['content'],
  sales_documents: ['title', 'body'],
};

export const PROVIDERS = [
  { id: 'loopup', name: 'LoopUp' },
  { id: 'cloudcall', name: 'CloudCall' },
  { id: 'ringu', name: 'ring-u' },
  { id: 'loop', name: 'Loop' },
  { id: 'pipcall', name: 'PiPcall' },
];

const CREATED = '2015-06-01T09:00:00.000Z';

/**
 * Inserts explicit rows, remembers every personal value inserted (to search the audit log
 * for them) and creates a real media file for every `media_path`.
 */
export class Fixture {
  readonly personal = new Set<string>();
  /** media_path → table and row id. */
  readonly media = new Map<string, { table: string; id: number }>();
  constructor(readonly store: TempStore) {}

  async providers(): Promise<void> {
    await this.store.adapter.db.insertInto('providers').values(PROVIDERS).execute();
  }

  async insert(table: string, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    for (const r of rows) {
      for (const c of PERSONAL[table] ?? []) if (typeof r[c] === 'string') this.personal.add(r[c] as string);
      if (typeof r.media_path === 'string') {
        const abs = this.mediaFile(r.media_path);
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, `RIFF fake audio of ${table} ${String(r.id)}`);
        this.media.set(r.media_path, { table, id: Number(r.id) });
      }
    }
    await this.store.adapter.db.insertInto(table).values(await bindRows(this.store, table, rows)).execute();
  }

  mediaFile(rel: string): string {
    return join(this.store.mediaRoot, rel);
  }

  /** Media paths whose file no longer exists, sorted. */
  missingMedia(): string[] {
    return [...this.media.keys()].filter((p) => !existsSync(this.mediaFile(p))).sort();
  }

  /** Media paths whose file still exists, sorted. */
  presentMedia(): string[] {
    return [...this.media.keys()].filter((p) => existsSync(this.mediaFile(p))).sort();
  }
}

// ---- engine differences ------------------------------------------------------------------------

const schemas = new WeakMap<TempStore, Promise<SchemaInfo>>();

/** The store's schema, introspected once per store (the tests never change it). */
export function schemaOf(store: TempStore): Promise<SchemaInfo> {
  let s = schemas.get(store);
  if (!s) {
    s = store.adapter.introspect();
    schemas.set(store, s);
  }
  return s;
}

function tableInfo(schema: SchemaInfo, table: string): TableInfo {
  const t = schema.tables.get(table);
  if (!t) throw new Error(`no table ${table} in the store`);
  return t;
}

/**
 * Rows as the store's engine wants them bound. Text values of native timestamp columns
 * (PostgreSQL timestamptz, MariaDB DATETIME(3)) are parsed as lethe parses clock text and
 * bound as the adapter encodes an instant: MariaDB rejects ISO text with a trailing `Z`.
 * On SQLite the clock columns are text, so the values go in exactly as written.
 */
export async function bindRows(store: TempStore, table: string, rows: readonly Row[]): Promise<Row[]> {
  const t = tableInfo(await schemaOf(store), table);
  return rows.map((r) => {
    const out: Row = { ...r };
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'string' || t.columns.get(k)?.kind !== 'timestamp') continue;
      const d = parseClockValue(v, 'iso');
      if (!d) throw new Error(`${table}.${k}: "${v}" is not an instant`);
      out[k] = store.adapter.encodeTimestamp(d);
    }
    return out;
  });
}

/**
 * A row as the same plain values on every engine: native timestamps (Dates) as ISO-8601 UTC
 * text, integers (bigint, or digit strings a driver returns for them) as numbers.
 */
export function normaliseRow(row: Row, t?: TableInfo): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Date) out[k] = v.toISOString();
    else if (typeof v === 'bigint') out[k] = Number(v);
    else if (typeof v === 'string' && t?.columns.get(k)?.kind === 'integer' && /^-?\d+$/.test(v)) out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

/** Every row of `table`, ordered by its primary key (id), normalised. */
export async function dumpTable(store: TempStore, table: string): Promise<Row[]> {
  const t = tableInfo(await schemaOf(store), table);
  const pk = t.primaryKey.length ? t.primaryKey : [...t.columns.keys()];
  const order = sql.join(pk.map((c) => sql.ref(c)));
  const rows = (await sql<Row>`select * from ${sql.table(table)} order by ${order}`.execute(store.adapter.db)).rows;
  return rows.map((r) => normaliseRow(r, t));
}

// ---- row factories: personal values derived from the id, so each is distinctive ----------------

export const account = (id: number, provider: string, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  name: `Customer Name ${id}`,
  email: `customer.${id}@${provider}-mail.example`,
  phone: `+4420794${String(60000 + id).padStart(5, '0')}`,
  employer: `Employer ${id} Holdings`,
  date_of_birth: `19${50 + (id % 40)}-0${1 + (id % 9)}-1${id % 10}`,
  username: `user_${provider}_${id}`,
  password_hash: `$argon2id$pw${id}`,
  created_at: CREATED,
  terminated_at: null,
  contract_ends_at: null,
  anonymised_at: null,
  ...o,
});

export const user = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  name: `Staff Member ${id}`,
  email: `staff.${id}@${provider}-mail.example`,
  phone: `+4477009${String(10000 + id).padStart(5, '0')}`,
  created_at: CREATED,
  anonymised_at: null,
  ...o,
});

export const contact = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  user_id: null,
  first_name: `Contactfirst${id}`,
  last_name: `Contactlast${id}`,
  company: `Contact Company ${id}`,
  email: `contact.${id}@elsewhere.example`,
  phone: `+3314${String(2000000 + id)}`,
  source: 'import',
  created_at: CREATED,
  ...o,
});

export const call = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  user_id: null,
  direction: 'outbound',
  local_number: `+4420300${String(10000 + id)}`,
  remote_number: `+4916${String(3000000 + id)}`,
  started_at: CREATED,
  ended_at: CREATED,
  duration_s: 60,
  ...o,
});

export const conference = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  host_user_id: null,
  title: `Board meeting ${id} with Mr Secretive`,
  started_at: CREATED,
  ended_at: CREATED,
  ...o,
});

export const participant = (id: number, provider: string, conferenceId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  conference_id: conferenceId,
  name: `Participant Person ${id}`,
  cli: `+4479${String(40000000 + id)}`,
  joined_at: CREATED,
  left_at: CREATED,
  ...o,
});

export const recording = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  call_id: null,
  conference_id: null,
  media_path: `${provider}/rec/${id}.wav`,
  size_bytes: 1234,
  recorded_at: CREATED,
  downloadable: 1,
  ...o,
});

export const greeting = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  user_id: null,
  media_path: `${provider}/greet/${id}.wav`,
  created_at: CREATED,
  ...o,
});

export const voicemail = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  user_id: null,
  caller_number: `+4415${String(5000000 + id)}`,
  media_path: `${provider}/vm/${id}.wav`,
  recorded_at: CREATED,
  saved: 1,
  ...o,
});

export const ticket = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  subject: `Cannot hear caller ${id}`,
  body: `Ticket body ${id}: my home address is 12 Secret Lane`,
  contact_email: `ticket.${id}@helpdesk-user.example`,
  contact_phone: `+4412${String(6000000 + id)}`,
  created_at: CREATED,
  closed_at: CREATED,
  ...o,
});

export const trial = (id: number, provider: string, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  email: `trial.${id}@freebie.example`,
  phone: `+4478${String(70000000 + id)}`,
  started_at: CREATED,
  ...o,
});

export const push = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  user_id: null,
  sip_uri: `sip:ext${id}@pbx.example`,
  device_token: `devtok-${id}-qwerty`,
  registered_at: CREATED,
  expires_at: null,
  disabled_at: null,
  ...o,
});

export const referral = (id: number, provider: string, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  referrer_user_id: null,
  friend_name: `Friend Person ${id}`,
  friend_email: `friend.${id}@pal.example`,
  message: `Hi pal ${id}, try this service!`,
  sent_at: CREATED,
  unsubscribed_at: null,
  anonymised_at: null,
  ...o,
});

export const webVisit = (id: number, provider: string, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  ip_address: `198.51.100.${id % 250}`,
  path: '/pricing',
  user_agent: `Mozilla/5.0 visitor-${id}`,
  visited_at: CREATED,
  anonymised_at: null,
  ...o,
});

export const prospect = (id: number, provider: string, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  name: `Prospect Person ${id}`,
  company: `Prospect Company ${id}`,
  email: `prospect.${id}@lead.example`,
  phone: `+4413${String(8000000 + id)}`,
  created_at: CREATED,
  last_contact_at: CREATED,
  ...o,
});

export const debugLog = (id: number, provider: string, accountId: number, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  user_id: null,
  content: `SIP trace ${id} From: <sip:secret-${id}@pbx.example>`,
  uploaded_at: CREATED,
  ...o,
});

export const salesDoc = (id: number, provider: string, accountId: number | null, o: Row = {}): Row => ({
  id,
  provider_id: provider,
  account_id: accountId,
  title: `Quote ${id} for Customer`,
  body: `Sales proposal body ${id}`,
  created_at: CREATED,
  ...o,
});

// ---- dumps, diffs, audit ------------------------------------------------------------------------

/** Every table of the store (reference and lethe_*), every row, in primary-key (id) order, normalised. */
export async function dumpAll(store: TempStore): Promise<Dump> {
  const names = [...(await schemaOf(store)).tables.keys()].sort();
  const out: Dump = {};
  for (const name of names) out[name] = await dumpTable(store, name);
  return out;
}

/**
 * A dump without lethe's run bookkeeping: lethe_runs (every run, dry or not, records itself)
 * and lethe_lease (the enforcement lease of DESIGN section 8, taken by every run).
 */
export function withoutRuns(d: Dump): Dump {
  const { lethe_runs: _runs, lethe_lease: _lease, ...rest } = d;
  return rest;
}

export interface TableDiff {
  deleted: number[];
  changed: number[];
  added: number[];
}

/** Per reference table: ids that disappeared, ids whose row changed, ids that appeared. Only tables with a difference. */
export function diffDumps(before: Dump, after: Dump): Record<string, TableDiff> {
  const out: Record<string, TableDiff> = {};
  for (const t of REFERENCE_TABLES) {
    const b = new Map((before[t] ?? []).map((r) => [Number(r.id ?? 0), r]));
    const a = new Map((after[t] ?? []).map((r) => [Number(r.id ?? 0), r]));
    if (t === 'providers') continue;
    const d: TableDiff = { deleted: [], changed: [], added: [] };
    for (const [id, row] of b) {
      const now = a.get(id);
      if (!now) d.deleted.push(id);
      else if (JSON.stringify(now) !== JSON.stringify(row)) d.changed.push(id);
    }
    for (const id of a.keys()) if (!b.has(id)) d.added.push(id);
    if (d.deleted.length || d.changed.length || d.added.length) {
      out[t] = { deleted: d.deleted.sort(num), changed: d.changed.sort(num), added: d.added.sort(num) };
    }
  }
  return out;
}

export const num = (a: number, b: number): number => a - b;

export function rowById(d: Dump, table: string, id: number): Row | undefined {
  return (d[table] ?? []).find((r) => Number(r.id) === id);
}

export interface AuditRow {
  seq: number;
  run_id: number;
  provider: string;
  rule: string;
  stage: number;
  table_name: string;
  action: string;
  cutoff: string | null;
  row_count: number;
  keys: number[];
}

/** The entries that changed rows or removed files (a run's policy and force entries are tested in test/audit). */
export async function auditEntries(store: TempStore, runId?: number): Promise<AuditRow[]> {
  let q = store.adapter.db.selectFrom('lethe_audit').selectAll().where('action', 'in', [...ROW_ACTIONS]).orderBy('seq');
  if (runId !== undefined) q = q.where('run_id', '=', runId);
  return (await q.execute()).map((r) => ({
    seq: Number(r.seq),
    run_id: Number(r.run_id),
    provider: String(r.provider),
    rule: String(r.rule),
    stage: Number(r.stage),
    table_name: String(r.table_name),
    action: String(r.action),
    cutoff: r.cutoff === null ? null : String(r.cutoff),
    row_count: Number(r.row_count),
    keys: (JSON.parse(String(r.keys)) as number[]).map(Number),
  }));
}

/** Union of audited keys per table for the given actions. */
export function auditedKeys(entries: readonly AuditRow[], actions: readonly string[]): Record<string, number[]> {
  const out: Record<string, Set<number>> = {};
  for (const e of entries) {
    if (!actions.includes(e.action)) continue;
    const s = (out[e.table_name] ??= new Set());
    for (const k of e.keys) s.add(k);
  }
  return Object.fromEntries(Object.entries(out).map(([t, s]) => [t, [...s].sort(num)]));
}

/**
 * DESIGN section 4 / criterion 5: the union of delete keys per table is exactly the set of ids
 * that disappeared, anonymise/set keys are exactly the ids changed, file keys are exactly the
 * deleted rows that had a media file, and each entry's row_count is its number of keys.
 */
export function expectAuditMatchesDiff(before: Dump, after: Dump, entries: readonly AuditRow[], expectFn: (actual: unknown, expected: unknown, what: string) => void): void {
  const diff = diffDumps(before, after);
  const deleted = Object.fromEntries(Object.entries(diff).filter(([, d]) => d.deleted.length).map(([t, d]) => [t, d.deleted]));
  const changed = Object.fromEntries(Object.entries(diff).filter(([, d]) => d.changed.length).map(([t, d]) => [t, d.changed]));
  expectFn(auditedKeys(entries, ['delete']), deleted, 'delete audit keys = deleted ids');
  expectFn(auditedKeys(entries, ['anonymise', 'set']), changed, 'anonymise/set audit keys = changed ids');
  const withFiles: Record<string, number[]> = {};
  for (const [t, ids] of Object.entries(deleted)) {
    const f = ids.filter((id) => typeof rowById(before, t, id)?.media_path === 'string');
    if (f.length) withFiles[t] = f;
  }
  expectFn(auditedKeys(entries, ['file']), withFiles, 'file audit keys = deleted rows with media');
  for (const e of entries) expectFn(e.row_count, e.keys.length, `row_count of seq ${e.seq}`);
  for (const d of Object.values(diff)) expectFn(d.added, [], 'no rows added');
}

/** The whole text of lethe_audit and lethe_runs, to search for personal values. */
export async function logText(store: TempStore): Promise<string> {
  const a = await store.adapter.db.selectFrom('lethe_audit').selectAll().execute();
  const r = await store.adapter.db.selectFrom('lethe_runs').selectAll().execute();
  return JSON.stringify(a) + JSON.stringify(r);
}

export function leakedValues(text: string, personal: Iterable<string>): string[] {
  return [...personal].filter((v) => text.includes(v));
}

/** Per stage with any activity: `provider/rule#stage` → [due, changed, held, blocked]. */
/** Due, changed, held and blocked per stage, of an in-process result or of `run --json` (the fields read are named alike). */
export function stageCounts(r: { stages: readonly Pick<RunResult['stages'][number], 'provider' | 'rule' | 'stage' | 'due' | 'changed' | 'held' | 'blocked'>[] }): Record<string, [number, number, number, number]> {
  const out: Record<string, [number, number, number, number]> = {};
  for (const s of r.stages) {
    if (s.due || s.changed || s.held || s.blocked) out[`${s.provider}/${s.rule}#${s.stage}`] = [s.due, s.changed, s.held, s.blocked];
  }
  return out;
}

/** Runs bin/lethe with a short time limit (for commands that might hang); `env` as the store's (`store.env`). */
export function runCliWithin(
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' };
}

/** Races a promise against a time limit; rejects with a clear message when it is exceeded. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** `after` is exactly `before` with `changes` applied: no other column moved. */
export function expectedRow(before: Row | undefined, changes: Row): Row {
  if (!before) throw new Error('no such row before the run');
  return { ...before, ...changes };
}

/** A 64-character lower-case hex string (hex HMAC-SHA-256). */
export const HEX64 = /^[0-9a-f]{64}$/;

/**
 * What a scenario left behind, as plain values that do not depend on the engine: every row of
 * every reference table, and the whole audit chain (keys, cutoffs, `at`, hashes) with its head.
 */
export interface Outcome {
  tables: Dump;
  audit: Row[];
  head: Row[];
}

export function outcomeOf(d: Dump): Outcome {
  return {
    tables: Object.fromEntries(REFERENCE_TABLES.map((t) => [t, d[t] ?? []])),
    audit: d.lethe_audit ?? [],
    head: d.lethe_audit_head ?? [],
  };
}

/**
 * The same fixture must give the same rows, the same audit keys and the same audit hashes on
 * every engine (the chain's canonical form does not depend on the engine). Compares each
 * engine's outcome with the first engine's; every engine must have recorded one.
 */
export function expectSameOnEveryEngine(engines: readonly EngineName[], outcomes: ReadonlyMap<EngineName, Outcome>, expectFn: (actual: unknown, expected: unknown, what: string) => void): void {
  expectFn([...outcomes.keys()].sort(), [...engines].sort(), 'engines that recorded an outcome');
  const base = outcomes.get(engines[0]!)!;
  for (const engine of engines.slice(1)) {
    const o = outcomes.get(engine)!;
    for (const t of REFERENCE_TABLES) expectFn(o.tables[t], base.tables[t], `${t} rows on ${engine} vs ${engines[0]}`);
    expectFn(o.audit, base.audit, `lethe_audit (keys, hashes) on ${engine} vs ${engines[0]}`);
    expectFn(o.head, base.head, `lethe_audit_head on ${engine} vs ${engines[0]}`);
  }
}

/** Entries summarised as `action table rule#stage cutoff [keys]`, sorted, for exact comparison. */
export function entryLines(entries: readonly AuditRow[]): string[] {
  return entries.map((e) => `${e.action} ${e.table_name} ${e.provider}/${e.rule}#${e.stage} ${e.cutoff ?? '-'} [${e.keys.join(',')}]`).sort();
}

/** What a provider scenario's first run leaves for its tests to read. */
export interface FirstRun {
  store: TempStore;
  fx: Fixture;
  before: Dump;
  after: Dump;
  result: RunResult;
}

/**
 * The setup every provider scenario shares: a fresh store on `engine` with the shipped
 * policy, the provider's fixture, one run at the fixed now, and dumps before and after.
 * The outcome is recorded in `outcomes` for the cross-engine comparison at the file's end.
 */
export async function firstRun(engine: EngineName, seed: (fx: Fixture) => Promise<void>, outcomes: Map<EngineName, Outcome>): Promise<FirstRun> {
  const store = await tempStore(undefined, engine);
  const fx = new Fixture(store);
  await fx.providers();
  await seed(fx);
  const before = await dumpAll(store);
  const result = await enforce(store);
  const after = await dumpAll(store);
  outcomes.set(engine, outcomeOf(after));
  return { store, fx, before, after, result };
}

/** Columns of the reference schema that reference another table's id. */
export const FK_COLUMNS: Record<string, string> = { account_id: 'accounts', user_id: 'users', call_id: 'calls', conference_id: 'conferences', host_user_id: 'users', referrer_user_id: 'users' };

/** Every row that references accounts:`id`, directly or through other rows, as table → ids. */
export function referencing(d: Dump, table: string, id: number): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>([[table, new Set([id])]]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [t, rows] of Object.entries(d)) {
      if (t.startsWith('lethe_')) continue;
      for (const row of rows) {
        const hit = Object.entries(FK_COLUMNS).some(([c, parent]) => row[c] !== null && row[c] !== undefined && out.get(parent)?.has(Number(row[c])));
        const set = out.get(t) ?? new Set<number>();
        if (hit && !set.has(Number(row.id))) {
          set.add(Number(row.id));
          out.set(t, set);
          grew = true;
        }
      }
    }
  }
  return out;
}
