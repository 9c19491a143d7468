/**
 * CloudCall (DESIGN section 1): the policy states no period ("until we delete … under our
 * document retention and deletion practices"), so every rule is `after: unspecified`. Nothing
 * of CloudCall's may change, however old, and `lethe report` must list the rules as gaps. The
 * twins (a pipcall account and trial, a ringu registration, all as old) show the same rows
 * would be due under a provider whose policy states a period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, enforce, runCli, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { seedCloudcall } from './fixtures.js';
import {
  Fixture,
  NOW_ISO,
  REFERENCE_TABLES,
  auditEntries,
  diffDumps,
  dumpAll,
  expectAuditMatchesDiff,
  leakedValues,
  logText,
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

describe.each(engines)('cloudcall at the fixed now on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let after: Dump;
  let result: RunResult;

  beforeAll(async () => {
    ({ store, fx, before, after, result } = await firstRun(engine, seedCloudcall, outcomes));
  });
  afterAll(async () => store.close());

  it('changes no cloudcall row in any table, even rows 26 years past their clock', () => {
    for (const t of REFERENCE_TABLES) {
      const cc = (d: Dump) => (d[t] ?? []).filter((r) => r.provider_id === 'cloudcall');
      expect(cc(after), t).toEqual(cc(before));
    }
    expect(result.stages.filter((s) => s.provider === 'cloudcall')).toEqual([]);
    expect(fx.presentMedia()).toEqual(['cloudcall/greet/295.wav', 'cloudcall/rec/231.wav', 'cloudcall/vm/241.wav']);
  });

  it('the equally old twins of providers with a stated period are purged', () => {
    expect(result.status).toBe('ok');
    expect(stageCounts(result)).toEqual({
      'pipcall/account-data-accounts#2': [1, 1, 0, 0],
      'pipcall/free-trial#1': [1, 1, 0, 0],
      'ringu/push-expired#1': [1, 1, 0, 0],
    });
    expect(diffDumps(before, after)).toEqual({
      accounts: { deleted: [290], changed: [], added: [] },
      trial_signups: { deleted: [299], changed: [], added: [] },
      push_registrations: { deleted: [289], changed: [], added: [] },
    });
  });

  it('audits exactly those three deletes and no personal value', async () => {
    const entries = await auditEntries(store, result.runId);
    expectAuditMatchesDiff(before, after, entries, (a, e, what) => expect(a, what).toEqual(e));
    expect(entries.map((e) => e.provider).sort()).toEqual(['pipcall', 'pipcall', 'ringu']);
    expect(leakedValues(await logText(store), fx.personal)).toEqual([]);
  });

  it('lethe report --json lists every cloudcall rule as an unspecified gap, with the rows it covers', () => {
    const r = runCli(['report', '--json', '--now', NOW_ISO], { cwd: store.dir, env: store.env });
    // stderr carries only lethe check's warnings (overlaps, blockable deletes)
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { now: string; unspecified: number; rules: Record<string, unknown>[] };
    expect(report.now).toBe(NOW_ISO);
    const cloudcall = report.rules.filter((x) => x.provider === 'cloudcall');
    expect(cloudcall.map(({ last_run, ...rest }) => rest)).toEqual([
      { provider: 'cloudcall', rule: 'former-customers', table: 'accounts', kind: 'unspecified', covered: 2, period: 'unspecified (gap)', overdue: null, held: null, blocked: null, oldest_days: null, note: null },
      { provider: 'cloudcall', rule: 'prospects', table: 'prospects', kind: 'unspecified', covered: 1, period: 'unspecified (gap)', overdue: null, held: null, blocked: null, oldest_days: null, note: null },
      { provider: 'cloudcall', rule: 'recordings', table: 'recordings', kind: 'unspecified', covered: 1, period: 'unspecified (gap)', overdue: null, held: null, blocked: null, oldest_days: null, note: null },
      { provider: 'cloudcall', rule: 'voicemails', table: 'voicemails', kind: 'unspecified', covered: 1, period: 'unspecified (gap)', overdue: null, held: null, blocked: null, oldest_days: null, note: null },
      { provider: 'cloudcall', rule: 'web-analytics', table: 'web_visits', kind: 'unspecified', covered: 1, period: 'unspecified (gap)', overdue: null, held: null, blocked: null, oldest_days: null, note: null },
    ]);
    for (const x of cloudcall) expect(x.last_run).toMatchObject({ id: result.runId, status: 'ok' });
    // loopup web-visits, cloudcall ×5, ringu ×3, pipcall unsaved-voicemails
    expect(report.unspecified).toBe(10);
    expect(report.rules.filter((x) => x.kind === 'unspecified').map((x) => `${x.provider}/${x.rule}`)).toEqual([
      'loopup/web-visits',
      'cloudcall/former-customers',
      'cloudcall/prospects',
      'cloudcall/recordings',
      'cloudcall/voicemails',
      'cloudcall/web-analytics',
      'ringu/account-data',
      'ringu/debug-logs',
      'ringu/smart-contacts',
      'pipcall/unsaved-voicemails',
    ]);
  });

  it('lethe plan --json shows the cloudcall rules as unspecified with no counts', () => {
    const r = runCli(['plan', '--json', '--now', NOW_ISO, '--provider', 'cloudcall'], { cwd: store.dir, env: store.env });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { stages: Record<string, unknown>[] };
    expect(plan.stages.map((s) => [s.rule, s.table, s.action, s.after, s.due])).toEqual([
      ['former-customers', 'accounts', 'unspecified', 'unspecified', null],
      ['prospects', 'prospects', 'unspecified', 'unspecified', null],
      ['recordings', 'recordings', 'unspecified', 'unspecified', null],
      ['voicemails', 'voicemails', 'unspecified', 'unspecified', null],
      ['web-analytics', 'web_visits', 'unspecified', 'unspecified', null],
    ]);
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

describe('cloudcall: one fixture, every engine', () => {
  it.runIf(engines.length > 1)(`gives the same rows, audit keys and audit hashes on ${engines.join(', ')}`, () => {
    expectSameOnEveryEngine(engines, outcomes, (a, e, what) => expect(a, what).toEqual(e));
  });
});
