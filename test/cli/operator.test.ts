/**
 * The CLI as an operator meets it (operator-experience issue): the quickstart's key, broken
 * pipes and busy ports without stack traces, `check --json` in CI, `--quiet`, `version`,
 * `plan --detailed-exitcode`, `report --provider --format csv`, and outputs that agree with
 * each other. Every case runs bin/lethe.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, NOW, SHIPPED_POLICY, TEST_HMAC_KEY, cli, runCli, tempStore, type TempStore } from '../support/harness.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture } from '../scenarios/support.js';

const NOW_ISO = NOW.toISOString();
const STACK = /\n\s+at .*(\.js|\.ts):\d+/;

describe('the CLI for operators', () => {
  let store: TempStore;
  beforeAll(async () => {
    store = await tempStore();
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    for (let i = 0; i < 3; i++) expect(cli(store, ['run', '--now', NOW_ISO]).code).toBeLessThan(2);
  });
  afterAll(async () => store?.close());

  it('after the quickstart, `lethe run` uses the demo store’s generated key, as the daemon does', () => {
    const dir = join(store.dir, 'quick');
    mkdirSync(join(dir, 'data'), { recursive: true });
    copyFileSync(SHIPPED_POLICY, join(dir, 'policies.yaml'));
    expect(runCli(['db', 'migrate'], { cwd: dir }).code).toBe(0);
    writeFileSync(join(dir, 'data', 'demo-hmac.key'), 'a'.repeat(64) + '\n', { mode: 0o600 });
    const r = runCli(['run', '--dry-run', '--now', NOW_ISO], { cwd: dir, env: { LETHE_HMAC_KEY: '' } });
    expect(r.code, r.stderr).toBe(0);
    const named = runCli(['--db', join(dir, 'data', 'telecom.db'), 'run', '--dry-run', '--now', NOW_ISO], { cwd: dir, env: { LETHE_HMAC_KEY: '' } });
    expect(named.code, 'a store named with --db does not get the demo key').toBe(2);
    expect(named.stderr).toMatch(/no key is set/);
  });

  it('a reader that stops early is not an error: no stack trace, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'audit', '--format', 'json'], { cwd: store.dir, env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(STACK);
    expect(code).toBe(0);
  });

  it('a port in use names --port and LETHE_HTTP_PORT, exit 2', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = cli(store, ['start', '--host', '127.0.0.1', '--port', String(port), '--now', NOW_ISO]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is in use .*--port or LETHE_HTTP_PORT`));
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      server.close();
    }
  });

  it('check --json prints one JSON document, failing or not; --quiet drops the warnings', () => {
    const ok = cli(store, ['check', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
    writeFileSync(join(store.dir, 'bad.yaml'), 'version: 1\nstore:\n  url: sqlite:data/telecom.db\nproviders:\n  x:\n    name: X\n    rules:\n      r:\n        table: cals\n        clock: t\n        after: 1 month\n        action: delete\n');
    const bad = cli(store, ['--config', 'bad.yaml', 'check', '--json']);
    expect(bad.code).toBe(2);
    const doc = JSON.parse(bad.stdout) as { ok: boolean; problems: { line: number; message: string; severity: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.problems).toContainEqual(expect.objectContaining({ line: 9, severity: 'error', message: 'table "cals" does not exist in the store' }));
    const loud = cli(store, ['plan', '--now', NOW_ISO]);
    const quiet = cli(store, ['--quiet', 'plan', '--now', NOW_ISO]);
    expect(loud.stderr).toMatch(/warning:/);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(loud.stdout);
  });

  it('version prints lethe’s and Node.js’s versions', () => {
    const r = cli(store, ['version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version: '0.1.0', node: process.version });
    expect(cli(store, ['--version']).stdout.trim()).toBe('0.1.0');
  });

  it('plan --detailed-exitcode: 0 when nothing is due, 2 when rows are, 1 on an error; --rule filters the gaps too', () => {
    expect(cli(store, ['--quiet', 'plan', '--detailed-exitcode', '--now', NOW_ISO]).code).toBe(0);
    expect(cli(store, ['--quiet', 'plan', '--detailed-exitcode', '--now', '2030-01-01T00:00:00Z']).code).toBe(2);
    expect(cli(store, ['--quiet', 'plan', '--detailed-exitcode', '--provider', 'nobody']).code).toBe(1);
    const one = JSON.parse(cli(store, ['--quiet', 'plan', '--json', '--rule', 'call-data-calls', '--now', NOW_ISO]).stdout) as { stages: { rule: string }[] };
    expect(new Set(one.stages.map((s) => s.rule))).toEqual(new Set(['call-data-calls']));
  });

  it('audit refuses unknown filters as plan does, and --json with another --format is a usage error', () => {
    const r = cli(store, ['audit', '--provider', 'pipcal']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--provider: no provider "pipcal" .*did you mean "pipcall"/);
    const j = cli(store, ['audit', '--json', '--format', 'table']);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/--json and --format table disagree/);
  });

  it('report filters by provider, prints CSV, and says how long rows have been overdue', () => {
    const j = JSON.parse(cli(store, ['--quiet', 'report', '--json', '--provider', 'pipcall', '--now', '2033-01-01T00:00:00Z']).stdout) as { rules: { provider: string; rule: string; overdue: number | null; oldest_days: number | null; last_run: unknown }[] };
    expect(new Set(j.rules.map((r) => r.provider))).toEqual(new Set(['pipcall']));
    const calls = j.rules.find((r) => r.rule === 'call-data-calls')!;
    expect(calls.overdue).toBeGreaterThan(0);
    // Due 84 months after termination: overdue by days, not by the clock's age of years.
    expect(calls.oldest_days).toBeGreaterThanOrEqual(0);
    expect(calls.oldest_days).toBeLessThan(84 * 31);
    expect(calls.last_run).toMatchObject({ status: expect.stringMatching(/ok|guarded/) });
    const csv = cli(store, ['--quiet', 'report', '--format', 'csv', '--provider', 'pipcall', '--now', NOW_ISO]);
    expect(csv.stdout.split('\n')[0]).toBe('provider,rule,table,period,covered,overdue,held,blocked,bad_clocks,oldest_days,last_run,note');
  });

  it('--db "" is a usage error, not the policy’s store', () => {
    const r = cli(store, ['--db', '', 'plan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--db: the store URL is empty/);
    expect(existsSync(store.dbFile)).toBe(true);
  });
});
