/**
 * `lethe start` as a real process on real SQLite files (DESIGN.md section 6): scheduled
 * ticks on node-cron seconds-level expressions, /healthz /readyz /metrics, hot reload by
 * file watch and by SIGHUP (a bad edit leaves the last good policy in force), the graceful
 * SIGTERM stop after the current batch (and the forced stop on a second signal), runs that
 * never overlap, and the quickstart that creates only the default store.
 *
 * Due decisions use the injected --now; the only waits are for a process to log a line or a
 * store to reach a state, each with a deadline.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_TABLES } from '../../db/reference-schema.js';
import { runEnforcement } from '../../jobs/enforce.js';
import { EventBus } from '../../src/events.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { NOW, SHIPPED_POLICY, TEST_HMAC_KEY, loadPolicy } from '../support/harness.js';
import { colOf, lineOf } from '../support/cli-async.js';
import { httpGet, killAll, metricFamilies, parseMetrics, runLethe, sampleValue, startLethe, until, type LetheProc, type LogLine } from '../support/daemon.js';
import {
  NOW_ISO,
  SMALL,
  auditRows,
  ids,
  insertTrials,
  longRunPolicy,
  openDb,
  recordingPath,
  runRows,
  scalar,
  seedTemplate,
  smallPolicy,
  smallStore,
  snapshotIds,
  sorted,
  storeFromTemplate,
} from '../support/daemon-stores.js';

const dirs: string[] = [];
const tmp = (d: string) => (dirs.push(d), d);

afterEach(async () => {
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const isPurge = (rule?: string) => (l: LogLine) => l.event === 'purge' && (rule === undefined || l.rule === rule);
const keysOf = (l: LogLine) => sorted((l.keys as unknown[]).map(Number));
/** The run:end line of the run that logged `purge` (the batch is committed by then). */
const runEnd = (d: LetheProc, purge: LogLine) => d.waitFor((l) => l.event === 'run:end' && l.run_id === purge.run_id, `run:end of run ${String(purge.run_id)}`, 15_000);
const ISO_SECOND = /^pipcall@\d{4}-\d\d-\d\dT\d\d:\d\d:(\d\d)\.000Z$/;

/** `lethe start` in `dir` with an any-port HTTP server on loopback and the injected clock. */
function startDaemon(dir: string, extra: string[] = [], env: Record<string, string> = {}): LetheProc {
  return startLethe(['--now', NOW_ISO, 'start', '--port', '0', '--host', '127.0.0.1', ...extra], { cwd: dir, env });
}

async function metrics(port: number) {
  const r = await httpGet(port, '/metrics');
  expect(r.status).toBe(200);
  return { text: r.body, samples: parseMetrics(r.body) };
}

