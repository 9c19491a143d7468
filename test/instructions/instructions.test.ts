/**
 * Customer instructions (DESIGN 9, issue 12): `lethe instruct` on a Loop account moves the
 * schedule of the account and every row that references it, under every Loop rule that takes
 * instructions; holds still win; where instructions disagree, keeping wins; a rule's
 * `longest` is the law's delete and no instruction keeps a row past it. Everything goes
 * through bin/lethe, on every engine, at injected instants.
 *
 * seedLoop: account 401's contract ended just over 6 months before NOW (due), 403's just
 * under (not due); each has one row in every Loop table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_POLICY, cli, tempStore, readText, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { seedLoop } from '../scenarios/fixtures.js';
import { DAY, Fixture, NOW_ISO, diffDumps, dumpAll, iso, referencing, shift, type Dump } from '../scenarios/support.js';
import { NOW, enforce } from '../support/harness.js';

const engines = await testEngines();

/** The account's rows in every table (the account itself included), as table → ids, read from a dump. */
function customer(d: Dump, id: number): Record<string, number[]> {
  return Object.fromEntries([...referencing(d, 'accounts', id)].map(([t, ids]) => [t, [...ids].sort((a, b) => a - b)]));
}

/** The rows of `id` still in the store with their personal values (the account not anonymised). */
function untouched(before: Dump, after: Dump, id: number): boolean {
  return JSON.stringify(customer(after, id)) === JSON.stringify(customer(before, id)) && !diffDumps(before, after).accounts?.changed.includes(id);
}

async function loopStore(engine: (typeof engines)[number], policy?: string): Promise<TempStore> {
  const store = await tempStore(policy, engine);
  const fx = new Fixture(store);
  await fx.providers();
  await seedLoop(fx);
  return store;
}

const at = (days: number) => iso(shift(NOW, days * DAY));

