/**
 * The smaller operator items (operator-experience issue, items 8 and 9): `db migrate` does not
 * invent folders, the shipped policy's rationale reaches explain and report, `db seed` says
 * how many rows it wrote, released holds say when, and a dry run does not need the
 * enforcer's lease. Every case runs bin/lethe.
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, SHIPPED_POLICY, cli, runCli, tempStore, type TempStore } from '../support/harness.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture } from '../scenarios/support.js';

const NOW_ISO = NOW.toISOString();

describe('db migrate and db seed', () => {
  it('db migrate names a missing folder of the store instead of creating it (exit 2), and changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lethe-migrate-'));
    const r = runCli(['--db', `sqlite:${join(dir, 'typo', 'telecom.db')}`, 'db', 'migrate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'typo'));
    expect(r.stderr).toMatch(/does not exist/);
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('the quickstart’s default data/ folder is still created, and db seed prints the total', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lethe-migrate-'));
    copyFileSync(SHIPPED_POLICY, join(dir, 'policies.yaml'));
    expect(runCli(['db', 'migrate'], { cwd: dir }).code).toBe(0);
    expect(existsSync(join(dir, 'data', 'telecom.db'))).toBe(true);
    const seed = runCli(['db', 'seed', '--accounts', '10', '--now', NOW_ISO], { cwd: dir });
    expect(seed.code, seed.stderr).toBe(0);
    expect(seed.stdout).toMatch(/\b\d+ rows in \d+ tables\b/);
  });
});

describe('operator details on the pipcall fixture', () => {
  let store: TempStore;
  beforeAll(async () => {
    store = await tempStore();
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
  });
  afterAll(async () => store?.close());

  it('the shipped policy’s rationale for PiPcall’s two stages is a note that explain and report print', () => {
    const ex = cli(store, ['--quiet', 'explain', 'accounts', '501', '--now', NOW_ISO]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/note: .*84 months/);
    const rep = JSON.parse(cli(store, ['--quiet', 'report', '--json', '--provider', 'pipcall', '--now', NOW_ISO]).stdout) as { rules: { rule: string; note: string | null }[] };
    expect(rep.rules.find((r) => r.rule === 'account-data-accounts')!.note).toMatch(/tombstones/);
  });

  it('hold list --all shows when and by whom a hold was released', () => {
    const placed = JSON.parse(cli(store, ['--quiet', '--json', 'hold', 'add', 'accounts', '593', '--reason', 'case 9', '--by', 'dpo']).stdout) as { id: number };
    expect(cli(store, ['--quiet', 'hold', 'release', String(placed.id), '--by', 'dpo', '--reason', 'case closed']).code).toBe(0);
    const all = cli(store, ['--quiet', 'hold', 'list', '--all']);
    expect(all.stdout.split('\n')[0]).toMatch(/released_at +released_by/);
    const row = (JSON.parse(cli(store, ['--quiet', '--json', 'hold', 'list', '--all']).stdout) as { id: number; released_at: string | null; released_by: string | null; release_reason: string | null }[]).find((h) => h.id === placed.id)!;
    expect(row).toMatchObject({ released_at: expect.any(String), released_by: 'dpo', release_reason: 'case closed' });
    for (const sub of ['add', 'release', 'list']) expect(cli(store, ['hold', sub, '--help']).stdout).toMatch(/Usage: lethe hold/);
  });

  it('a dry run does not need the lease a running daemon holds; a real run is refused', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await store.adapter.db.insertInto('lethe_lease').values({ name: 'enforcer', holder: 'daemon@elsewhere', token: 7, acquired_at: NOW_ISO, expires_at: until }).execute();
    try {
      const dry = cli(store, ['--quiet', 'run', '--dry-run', '--now', NOW_ISO]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/dry run: nothing was changed/);
      const real = cli(store, ['--quiet', 'run', '--now', NOW_ISO]);
      expect(real.code).toBe(1);
      expect(real.stderr).toMatch(/another lethe process/);
    } finally {
      await store.adapter.db.deleteFrom('lethe_lease').execute();
    }
  });
});
