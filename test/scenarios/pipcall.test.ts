/**
 * PiPcall (DESIGN section 1), all clocked on accounts.terminated_at except free trials:
 * contacts, voicemail greetings and saved voicemails (with media) deleted at 1 month; support
 * tickets at 12 months; accounts and users anonymised at 12 months and deleted at 84 months
 * once nothing references them; calls and recordings (with media) at 84 months; trial sign-ups
 * one year after started_at. Ten accounts sit one day before, exactly at and one day after the
 * 1-, 12- and 84-month cutoffs; account 510 is 507 plus an unsaved voicemail (no stated period)
 * that keeps referencing it, so its delete is blocked and it stays an anonymised tombstone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, enforce, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { C, seedPipcall } from './fixtures.js';
import {
  Fixture,
  HEX64,
  NOW_ISO,
  auditEntries,
  diffDumps,
  dumpAll,
  entryLines,
  expectAuditMatchesDiff,
  expectedRow,
  hmacHex,
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

const ONE_MONTH_DUE = [501, 504, 505, 506, 507, 508, 509, 510];
const TWELVE_MONTHS_DUE = [504, 507, 508, 509, 510];
const ANONYMISED = [504, 508, 509, 510];

describe.each(engines)('pipcall at the fixed now on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let after: Dump;
  let result: RunResult;

  beforeAll(async () => {
    ({ store, fx, before, after, result } = await firstRun(engine, seedPipcall, outcomes));
  });
  afterAll(async () => store.close());

  it('computes the Europe/London cutoffs (1 month lands in BST)', () => {
    expect(iso(C.london1m)).toBe('2026-10-23T02:15:00.000Z');
    expect(iso(C.london12m)).toBe('2025-11-23T03:15:00.000Z');
    expect(iso(C.london84m)).toBe('2019-11-23T03:15:00.000Z');
    expect(iso(C.london1y)).toBe('2025-11-23T03:15:00.000Z');
  });

  it('reports exactly what each stage did, including the blocked tombstone', () => {
    expect(result.status).toBe('ok');
    expect(stageCounts(result)).toEqual({
      'pipcall/call-data-recordings#1': [2, 2, 0, 0],
      'pipcall/saved-voicemails#1': [8, 8, 0, 0],
      'pipcall/voicemail-greetings#1': [8, 8, 0, 0],
      'pipcall/contact-data#1': [8, 8, 0, 0],
      'pipcall/support-data#1': [5, 5, 0, 0],
      'pipcall/call-data-calls#1': [2, 2, 0, 0],
      // 507 deleted; 510 still referenced by its unsaved voicemail 520
      'pipcall/account-data-users#2': [2, 1, 0, 1],
      'pipcall/account-data-accounts#2': [2, 1, 0, 1],
      'pipcall/account-data-users#1': [4, 4, 0, 0],
      'pipcall/account-data-accounts#1': [4, 4, 0, 0],
      'pipcall/free-trial#1': [2, 2, 0, 0],
    });
    expect([result.due, result.changed, result.held, result.blocked]).toEqual([47, 45, 0, 2]);
  });

  it('changes exactly the rows one day before each cutoff (or older), none exactly at or after', () => {
    expect(diffDumps(before, after)).toEqual({
      accounts: { deleted: [507], changed: ANONYMISED, added: [] },
      users: { deleted: [507], changed: ANONYMISED, added: [] },
      contacts: { deleted: ONE_MONTH_DUE, changed: [], added: [] },
      calls: { deleted: [507, 510], changed: [], added: [] },
      recordings: { deleted: [507, 510], changed: [], added: [] },
      voicemail_greetings: { deleted: ONE_MONTH_DUE, changed: [], added: [] },
      // saved voicemails only: unsaved 520 and 521 have no stated period
      voicemails: { deleted: ONE_MONTH_DUE, changed: [], added: [] },
      support_tickets: { deleted: TWELVE_MONTHS_DUE, changed: [], added: [] },
      // 531 one day before, 534 one millisecond before the 1-year cutoff
      trial_signups: { deleted: [531, 534], changed: [], added: [] },
    });
  });

  it('anonymises accounts and users at 12 months: NULLs, keyed HMAC email, E.164 prefix, marker', () => {
    for (const id of ANONYMISED) {
      const a = rowById(before, 'accounts', id)!;
      const a2 = rowById(after, 'accounts', id)!;
      expect(a2.email).toMatch(HEX64);
      expect(a2.email).not.toBe(a.email);
      expect(a2, `account ${id}`).toEqual(
        expectedRow(a, {
          name: null,
          email: hmacHex(a.email as string),
          phone: id === 508 ? '+1' : '+44',
          employer: null,
          date_of_birth: null,
          username: null,
          password_hash: null,
          anonymised_at: NOW_ISO,
        }),
      );
      const u = rowById(before, 'users', id)!;
      expect(rowById(after, 'users', id), `user ${id}`).toEqual(expectedRow(u, { name: null, email: hmacHex(u.email as string), phone: '+44', anonymised_at: NOW_ISO }));
    }
  });

  it('deletes the media of deleted greetings, saved voicemails and recordings, and only those', () => {
    const gone = (kind: string, ids: number[]) => ids.map((id) => `pipcall/${kind}/${id}.wav`);
    expect(fx.missingMedia()).toEqual([...gone('greet', ONE_MONTH_DUE), ...gone('rec', [507, 510]), ...gone('vm', ONE_MONTH_DUE)].sort());
    expect(fx.presentMedia()).toEqual(
      [
        'loopup/greet/592.wav',
        'loopup/vm/592.wav',
        ...gone('greet', [502, 503]),
        ...gone('rec', [501, 502, 503, 504, 505, 506, 508, 509]),
        ...gone('vm', [502, 503, 520, 521]),
      ].sort(),
    );
    expect(result.files).toEqual({ removed: 18, missing: 0, shared: 0, refused: 0, errors: 0 });
  });

  it('keeps the twins of loopup (12 months, not 1) and ringu (unspecified)', () => {
    const twins: [string, number][] = [
      ['accounts', 592],
      ['accounts', 593],
      ['users', 593],
      ['contacts', 592],
      ['voicemail_greetings', 592],
      ['voicemails', 592],
      ['support_tickets', 593],
      ['calls', 593],
      ['trial_signups', 591],
    ];
    for (const [t, id] of twins) expect(rowById(after, t, id), `${t} ${id}`).toEqual(rowById(before, t, id));
  });

  it('audits exactly the rows changed, under the rule and cutoff that changed them, without personal values', async () => {
    const entries = await auditEntries(store, result.runId);
    expectAuditMatchesDiff(before, after, entries, (a, e, what) => expect(a, what).toEqual(e));
    const [c1, c12, c84] = [iso(C.london1m), iso(C.london12m), iso(C.london84m)];
    const keys = (ids: number[]) => `[${ids.join(',')}]`;
    expect(entryLines(entries)).toEqual(
      [
        `delete recordings pipcall/call-data-recordings#1 ${c84} [507,510]`,
        `file recordings pipcall/call-data-recordings#1 - [507,510]`,
        `delete voicemails pipcall/saved-voicemails#1 ${c1} ${keys(ONE_MONTH_DUE)}`,
        `file voicemails pipcall/saved-voicemails#1 - ${keys(ONE_MONTH_DUE)}`,
        `delete voicemail_greetings pipcall/voicemail-greetings#1 ${c1} ${keys(ONE_MONTH_DUE)}`,
        `file voicemail_greetings pipcall/voicemail-greetings#1 - ${keys(ONE_MONTH_DUE)}`,
        `delete contacts pipcall/contact-data#1 ${c1} ${keys(ONE_MONTH_DUE)}`,
        `delete support_tickets pipcall/support-data#1 ${c12} ${keys(TWELVE_MONTHS_DUE)}`,
        `delete calls pipcall/call-data-calls#1 ${c84} [507,510]`,
        `delete users pipcall/account-data-users#2 ${c84} [507]`,
        `delete accounts pipcall/account-data-accounts#2 ${c84} [507]`,
        `anonymise users pipcall/account-data-users#1 ${c12} ${keys(ANONYMISED)}`,
        `anonymise accounts pipcall/account-data-accounts#1 ${c12} ${keys(ANONYMISED)}`,
        `delete trial_signups pipcall/free-trial#1 ${iso(C.london1y)} [531,534]`,
      ].sort(),
    );
    expect(leakedValues(await logText(store), fx.personal)).toEqual([]);
  });

  it('a second run at the same now changes nothing; the tombstone is still counted as blocked', async () => {
    const n = (await auditEntries(store)).length;
    const d = withoutRuns(await dumpAll(store));
    const again = await enforce(store);
    expect(again.status).toBe('ok');
    expect(stageCounts(again)).toEqual({
      'pipcall/account-data-users#2': [1, 0, 0, 1],
      'pipcall/account-data-accounts#2': [1, 0, 0, 1],
    });
    expect([again.changed, again.held, again.blocked]).toEqual([0, 0, 2]);
    expect((await auditEntries(store)).length).toBe(n);
    expect(withoutRuns(await dumpAll(store))).toEqual(d);
    expect(again.now).toBe(NOW.toISOString());
  });
});

describe('pipcall: one fixture, every engine', () => {
  it.runIf(engines.length > 1)(`gives the same rows, audit keys and audit hashes on ${engines.join(', ')}`, () => {
    expectSameOnEveryEngine(engines, outcomes, (a, e, what) => expect(a, what).toEqual(e));
  });
});
