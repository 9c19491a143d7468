/**
 * DESIGN §12 (and finding 8 of the safety issue): a reload cannot loosen the guard. One
 * edit that makes every row due (`after: at once`) and lifts the guard (`max_fraction: 1`)
 * used to be accepted, and the next tick deleted every row without --force. Now the
 * stricter of the guard in force and the edited one applies, field by field, and the tick
 * is guarded.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NOW } from '../support/harness.js';
import { killAll, startLethe } from '../support/daemon.js';
import { ids, openDb, smallPolicy, smallStore } from '../support/daemon-stores.js';

const dirs: string[] = [];
afterEach(async () => killAll());
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a reload that would loosen the guard', () => {
  it('keeps the stricter guard in force: the next tick is guarded and deletes nothing', async () => {
    const strict = smallPolicy({ schedule: '* * * * * *', trialAfter: '5 years' }).replace('guard: { max_fraction: 1, min_rows: 0 }', 'guard: { max_fraction: 0.25, min_rows: 0 }');
    const store = await smallStore(strict);
    dirs.push(store.dir);
    const d = startLethe(['start', '--port', '0', '--now', NOW.toISOString()], { cwd: store.dir });
    await d.waitFor((l) => l.event === 'run:end', 'a first run under the strict policy', 15_000);

    // The attack: every trial due at once, and the guard lifted, in one edit.
    writeFileSync(store.policyFile, smallPolicy({ schedule: '* * * * * *', trialAfter: 'at once' }));
    const kept = await d.waitFor((l) => l.event === 'reload:guard-kept', 'the reload keeping the stricter guard', 10_000);
    expect(kept).toMatchObject({ level: 40, provider: 'pipcall', file: { maxFraction: 1, minRows: 0 }, in_force: { maxFraction: 0.25, minRows: 0 } });
    await d.waitFor((l) => l.event === 'reload:ok', 'reload:ok', 10_000);
    const guarded = await d.waitFor((l) => l.event === 'guarded' && l.rule === 'trial-signups', 'a guarded trial-signups stage after the reload', 15_000);
    expect(guarded.level).toBe(50);
    const db = openDb(store.dbFile, true);
    try {
      expect(ids(db, 'trial_signups')).toHaveLength(11);
    } finally {
      db.close();
    }
    expect(d.lines.some((l) => l.event === 'purge' && l.rule === 'trial-signups')).toBe(false);
  });
});