// ---------------------------------------------------------------------------------------------
describe('lethe start on a small store', () => {
  it('purges on a scheduled tick (no --run-now): rows gone, run recorded with trigger schedule and its slot', async () => {
    const store = await smallStore(smallPolicy({ schedule: '*/2 * * * * *' }));
    tmp(store.dir);
    const d = startDaemon(store.dir);
    const started = await d.waitFor((l) => l.event === 'started', '"started"');
    expect(started.providers).toEqual([{ id: 'pipcall', schedule: '*/2 * * * * *', timezone: 'UTC' }]);

    const purge = await d.waitFor(isPurge('trial-signups'), 'a purge of trial_signups by a scheduled tick', 10_000);
    expect(keysOf(purge)).toEqual(SMALL.oldTrials);
    const runStart = d.lines.find((l) => l.event === 'run:start' && l.run_id === purge.run_id)!;
    expect(runStart, 'run:start of the purging run').toBeDefined();
    expect(runStart.trigger).toBe('schedule');
    expect(runStart.provider).toBe('pipcall');
    expect(runStart.now).toBe(NOW_ISO);
    await d.waitFor((l) => l.event === 'run:end' && l.run_id === purge.run_id, 'run:end of the scheduled run');

    const db = openDb(store.dbFile, true);
    try {
      expect(ids(db, 'trial_signups')).toEqual([...SMALL.midTrials, ...SMALL.newTrials]);
      // account 1 deleted; account 2 is referenced by a user, so it is blocked, not deleted.
      expect(ids(db, 'accounts')).toEqual([2, ...SMALL.liveAccounts]);
      const runs = runRows(db);
      const run = runs.find((r) => r.id === purge.run_id)!;
      expect(run.trigger).toBe('schedule');
      expect(run.status).toBe('ok');
      expect(run.provider).toBe('pipcall');
      expect(run.slot).toMatch(ISO_SECOND);
      expect(Number(ISO_SECOND.exec(run.slot!)![1]) % 2, `slot ${run.slot} is on the */2 grid`).toBe(0);
      // No run came from anywhere but the schedule, and each tick fills its own slot once.
      for (const r of runs) {
        expect(r.trigger).toBe('schedule');
        expect(r.slot).toMatch(ISO_SECOND);
      }
      expect(new Set(runs.map((r) => r.slot)).size).toBe(runs.length);
    } finally {
      db.close();
    }
  });

  it('serves /healthz, /readyz and /metrics with exact per-rule series after a run', async () => {
    const store = await smallStore(smallPolicy({ schedule: '0 0 1 1 *' })); // no tick during the test
    tmp(store.dir);
    // A hold on one due trial signup: held, and still overdue afterwards.
    const db0 = openDb(store.dbFile);
    db0.prepare(`insert into lethe_holds (table_name, row_key, reason, placed_at) values ('trial_signups', '3', 'case 7', ?)`).run('2026-11-01T00:00:00.000Z');
    db0.close();

    const d = startDaemon(store.dir, ['--run-now']);
    const port = await d.port();
    const started = await d.waitFor((l) => l.event === 'started', '"started"');
    const end = await d.waitFor((l) => l.event === 'run:end', 'run:end of the --run-now run');
    expect(end.status).toBe('ok');
    expect(end.changed).toBe(7); // 6 trial signups + account 1

    const health = await httpGet(port, '/healthz');
    expect(health.status).toBe(200);
    const ready = await httpGet(port, '/readyz');
    expect(ready.status).toBe(200);
    const readyBody = JSON.parse(ready.body) as Record<string, unknown>;
    expect(readyBody.status).toBe('ready');
    expect(readyBody.policy_sha256).toBe(started.policy_sha256);
    expect(readyBody.policy_sha256).toBe(sha256(readFileSync(store.policyFile)));
    expect((await httpGet(port, '/nope')).status).toBe(404);

    const { text, samples } = await metrics(port);
    const families = metricFamilies(text);
    expect(Object.fromEntries(['lethe_rows_changed_total', 'lethe_run_duration_seconds', 'lethe_last_success_timestamp_seconds', 'lethe_overdue_rows', 'lethe_held_rows', 'lethe_blocked_rows', 'lethe_policy_reload_failures_total'].map((n) => [n, families.get(n)]))).toEqual({
      lethe_rows_changed_total: 'counter',
      lethe_run_duration_seconds: 'histogram',
      lethe_last_success_timestamp_seconds: 'gauge',
      lethe_overdue_rows: 'gauge',
      lethe_held_rows: 'gauge',
      lethe_blocked_rows: 'gauge',
      lethe_policy_reload_failures_total: 'counter',
    });
    const trial = { provider: 'pipcall', rule: 'trial-signups' };
    const accts = { provider: 'pipcall', rule: 'closed-accounts' };
    expect(text).toContain('lethe_rows_changed_total{provider="pipcall",rule="trial-signups",action="delete"} 6\n');
    expect(sampleValue(samples, 'lethe_rows_changed_total', { ...accts, action: 'delete' })).toBe(1);
    expect(sampleValue(samples, 'lethe_held_rows', trial)).toBe(1);
    expect(sampleValue(samples, 'lethe_held_rows', accts)).toBe(0);
    expect(sampleValue(samples, 'lethe_blocked_rows', accts)).toBe(1);
    expect(sampleValue(samples, 'lethe_blocked_rows', trial)).toBe(0);
    // Still due after the run: the held trial signup and the blocked account.
    expect(sampleValue(samples, 'lethe_overdue_rows', trial)).toBe(1);
    expect(sampleValue(samples, 'lethe_overdue_rows', accts)).toBe(1);
    expect(sampleValue(samples, 'lethe_run_duration_seconds_count', { provider: 'pipcall', status: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'lethe_policy_reload_failures_total')).toBe(0);

    const db = openDb(store.dbFile, true);
    try {
      const run = runRows(db).find((r) => r.id === end.run_id)!;
      expect(sampleValue(samples, 'lethe_last_success_timestamp_seconds', { provider: 'pipcall' })).toBe(Date.parse(run.finished_at!) / 1000);
      expect(ids(db, 'trial_signups')).toEqual([3, ...SMALL.midTrials, ...SMALL.newTrials]);
    } finally {
      db.close();
    }
  });

  it('a broken edit of policies.yaml is rejected with line and column; the daemon stays up and keeps enforcing the last good policy', async () => {
    const good = smallPolicy({ schedule: '* * * * * *' });
    const store = await smallStore(good);
    tmp(store.dir);
    const d = startDaemon(store.dir);
    const port = await d.port();
    const started = await d.waitFor((l) => l.event === 'started', '"started"');
    const goodSha = sha256(good);
    expect(started.policy_sha256).toBe(goodSha);
    await d.waitFor(isPurge('trial-signups'), 'the first scheduled purge', 10_000);

    // 1. A misspelt unit: valid YAML, invalid policy.
    const typo = good.replace('        after: 12 months\n        action: delete\n      closed-accounts:', '        after: 12 monhts\n        action: delete\n      closed-accounts:');
    expect(typo).not.toBe(good);
    writeFileSync(store.policyFile, typo);
    const failed = await d.waitFor((l) => l.event === 'reload:failed', 'reload:failed after the misspelt unit', 10_000);
    expect(failed.trigger).toBe('watch');
    const problems = failed.problems as { line: number; col: number; path: string; message: string }[];
    expect(problems.length, JSON.stringify(problems)).toBe(1);
    expect(problems[0]).toMatchObject({ line: lineOf(typo, '12 monhts'), col: colOf(typo, '12 monhts'), path: 'providers.pipcall.rules.trial-signups.after' });
    expect(problems[0]!.message).toContain('monhts');

    expect((await httpGet(port, '/healthz')).status).toBe(200);
    expect((await httpGet(port, '/readyz')).status).toBe(200);
    expect(d.hasExited()).toBe(false);
    expect(sampleValue((await metrics(port)).samples, 'lethe_policy_reload_failures_total')).toBe(1);

    // The old policy is still enforced: new rows due under "12 months" go on a later tick, and
    // rows that only a different period would make due stay.
    insertTrials(store.dbFile, [101, 102, 103], 400);
    const later = await d.waitFor((l) => isPurge('trial-signups')(l) && keysOf(l).includes(101), 'a purge of the rows inserted after the bad edit', 10_000);
    expect(keysOf(later)).toEqual([101, 102, 103]);
    expect(later.policy_sha256).toBe(goodSha);

    // 2. Unbalanced YAML: an unterminated quoted string. The expected position is the one the
    // YAML parser itself gives for this text (1-based), which must be on the edited line.
    const unbalanced = good.replace('quote: "Free-trial email and phone are deleted after the trial."', 'quote: "Free-trial email and phone are deleted after the trial.');
    expect(unbalanced).not.toBe(good);
    const yamlErr = parseDocument(unbalanced).errors[0]!;
    const [pos] = yamlErr.linePos!;
    expect(pos.line).toBe(lineOf(unbalanced, 'quote: "Free-trial'));
    writeFileSync(store.policyFile, unbalanced);
    const failed2 = await d.waitForNth((l) => l.event === 'reload:failed', 2, 'a second reload:failed after the unbalanced YAML', 10_000);
    const problems2 = failed2.problems as { line: number; col: number }[];
    expect(problems2.length).toBeGreaterThanOrEqual(1);
    expect({ line: problems2[0]!.line, col: problems2[0]!.col }).toEqual({ line: pos.line, col: pos.col });

    expect((await httpGet(port, '/healthz')).status).toBe(200);
    expect(sampleValue((await metrics(port)).samples, 'lethe_policy_reload_failures_total')).toBe(2);
    insertTrials(store.dbFile, [201], 400);
    const later2 = await d.waitFor((l) => isPurge('trial-signups')(l) && keysOf(l).includes(201), 'a purge after the second bad edit', 10_000);
    expect(later2.policy_sha256).toBe(goodSha);
    await runEnd(d, later2);

    expect(d.lines.some((l) => l.event === 'reload:ok')).toBe(false);
    const db = openDb(store.dbFile, true);
    try {
      expect(ids(db, 'trial_signups')).toEqual([...SMALL.midTrials, ...SMALL.newTrials]);
      for (const r of runRows(db)) expect(r.policy_sha256).toBe(goodSha);
    } finally {
      db.close();
    }
    expect(d.hasExited()).toBe(false);
  });

  it('a good edit is enforced without a restart (file watch)', async () => {
    const before = smallPolicy({ schedule: '* * * * * *' });
    const store = await smallStore(before);
    tmp(store.dir);
    const d = startDaemon(store.dir);
    await d.waitFor(isPurge('trial-signups'), 'the first scheduled purge', 10_000);

    const after = smallPolicy({ schedule: '* * * * * *', trialAfter: '3 months' });
    writeFileSync(store.policyFile, after);
    const ok = await d.waitFor((l) => l.event === 'reload:ok', 'reload:ok after the edit', 10_000);
    expect(ok.trigger).toBe('watch');
    expect(ok.policy_sha256).toBe(sha256(after));
    const purge = await d.waitFor((l) => isPurge('trial-signups')(l) && keysOf(l).includes(SMALL.midTrials[0]), 'the purge of rows the edit made due', 10_000);
    expect(keysOf(purge)).toEqual(SMALL.midTrials);
    expect(purge.policy_sha256).toBe(sha256(after));
    await runEnd(d, purge);
    expect(d.hasExited()).toBe(false);
    expect(d.lines.filter((l) => l.event === 'started')).toHaveLength(1);
    const db = openDb(store.dbFile, true);
    try {
      expect(ids(db, 'trial_signups')).toEqual(SMALL.newTrials);
    } finally {
      db.close();
    }
  });

  it('SIGHUP reloads the policy (an edit the file watch cannot see)', async () => {
    const before = smallPolicy({ schedule: '* * * * * *' });
    const store = await smallStore(before);
    tmp(store.dir);
    // policies.yaml is a symlink to a file in another folder: the daemon watches the folder of
    // the path it was given, so an edit of the target is seen only through SIGHUP.
    const realDir = join(store.dir, 'real');
    mkdirSync(realDir);
    const target = join(realDir, 'policies.yaml');
    writeFileSync(target, before);
    rmSync(store.policyFile);
    symlinkSync(target, store.policyFile);

    const d = startDaemon(store.dir);
    await d.waitFor((l) => l.event === 'started', '"started"');
    await d.waitFor(isPurge('trial-signups'), 'the first scheduled purge', 10_000);

    const after = smallPolicy({ schedule: '* * * * * *', trialAfter: '3 months' });
    writeFileSync(target, after);
    d.child.kill('SIGHUP');
    const ok = await d.waitFor((l) => l.event === 'reload:ok', 'reload:ok after SIGHUP', 10_000);
    expect(ok.trigger).toBe('sighup');
    expect(ok.policy_sha256).toBe(sha256(after));
    const purge = await d.waitFor((l) => isPurge('trial-signups')(l) && keysOf(l).includes(SMALL.midTrials[0]), 'the purge under the reloaded policy', 10_000);
    expect(keysOf(purge)).toEqual(SMALL.midTrials);
    expect(d.hasExited()).toBe(false);

    // A SIGHUP with nothing changed is harmless: no reload:failed, the daemon stays up.
    d.child.kill('SIGHUP');
    expect((await httpGet(await d.port(), '/healthz')).status).toBe(200);
    expect(d.lines.some((l) => l.event === 'reload:failed')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('every audit entry is a purge log line, announced after its commit', () => {
  // Regression (fixed in eb0b5b8): jobs/enforce.ts drained the file queue after each batch
  // without `onAudit`, so a run's `file` audit entries were never logged nor counted.
  it('file audit entries written by a daemon run are logged as purge lines and counted', async () => {
    const store = await smallStore(smallPolicy({ schedule: '0 0 1 1 *', recordings: true }));
    tmp(store.dir);
    const d = startDaemon(store.dir, ['--run-now']);
    const port = await d.port();
    const end = await d.waitFor((l) => l.event === 'run:end', 'run:end', 15_000);
    expect(end.status).toBe('ok');
    expect(end.files).toMatchObject({ removed: SMALL.oldRecordings.length, refused: 0, errors: 0 });
    for (const id of SMALL.oldRecordings) expect(existsSync(join(store.mediaRoot, recordingPath(id)))).toBe(false);
    for (const id of SMALL.newRecordings) expect(existsSync(join(store.mediaRoot, recordingPath(id)))).toBe(true);
    const { samples } = await metrics(port);
    const db = openDb(store.dbFile, true);
    let audit: ReturnType<typeof auditRows>;
    try {
      audit = auditRows(db);
    } finally {
      db.close();
    }
    const fileEntries = audit.filter((e) => e.action === 'file');
    expect(fileEntries.map((e) => [e.table_name, e.keys])).toEqual([['recordings', SMALL.oldRecordings]]);
    // The contract: every audit entry is also a pino JSON line ("event":"purge").
    expect(sorted(d.lines.filter(isPurge()).map((l) => Number(l.seq)))).toEqual(audit.map((e) => e.seq));
    expect(sampleValue(samples, 'lethe_rows_changed_total', { provider: 'pipcall', rule: 'old-recordings', action: 'file' })).toBe(SMALL.oldRecordings.length);
  });

  // BUG: src/exec/executor.ts runBatch emits `purge` (and so writes the log line) inside the
  // batch transaction, before COMMIT: a line can claim an entry that then rolls back, and a
  // reader acting on the line does not see it yet. (drainFileQueue announces after commit.)
  it('the purge event fires only once its audit entry is committed (seen by another connection)', async () => {
    const store = await smallStore(smallPolicy({ batchSize: 2 }));
    tmp(store.dir);
    const adapter = openSqlite(store.dbFile);
    const other = openDb(store.dbFile, true);
    const events = new EventBus();
    const visible: { seq: number; committed: boolean }[] = [];
    events.on('purge', (e) => {
      visible.push({ seq: e.seq, committed: scalar(other, 'select count(*) from lethe_audit where seq = ?', e.seq) === 1 });
    });
    try {
      const result = await runEnforcement(adapter, loadPolicy(store.policyFile), await adapter.introspect(), { trigger: 'cli', now: NOW, env: { LETHE_HMAC_KEY: TEST_HMAC_KEY }, events });
      expect(result.status).toBe('ok');
      expect(visible.length).toBeGreaterThanOrEqual(4); // 7 trial signups in batches of 2, and account 1
      expect(visible.filter((v) => !v.committed).map((v) => v.seq), 'purge events announced before their commit').toEqual([]);
    } finally {
      other.close();
      await adapter.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('lethe start on a seeded store (long runs: batches of 5 or 10)', () => {
  let template = '';
  beforeAll(async () => {
    template = await seedTemplate(2000);
  }, 60_000);
  afterAll(() => {
    if (template) rmSync(join(template, '..'), { recursive: true, force: true });
  });

  describe('SIGTERM during a run', () => {
    // One daemon session, observed once; the tests below assert different parts of it.
    let o!: {
      exit: { code: number | null; signal: NodeJS.Signals | null };
      tookMs: number;
      health: { status: number; ms: number };
      lines: LogLine[];
      firstRunId: number;
      runs: ReturnType<typeof runRows>;
      before: Map<string, number[]>;
      after: Map<string, number[]>;
      anonBefore: Map<string, number[]>;
      anonAfter: Map<string, number[]>;
      audit: ReturnType<typeof auditRows>;
      verify: { code: number | null; out: string };
      tail: string;
    };
    const MARKED = ['accounts', 'users', 'referrals', 'web_visits'];
    beforeAll(async () => {
      const s = storeFromTemplate(template, longRunPolicy(undefined, 5));
      tmp(s.dir);
      const db = openDb(s.dbFile, true);
      try {
        const before = snapshotIds(db);
        const anonBefore = new Map(MARKED.map((t) => [t, ids(db, t, 'anonymised_at is not null')]));
        const d = startDaemon(s.dir, ['--run-now']);
        const port = await d.port();
        const first = await d.waitFor(isPurge(), 'the first purge line', 20_000);
        // Mid-run: ask for /healthz (a liveness probe), then send SIGTERM. (Sent together, a
        // fast stop could close the server before the request arrived, and the probe would
        // measure the stop, not the run.)
        const h0 = performance.now();
        const health = await httpGet(port, '/healthz', 30_000).then(
          (r) => ({ status: r.status, ms: performance.now() - h0 }),
          () => ({ status: -1, ms: performance.now() - h0 }),
        );
        d.child.kill('SIGTERM');
        const t0 = performance.now();
        const exit = await d.exited;
        const tookMs = performance.now() - t0;
        const verify = await runLethe(['audit', 'verify'], { cwd: s.dir });
        o = {
          exit,
          tookMs,
          health,
          lines: d.lines,
          firstRunId: Number(first.run_id),
          runs: runRows(db),
          before,
          after: snapshotIds(db),
          anonBefore,
          anonAfter: new Map(MARKED.map((t) => [t, ids(db, t, 'anonymised_at is not null')])),
          audit: auditRows(db),
          verify: { code: verify.code, out: verify.stdout + verify.stderr },
          tail: d.tail(),
        };
      } finally {
        db.close();
      }
    }, 60_000);

    it('exits 0 after logging stopping/stopped; the run is closed; audited keys are exactly the changes so far; the chain verifies', () => {
      expect(o.exit, o.tail).toMatchObject({ code: 0, signal: null });
      expect(o.lines.some((l) => l.event === 'stopping' && l.reason === 'SIGTERM')).toBe(true);
      expect(o.lines.some((l) => l.event === 'stopped')).toBe(true);
      expect(o.runs).toHaveLength(1);
      expect(o.runs[0]!.id).toBe(o.firstRunId);
      expect(o.runs[0]!.status).not.toBe('running');
      expect(o.runs[0]!.finished_at).not.toBeNull();
      expect(o.lines.filter((l) => l.event === 'run:end')).toHaveLength(1);

      expect(o.audit.length).toBeGreaterThan(0);
      // Every audit entry is one whole batch: its keys match its count.
      for (const e of o.audit) expect(e.keys.length, `seq ${e.seq}`).toBe(e.row_count);
      // Every audit entry (file entries included) was logged as a purge line, and nothing else was.
      expect(sorted(o.lines.filter(isPurge()).map((l) => Number(l.seq)))).toEqual(o.audit.map((e) => e.seq));
      // Deleted ids are exactly the audited delete keys, per table; none twice.
      let deleted = 0;
      for (const [t, was] of o.before) {
        const left = new Set(o.after.get(t));
        const gone = was.filter((id) => !left.has(id));
        const audited = o.audit.filter((e) => e.action === 'delete' && e.table_name === t).flatMap((e) => e.keys);
        expect(audited.length, `${t}: a key audited twice`).toBe(new Set(audited).size);
        expect(sorted(audited), `${t}: audited deletes vs disappeared ids`).toEqual(gone);
        deleted += gone.length;
      }
      expect(deleted).toBeGreaterThan(0);
      // Rows this run marked anonymised are exactly the audited anonymise keys (deleted ones aside).
      for (const [t, was] of o.anonBefore) {
        const wasSet = new Set(was);
        const marked = o.anonAfter.get(t)!.filter((id) => !wasSet.has(id));
        const left = new Set(o.after.get(t));
        const audited = o.audit.filter((e) => e.action === 'anonymise' && e.table_name === t).flatMap((e) => e.keys).filter((k) => left.has(k));
        expect(sorted(audited), `${t}: audited anonymisations vs marked rows`).toEqual(marked);
      }
      expect(o.verify.code, o.verify.out).toBe(0);
    });

    // BUG (SQLite): a run never yields to the event loop, so SIGTERM is handled only when the
    // whole run has finished. See the report: the run ends `ok`, not `interrupted`.
    it('stops after the current batch: the run is marked interrupted and the process exits within 10 s', () => {
      expect(o.runs[0]!.status).toBe('interrupted');
      expect(o.lines.find((l) => l.event === 'run:end')!.status).toBe('interrupted');
      expect(o.tookMs, 'SIGTERM to exit (ms)').toBeLessThan(10_000);
    });

    // BUG (SQLite), same cause: /healthz, /readyz and /metrics do not answer while a run is going.
    it('answers /healthz while a run is going (within 1 s)', () => {
      expect(o.health.status).toBe(200);
      expect(o.health.ms, '/healthz latency during a run (ms)').toBeLessThan(1_000);
    });
  });

  // BUG (SQLite), same cause: the second signal is handled only after the run has finished.
  it('a second signal right after the first forces the exit (non-zero, within 1 s); the chain still verifies', async () => {
    const s = storeFromTemplate(template, longRunPolicy(undefined, 5));
    tmp(s.dir);
    const d = startDaemon(s.dir, ['--run-now']);
    await d.waitFor(isPurge(), 'the first purge line', 20_000);
    d.child.kill('SIGTERM');
    d.child.kill('SIGINT');
    const t0 = performance.now();
    const exit = await d.exited;
    const took = performance.now() - t0;
    const verify = await runLethe(['audit', 'verify'], { cwd: s.dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(exit.code, d.tail()).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(d.lines.some((l) => l.event === 'stop:forced')).toBe(true);
    expect(took, 'second signal to exit (ms)').toBeLessThan(1_000);
  });

  describe('runs never overlap (every provider on an every-second cron, long runs)', () => {
    let o!: { exit: { code: number | null }; maxRunning: number; runs: ReturnType<typeof runRows>; skipped: LogLine[]; overlapMetric: number; tail: string };
    beforeAll(async () => {
      const s = storeFromTemplate(template, longRunPolicy('* * * * * *'));
      tmp(s.dir);
      const db = openDb(s.dbFile, true);
      try {
        const d = startDaemon(s.dir);
        const port = await d.port();
        let maxRunning = 0;
        await until(
          () => {
            maxRunning = Math.max(maxRunning, scalar(db, `select count(*) from lethe_runs where status = 'running'`));
            return scalar(db, `select count(*) from lethe_runs where status <> 'running' and changed > 0`) >= 2;
          },
          'two finished runs that changed rows',
          // Which providers' runs come first is up to the ticks: alone, two took 7-26 s; on a loaded CI machine, past 30 s.
          { timeoutMs: 75_000, everyMs: 10, abort: () => (d.hasExited() ? `the daemon exited\n${d.tail()}` : null) },
        );
        const m = await httpGet(port, '/metrics', 30_000);
        const overlapMetric = parseMetrics(m.body)
          .filter((x) => x.name === 'lethe_ticks_skipped_total' && x.labels.reason === 'overlap')
          .reduce((n, x) => n + x.value, 0);
        d.child.kill('SIGTERM');
        const exit = await d.exited;
        maxRunning = Math.max(maxRunning, scalar(db, `select count(*) from lethe_runs where status = 'running'`));
        o = { exit, maxRunning, runs: runRows(db), skipped: d.lines.filter((l) => l.event === 'tick:skipped'), overlapMetric, tail: d.tail() };
      } finally {
        db.close();
      }
    }, 120_000);

    it('at most one run is running at any moment, and run intervals are disjoint', () => {
      expect(o.exit.code, o.tail).toBe(0);
      expect(o.maxRunning, 'runs in status running at one moment').toBe(1);
      expect(o.runs.length).toBeGreaterThanOrEqual(2);
      for (const r of o.runs) {
        expect(r.trigger).toBe('schedule');
        expect(r.finished_at, `run ${r.id} finished`).not.toBeNull();
        // claimRun closes runs still marked running as interrupted with this error: a sign of overlap.
        expect(r.error ?? '', `run ${r.id} was not cut off by another run's claim`).not.toContain('the process ended before the run finished');
      }
      const byStart = [...o.runs].sort((a, b) => a.started_at.localeCompare(b.started_at));
      for (let i = 1; i < byStart.length; i++) {
        const prev = byStart[i - 1]!;
        const next = byStart[i]!;
        expect(prev.finished_at! <= next.started_at, `run ${prev.id} [${prev.started_at}, ${prev.finished_at}] overlaps run ${next.id} [${next.started_at}, …]`).toBe(true);
      }
    });

    // BUG (SQLite): node-cron's timers cannot fire while a run holds the event loop, so a tick
    // that falls during a run is silently "missed" (a node-cron warning on stderr), never
    // skipped and logged as the contract says.
    it('ticks that come during a run are skipped and logged (tick:skipped) and counted', () => {
      expect(o.skipped.length, 'tick:skipped lines').toBeGreaterThanOrEqual(1);
      for (const l of o.skipped) expect(typeof l.provider).toBe('string');
      expect(o.overlapMetric, 'lethe_ticks_skipped_total{reason="overlap"}').toBeGreaterThanOrEqual(1);
    });

    // Contract mismatch: the log line's reason is free text ("a run is still going") while the
    // metric's label is "overlap"; the contract is `tick:skipped` with reason overlap.
    it('a skipped tick is logged with reason "overlap"', () => {
      expect(o.skipped.length).toBeGreaterThanOrEqual(1);
      expect(o.skipped.map((l) => l.reason).filter((r) => r !== 'overlap')).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('quickstart', () => {
  it('creates and seeds only the default store, purges within seconds, and audits; a named missing store is never created or seeded', async () => {
    const dir = tmp(mkdtempSync(join(tmpdir(), 'lethe-quick-')));
    cpSync(SHIPPED_POLICY, join(dir, 'policies.yaml'));
    expect(existsSync(join(dir, 'data'))).toBe(false);

    // Like `npm start` on a fresh clone: no --db, no LETHE_DATABASE_URL, no HMAC key, real clock.
    const d = startLethe(['start', '--run-now', '--port', '0', '--host', '127.0.0.1'], { cwd: dir, noHmacKey: true });
    const q = await d.waitFor((l) => l.event === 'quickstart', 'the quickstart line', 15_000);
    expect(q.store).toBe(join(dir, 'data', 'telecom.db'));
    await d.waitFor((l) => l.event === 'quickstart' && typeof l.rows === 'object', 'the quickstart "seeded" line', 30_000);
    await d.waitFor(isPurge(), 'a purge line', 30_000);
    const end = await d.waitFor((l) => l.event === 'run:end', 'run:end of the quickstart run', 40_000);
    expect(['ok', 'guarded']).toContain(end.status);
    expect(Number(end.changed)).toBeGreaterThan(0);
    d.child.kill('SIGTERM');
    expect((await d.exited).code, d.tail()).toBe(0);

    const keyFile = join(dir, 'data', 'demo-hmac.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const purges = d.lines.filter(isPurge());
    const audit = await runLethe(['audit', '--format', 'json'], { cwd: dir, noHmacKey: true });
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as { seq: number; action: string; run_id: number }[];
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => Number(e.run_id)))).toEqual(new Set([Number(end.run_id)]));
    // Every audit entry was logged as a purge line, and nothing else was.
    expect(entries.some((e) => e.action === 'file')).toBe(true);
    expect(sorted(purges.map((l) => Number(l.seq)))).toEqual(sorted(entries.map((e) => Number(e.seq))));
    const verify = await runLethe(['audit', 'verify'], { cwd: dir, noHmacKey: true });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // A store the user named is never created or seeded, by --db or by LETHE_DATABASE_URL.
    for (const [how, named, opts] of [
      ['--db', join(dir, 'elsewhere', 'store.db'), (f: string) => ({ args: ['--db', `sqlite:elsewhere/store.db`], env: {} as Record<string, string>, file: f })],
      ['LETHE_DATABASE_URL', join(dir, 'other', 'store.db'), (f: string) => ({ args: [] as string[], env: { LETHE_DATABASE_URL: `sqlite:${f}` }, file: f })],
    ] as const) {
      const o = opts(named);
      const r = await runLethe([...o.args, 'start', '--run-now', '--port', '0', '--host', '127.0.0.1'], { cwd: dir, env: o.env, noHmacKey: true, timeoutMs: 30_000 });
      expect([1, 2], `${how}: exit code\n${r.stdout}\n${r.stderr}`).toContain(r.code);
      expect(r.stderr, how).toMatch(/store\.db/);
      expect(r.stderr, how).toMatch(/does not exist|db migrate/);
      expect(r.stdout, how).not.toContain('"event":"quickstart"');
      expect(r.stdout, how).not.toContain('"event":"purge"');
      if (existsSync(named)) {
        const db = openDb(named, true);
        try {
          const tables = (db.prepare(`select name from sqlite_schema where type = 'table'`).all() as { name: string }[]).map((x) => x.name);
          for (const t of REFERENCE_TABLES) if (tables.includes(t)) expect(scalar(db, `select count(*) from "${t}"`), `${how}: ${t} seeded`).toBe(0);
        } finally {
          db.close();
        }
      }
      expect(existsSync(join(named, '..', 'demo-hmac.key')), `${how}: no demo key beside the named store`).toBe(false);
    }
  });
});
