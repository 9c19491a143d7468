/**
 * Dry run (DESIGN sections 3 and 5): `lethe run --dry-run` does everything inside one
 * transaction that is rolled back: it changes nothing (every table, every media file), and
 * its counts per stage (due, changed, held, blocked) are exactly what the following real run
 * does. Runs on all five fixtures in one store, with a hold on loop account 401 so the held
 * counts are exercised too.
 *
 * Regression guard: a dry run used to deadlock on SQLite (the guard's count in
 * src/exec/executor.ts checkGuard() went through adapter.db while the dry run's enclosing
 * transaction held Kysely's single SQLite connection; the CLI then exited 13 with no output).
 * Every dry run here is therefore raced against a time limit, so a relapse fails fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforce, runCli, tempStore, type TempStore } from '../support/harness.js';
import type { RunJson } from '../../src/cli/commands/run.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import type { EngineName } from '../../src/store/types.js';
import { seedAll } from './fixtures.js';
import {
  Fixture,
  NOW_ISO,
  auditEntries,
  diffDumps,
  dumpAll,
  expectAuditMatchesDiff,
  runCliWithin,
  stageCounts,
  within,
  withoutRuns,
} from './support.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();

async function combinedStore(engine: EngineName): Promise<{ store: TempStore; fx: Fixture }> {
  const store = await tempStore(undefined, engine);
  const fx = new Fixture(store);
  await seedAll(fx);
  await store.adapter.db
    .insertInto('lethe_holds')
    .values({ table_name: 'accounts', row_key: '401', reason: 'customer instructed retention', placed_at: NOW_ISO, expires_at: null, released_at: null })
    .execute();
  return { store, fx };
}

/** loopup 13 + cloudcall twins 3 + ringu 4 + loop 0 (held) + pipcall 45 */
const TOTALS = { due: 79, changed: 65, held: 12, blocked: 2 };

const totals = (r: RunResult | RunJson) => ({ due: r.due, changed: r.changed, held: r.held, blocked: r.blocked });

function changedRows(diff: ReturnType<typeof diffDumps>): number {
  return Object.values(diff).reduce((n, d) => n + d.deleted.length + d.changed.length, 0);
}

describe.each(engines)('dry run in-process on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  beforeAll(async () => ({ store, fx } = await combinedStore(engine)));
  afterAll(async () => store.close());

  it('changes nothing, and counts per stage exactly what the following real run changes', async () => {
    const before = await dumpAll(store);
    const dry = await within(enforce(store, { dryRun: true }), 20_000, 'a dry run');
    const afterDry = await dumpAll(store);
    expect(dry.status).toBe('dry_run');
    expect(dry.error).toBeNull();
    expect(totals(dry)).toEqual(TOTALS);
    // nothing moved: every reference table, the audit chain and its head, the file queue, the holds
    expect(withoutRuns(afterDry)).toEqual(withoutRuns(before));
    expect(fx.missingMedia()).toEqual([]);
    // the dry run records itself, and only itself
    expect(afterDry.lethe_runs).toHaveLength(1);
    expect(afterDry.lethe_runs![0]).toMatchObject({ id: dry.runId, status: 'dry_run', changed: 65, held: 12, blocked: 2, now: NOW_ISO });

    const real = await enforce(store);
    const after = await dumpAll(store);
    expect(real.status).toBe('ok');
    expect(stageCounts(real)).toEqual(stageCounts(dry));
    expect(totals(real)).toEqual(TOTALS);
    const diff = diffDumps(before, after);
    expect(changedRows(diff)).toBe(dry.changed);
    expectAuditMatchesDiff(before, after, await auditEntries(store, real.runId), (a, e, what) => expect(a, what).toEqual(e));
    expect(fx.missingMedia()).toHaveLength(20); // loopup 2, loop 0 (held), pipcall 18
  });
});

describe.each(engines)('dry run through the CLI on %s', (engine) => {
  it('`lethe run --dry-run --now` changes nothing and reports per stage what `lethe run` then does', async () => {
    const { store, fx } = await combinedStore(engine);
    try {
      const before = await dumpAll(store);
      const d = runCliWithin(['run', '--dry-run', '--now', NOW_ISO, '--json'], store.dir, 30_000, store.env);
      expect(d.timedOut).toBe(false);
      expect(d.code).toBe(0);
      const dry = JSON.parse(d.stdout) as RunJson;
      expect(dry.status).toBe('dry_run');
      expect(dry.dry_run).toBe(true);
      expect(totals(dry)).toEqual(TOTALS);
      expect(withoutRuns(await dumpAll(store))).toEqual(withoutRuns(before));
      expect(fx.missingMedia()).toEqual([]);
      // Nothing was purged, so no log line may say so (the log goes to stderr with --json).
      expect(d.stderr).toContain('"event":"run:end"');
      expect(d.stderr).not.toContain('"event":"purge"');

      const r = runCli(['run', '--now', NOW_ISO, '--json'], { cwd: store.dir, env: store.env });
      expect(r.code).toBe(0);
      const real = JSON.parse(r.stdout) as RunJson;
      expect(real.status).toBe('ok');
      expect(r.stderr).toContain('"event":"purge"');
      expect(stageCounts(real)).toEqual(stageCounts(dry));
      expect(totals(real)).toEqual(TOTALS);
      expect(changedRows(diffDumps(before, await dumpAll(store)))).toBe(dry.changed);
      expect(fx.missingMedia()).toHaveLength(20);
    } finally {
      await store.close();
    }
  });
});
