/**
 * A read-only store (operator-experience issue, item 4): a DPO's copy of the SQLite file, in a
 * folder nobody may write, read by a user who owns neither. The reading commands open it
 * read-only (no migration, no WAL file), those that need no policy work without one, and a
 * write is refused with a message rather than a stack trace. As root, the CLI runs as
 * nobody (setpriv), since file modes do not stop root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, NOW, TEST_HMAC_KEY, cli, tempStore, type TempStore } from '../support/harness.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture } from '../scenarios/support.js';

const NOW_ISO = NOW.toISOString();
const STACK = /\n\s+at .*(\.js|\.ts):\d+/;
const isRoot = process.getuid?.() === 0;
const canSetpriv = isRoot && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '-e', '0']).status === 0;
const skipReason = isRoot && !canSetpriv ? 'running as root and setpriv cannot switch to nobody, so file modes would not apply' : null;
if (skipReason) console.warn(`\n*** SKIPPING test/cli/read-only.test.ts: ${skipReason} ***\n`);

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(skipReason !== null)('a read-only SQLite store', () => {
  let store: TempStore;
  let ro: string;
  let db: string;
  let before: string;

  /** bin/lethe as a user who cannot write the copy (nobody, when the tests run as root). */
  function asReader(args: string[], cwd = ro) {
    const argv = [process.execPath, BIN, ...args];
    const prefix = isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
    const [cmd, ...rest] = [...prefix, ...argv];
    const r = spawnSync(cmd!, rest, { cwd, env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY }, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  beforeAll(async () => {
    store = await tempStore();
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    expect(cli(store, ['--quiet', 'run', '--now', NOW_ISO]).code).toBeLessThan(2);
    expect(cli(store, ['--quiet', 'hold', 'add', 'accounts', '593', '--reason', 'case 7', '--by', 'dpo']).code).toBe(0);
    // A clean close checkpoints the WAL: the copy is one file, still in WAL mode.
    await store.close();
    chmodSync(store.dir, 0o755);
    ro = join(store.dir, 'copy');
    mkdirSync(ro);
    db = join(ro, 'telecom.db');
    copyFileSync(store.dbFile, db);
    copyFileSync(store.policyFile, join(ro, 'policies.yaml'));
    mkdirSync(join(ro, 'nopolicy'));
    chmodSync(join(ro, 'nopolicy'), 0o555);
    chmodSync(db, 0o444);
    chmodSync(join(ro, 'policies.yaml'), 0o444);
    chmodSync(ro, 0o555);
    before = sha(db);
  });
  afterAll(() => {
    if (ro) chmodSync(ro, 0o755);
    if (store) rmSync(store.dir, { recursive: true, force: true });
  });

  const url = () => `sqlite:${db}`;

  it('audit, audit verify, audit --subject and hold list read it with --db and no policy file', () => {
    const cwd = join(ro, 'nopolicy');
    const audit = asReader(['--db', url(), 'audit', '--json'], cwd);
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as { action: string }[];
    expect(entries.some((e) => e.action === 'delete')).toBe(true);
    const table = asReader(['--db', url(), 'audit'], cwd);
    expect(table.code, table.stderr).toBe(0);
    const verify = asReader(['--db', url(), 'audit', 'verify'], cwd);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/audit chain verifies/);
    const subject = asReader(['--db', url(), 'audit', '--subject', 'accounts:501', '--json'], cwd);
    expect(subject.code, subject.stderr).toBe(0);
    expect(JSON.parse(subject.stdout)).toMatchObject({ subject: { table: 'accounts' }, chain: { ok: true } });
    const holds = asReader(['--db', url(), 'hold', 'list', '--json'], cwd);
    expect(holds.code, holds.stderr).toBe(0);
    expect(JSON.parse(holds.stdout)).toEqual([expect.objectContaining({ table: 'accounts', key: 593, reason: 'case 7' })]);
    for (const r of [audit, table, verify, subject, holds]) expect(r.stderr).not.toMatch(STACK);
  });

  it('plan, report, explain and check read it with the policy', () => {
    for (const args of [['plan'], ['report'], ['explain', 'accounts', '593'], ['check'], ['plan', '--json'], ['report', '--json']]) {
      const r = asReader(['--quiet', '--db', url(), ...args, '--now', NOW_ISO]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('a command that needs the policy says so when there is none', () => {
    const r = asReader(['--db', url(), 'plan'], join(ro, 'nopolicy'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read policy file/);
  });

  it('a write is refused with a message naming the store, not a stack trace', () => {
    for (const args of [['run', '--now', NOW_ISO], ['hold', 'add', 'accounts', '593', '--reason', 'x'], ['plan', '--save', '--now', NOW_ISO]]) {
      const r = asReader(['--quiet', '--db', url(), ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(db);
      expect(r.stderr).toMatch(/read-only|cannot write/);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).not.toMatch(/internal error/);
    }
  });

  it('nothing was written: the file is unchanged and no WAL or shared-memory file was created', () => {
    expect(sha(db)).toBe(before);
    expect(readdirSync(ro).sort()).toEqual(['nopolicy', 'policies.yaml', 'telecom.db']);
    expect(existsSync(`${db}-wal`)).toBe(false);
  });
});
