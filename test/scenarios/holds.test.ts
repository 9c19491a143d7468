/**
 * Legal holds (DESIGN section 3, precedence 1): a hold protects a row and every row that
 * references it through foreign keys from every change, even when due; the run counts them as
 * held; once the hold is released (or has expired) the next run purges them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, enforce, runCli, tempStore, type TempStore } from '../support/harness.js';
import type { RunResult } from '../../src/exec/outcomes.js';
import { LOOP_CHILD_TABLES, LOOP_RULE_OF, seedLoop, seedPipcall } from './fixtures.js';
import {
  DAY,
  Fixture,
  NOW_ISO,
  auditEntries,
  diffDumps,
  dumpAll,
  expectAuditMatchesDiff,
  iso,
  shift,
  stageCounts,
  type Dump,
} from './support.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();

describe.each(engines)('a hold placed with `lethe hold add` on a loop account on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let heldRun: RunResult;
  let afterHeld: Dump;

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    fx = new Fixture(store);
    await fx.providers();
    await seedLoop(fx);
  });
  afterAll(async () => store.close());

  it('places the hold', () => {
    const r = runCli(['hold', 'add', 'accounts', '401', '--reason', 'litigation LX-1 (legal@example)', '--by', 'legal-team', '--now', NOW_ISO, '--json'], { cwd: store.dir, env: store.env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ id: 1, table: 'accounts', key: 401, row_id: 401, expires_at: null, placed_by: 'legal-team', audit_seq: 1 });
  });

  it('protects the due account and every row of it in every table (participants through their conference); the run counts them as held', async () => {
    before = await dumpAll(store);
    heldRun = await enforce(store);
    afterHeld = await dumpAll(store);
    expect(heldRun.status).toBe('ok');
    const expected: Record<string, [number, number, number, number]> = { 'loop/customer-data-accounts#1': [1, 0, 1, 0] };
    for (const t of LOOP_CHILD_TABLES) expected[`loop/${LOOP_RULE_OF[t]}#1`] = [1, 0, 1, 0];
    expect(stageCounts(heldRun)).toEqual(expected);
    expect([heldRun.due, heldRun.changed, heldRun.held, heldRun.blocked]).toEqual([12, 0, 12, 0]);
    expect(diffDumps(before, afterHeld)).toEqual({});
    expect(fx.missingMedia()).toEqual([]);
    // The chain holds the hold itself, with who and why, then the policy the run loaded, and no change.
    const entries = await store.adapter.db.selectFrom('lethe_audit').select(['seq', 'action', 'table_name', 'keys', 'row_count']).orderBy('seq').execute();
    expect(entries.map((e) => [Number(e.seq), e.action, e.table_name, JSON.parse(String(e.keys)) as unknown, Number(e.row_count)])).toEqual([
      [1, 'hold', 'accounts', [401], 0],
      [2, 'policy', '', [], 0],
    ]);
    const held = await store.adapter.db.selectFrom('lethe_audit').select(['actor', 'reason']).where('seq', '=', 1).executeTakeFirstOrThrow();
    expect(held).toEqual({ actor: 'legal-team', reason: 'litigation LX-1 (legal@example)' });
  });

  it('lethe explain names the hold for the account and for a participant two foreign keys below it', () => {
    const a = JSON.parse(runCli(['explain', 'accounts', '401', '--json', '--now', NOW_ISO], { cwd: store.dir, env: store.env }).stdout) as Record<string, unknown>;
    expect(a.held_by).toEqual([{ table: 'accounts', key: 401, row_id: 401 }]);
    expect(a.verdict).toBe('held: protected by a hold on accounts 401');
    const p = JSON.parse(runCli(['explain', 'conference_participants', '401', '--json', '--now', NOW_ISO], { cwd: store.dir, env: store.env }).stdout) as Record<string, unknown>;
    // reached along two foreign-key paths (conference → account, conference → host user → account)
    expect(p.verdict).toMatch(/^held: protected by a hold on accounts 401(, accounts 401)?$/);
    expect(new Set((p.held_by as { table: string; row_id: number }[]).map((h) => `${h.table} ${h.row_id}`))).toEqual(new Set(['accounts 401']));
  });

  it('after `lethe hold release`, the next run purges them all', async () => {
    const rel = runCli(['hold', 'release', '1', '--reason', 'case LX-1 settled', '--by', 'legal-team', '--now', NOW_ISO], { cwd: store.dir, env: store.env });
    expect(rel.code).toBe(0);
    expect(rel.stdout).toBe('hold 1 released by legal-team\n');
    const released = await store.adapter.db.selectFrom('lethe_audit').select(['action', 'actor', 'reason', 'table_name', 'keys']).where('seq', '=', 3).executeTakeFirstOrThrow();
    expect(released).toEqual({ action: 'release', actor: 'legal-team', reason: 'case LX-1 settled', table_name: 'accounts', keys: '[401]' });
    const holds = await store.adapter.db.selectFrom('lethe_holds').selectAll().execute();
    expect(holds.map((h) => [h.id, h.table_name, h.row_key, h.released_at])).toEqual([[1, 'accounts', '401', NOW_ISO]]);

    const r = await enforce(store);
    const after = await dumpAll(store);
    expect(r.status).toBe('ok');
    expect([r.due, r.changed, r.held, r.blocked]).toEqual([12, 12, 0, 0]);
    const diff: Record<string, unknown> = { accounts: { deleted: [], changed: [401], added: [] } };
    for (const t of LOOP_CHILD_TABLES) diff[t] = { deleted: [401], changed: [], added: [] };
    expect(diffDumps(afterHeld, after)).toEqual(diff);
    expect(fx.missingMedia()).toEqual(['loop/greet/401.wav', 'loop/rec/401.wav', 'loop/vm/401.wav']);
    expectAuditMatchesDiff(afterHeld, after, await auditEntries(store, r.runId), (a, e, what) => expect(a, what).toEqual(e));
  });
});

describe.each(engines)('holds inserted into lethe_holds on pipcall rows on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  let afterHeld: Dump;

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    await store.adapter.db
      .insertInto('lethe_holds')
      .values([
        // active: account 507, due for everything (84 months)
        { id: 1, table_name: 'accounts', row_key: '507', reason: 'regulator inquiry R-7', placed_at: iso(shift(NOW, -10 * DAY)), expires_at: null, released_at: null },
        // expired yesterday: protects nothing
        { id: 2, table_name: 'accounts', row_key: '504', reason: 'expired hold', placed_at: iso(shift(NOW, -10 * DAY)), expires_at: iso(shift(NOW, -DAY)), released_at: null },
        // active until tomorrow, on a user: protects the user and rows referencing it, not its account
        { id: 3, table_name: 'users', row_key: '508', reason: 'employment tribunal T-8', placed_at: iso(shift(NOW, -10 * DAY)), expires_at: iso(shift(NOW, DAY)), released_at: null },
      ])
      .execute();
  });
  afterAll(async () => store.close());

  it('keeps every due row of account 507 and of user 508, counts them held per stage, and still purges the rest', async () => {
    before = await dumpAll(store);
    const r = await enforce(store);
    afterHeld = await dumpAll(store);
    expect(r.status).toBe('ok');
    expect(stageCounts(r)).toEqual({
      'pipcall/call-data-recordings#1': [2, 1, 1, 0],
      'pipcall/saved-voicemails#1': [8, 6, 2, 0],
      'pipcall/voicemail-greetings#1': [8, 6, 2, 0],
      'pipcall/contact-data#1': [8, 6, 2, 0],
      'pipcall/support-data#1': [5, 4, 1, 0],
      'pipcall/call-data-calls#1': [2, 1, 1, 0],
      'pipcall/account-data-users#2': [2, 0, 1, 1],
      'pipcall/account-data-accounts#2': [2, 0, 1, 1],
      // 507 is due for its anonymise stage too while its delete is held, so it is counted again
      'pipcall/account-data-users#1': [5, 3, 2, 0],
      'pipcall/account-data-accounts#1': [5, 4, 1, 0],
      'pipcall/free-trial#1': [2, 2, 0, 0],
    });
    expect([r.changed, r.held, r.blocked]).toEqual([33, 14, 2]);
    expect(diffDumps(before, afterHeld)).toEqual({
      accounts: { deleted: [], changed: [504, 508, 509, 510], added: [] },
      users: { deleted: [], changed: [504, 509, 510], added: [] },
      contacts: { deleted: [501, 504, 505, 506, 509, 510], changed: [], added: [] },
      voicemail_greetings: { deleted: [501, 504, 505, 506, 509, 510], changed: [], added: [] },
      voicemails: { deleted: [501, 504, 505, 506, 509, 510], changed: [], added: [] },
      support_tickets: { deleted: [504, 508, 509, 510], changed: [], added: [] },
      calls: { deleted: [510], changed: [], added: [] },
      recordings: { deleted: [510], changed: [], added: [] },
      trial_signups: { deleted: [531, 534], changed: [], added: [] },
    });
    for (const p of ['pipcall/rec/507.wav', 'pipcall/vm/507.wav', 'pipcall/greet/507.wav', 'pipcall/vm/508.wav', 'pipcall/greet/508.wav']) {
      expect(fx.presentMedia(), p).toContain(p);
    }
    expectAuditMatchesDiff(before, afterHeld, await auditEntries(store, r.runId), (a, e, what) => expect(a, what).toEqual(e));
  });

  it('once released, the next run purges exactly the rows the holds kept', async () => {
    await store.adapter.db.updateTable('lethe_holds').set({ released_at: NOW_ISO }).where('id', 'in', [1, 3]).execute();
    const r = await enforce(store);
    const after = await dumpAll(store);
    expect(stageCounts(r)).toEqual({
      'pipcall/call-data-recordings#1': [1, 1, 0, 0],
      'pipcall/saved-voicemails#1': [2, 2, 0, 0],
      'pipcall/voicemail-greetings#1': [2, 2, 0, 0],
      'pipcall/contact-data#1': [2, 2, 0, 0],
      'pipcall/support-data#1': [1, 1, 0, 0],
      'pipcall/call-data-calls#1': [1, 1, 0, 0],
      'pipcall/account-data-users#2': [2, 1, 0, 1],
      'pipcall/account-data-accounts#2': [2, 1, 0, 1],
      'pipcall/account-data-users#1': [1, 1, 0, 0],
    });
    expect([r.changed, r.held, r.blocked]).toEqual([12, 0, 2]);
    expect(diffDumps(afterHeld, after)).toEqual({
      accounts: { deleted: [507], changed: [], added: [] },
      users: { deleted: [507], changed: [508], added: [] },
      contacts: { deleted: [507, 508], changed: [], added: [] },
      voicemail_greetings: { deleted: [507, 508], changed: [], added: [] },
      voicemails: { deleted: [507, 508], changed: [], added: [] },
      support_tickets: { deleted: [507], changed: [], added: [] },
      calls: { deleted: [507], changed: [], added: [] },
      recordings: { deleted: [507], changed: [], added: [] },
    });
    for (const p of ['pipcall/rec/507.wav', 'pipcall/vm/507.wav', 'pipcall/greet/507.wav', 'pipcall/vm/508.wav', 'pipcall/greet/508.wav']) {
      expect(fx.missingMedia(), p).toContain(p);
    }
    expectAuditMatchesDiff(afterHeld, after, await auditEntries(store, r.runId), (a, e, what) => expect(a, what).toEqual(e));
    // the end state is the one a run without holds reaches (see pipcall.test.ts)
    expect(diffDumps(before, after).accounts).toEqual({ deleted: [507], changed: [504, 508, 509, 510], added: [] });
  });
});
