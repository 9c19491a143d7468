/**
 * Loop (DESIGN section 1): "all data … at the end of an agreement plus upto 6 months": every
 * table of the customer is deleted (media with it) 6 months after accounts.contract_ends_at,
 * conference participants reached through their conference; the account itself is anonymised
 * (policies.yaml: a retained sales document may still reference it); sales documents are
 * retained forever and never change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, enforce, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { C, LOOP_CHILD_TABLES, LOOP_RULE_OF as RULE_OF, seedLoop } from './fixtures.js';
import {
  Fixture,
  NOW_ISO,
  auditEntries,
  diffDumps,
  dumpAll,
  entryLines,
  expectAuditMatchesDiff,
  expectedRow,
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


describe.each(engines)('loop at the fixed now on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let after: Dump;
  let result: RunResult;

  beforeAll(async () => {
    ({ store, fx, before, after, result } = await firstRun(engine, seedLoop, outcomes));
  });
  afterAll(async () => store.close());

  it('6 months before now in Europe/London is 2026-05-23 03:15 BST', () => {
    expect(iso(C.london6m)).toBe('2026-05-23T02:15:00.000Z');
  });

  it('deletes every table of the customer whose contract ended one day before the cutoff, and anonymises the account', () => {
    expect(result.status).toBe('ok');
    const expected: Record<string, [number, number, number, number]> = { 'loop/customer-data-accounts#1': [1, 1, 0, 0] };
    for (const t of LOOP_CHILD_TABLES) expected[`loop/${RULE_OF[t]}#1`] = [1, 1, 0, 0];
    expect(stageCounts(result)).toEqual(expected);
    expect([result.changed, result.held, result.blocked]).toEqual([12, 0, 0]);
    const diff: Record<string, unknown> = { accounts: { deleted: [], changed: [401], added: [] } };
    for (const t of LOOP_CHILD_TABLES) diff[t] = { deleted: [401], changed: [], added: [] };
    expect(diffDumps(before, after)).toEqual(diff);
  });

  it('anonymises account 401 as policies.yaml says: every personal column NULL, the marker set', () => {
    expect(rowById(after, 'accounts', 401)).toEqual(
      expectedRow(rowById(before, 'accounts', 401), {
        name: null,
        email: null,
        phone: null,
        employer: null,
        date_of_birth: null,
        username: null,
        password_hash: null,
        anonymised_at: NOW_ISO,
      }),
    );
  });

  it('deletes the media of recordings, voicemails and greetings with their rows, and keeps the others', () => {
    expect(fx.missingMedia()).toEqual(['loop/greet/401.wav', 'loop/rec/401.wav', 'loop/vm/401.wav']);
    expect(fx.presentMedia()).toEqual([
      'loop/greet/402.wav',
      'loop/greet/403.wav',
      'loop/rec/402.wav',
      'loop/rec/403.wav',
      'loop/vm/402.wav',
      'loop/vm/403.wav',
      'pipcall/greet/491.wav',
      'pipcall/rec/491.wav',
      'pipcall/vm/491.wav',
    ]);
    expect(result.files).toEqual({ removed: 3, missing: 0, shared: 0, refused: 0, errors: 0 });
  });

  it('keeps customers whose contract ended exactly at or after the cutoff, every sales document, and the pipcall twin', () => {
    for (const t of ['accounts', ...LOOP_CHILD_TABLES, 'sales_documents']) {
      for (const id of [402, 403, 491]) expect(rowById(after, t, id), `${t} ${id}`).toEqual(rowById(before, t, id));
    }
    for (const id of [401, 404]) expect(rowById(after, 'sales_documents', id)).toEqual(rowById(before, 'sales_documents', id));
    expect(result.stages.filter((s) => s.table === 'sales_documents')).toEqual([]);
  });

  it('audits each delete under its rule with the cutoff, and no personal value', async () => {
    const entries = await auditEntries(store, result.runId);
    expectAuditMatchesDiff(before, after, entries, (a, e, what) => expect(a, what).toEqual(e));
    const c6 = iso(C.london6m);
    expect(entryLines(entries)).toEqual(
      [
        `anonymise accounts loop/customer-data-accounts#1 ${c6} [401]`,
        ...LOOP_CHILD_TABLES.map((t) => `delete ${t} loop/${RULE_OF[t]}#1 ${c6} [401]`),
        'file recordings loop/customer-data-recordings#1 - [401]',
        'file voicemails loop/customer-data-voicemails#1 - [401]',
        'file voicemail_greetings loop/customer-data-voicemail-greetings#1 - [401]',
      ].sort(),
    );
    // child-first: recordings before calls and conferences, participants before conferences, all before users
    const seq = (t: string) => entries.find((e) => e.table_name === t && e.action === 'delete')!.seq;
    expect(seq('recordings')).toBeLessThan(seq('calls'));
    expect(seq('recordings')).toBeLessThan(seq('conferences'));
    expect(seq('conference_participants')).toBeLessThan(seq('conferences'));
    for (const t of LOOP_CHILD_TABLES.filter((x) => x !== 'users')) expect(seq(t)).toBeLessThan(seq('users'));
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

describe('loop: one fixture, every engine', () => {
  it.runIf(engines.length > 1)(`gives the same rows, audit keys and audit hashes on ${engines.join(', ')}`, () => {
    expectSameOnEveryEngine(engines, outcomes, (a, e, what) => expect(a, what).toEqual(e));
  });
});
