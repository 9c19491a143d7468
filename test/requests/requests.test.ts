/**
 * Data-subject requests (DESIGN 9, "Requests with deadlines"), through bin/lethe on every
 * engine: `request add` records a request with the provider's deadline (ring-u: 30 days, on
 * New York's calendar) and a `request` act; the next `lethe run` carries it out. An erasure
 * deletes the account and every row that references it, child tables first, each batch
 * audited under rule request-<id> with the media files it queued; a hold still wins, and the
 * rows it keeps (and the account they reference) are reported as a conflict. An access
 * request writes an archive. Bad input exits 2 and writes nothing. Time is injected with --now.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tempStore, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import {
  Fixture,
  NOW_ISO,
  account,
  call,
  conference,
  contact,
  debugLog,
  diffDumps,
  dumpAll,
  greeting,
  participant,
  push,
  recording,
  referral,
  ticket,
  user,
  voicemail,
  withoutRuns,
  type Dump,
} from '../scenarios/support.js';

const engines = await testEngines();

/** Received three days before NOW; ring-u answers within 30 days (America/New_York). */
const RECEIVED = '2026-11-20T09:00:00.000Z';
const DUE = '2026-12-20T09:00:00.000Z';
/** Received before the end of daylight saving (1 Nov): 30 calendar days later is 08:00 EST, 13:00Z, not 12:00Z. */
const RECEIVED_EDT = '2026-10-20T12:00:00.000Z';
const DUE_EDT = '2026-11-19T13:00:00.000Z';
const FUTURE = '2026-11-30T00:00:00.000Z';

interface Listed {
  id: number;
  provider: string;
  kind: string;
  table: string;
  key: unknown;
  received_at: string;
  due_at: string | null;
  status: string;
  overdue: boolean;
  done_at: string | null;
  outcome: { deleted?: Record<string, number>; kept?: Record<string, { held: number; retained: number; referenced: number; keys: unknown[] }>; path?: string; sha256?: string; rows?: Record<string, number>; files?: number } | null;
}

interface Entry {
  seq: number;
  run_id: number;
  provider: string;
  rule: string;
  table_name: string;
  action: string;
  keys: unknown[];
  detail: Record<string, unknown> | null;
  by: string | null;
}

/** Account 301: a ring-u customer with a row in every table that references an account. 302: one whose call 353 is held. 303: an access request. 390: another provider's customer, untouched. */
async function seed(fx: Fixture): Promise<void> {
  await fx.providers();
  await fx.insert('accounts', [account(301, 'ringu'), account(302, 'ringu'), account(303, 'ringu'), account(390, 'pipcall')]);
  await fx.insert('users', [user(311, 'ringu', 301), user(312, 'ringu', 302), user(313, 'ringu', 303), user(391, 'pipcall', 390)]);
  await fx.insert('contacts', [contact(341, 'ringu', 301, { user_id: 311 }), contact(343, 'ringu', 303), contact(392, 'pipcall', 390)]);
  await fx.insert('calls', [call(351, 'ringu', 301, { user_id: 311 }), call(352, 'ringu', 301), call(353, 'ringu', 302), call(354, 'ringu', 302, { user_id: 312 }), call(355, 'ringu', 303), call(393, 'pipcall', 390)]);
  await fx.insert('conferences', [conference(356, 'ringu', 301, { host_user_id: 311 })]);
  await fx.insert('conference_participants', [participant(357, 'ringu', 356)]);
  await fx.insert('recordings', [
    recording(361, 'ringu', 301, { call_id: 351 }),
    recording(364, 'ringu', 301, { conference_id: 356 }),
    recording(362, 'ringu', 302, { call_id: 353 }),
    recording(363, 'ringu', 302, { call_id: 354 }),
    recording(394, 'pipcall', 390, { call_id: 393 }),
  ]);
  await fx.insert('voicemails', [voicemail(371, 'ringu', 301, { user_id: 311 }), voicemail(372, 'ringu', 302)]);
  await fx.insert('voicemail_greetings', [greeting(381, 'ringu', 301)]);
  await fx.insert('support_tickets', [ticket(386, 'ringu', 301)]);
  // Not expired, not disabled: no ring-u rule deletes it on its own.
  await fx.insert('push_registrations', [push(321, 'ringu', 301, { user_id: 311, expires_at: '2027-01-01T00:00:00.000Z' })]);
  await fx.insert('debug_logs', [debugLog(331, 'ringu', 301, { user_id: 311 })]);
  await fx.insert('referrals', [referral(358, 'ringu', { referrer_user_id: 311 })]);
}

