/**
 * Stores for the daemon tests: a tiny hand-written policy on trial_signups and accounts
 * (exact counts, seconds-level cron), and a seeded store copied from a template seeded
 * once per file (many due rows and batches of 10, so a run lasts seconds).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REFERENCE_TABLES } from '../../db/reference-schema.js';
import { NOW, SHIPPED_POLICY, daysBefore, tempStore, type TempStore } from './harness.js';
import { runLethe } from './daemon.js';

export const NOW_ISO = NOW.toISOString();

export type Db = Database.Database;

/** A second, independent connection to a store file. */
export function openDb(file: string, readonly = false): Db {
  const db = new Database(file, { readonly, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return db;
}

export function ids(db: Db, table: string, where = '1 = 1'): number[] {
  return (db.prepare(`select id from "${table}" where ${where} order by id`).all() as { id: number }[]).map((r) => Number(r.id));
}

export function scalar(db: Db, q: string, ...params: unknown[]): number {
  const row = db.prepare(q).get(...params) as Record<string, unknown> | undefined;
  return Number(Object.values(row ?? {})[0] ?? 0);
}

export const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

export interface SmallPolicyOptions {
  /** Period of the trial-signups rule. */
  trialAfter?: string;
  /** The provider's cron (6 fields = seconds). */
  schedule?: string;
  batchSize?: number;
  /** Adds a rule deleting recordings (and their media files) 12 months after recorded_at. */
  recordings?: boolean;
}

/**
 * One provider (pipcall) with two delete rules: trial_signups by started_at, and accounts by
 * terminated_at. The guard is off so every due row is changed.
 */
export function smallPolicy(o: SmallPolicyOptions = {}): string {
  return `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
  tenant_column: provider_id
defaults:
  timezone: UTC
  batch_size: ${o.batchSize ?? 1000}
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  pipcall:
    name: PiPcall (daemon test)
    source: a test policy
    schedule: "${o.schedule ?? '*/2 * * * * *'}"
    rules:
      trial-signups:
        quote: "Free-trial email and phone are deleted after the trial."
        table: trial_signups
        clock: started_at
        after: ${o.trialAfter ?? '12 months'}
        action: delete
      closed-accounts:
        quote: "Accounts are deleted 12 months after termination."
        table: accounts
        clock: terminated_at
        after: 12 months
        action: delete
${
  o.recordings
    ? `      old-recordings:
        quote: "Recordings are deleted 12 months after they are made."
        table: recordings
        clock: recorded_at
        after: 12 months
        files: media_path
        action: delete
`
    : ''
}`;
}

/** What smallStore() puts in the store, relative to NOW. */
export const SMALL = {
  /** trial_signups started 400 days before NOW: due under "12 months". */
  oldTrials: [1, 2, 3, 4, 5, 6, 7],
  /** started 200 days before NOW: due under "3 months", not under "12 months". */
  midTrials: [8, 9, 10],
  /** started 30 days before NOW: never due here. */
  newTrials: [11],
  /** accounts terminated 400 days before NOW; account 2 is referenced by user 1 (blocked). */
  oldAccounts: [1, 2],
  /** account 3 is not terminated. */
  liveAccounts: [3],
  /** recordings of account 3 made 400 days before NOW, each with a media file: due under the recordings rule. */
  oldRecordings: [1, 2],
  /** a recording made 30 days before NOW. */
  newRecordings: [3],
} as const;

/** The media path of recording `id` (relative to media_root). */
export const recordingPath = (id: number) => `rec/${id}.wav`;

/** A migrated SQLite store (tempStore) with the small policy and the SMALL rows. Its adapter is closed. */
export async function smallStore(policyText = smallPolicy()): Promise<TempStore> {
  const store = await tempStore(policyText);
  await store.close();
  const db = openDb(store.dbFile);
  try {
    db.prepare(`insert into providers (id, name) values ('pipcall', 'PiPcall')`).run();
    const trial = db.prepare(`insert into trial_signups (id, provider_id, email, phone, started_at) values (?, 'pipcall', ?, ?, ?)`);
    for (const id of SMALL.oldTrials) trial.run(id, `t${id}@example.com`, '+447700900001', daysBefore(400));
    for (const id of SMALL.midTrials) trial.run(id, `t${id}@example.com`, '+447700900002', daysBefore(200));
    for (const id of SMALL.newTrials) trial.run(id, `t${id}@example.com`, '+447700900003', daysBefore(30));
    const acct = db.prepare(`insert into accounts (id, provider_id, name, email, created_at, terminated_at) values (?, 'pipcall', ?, ?, ?, ?)`);
    for (const id of SMALL.oldAccounts) acct.run(id, `A${id}`, `a${id}@example.com`, daysBefore(2000), daysBefore(400));
    for (const id of SMALL.liveAccounts) acct.run(id, `A${id}`, `a${id}@example.com`, daysBefore(2000), null);
    db.prepare(`insert into users (id, provider_id, account_id, name, email, created_at) values (1, 'pipcall', 2, 'U1', 'u1@example.com', ?)`).run(daysBefore(1500));
    const rec = db.prepare(`insert into recordings (id, provider_id, account_id, media_path, size_bytes, recorded_at) values (?, 'pipcall', 3, ?, 4, ?)`);
    mkdirSync(join(store.mediaRoot, 'rec'), { recursive: true });
    for (const [list, days] of [[SMALL.oldRecordings, 400], [SMALL.newRecordings, 30]] as const) {
      for (const id of list) {
        rec.run(id, recordingPath(id), daysBefore(days));
        writeFileSync(join(store.mediaRoot, recordingPath(id)), 'RIFF');
      }
    }
  } finally {
    db.close();
  }
  return store;
}

/** Inserts trial_signups rows (pipcall) started `days` before NOW. */
export function insertTrials(dbFile: string, idList: readonly number[], days: number): void {
  const db = openDb(dbFile);
  try {
    const trial = db.prepare(`insert into trial_signups (id, provider_id, email, phone, started_at) values (?, 'pipcall', ?, '+447700900009', ?)`);
    for (const id of idList) trial.run(id, `late${id}@example.com`, daysBefore(days));
  } finally {
    db.close();
  }
}

/**
 * The shipped policy with small batches (10 by default) and the guard off (many small transactions, so one
 * run lasts seconds on a seeded store), optionally with every provider on `schedule`.
 */
export function longRunPolicy(schedule?: string, batchSize = 10): string {
  const shipped = readFileSync(SHIPPED_POLICY, 'utf8');
  let text = shipped
    .replace('  batch_size: 1000\n', `  batch_size: ${batchSize}\n`)
    .replace('  guard: { max_fraction: 0.25, min_rows: 1000 }\n', '  guard: { max_fraction: 1, min_rows: 0 }\n')
    // Runs made long by small batches, not by the throttle's pauses (its own tests cover those).
    .replace('  tenant_column: provider_id\n', '  tenant_column: provider_id\n  throttle: off\n');
  if (!text.includes(`  batch_size: ${batchSize}\n`) || !text.includes('  guard: { max_fraction: 1, min_rows: 0 }\n')) {
    throw new Error('fixture: the shipped policy no longer has the default batch_size/guard lines this test edits');
  }
  if (schedule) {
    // Providers without their own schedule use the default; the others get theirs replaced.
    text = text.replace(/^(\s*)schedule: ".*"$/gm, `$1schedule: "${schedule}"`);
    const n = [...text.matchAll(/^\s*schedule: "(.*)"$/gm)].filter((m) => m[1] === schedule).length;
    if (n < 2) throw new Error(`fixture: expected to set several schedules to "${schedule}", set ${n}`);
  }
  return text;
}

/** Seeds a template store once (2000 accounts, seed 3, no media files) and returns its file. */
export async function seedTemplate(accounts = 2000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-tpl-'));
  const file = join(dir, 'telecom.db');
  const r = await runLethe(['--db', `sqlite:${file}`, 'db', 'seed', '--accounts', String(accounts), '--seed', '3', '--now', NOW_ISO, '--no-media'], { cwd: dir, timeoutMs: 55_000 });
  if (r.code !== 0) throw new Error(`seeding the template failed (${r.code}): ${r.stderr}`);
  return file;
}

/** A fresh folder with `policyText` as policies.yaml and a copy of the template as data/telecom.db. */
export function storeFromTemplate(template: string, policyText: string): { dir: string; dbFile: string; policyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-daemon-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const dbFile = join(dir, 'data', 'telecom.db');
  copyFileSync(template, dbFile);
  if (existsSync(`${template}-wal`)) copyFileSync(`${template}-wal`, `${dbFile}-wal`);
  const policyFile = join(dir, 'policies.yaml');
  writeFileSync(policyFile, policyText);
  return { dir, dbFile, policyFile };
}

/** Every reference table's ids. */
export function snapshotIds(db: Db): Map<string, number[]> {
  return new Map(REFERENCE_TABLES.filter((t) => t !== 'providers').map((t) => [t, ids(db, t)]));
}

export interface AuditRow {
  seq: number;
  run_id: number;
  provider: string;
  rule: string;
  table_name: string;
  action: string;
  row_count: number;
  keys: number[];
  policy_sha256: string;
}

export function auditRows(db: Db): AuditRow[] {
  return (db.prepare('select * from lethe_audit order by seq').all() as Record<string, unknown>[]).map((r) => ({
    seq: Number(r.seq),
    run_id: Number(r.run_id),
    provider: String(r.provider),
    rule: String(r.rule),
    table_name: String(r.table_name),
    action: String(r.action),
    row_count: Number(r.row_count),
    keys: (JSON.parse(String(r.keys)) as unknown[]).map(Number),
    policy_sha256: String(r.policy_sha256),
  }));
}

export interface RunRow {
  id: number;
  trigger: string;
  slot: string | null;
  provider: string | null;
  status: string;
  started_at: string;
  finished_at: string | null;
  changed: number;
  error: string | null;
  policy_sha256: string;
}

export function runRows(db: Db): RunRow[] {
  return (db.prepare('select * from lethe_runs order by id').all() as Record<string, unknown>[]).map((r) => ({
    id: Number(r.id),
    trigger: String(r.trigger),
    slot: (r.slot as string | null) ?? null,
    provider: (r.provider as string | null) ?? null,
    status: String(r.status),
    started_at: String(r.started_at),
    finished_at: (r.finished_at as string | null) ?? null,
    changed: Number(r.changed),
    error: (r.error as string | null) ?? null,
    policy_sha256: String(r.policy_sha256),
  }));
}
