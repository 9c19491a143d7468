/**
 * LoopUp (DESIGN section 1): account data anonymised and contacts, service data and calls
 * deleted 12 months after their clock; recordings restricted at 60 days and deleted with their
 * media at 90 days; Tell-a-Friend referrals anonymised at once on unsubscribe. Every period is
 * probed one day before its cutoff (due), exactly at it (kept: due is strictly before) and one
 * day after (kept). Cutoffs are calendar arithmetic in Europe/London: the 60- and 90-day
 * cutoffs fall in British Summer Time, an hour earlier in UTC than 24-hour arithmetic gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, enforce, tempStore, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { C, seedLoopup } from './fixtures.js';
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

describe.each(engines)('loopup at the fixed now on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let after: Dump;
  let result: RunResult;

  beforeAll(async () => {
    ({ store, fx, before, after, result } = await firstRun(engine, seedLoopup, outcomes));
  });
  afterAll(async () => store.close());

  it('uses calendar cutoffs in Europe/London (60/90 days land in BST, one hour before the UTC arithmetic)', () => {
    expect(iso(C.london12m)).toBe('2025-11-23T03:15:00.000Z');
    expect(iso(C.london60d)).toBe('2026-09-24T02:15:00.000Z');
    expect(iso(C.london90d)).toBe('2026-08-25T02:15:00.000Z');
  });

  it('runs ok and reports exactly what each stage did', () => {
    expect(result.status).toBe('ok');
    expect(result.error).toBeNull();
    expect(result.now).toBe(NOW_ISO);
    expect(stageCounts(result)).toEqual({
      'loopup/account-data-accounts#1': [1, 1, 0, 0],
      'loopup/account-data-users#1': [1, 1, 0, 0],
      'loopup/contact-lists#1': [1, 1, 0, 0],
      'loopup/service-data-conferences#1': [1, 1, 0, 0],
      'loopup/service-data-conference-participants#1': [1, 1, 0, 0],
      'loopup/service-data-calls#1': [2, 2, 0, 0],
      'loopup/recordings#1': [3, 3, 0, 0],
      'loopup/recordings#2': [2, 2, 0, 0],
      'loopup/tell-a-friend#1': [1, 1, 0, 0],
    });
    expect([result.due, result.changed, result.held, result.blocked, result.guarded]).toEqual([13, 13, 0, 0, 0]);
    expect(result.files).toEqual({ removed: 2, missing: 0, shared: 0, refused: 0, errors: 0 });
  });

  it('changes exactly the rows due one day before each cutoff, and none at or after it', () => {
    expect(diffDumps(before, after)).toEqual({
      accounts: { deleted: [], changed: [101], added: [] },
      users: { deleted: [], changed: [111], added: [] },
      contacts: { deleted: [121], changed: [], added: [] },
      conferences: { deleted: [131], changed: [], added: [] },
      conference_participants: { deleted: [151], changed: [], added: [] },
      // 141 (ended 12 months ago) and 144 (90 days − 1 day) deleted; 145..147 restricted
      recordings: { deleted: [141, 144], changed: [145, 146, 147], added: [] },
      // 161: one day before; 164: one millisecond before the cutoff
      calls: { deleted: [161, 164], changed: [], added: [] },
      referrals: { deleted: [], changed: [171], added: [] },
    });
  });

  it('anonymises account 101 and user 111: every personal column loses its value, the marker is set, nothing else moves', () => {
    const a = rowById(before, 'accounts', 101)!;
    const a2 = rowById(after, 'accounts', 101)!;
    expect(a2.email).toMatch(HEX64);
    expect(a2.email).not.toBe(a.email);
    expect(a2).toEqual(
      expectedRow(a, {
        name: null,
        email: hmacHex(a.email as string),
        phone: '+44',
        employer: null,
        date_of_birth: null,
        username: null,
        password_hash: null,
        anonymised_at: NOW_ISO,
      }),
    );
    const u = rowById(before, 'users', 111)!;
    const u2 = rowById(after, 'users', 111)!;
    expect(u2.email).toMatch(HEX64);
    expect(u2).toEqual(expectedRow(u, { name: null, email: hmacHex(u.email as string), phone: '+44', anonymised_at: NOW_ISO }));
    // exactly at and after the cutoff: untouched
    for (const id of [102, 103, 104]) expect(rowById(after, 'accounts', id)).toEqual(rowById(before, 'accounts', id));
    for (const id of [112, 113, 114]) expect(rowById(after, 'users', id)).toEqual(rowById(before, 'users', id));
  });

  it('restricts recordings at 60 days (row and file kept) and deletes row and media file at 90 days', () => {
    for (const id of [145, 146, 147]) {
      expect(rowById(after, 'recordings', id)).toEqual(expectedRow(rowById(before, 'recordings', id), { downloadable: 0 }));
    }
    for (const id of [148, 149]) expect(rowById(after, 'recordings', id)).toEqual(rowById(before, 'recordings', id));
    expect(rowById(after, 'recordings', 148)!.downloadable).toBe(1);
    expect(fx.missingMedia()).toEqual(['loopup/rec/141.wav', 'loopup/rec/144.wav']);
    expect(fx.presentMedia()).toEqual([
      'loopup/rec/145.wav',
      'loopup/rec/146.wav',
      'loopup/rec/147.wav',
      'loopup/rec/148.wav',
      'loopup/rec/149.wav',
      'ringu/rec/195.wav',
    ]);
    // the conference of the 90-day recording stays (12 months not reached)
    expect(rowById(after, 'conferences', 134)).toEqual(rowById(before, 'conferences', 134));
  });

  it('anonymises an unsubscribed referral at once: name and message NULL, email the keyed HMAC', () => {
    const r = rowById(before, 'referrals', 171)!;
    const r2 = rowById(after, 'referrals', 171)!;
    expect(r2.friend_email).toBe(hmacHex('friend.171@pal.example'));
    expect(r2.friend_email).toMatch(HEX64);
    expect(r2).toEqual(expectedRow(r, { friend_name: null, message: null, friend_email: hmacHex('friend.171@pal.example'), anonymised_at: NOW_ISO }));
    // unsubscribed exactly now, in the future, or never: kept
    for (const id of [172, 173, 174]) expect(rowById(after, 'referrals', id)).toEqual(rowById(before, 'referrals', id));
  });

  it('leaves the twins of other providers untouched (cloudcall account and call, ringu conference/participant/recording, pipcall referral)', () => {
    const twins: [string, number][] = [
      ['accounts', 191],
      ['accounts', 193],
      ['calls', 197],
      ['conferences', 192],
      ['conference_participants', 194],
      ['recordings', 195],
      ['referrals', 196],
    ];
    for (const [t, id] of twins) expect(rowById(after, t, id), `${t} ${id}`).toEqual(rowById(before, t, id));
  });

  it('audits exactly the rows it changed, child-first, with the cutoffs, and never a personal value', async () => {
    const entries = await auditEntries(store, result.runId);
    expectAuditMatchesDiff(before, after, entries, (a, e, what) => expect(a, what).toEqual(e));
    const c12 = iso(C.london12m);
    expect(entryLines(entries)).toEqual(
      [
        `anonymise accounts loopup/account-data-accounts#1 ${c12} [101]`,
        `anonymise referrals loopup/tell-a-friend#1 ${NOW_ISO} [171]`,
        `anonymise users loopup/account-data-users#1 ${c12} [111]`,
        `delete calls loopup/service-data-calls#1 ${c12} [161,164]`,
        `delete conference_participants loopup/service-data-conference-participants#1 ${c12} [151]`,
        `delete conferences loopup/service-data-conferences#1 ${c12} [131]`,
        `delete contacts loopup/contact-lists#1 ${c12} [121]`,
        `delete recordings loopup/recordings#2 ${iso(C.london90d)} [141,144]`,
        `file recordings loopup/recordings#2 - [141,144]`,
        `set recordings loopup/recordings#1 ${iso(C.london60d)} [145,146,147]`,
      ].sort(),
    );
    const seqOf = (table: string, action: string) => entries.find((e) => e.table_name === table && e.action === action)!.seq;
    expect(seqOf('recordings', 'delete')).toBeLessThan(seqOf('conferences', 'delete'));
    expect(seqOf('conference_participants', 'delete')).toBeLessThan(seqOf('conferences', 'delete'));
    expect(leakedValues(await logText(store), fx.personal)).toEqual([]);
  });

  it('a second run at the same now changes nothing and writes no audit entry', async () => {
    const auditBefore = (await auditEntries(store)).length;
    const dump1 = withoutRuns(await dumpAll(store));
    const again = await enforce(store);
    expect(again.status).toBe('ok');
    expect([again.due, again.changed, again.held, again.blocked]).toEqual([0, 0, 0, 0]);
    expect((await auditEntries(store)).length).toBe(auditBefore);
    expect(withoutRuns(await dumpAll(store))).toEqual(dump1);
    expect(NOW.toISOString()).toBe(again.now);
  });
});

describe('loopup: one fixture, every engine', () => {
  it.runIf(engines.length > 1)(`gives the same rows, audit keys and audit hashes on ${engines.join(', ')}`, () => {
    expectSameOnEveryEngine(engines, outcomes, (a, e, what) => expect(a, what).toEqual(e));
  });
});

describe.each(engines)('loopup calls: the 12-month boundary holds for every ISO-8601 text form of the clock, on %s', (engine) => {
  it('compares by instant: offsets and space-separated UTC text exactly at the cutoff are kept, one millisecond earlier deleted', async () => {
    // the cutoff is 2025-11-23T03:15:00.000Z
    const forms: [number, string, 'kept' | 'deleted'][] = [
      [1, '2025-11-23 03:15:00', 'kept'],
      [2, '2025-11-23 03:14:59.999', 'deleted'],
      [3, '2025-11-23T04:15:00+01:00', 'kept'],
      [4, '2025-11-23T04:14:59.999+01:00', 'deleted'],
      [5, '2025-11-22T22:15:00-05:00', 'kept'],
      [6, '2025-11-22T22:14:59.999-05:00', 'deleted'],
      [7, '2025-11-23T17:15:00+14:00', 'kept'],
      [8, '2025-11-22T15:14:59.999-12:00', 'deleted'],
      [9, '2025-11-23T03:15:00Z', 'kept'],
      [10, '2025-11-23T03:14:59Z', 'deleted'],
    ];
    const store = await tempStore(undefined, engine);
    try {
      const fx = new Fixture(store);
      await fx.providers();
      await fx.insert('accounts', [{ id: 1, provider_id: 'loopup', name: 'Host' }]);
      await fx.insert('calls', forms.map(([id, started_at]) => ({ id, provider_id: 'loopup', account_id: 1, started_at })));
      const before = await dumpAll(store);
      const r = await enforce(store);
      expect(r.status).toBe('ok');
      const after = await dumpAll(store);
      expect(diffDumps(before, after)).toEqual({
        calls: { deleted: forms.filter((f) => f[2] === 'deleted').map((f) => f[0]), changed: [], added: [] },
      });
      expect(stageCounts(r)).toEqual({ 'loopup/service-data-calls#1': [5, 5, 0, 0] });
    } finally {
      await store.close();
    }
  });
});
