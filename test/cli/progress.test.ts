/**
 * Progress on a terminal (operator-experience issue, item 9): `db seed` and long runs used to
 * show no total and no time left. bin/lethe runs under util-linux `script`, which gives it a
 * pseudo-terminal, as an operator's shell would: seed shows accounts done of the total with
 * the time left, and a run shows which stage of how many it is in.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, NOW, SHIPPED_POLICY, TEST_HMAC_KEY } from '../support/harness.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'lethe-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** bin/lethe with a terminal on stdout and stderr; the screen as one string, carriage returns as new lines. */
function onTerminal(args: string[]): { code: number | null; screen: string } {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, LOG_PRETTY: '0' },
  });
  return { code: r.status, screen: r.stdout.replace(/\r/g, '\n') };
}

describe.skipIf(!hasScript)('progress on a terminal', () => {
  it('db seed shows accounts done of the total and the time left; a run shows its stage of the total', () => {
    copyFileSync(SHIPPED_POLICY, join(dir, 'policies.yaml'));
    mkdirSync(join(dir, 'data'));
    expect(onTerminal(['--quiet', 'db', 'migrate']).code).toBe(0);
    const seed = onTerminal(['--quiet', 'db', 'seed', '--accounts', '1500', '--no-media', '--now', NOW.toISOString()]);
    expect(seed.code, seed.screen).toBe(0);
    expect(seed.screen).toMatch(/^seeding: 500 of 1,500 accounts \(33%\), about \d+ s left/m);
    expect(seed.screen).toMatch(/^seeding: 1,500 of 1,500 accounts \(100%\), [\d.]+ s/m);
    expect(seed.screen).toMatch(/^seeded sqlite:.*: \d+ rows in 18 tables/m);

    const run = onTerminal(['--quiet', 'run', '--force', '--now', NOW.toISOString()]);
    expect(run.code, run.screen).toBe(0);
    const stages = [...run.screen.matchAll(/^stage (\d+) of (\d+), [a-z-]+\/[a-z-]+ stage \d: \d+ rows changed so far \([\d.]+ s\)/gm)];
    expect(stages.length, run.screen).toBeGreaterThan(0);
    const total = Number(stages[0]![2]);
    expect(total).toBeGreaterThan(10);
    for (const m of stages) expect(Number(m[1])).toBeLessThanOrEqual(total);
  });
});