/** What erasing account 301 must delete: the account and every row that references it, directly or through other rows. */
const ACCOUNT_301: Record<string, number[]> = {
  accounts: [301],
  calls: [351, 352],
  conference_participants: [357],
  conferences: [356],
  contacts: [341],
  debug_logs: [331],
  push_registrations: [321],
  recordings: [361, 364],
  referrals: [358],
  support_tickets: [386],
  users: [311],
  voicemail_greetings: [381],
  voicemails: [371],
};

describe.each(engines)('data-subject requests on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  const lethe = (args: string[]) => cli(store, args);
  const json = <T>(args: string[]): T => {
    const r = lethe([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const requests = () => json<Listed[]>(['request', 'list', '--all', '--now', NOW_ISO]);
  const entries = () => json<Entry[]>(['audit']);

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    fx = new Fixture(store);
    await seed(fx);
  });
  afterAll(async () => store?.close());

  it('request add records an erasure with a deadline 30 days after receipt, and a request act in the chain', () => {
    const r = lethe(['request', 'add', 'erasure', 'accounts', '301', '--received', RECEIVED, '--by', 'dpo@ringu', '--reason', 'ticket DSR-1', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^request 1 recorded: erasure of accounts 301 for ringu, received 2026-11-20T09:00:00.000Z, due by 2026-12-20T09:00:00.000Z \(30 days after receipt\)/);
    const [req] = requests();
    expect(req).toMatchObject({ id: 1, provider: 'ringu', kind: 'erasure', table: 'accounts', key: 301, received_at: RECEIVED, due_at: DUE, status: 'open', overdue: false, done_at: null });
    const act = entries().filter((e) => e.action === 'request');
    expect(act).toHaveLength(1);
    expect(act[0]).toMatchObject({ provider: 'ringu', rule: 'request-1', table_name: 'accounts', keys: [301], by: 'dpo@ringu', detail: { request_id: 1, kind: 'erasure', received_at: RECEIVED, due_at: DUE } });
  });

  it('the deadline is calendar days in the provider zone, and --json prints the request', () => {
    // Across the end of daylight saving in New York: 30 days after 08:00 EDT is 08:00 EST.
    const doc = json<Record<string, unknown>>(['request', 'add', 'access', 'accounts', '303', '--received', RECEIVED_EDT, '--now', NOW_ISO]);
    expect(doc).toMatchObject({ id: 2, provider: 'ringu', kind: 'access', table: 'accounts', key: 303, received_at: RECEIVED_EDT, due_at: DUE_EDT, respond_within: '30 days', status: 'open' });
    expect(typeof doc.audit_seq).toBe('number');
  });

  it('bad input exits 2 and writes nothing: no request, no audit entry', () => {
    const counts = () => [requests().length, entries().length];
    const was = counts();
    const bad: [string[], RegExp][] = [
      [['request', 'add', 'erasure', 'nosuch', '1', '--received', RECEIVED], /no table "nosuch"/],
      [['request', 'add', 'erasure', 'accounts', '9999', '--received', RECEIVED], /accounts has no row 9999/],
      [['request', 'add', 'erasure', 'accounts', 'abc', '--received', RECEIVED], /"abc" is not a row id/],
      [['request', 'add', 'erasure', 'accounts', '302', '--received', 'last tuesday'], /--received: "last tuesday" is not an ISO-8601 instant/],
      [['request', 'add', 'erasure', 'accounts', '302', '--received', '2026-02-30T00:00:00Z'], /is not an ISO-8601 instant/],
      [['request', 'add', 'erasure', 'accounts', '302', '--received', FUTURE], /--received: 2026-11-30T00:00:00.000Z is in the future/],
      [['request', 'add', 'forget', 'accounts', '302', '--received', RECEIVED], /"forget" is not a kind of request: give erasure or access/],
      [['request', 'add', 'erasure', 'accounts', '302'], /--received/],
      [['request', 'add', 'erasure', 'accounts', '302', '--received', RECEIVED, '--provider', 'ringx'], /no provider "ringx".*did you mean "ringu"/],
      [['request', 'add', 'erasure', 'accounts', '302', '--received', RECEIVED, '--provider', 'pipcall'], /belongs to ringu/],
      [['request', 'add', 'erasure', 'lethe_audit', '1', '--received', RECEIVED], /no table "lethe_audit"/],
    ];
    for (const [args, message] of bad) {
      const r = lethe([...args, '--now', NOW_ISO]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(counts()).toEqual(was);
  });

  it('request list shows status and overdue, with keys and never the row’s values', () => {
    // A hold on one of account 302's calls, then an erasure request for the account.
    const hold = lethe(['hold', 'add', 'calls', '353', '--reason', 'litigation L-9', '--now', NOW_ISO]);
    expect(hold.code, hold.stderr).toBe(0);
    const add = lethe(['request', 'add', 'erasure', 'accounts', '302', '--received', RECEIVED, '--now', NOW_ISO]);
    expect(add.code, add.stderr).toBe(0);

    const r = lethe(['request', 'list', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+provider\s+kind\s+table\s+key\s+received\s+deadline\s+status\s+overdue\s+done_at$/);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/).slice(0, 9))).toEqual([
      ['1', 'ringu', 'erasure', 'accounts', '301', RECEIVED, DUE, 'open', 'no'],
      ['2', 'ringu', 'access', 'accounts', '303', RECEIVED_EDT, DUE_EDT, 'open', 'yes'],
      ['3', 'ringu', 'erasure', 'accounts', '302', RECEIVED, DUE, 'open', 'no'],
    ]);
    // Overdue is relative to now: before the EDT request's deadline it is not.
    const earlier = json<Listed[]>(['request', 'list', '--now', '2026-11-19T12:59:59.000Z']);
    expect(earlier.map((q) => q.overdue)).toEqual([false, false, false]);
    for (const out of [r.stdout, JSON.stringify(requests())]) {
      for (const v of fx.personal) expect(out).not.toContain(v);
    }
  });

  it('a dry run reports what the requests would do and changes nothing', async () => {
    const was = withoutRuns(await dumpAll(store));
    const r = lethe(['run', '--dry-run', '--now', NOW_ISO, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { requests: { id: number; status: string; deleted: Record<string, number>; kept: Record<string, unknown> }[] };
    expect(doc.requests.map((q) => [q.id, q.status])).toEqual([
      [1, 'done'],
      [2, 'open'],
      [3, 'conflict'],
    ]);
    expect(doc.requests[0]!.deleted).toEqual(Object.fromEntries(Object.entries(ACCOUNT_301).map(([t, ids]) => [t, ids.length])));
    expect(withoutRuns(await dumpAll(store))).toEqual(was);
    expect(fx.missingMedia()).toEqual([]);
  });

  it('the next run erases account 301 and every row referencing it, audited with the request id, before the deadline', async () => {
    before = await dumpAll(store);
    const r = lethe(['run', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/request 1 \(erasure of accounts 301, ringu\): done, deleted /);
    const after = await dumpAll(store);
    const diff = diffDumps(before, after);

    // Exactly the rows of account 301 and of 302 that no hold protects; nothing else changed.
    const deleted = Object.fromEntries(Object.entries(diff).map(([t, d]) => [t, d.deleted]));
    const expected: Record<string, number[]> = { ...ACCOUNT_301, calls: [351, 352, 354], recordings: [361, 363, 364], users: [311, 312], voicemails: [371, 372] };
    expect(deleted).toEqual(expected);
    for (const d of Object.values(diff)) expect([d.changed, d.added]).toEqual([[], []]);

    // Each delete entry names the request; their keys are exactly the rows that went.
    const all = entries();
    const del = all.filter((e) => e.action === 'delete');
    expect(del.length).toBeGreaterThan(0);
    for (const e of del) {
      expect(e.rule).toMatch(/^request-[13]$/);
      expect(e.provider).toBe('ringu');
      expect(e.detail).toEqual({ request_id: Number(e.rule.slice('request-'.length)) });
    }
    const audited: Record<string, number[]> = {};
    for (const e of del) (audited[e.table_name] ??= []).push(...e.keys.map(Number));
    expect(Object.fromEntries(Object.entries(audited).map(([t, k]) => [t, k.sort((a, b) => a - b)]))).toEqual(expected);
    // Children before parents: every table's entry comes before the accounts entry of its request.
    const order = del.filter((e) => e.rule === 'request-1').map((e) => e.table_name);
    expect(order[order.length - 1]).toBe('accounts');
    expect(order.indexOf('users')).toBeGreaterThan(order.indexOf('calls'));

    // Their media went with them, each audited as a file entry of the request.
    expect(fx.missingMedia()).toEqual(['ringu/greet/381.wav', 'ringu/rec/361.wav', 'ringu/rec/363.wav', 'ringu/rec/364.wav', 'ringu/vm/371.wav', 'ringu/vm/372.wav']);
    const files = all.filter((e) => e.action === 'file' && e.rule === 'request-1').flatMap((e) => e.keys.map((k) => `${e.table_name} ${String(k)}`)).sort();
    expect(files).toEqual(['recordings 361', 'recordings 364', 'voicemail_greetings 381', 'voicemails 371']);

    const verify = lethe(['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const req = requests().find((q) => q.id === 1)!;
    expect(req.status).toBe('done');
    expect(req.done_at).toBe(NOW_ISO);
    expect(req.done_at! < req.due_at!).toBe(true);
    expect(req.overdue).toBe(false);
    expect(req.outcome).toEqual({ deleted: Object.fromEntries(Object.entries(ACCOUNT_301).map(([t, ids]) => [t, ids.length])), kept: {} });
    const done = all.filter((e) => e.action === 'request' && e.detail?.status === 'done' && e.detail.request_id === 1);
    expect(done).toHaveLength(1);
    expect(done[0]!.detail).toMatchObject({ request_id: 1, status: 'done', kept: {} });

    // The erasure record of the account finds every deleted row through the refs they carried.
    const subject = json<{ entries: { table: string; action: string; keys: unknown[] }[] }>(['audit', '--subject', 'accounts:301', '--now', NOW_ISO]);
    const found = new Set(subject.entries.filter((e) => e.action === 'delete').map((e) => e.table));
    expect([...found].sort()).toEqual(Object.keys(ACCOUNT_301).sort());
  });

  it('a hold still wins: the held call, what references it and the account stay, and the request is a conflict', async () => {
    const req = requests().find((q) => q.id === 3)!;
    expect(req.status).toBe('conflict');
    expect(req.done_at).toBeNull();
    expect(req.outcome).toEqual({
      deleted: { calls: 1, recordings: 1, users: 1, voicemails: 1 },
      kept: {
        recordings: { held: 1, retained: 0, referenced: 0, keys: [362] },
        calls: { held: 1, retained: 0, referenced: 0, keys: [353] },
        accounts: { held: 0, retained: 0, referenced: 1, keys: [302] },
      },
    });
    const after = await dumpAll(store);
    expect(after.calls!.map((c) => Number(c.id))).toContain(353);
    expect(after.recordings!.map((c) => Number(c.id))).toContain(362);
    expect(after.accounts!.map((c) => Number(c.id))).toEqual([302, 303, 390]);
    expect(fx.presentMedia()).toContain('ringu/rec/362.wav');
    const act = entries().filter((e) => e.action === 'request' && e.detail?.request_id === 3 && e.detail.status === 'conflict');
    expect(act).toHaveLength(1);
    expect(act[0]!.detail).toMatchObject({ deleted: { calls: 1, recordings: 1, users: 1, voicemails: 1 }, kept: { calls: { held: 1 }, recordings: { held: 1 }, accounts: { referenced: 1 } } });

    // The list without --all shows what is not done: the conflict.
    const open = json<Listed[]>(['request', 'list', '--now', NOW_ISO]);
    expect(open.map((q) => [q.id, q.status, q.overdue])).toEqual([[3, 'conflict', false]]);
    const text = lethe(['request', 'list', '--now', '2026-12-21T00:00:00.000Z']).stdout;
    expect(text).toMatch(/\n\s*3\s+ringu\s+erasure\s+accounts\s+302\s+\S+\s+\S+\s+conflict\s+yes/);
  });

  it('an access request writes an archive and is done', () => {
    const req = requests().find((q) => q.id === 2)!;
    expect(req.status).toBe('done');
    expect(req.overdue).toBe(false);
    const out = req.outcome!;
    expect(existsSync(out.path!)).toBe(true);
    expect(createHash('sha256').update(readFileSync(out.path!)).digest('hex')).toBe(out.sha256);
    expect(out.rows).toMatchObject({ accounts: 1, users: 1, contacts: 1, calls: 1 });
    const act = entries().filter((e) => e.action === 'request' && e.detail?.request_id === 2 && e.detail.status === 'done');
    expect(act).toHaveLength(1);
    expect(act[0]!.detail).toEqual({ request_id: 2, status: 'done', export: { path: out.path, sha256: out.sha256 } });
  });

  it('a conflict found again unchanged is not recorded again; once the hold is released the next run finishes it', async () => {
    const acts = () => entries().filter((e) => e.action === 'request' && e.detail?.request_id === 3).length;
    const was = acts();
    const again = lethe(['run', '--now', NOW_ISO]);
    expect(again.code, again.stderr).toBe(0);
    expect(acts()).toBe(was);
    expect(requests().find((q) => q.id === 3)!.status).toBe('conflict');

    const holds = json<{ id: number }[]>(['hold', 'list']);
    const rel = lethe(['hold', 'release', String(holds[0]!.id), '--reason', 'case closed', '--now', NOW_ISO]);
    expect(rel.code, rel.stderr).toBe(0);
    const r = lethe(['run', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const req = requests().find((q) => q.id === 3)!;
    expect(req.status).toBe('done');
    // The outcome counts every row deleted for the request, over both runs.
    expect(req.outcome).toEqual({ deleted: { calls: 2, recordings: 2, users: 1, voicemails: 1, accounts: 1 }, kept: {} });
    const last = entries().filter((e) => e.action === 'request' && e.detail?.request_id === 3).pop()!;
    expect(last.detail).toEqual({ request_id: 3, status: 'done', deleted: { recordings: 1, calls: 1, accounts: 1 }, kept: {} });
    const after = await dumpAll(store);
    expect(after.accounts!.map((c) => Number(c.id))).toEqual([303, 390]);
    expect(fx.missingMedia()).toContain('ringu/rec/362.wav');
    expect(lethe(['audit', 'verify']).code).toBe(0);
    // Another provider's customer was never touched.
    for (const t of ['accounts', 'users', 'contacts', 'calls', 'recordings']) {
      expect(before[t]!.filter((row) => row.provider_id === 'pipcall')).toEqual(after[t]!.filter((row) => row.provider_id === 'pipcall'));
    }
  });

  it('without an export root an access request stays open and the run reports it, its stages still run', () => {
    const add = lethe(['request', 'add', 'access', 'accounts', '303', '--received', RECEIVED, '--now', NOW_ISO]);
    expect(add.code, add.stderr).toBe(0);
    const policy = readFileSync(store.policyFile, 'utf8').replace(/^  export_root:.*$/m, '');
    const file = `${store.dir}/no-export.yaml`;
    writeFileSync(file, policy);
    const r = lethe(['--config', file, 'run', '--now', NOW_ISO, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { status: string; error: string | null; stages: unknown[]; requests: { id: number; status: string; error: string | null }[] };
    expect(doc.stages.length).toBeGreaterThan(0);
    const failed = doc.requests.find((q) => q.id === 4)!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/no export root/);
    expect(doc.error).toMatch(/request 4/);
    expect(requests().find((q) => q.id === 4)!.status).toBe('open');
  });
  // Every step runs bin/lethe several times; three engines share two cores.
}, 180_000);
