/**
 * ring-u (DESIGN section 1): push registrations are "erased immediately when the push instance
 * expires … or the user disables Push Notifications": deleted at once (cutoff = now) on either
 * clock. Account data, debug logs and contacts have no stated period: never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, enforce, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { seedRingu } from './fixtures.js';
import {
  Fixture,
  NEW_YORK,
  NOW_ISO,
  auditEntries,
  cutoff,
  diffDumps,
  dumpAll,
  entryLines,
  expectAuditMatchesDiff,
  iso,
  leakedValues,
  logText,
  rowById,
  stageCounts,
  withoutRuns,
  type Dump,
  type Outcome,
  expectSameOnEveryEngine,
  firstRun,
} from './support.js';
import type { EngineName } from '../../src/store/types.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();
/** Each engine's outcome of the first run, compared across engines at the end of the file. */
const outcomes = new Map<EngineName, Outcome>();

describe.each(engines)('ringu at the fixed now on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let after: Dump;
  let result: RunResult;

  beforeAll(async () => {
    ({ store, fx, before, after, result } = await firstRun(engine, seedRingu, outcomes));
  });
  afterAll(async () => store.close());

  it('"at once" in America/New_York is now itself', () => {
    expect(iso(cutoff(NEW_YORK, {}))).toBe(NOW_ISO);
  });

  it('deletes registrations expired or disabled before now, and only those', () => {
    expect(result.status).toBe('ok');
    expect(stageCounts(result)).toEqual({
      // 321: expired a day ago, 327: expired and disabled, 329: expired one millisecond ago
      'ringu/push-expired#1': [3, 3, 0, 0],
      // 324: disabled a day ago (327 is already gone)
      'ringu/push-disabled#1': [1, 1, 0, 0],
    });
    expect(diffDumps(before, after)).toEqual({
      push_registrations: { deleted: [321, 324, 327, 329], changed: [], added: [] },
    });
  });

  it('keeps live registrations: expiring or disabled exactly now, in the future, or never', () => {
    for (const id of [322, 323, 325, 326, 328]) expect(rowById(after, 'push_registrations', id), `push ${id}`).toEqual(rowById(before, 'push_registrations', id));
  });

  it('keeps ringu data with no stated period (account terminated 26 years ago, its debug log, contacts) and the twins', () => {
    expect(rowById(after, 'accounts', 301)).toEqual(rowById(before, 'accounts', 301));
    expect(rowById(after, 'users', 311)).toEqual(rowById(before, 'users', 311));
    expect(rowById(after, 'debug_logs', 331)).toEqual(rowById(before, 'debug_logs', 331));
    expect(rowById(after, 'contacts', 341)).toEqual(rowById(before, 'contacts', 341));
    // pipcall has no push rule; loop's push rule clocks on contract_ends_at, which is NULL
    expect(rowById(after, 'push_registrations', 391)).toEqual(rowById(before, 'push_registrations', 391));
    expect(rowById(after, 'push_registrations', 392)).toEqual(rowById(before, 'push_registrations', 392));
  });

  it('audits exactly the deleted keys under the rule that deleted them, without personal values', async () => {
    const entries = await auditEntries(store, result.runId);
    expectAuditMatchesDiff(before, after, entries, (a, e, what) => expect(a, what).toEqual(e));
    expect(entryLines(entries)).toEqual([
      `delete push_registrations ringu/push-disabled#1 ${NOW_ISO} [324]`,
      `delete push_registrations ringu/push-expired#1 ${NOW_ISO} [321,327,329]`,
    ]);
    expect(leakedValues(await logText(store), fx.personal)).toEqual([]);
  });

  it('a second run at the same now is a no-op', async () => {
    const n = (await auditEntries(store)).length;
    const d = withoutRuns(await dumpAll(store));
    const again = await enforce(store);
    expect([again.status, again.due, again.changed, again.held, again.blocked]).toEqual(['ok', 0, 0, 0, 0]);
    expect((await auditEntries(store)).length).toBe(n);
    expect(withoutRuns(await dumpAll(store))).toEqual(d);
    expect(again.now).toBe(NOW.toISOString());
  });
});

describe('ringu: one fixture, every engine', () => {
  it.runIf(engines.length > 1)(`gives the same rows, audit keys and audit hashes on ${engines.join(', ')}`, () => {
    expectSameOnEveryEngine(engines, outcomes, (a, e, what) => expect(a, what).toEqual(e));
  });
});
