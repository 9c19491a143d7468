/**
 * A wrong --media-root (operator-experience issue, item 1): the run used to print
 * `files removed 313` while no file existed there, write `file` audit entries for them, and
 * warn about nothing; `check` did not notice a missing media root. Through bin/lethe on the
 * seeded PiPcall fixture: the summary counts missing files as missing, the chain holds no
 * `file` entry for a file that was not there, the log warns, and `check` names the folder.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NOW, cli, tempStore, type TempStore } from '../support/harness.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture } from '../scenarios/support.js';

const NOW_ISO = NOW.toISOString();

interface Entry {
  action: string;
}

describe('a media root that does not hold the files', () => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  async function seeded(): Promise<{ store: TempStore; fx: Fixture }> {
    store = await tempStore();
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    expect(fx.presentMedia().length, 'the fixture writes media files').toBeGreaterThan(0);
    return { store, fx };
  }

  it('an existing folder without the files: the summary says missing, not removed; no file entry; a warning; the real files stay', async () => {
    const { store, fx } = await seeded();
    const wrong = join(store.dir, 'elsewhere');
    mkdirSync(wrong);
    const r = cli(store, ['--media-root', wrong, 'run', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.stdout.split('\n').find((l) => /^run \d+ ok: /.test(l))!;
    const missing = Number(/missing (\d+)/.exec(summary)?.[1]);
    expect(summary).toMatch(/files removed 0, missing \d+/);
    expect(missing).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/"event":"file:missing"/);
    const audit = JSON.parse(cli(store, ['audit', '--json']).stdout) as Entry[];
    expect(audit.filter((e) => e.action === 'delete').length).toBeGreaterThan(0);
    expect(audit.filter((e) => e.action === 'file')).toEqual([]);
    expect(fx.missingMedia(), 'no file under the real media root was touched').toEqual([]);
  });

  it('a folder that does not exist: check warns and names it; the run keeps the files queued and says so', async () => {
    const { store, fx } = await seeded();
    const absent = join(store.dir, 'no-such-folder');
    const check = cli(store, ['--media-root', absent, 'check']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr + check.stdout).toContain(`media_root ${absent} does not exist: no file could be deleted`);
    const r = cli(store, ['--media-root', absent, 'run', '--now', NOW_ISO]);
    expect(r.stdout).toMatch(/files removed 0, missing 0/);
    expect(r.stdout).toMatch(/"event":"file:error".*media_root does not exist/);
    const audit = JSON.parse(cli(store, ['audit', '--json']).stdout) as Entry[];
    expect(audit.filter((e) => e.action === 'file')).toEqual([]);
    expect(existsSync(absent)).toBe(false);
    expect(fx.missingMedia()).toEqual([]);
    // With the right media root, the next run drains what was queued.
    const fixed = cli(store, ['run', '--now', NOW_ISO]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/files removed [1-9]\d*, missing 0/);
  });
});
