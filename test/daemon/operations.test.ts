/**
 * Daemon operations (issue 11, item 8): an unreachable store at start is retried with
 * backoff while /healthz answers and /readyz says not ready; metrics restored from the store
 * at start; a fixed edit back to the last good file is logged.
 *
 * Real stores only (SQLite files, the PostgreSQL server); due decisions use --now; the only
 * waits are for a log line or an HTTP answer, each with a deadline.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/cli/commands/db.js';
import { openStore } from '../../src/store/open.js';
import { SERVER_URLS, testEngines } from '../support/engines.js';
import { BIN, ROOT, TEST_HMAC_KEY } from '../support/harness.js';
import { httpGet, killAll, parseMetrics, runLethe, sampleValue, startLethe, until, type LetheProc } from '../support/daemon.js';
import { NOW_ISO, insertTrials, openDb, runRows, smallPolicy, smallStore } from '../support/daemon-stores.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(policyText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-ops-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'policies.yaml'), policyText);
  return dir;
}

function startDaemon(dir: string, extra: string[] = [], env: Record<string, string> = {}): LetheProc {
  return startLethe(['--now', NOW_ISO, 'start', '--port', '0', '--host', '127.0.0.1', ...extra], { cwd: dir, env });
}

const hasPostgres = (await testEngines()).includes('postgres');

describe('an unreachable store at start', () => {
  it.skipIf(!hasPostgres)('is retried with backoff (warn lines with the masked URL); /healthz 200 and /readyz 503 meanwhile; once the database exists the daemon starts; SIGTERM exits 0', async () => {
    const name = `lethe_t_${process.pid}_${Date.now().toString(36)}_late`;
    const base = new URL(SERVER_URLS.postgres);
    base.username = 'postgres';
    base.password = 'not-a-real-secret-pw';
    base.pathname = `/${name}`;
    const url = base.toString();
    const dropDb = async () => {
      const a = await openStore(SERVER_URLS.postgres, process.cwd());
      try {
        await sql`drop database if exists ${sql.id(name)}`.execute(a.db);
      } finally {
        await a.close();
      }
    };
    cleanups.push(dropDb);
    const dir = tempDir(smallPolicy({ schedule: '0 0 3 * * *' }));
    const d = startDaemon(dir, [], { LETHE_DATABASE_URL: url, LETHE_RETRY_INITIAL_MS: '100' });

    const port = await d.port();
    const warns = await d.waitForNth((l) => l.event === 'store:unreachable', 3, 'three store:unreachable lines', 15_000);
    expect(warns.level).toBe(40);
    const attempts = d.lines.filter((l) => l.event === 'store:unreachable');
    expect(attempts.slice(0, 3).map((l) => l.attempt)).toEqual([1, 2, 3]);
    expect(attempts.slice(0, 3).map((l) => l.retry_in_ms)).toEqual([100, 200, 400]);
    expect(String(attempts[0]!.store)).toContain(':***@127.0.0.1');
    expect((await httpGet(port, '/healthz')).status).toBe(200);
    const ready = await httpGet(port, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'not ready', store: 'unreachable' });
    expect(ready.body).not.toContain('not-a-real-secret-pw');
    expect(d.hasExited()).toBe(false);

    // The database appears, already migrated: built under another name and renamed (atomic),
    // so the daemon never sees it half made (that would be a configuration error, exit 2).
    const staging = `${name}_stage`;
    cleanups.push(async () => {
      const a = await openStore(SERVER_URLS.postgres, process.cwd());
      try {
        await sql`drop database if exists ${sql.id(staging)}`.execute(a.db);
      } finally {
        await a.close();
      }
    });
    const admin = await openStore(SERVER_URLS.postgres, process.cwd());
    try {
      await sql`create database ${sql.id(staging)}`.execute(admin.db);
      const stagingUrl = new URL(SERVER_URLS.postgres);
      stagingUrl.pathname = `/${staging}`;
      const store = await openStore(stagingUrl.toString(), dir);
      try {
        await migrate(store);
      } finally {
        await store.close();
      }
      await sql`alter database ${sql.id(staging)} rename to ${sql.id(name)}`.execute(admin.db);
    } finally {
      await admin.close();
    }
    await d.waitFor((l) => l.event === 'started', '"started" once the database exists', 20_000);
    await until(async () => (await httpGet(port, '/readyz')).status === 200, '/readyz 200 after the store is reached', { timeoutMs: 10_000, everyMs: 50 });

    d.child.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code, d.tail()).toBe(0);
    expect(d.stdout() + d.stderr()).not.toContain('not-a-real-secret-pw');
  });

  it('a closed port: keeps retrying (delays double up to the cap) and SIGTERM during the wait exits 0 at once', async () => {
    const dir = tempDir(smallPolicy({ schedule: '0 0 3 * * *' }));
    const d = startDaemon(dir, [], { LETHE_DATABASE_URL: 'postgres://lethe:not-a-real-secret-pw@127.0.0.1:1/lethe', LETHE_RETRY_INITIAL_MS: '50', LETHE_RETRY_MAX_MS: '200' });
    const port = await d.port();
    await d.waitForNth((l) => l.event === 'store:unreachable', 4, 'four store:unreachable lines', 15_000);
    expect(d.lines.filter((l) => l.event === 'store:unreachable').slice(0, 4).map((l) => l.retry_in_ms)).toEqual([50, 100, 200, 200]);
    expect((await httpGet(port, '/readyz')).status).toBe(503);
    expect((await httpGet(port, '/healthz')).status).toBe(200);
    // SIGHUP before the store is reached has nothing to reload, and must not end the process.
    d.child.kill('SIGHUP');
    await d.waitForNth((l) => l.event === 'store:unreachable', 6, 'two more store:unreachable lines after SIGHUP', 15_000);
    const sent = performance.now();
    d.child.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code, d.tail()).toBe(0);
    expect(exit.at - sent, 'SIGTERM to exit (ms)').toBeLessThan(2_000);
    expect(d.stdout() + d.stderr()).not.toContain('not-a-real-secret-pw');
  });

  it('a configuration error is not retried: a policy the store does not match exits 2 at once', async () => {
    const dir = tempDir(smallPolicy().replace('table: trial_signups', 'table: no_such_table'));
    const store = await openStore('sqlite:data/telecom.db', dir);
    await migrate(store);
    await store.close();
    const d = startDaemon(dir, [], { LETHE_RETRY_INITIAL_MS: '50' });
    const exit = await d.exited;
    expect(exit.code, d.tail()).toBe(2);
    expect(d.lines.filter((l) => l.event === 'store:unreachable')).toEqual([]);
  });
});

describe('metrics restored from the store at start', () => {
  it('a daemon started after a CLI run exposes lethe_last_success_timestamp_seconds and lethe_overdue_rows before its first run', async () => {
    // A schedule that never fires during the test: only the restore can set the two series.
    const store = await smallStore(smallPolicy({ schedule: '0 0 3 1 1 *' }));
    dirs.push(store.dir);
    const run = await runLethe(['--now', NOW_ISO, 'run'], { cwd: store.dir });
    expect(run.code, run.stderr).toBe(0);
    // Rows that became due after that run: overdue now.
    insertTrials(store.dbFile, [101, 102, 103], 400);

    const db = openDb(store.dbFile, true);
    const ok = runRows(db).filter((r) => r.status === 'ok');
    db.close();
    expect(ok).toHaveLength(1);
    const report = await runLethe(['--now', NOW_ISO, 'report', '--json'], { cwd: store.dir });
    expect(report.code, report.stderr).toBe(0);
    const rules = (JSON.parse(report.stdout) as { rules: { provider: string; rule: string; overdue: number | null }[] }).rules.filter((r) => r.overdue !== null);
    expect(rules.find((r) => r.rule === 'trial-signups')?.overdue).toBe(3);

    const d = startDaemon(store.dir);
    await d.waitFor((l) => l.event === 'started', '"started"');
    const port = await d.port();
    const samples = parseMetrics((await httpGet(port, '/metrics')).body);
    expect(sampleValue(samples, 'lethe_last_success_timestamp_seconds', { provider: 'pipcall' })).toBe(Date.parse(ok[0]!.finished_at!) / 1000);
    for (const r of rules) expect(sampleValue(samples, 'lethe_overdue_rows', { provider: r.provider, rule: r.rule }), `${r.provider}/${r.rule}`).toBe(r.overdue);
    expect(d.lines.filter((l) => l.event === 'run:start')).toEqual([]);
  });
});

describe('a fixed edit back to the last good file', () => {
  it('is logged as reload:recovered (info): the last good policy is in force again', async () => {
    const text = smallPolicy({ schedule: '0 0 3 1 1 *' });
    const store = await smallStore(text);
    dirs.push(store.dir);
    const d = startDaemon(store.dir);
    const started = await d.waitFor((l) => l.event === 'started', '"started"');

    writeFileSync(store.policyFile, text.replace('after: 12 months\n        action: delete', 'after: twelve months\n        action: delete'));
    const failed = await d.waitFor((l) => l.event === 'reload:failed', 'reload:failed after a bad edit', 10_000);
    expect(failed.level).toBe(50);

    writeFileSync(store.policyFile, text);
    const recovered = await d.waitFor((l) => l.event === 'reload:recovered', 'reload:recovered after the file is restored', 10_000);
    expect(recovered.level).toBe(30);
    expect(recovered.policy_sha256).toBe(started.policy_sha256);
    expect(String(recovered.msg)).toMatch(/last good policy/);
    expect(d.lines.filter((l) => l.event === 'reload:ok')).toEqual([]);

    d.child.kill('SIGTERM');
    expect((await d.exited).code, d.tail()).toBe(0);
    expect(d.lines.filter((l) => l.event === 'reload:recovered')).toHaveLength(1);
  });
});

describe('a stop signal that comes while lethe exits', () => {
  // npm forwards its copy of a Ctrl-C; on a busy machine that copy can reach lethe after the
  // graceful stop, as the process tears down. Left to end by itself, Node restores SIGINT's
  // default action there, and the copy killed lethe (npm then exits by SIGINT, not 0).
  it('does not kill it: the stop stays graceful and the exit code 0', async () => {
    const store = await smallStore(smallPolicy({ schedule: '0 0 3 1 1 *' }));
    dirs.push(store.dir);
    const child = spawn(process.execPath, [BIN, 'start', '--run-now', '--port', '0', '--host', '127.0.0.1'], {
      cwd: store.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: store.dir, LETHE_HMAC_KEY: TEST_HMAC_KEY, LETHE_NOW: NOW_ISO },
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    let gone = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => ((gone = true), resolve({ code, signal }))));
    try {
      await until(() => out.includes('"event":"run:end"'), 'the --run-now run to end', { timeoutMs: 20_000, abort: () => (child.exitCode !== null ? `lethe exited: ${out.slice(-2000)}` : null) });
      // The first SIGINT stops it; copies follow every millisecond until it is gone, all
      // within the second in which the same signal again is the same Ctrl-C.
      const started = Date.now();
      while (!gone && Date.now() - started < 800) {
        try {
          process.kill(child.pid!, 'SIGINT');
        } catch {
          break; // already gone
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const exit = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`lethe did not exit within 10 s\n${out.slice(-2000)}`)), 10_000))]);
      expect(exit, out.slice(-2000)).toEqual({ code: 0, signal: null });
      expect(out).toContain('"event":"stopped"');
      expect(out).not.toContain('"event":"stop:forced"');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('Ctrl-C on `npm start`', () => {
  // A terminal's Ctrl-C sends SIGINT to the whole foreground process group: npm and lethe
  // both get it, and npm forwards its own to lethe, so lethe sees two SIGINTs a moment apart.
  // They are one Ctrl-C: the stop is graceful and npm exits 0, as the README promises.
  it("the project's start script, signalled as a terminal does (SIGINT to the process group), exits 0 after a graceful stop", async () => {
    const store = await smallStore(smallPolicy({ schedule: '0 0 3 1 1 *' }));
    dirs.push(store.dir);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts;
    expect(scripts.start).toContain('bin/lethe start');
    // The same script, run from the store's folder (so the store is its data/telecom.db).
    writeFileSync(join(store.dir, 'package.json'), JSON.stringify({ name: 'lethe-ctrl-c', private: true, scripts: { start: scripts.start.replace('bin/lethe', BIN) } }));
    const child = spawn('npm', ['start', '--', '--port', '0', '--host', '127.0.0.1'], {
      cwd: store.dir,
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: store.dir, LETHE_HMAC_KEY: TEST_HMAC_KEY, LETHE_NOW: NOW_ISO },
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      await until(() => out.includes('"event":"run:end"'), 'the --run-now run to end (logged through npm)', { timeoutMs: 20_000, abort: () => (child.exitCode !== null ? `npm exited: ${out.slice(-2000)}` : null) });
      process.kill(-child.pid!, 'SIGINT');
      const exit = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`npm did not exit within 10 s\n${out.slice(-2000)}`)), 10_000))]);
      expect(exit, out.slice(-2000)).toEqual({ code: 0, signal: null });
      expect(out).toContain('"event":"stopped"');
      expect(out).not.toContain('"event":"stop:forced"');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
});