describe.each(engines)('customer instructions on %s', (engine) => {
  describe('an instruction extending a Loop account past its contract-end cutoff', () => {
    let store: TempStore;
    let before: Dump;
    beforeAll(async () => {
      store = await loopStore(engine);
      before = await dumpAll(store);
    });
    afterAll(async () => store?.close());

    it('is placed with who, why and until when, and goes into the audit chain', () => {
      const r = cli(store, ['instruct', 'accounts', '401', '--rule', 'customer-data-accounts', '--keep-until', '2027-09-01T00:00:00Z', '--by', 'dpo@loop', '--reason', 'customer ticket 7781: keep until the dispute ends', '--now', NOW_ISO, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const placed = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(placed).toMatchObject({ id: 1, provider: 'loop', rule: 'customer-data-accounts', table: 'accounts', key: 401, kind: 'keep_until', keep_until: '2027-09-01T00:00:00.000Z', placed_by: 'dpo@loop', replaces: [] });
      expect(placed.rules).toContain('customer-data-calls');
      const audit = JSON.parse(cli(store, ['audit', '--json']).stdout) as { action: string; provider: string; rule: string; table_name: string; keys: unknown[]; by: string; reason: string; detail: Record<string, unknown> }[];
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: 'instruct', provider: 'loop', rule: 'customer-data-accounts', table_name: 'accounts', keys: [401], by: 'dpo@loop', reason: 'customer ticket 7781: keep until the dispute ends' });
      expect(audit[0]!.detail).toEqual({ instruction_id: 1, kind: 'keep_until', period: null, keep_until: '2027-09-01T00:00:00.000Z', replaces: [] });
    });

    it('plan counts the rows under the instruction and finds none of them due; explain names it', () => {
      const plan = JSON.parse(cli(store, ['plan', '--json', '--now', NOW_ISO, '--provider', 'loop']).stdout) as { stages: { rule: string; due: number; instructed?: number }[] };
      const calls = plan.stages.find((s) => s.rule === 'customer-data-calls')!;
      expect(calls).toMatchObject({ due: 0, instructed: 1 });
      expect(plan.stages.find((s) => s.rule === 'customer-data-accounts')).toMatchObject({ due: 0, instructed: 1 });
      const explained = JSON.parse(cli(store, ['explain', 'calls', '401', '--json', '--now', NOW_ISO]).stdout) as { verdict: string; instructions: { id: number; table: string; key: unknown }[]; rules: { stages: { due_now: boolean; instructed?: string }[] }[] };
      expect(explained.verdict).toMatch(/^kept: instruction 1 \(keep until 2027-09-01T00:00:00.000Z\)/);
      expect(explained.instructions.map((i) => [i.id, i.table, i.key])).toEqual([[1, 'accounts', 401]]);
      expect(explained.rules[0]!.stages[0]).toMatchObject({ due_now: false, instructed: 'moved by instruction 1' });
      const text = cli(store, ['explain', 'accounts', '401', '--now', NOW_ISO]).stdout;
      expect(text).toMatch(/instruction 1 on accounts 401 \(loop, under customer-data-accounts\): keep until 2027-09-01T00:00:00.000Z, by dpo@loop/);
    });

    it('keeps the account and every row of it through the run; the other due customers are unaffected', async () => {
      const r = cli(store, ['run', '--now', NOW_ISO, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const after = await dumpAll(store);
      expect(untouched(before, after, 401)).toBe(true);
      // 403 was not due anyway; nothing of Loop changed at all.
      expect(diffDumps(before, after)).toEqual({});
      expect(JSON.parse(r.stdout).changed).toBe(0);
    });

    it('once the instruction lapses, the schedule applies again and the next run purges them', async () => {
      // A run in the future: `lethe run` refuses a --now ahead of the store's clock, so in-process.
      const r = await enforce(store, { now: new Date('2027-09-02T00:00:00.000Z'), filter: { provider: 'loop' } });
      expect(r.status, r.error ?? '').toBe('ok');
      const after = await dumpAll(store);
      // The account stays anonymised (its sales document is retained and references it).
      expect(Object.keys(customer(after, 401)).sort()).toEqual(['accounts', 'sales_documents']);
      expect(after.accounts!.find((a) => Number(a.id) === 401)).toMatchObject({ name: null, email: null });
      expect(cli(store, ['audit', 'verify']).code).toBe(0);
      expect(JSON.parse(cli(store, ['instructions', '--all', '--json', '--now', '2027-09-02T00:00:00.000Z']).stdout)).toMatchObject([{ id: 1, state: 'lapsed' }]);
    });
  });

  describe('--after and --erase-now, replacement, withdrawal, holds and disagreeing instructions', () => {
    let store: TempStore;
    let before: Dump;
    beforeAll(async () => {
      store = await loopStore(engine);
      before = await dumpAll(store);
    });
    afterAll(async () => store?.close());

    const instruct = (...args: string[]) => cli(store, ['instruct', ...args, '--reason', 'customer asked', '--by', 'support', '--now', NOW_ISO, '--json']);

    it('--after 24 months keeps a due account now; 24 months after its contract ended it is due', async () => {
      expect(instruct('accounts', '401', '--rule', 'customer-data-calls', '--after', '24 months').code).toBe(0);
      expect(cli(store, ['run', '--now', NOW_ISO]).code).toBe(0);
      expect(untouched(before, await dumpAll(store), 401)).toBe(true);
      const plan = JSON.parse(cli(store, ['plan', '--json', '--now', at(18 * 31 + 2), '--provider', 'loop', '--rule', 'customer-data-calls']).stdout) as { stages: { due: number; instructed: number }[] };
      // 401 by its instruction, 402 and 403 by the schedule.
      expect(plan.stages[0]).toMatchObject({ due: 3, instructed: 1 });
    });

    it('a newer instruction on the same row replaces the older one; --withdraw restores the schedule', async () => {
      // As DESIGN writes it: no --by, no --reason (who is the OS user; why is left empty); the rule as provider/rule.
      const r = cli(store, ['instruct', 'accounts', '401', '--rule', 'loop/customer-data-accounts', '--keep-until', '2028-01-01', '--now', NOW_ISO, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: 2, replaces: [1] });
      expect((JSON.parse(cli(store, ['instructions', '--json', '--now', NOW_ISO]).stdout) as { id: number; reason: string | null }[]).map((i) => [i.id, i.reason])).toEqual([[2, null]]);
      const w = instruct('accounts', '401', '--rule', 'customer-data-accounts', '--withdraw');
      expect(w.code, w.stderr).toBe(0);
      expect(JSON.parse(w.stdout)).toMatchObject({ id: null, kind: 'withdraw', replaces: [2] });
      expect(JSON.parse(cli(store, ['instructions', '--json', '--now', NOW_ISO]).stdout)).toEqual([]);
      const all = JSON.parse(cli(store, ['instructions', '--all', '--json', '--now', NOW_ISO]).stdout) as { id: number; state: string }[];
      expect(all.map((i) => [i.id, i.state])).toEqual([[1, 'replaced'], [2, 'withdrawn']]);
      const plan = JSON.parse(cli(store, ['plan', '--json', '--now', NOW_ISO, '--provider', 'loop', '--rule', 'customer-data-calls']).stdout) as { stages: { due: number; instructed: number }[] };
      expect(plan.stages[0]).toMatchObject({ due: 1, instructed: 0 });
    });

    it('a hold still wins over --erase-now; where an account is kept and one of its calls is to be erased, keeping wins', async () => {
      const held = cli(store, ['hold', 'add', 'accounts', '403', '--reason', 'litigation', '--now', NOW_ISO]);
      expect(held.code, held.stderr).toBe(0);
      expect(instruct('accounts', '403', '--rule', 'customer-data-accounts', '--erase-now').code).toBe(0);
      expect(instruct('calls', '401', '--rule', 'customer-data-calls', '--erase-now').code).toBe(0);
      expect(instruct('accounts', '401', '--rule', 'customer-data-accounts', '--keep-until', '2028-01-01').code).toBe(0);
      const explained = JSON.parse(cli(store, ['explain', 'calls', '401', '--json', '--now', NOW_ISO]).stdout) as { verdict: string; instructions: { id: number }[] };
      expect(explained.instructions.map((i) => i.id).sort()).toEqual([4, 5]);
      expect(explained.verdict).toMatch(/^kept: /);
      const r = cli(store, ['run', '--now', NOW_ISO, '--provider', 'loop', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).held).toBe(12);
      const after = await dumpAll(store);
      expect(diffDumps(before, after)).toEqual({});
    });

    it('--erase-now erases a customer whose contract has not ended, once the hold is released', async () => {
      const holds = JSON.parse(cli(store, ['hold', 'list', '--json']).stdout) as { id: number }[];
      expect(cli(store, ['hold', 'release', String(holds[0]!.id), '--reason', 'settled', '--now', NOW_ISO]).code).toBe(0);
      const r = cli(store, ['run', '--now', NOW_ISO, '--provider', 'loop', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const after = await dumpAll(store);
      expect(Object.keys(customer(after, 403)).sort()).toEqual(['accounts', 'sales_documents']);
      expect(after.accounts!.find((a) => Number(a.id) === 403)).toMatchObject({ name: null, email: null, anonymised_at: NOW_ISO });
      // 401 is still kept by its own instruction, and 402 (at the cutoff, not due) untouched.
      expect(untouched(before, after, 401)).toBe(true);
      expect(untouched(before, after, 402)).toBe(true);
      const erased = (JSON.parse(cli(store, ['audit', '--subject', 'accounts:403', '--format', 'json']).stdout) as { entries: { action: string }[] }).entries.map((e) => e.action);
      expect(erased).toContain('delete');
      expect(erased).toContain('anonymise');
      expect(cli(store, ['audit', 'verify']).code).toBe(0);
    });
  });

  describe('bounds, and bad input that changes nothing', () => {
    let store: TempStore;
    let before: Dump;
    // Loop's rules with bounds: no shorter than 30 days after the contract ends, none kept past 36 months.
    const bounded = (shipped: string) => shipped.replace(/(instructions: &loop-instructions\n)/, '$1          shortest: 30 days\n          longest: 36 months\n');
    beforeAll(async () => {
      store = await loopStore(engine, bounded(readText(SHIPPED_POLICY)));
      before = await dumpAll(store);
    });
    afterAll(async () => store?.close());

    const refused: [string, string[], RegExp][] = [
      ['a rule that takes no instructions', ['accounts', '401', '--rule', 'call-data-calls', '--keep-until', '2030-01-01'], /rule pipcall\/call-data-calls takes no customer instructions/],
      ['an unknown rule', ['accounts', '401', '--rule', 'no-such-rule', '--erase-now'], /no rule "no-such-rule"/],
      ['no mode', ['accounts', '401', '--rule', 'customer-data-calls'], /exactly one of --after/],
      ['two modes', ['accounts', '401', '--rule', 'customer-data-calls', '--erase-now', '--after', '1 year'], /exactly one of --after/],
      ['erase now under a 30-day floor', ['accounts', '401', '--rule', 'customer-data-calls', '--erase-now'], /allows no instruction shorter than 30 days/],
      ['a period under the floor', ['accounts', '401', '--rule', 'customer-data-calls', '--after', '10 days'], /10 days is shorter than rule loop\/customer-data-calls allows \(at least 30 days\)/],
      ['a period past the law', ['accounts', '401', '--rule', 'customer-data-calls', '--after', '40 months'], /40 months is longer than .* \(at most 36 months, as the law requires\)/],
      ['an unparseable period', ['accounts', '401', '--rule', 'customer-data-calls', '--after', 'soon'], /--after/],
      ['a keep-until in the past', ['accounts', '401', '--rule', 'customer-data-calls', '--keep-until', '2020-01-01'], /not in the future/],
      ['a keep-until that is no instant', ['accounts', '401', '--rule', 'customer-data-calls', '--keep-until', 'next tuesday'], /not an ISO-8601/],
      ['a row of another provider', ['accounts', '491', '--rule', 'customer-data-calls', '--keep-until', '2030-01-01'], /accounts 491 is not a row of provider loop/],
      ['a table the rule\'s rows do not reference', ['sales_documents', '404', '--rule', 'customer-data-calls', '--keep-until', '2030-01-01'], /whose rows do not reference sales_documents/],
      ['a missing row', ['accounts', '999', '--rule', 'customer-data-calls', '--keep-until', '2030-01-01'], /accounts has no row 999/],
      ['an empty reason', ['accounts', '401', '--rule', 'customer-data-calls', '--keep-until', '2030-01-01', '--reason', ' '], /--reason is empty/],
      ['a provider/rule that contradicts --provider', ['accounts', '401', '--rule', 'loop/customer-data-calls', '--provider', 'pipcall', '--keep-until', '2030-01-01'], /names provider loop, --provider names pipcall/],
    ];
    it.each(refused)('refuses %s with exit 2, and records nothing', async (_what, args, message) => {
      const r = cli(store, ['instruct', ...args, ...(args.includes('--reason') ? [] : ['--reason', 'asked']), '--now', NOW_ISO]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(await dumpAll(store)).toEqual(before);
    });

    it('keeps an account as instructed until the clock is 36 months old, then the law\'s delete applies', async () => {
      expect(cli(store, ['instruct', 'accounts', '401', '--rule', 'customer-data-calls', '--keep-until', '2035-01-01', '--reason', 'asked', '--now', NOW_ISO]).code).toBe(0);
      // 30 months after the contract ended: still kept.
      expect((await enforce(store, { now: new Date(at(24 * 31)), filter: { provider: 'loop' } })).status).toBe('ok');
      let after = await dumpAll(store);
      expect(customer(after, 401)).toEqual(customer(before, 401));
      // Past 36 months: deleted, instruction or not.
      expect((await enforce(store, { now: new Date(at(31 * 31)), filter: { provider: 'loop' } })).status).toBe('ok');
      after = await dumpAll(store);
      expect(Object.keys(customer(after, 401)).sort()).toEqual(['accounts', 'sales_documents']);
    });
  });
});
