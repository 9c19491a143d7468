/**
 * The CLI on the pipcall fixture, run from the temp folder (cwd = store.dir, config found as
 * ./policies.yaml): `plan --json` counts without changing anything, `explain` names the rule
 * and due dates, `run --json` prints one JSON result, and `audit --format csv|json` prints the
 * entries exactly as stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { enforce, runCli, tempStore, type TempStore } from '../support/harness.js';
import { rowToEntry } from '../../src/audit/chain.js';
import type { RunJson } from '../../src/cli/commands/run.js';
import { C, seedPipcall } from './fixtures.js';
import { Fixture, LONDON, NOW_ISO, dumpAll, iso, leakedValues, rowById, type Dump } from './support.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();

describe.each(engines)('CLI on the pipcall fixture on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let explain504 = '';
  let runStderr = '';
  let run: RunJson;

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
  });
  afterAll(async () => store.close());

  const cli = (...args: string[]) => runCli(args, { cwd: store.dir, env: store.env });

  it('lethe plan --json counts due, held and blocked per stage at the luxon cutoffs, child-first, and changes nothing', async () => {
    const before = await dumpAll(store);
    const r = cli('plan', '--json', '--now', NOW_ISO, '--provider', 'pipcall');
    expect(r.code).toBe(0);
    expect(await dumpAll(store)).toEqual(before);
    const plan = JSON.parse(r.stdout) as { now: string; stages: Record<string, unknown>[] };
    expect(plan.now).toBe(NOW_ISO);
    const [c1, c12, c84, c1y] = [iso(C.london1m), iso(C.london12m), iso(C.london84m), iso(C.london1y)];
    const row = (table: string, action: string, after: string, cutoff: string, due: number, blocked: number, total: number) => ({ table, action, after, cutoff, due, held: 0, blocked, total, guard: 'ok' });
    const byKey = Object.fromEntries(plan.stages.map(({ provider, rule, stage, ...rest }) => [`${String(provider)}/${String(rule)}#${String(stage)}`, rest]));
    expect(byKey).toEqual({
      'pipcall/contact-data#1': row('contacts', 'delete', '1 month', c1, 8, 0, 10),
      'pipcall/call-data-recordings#1': row('recordings', 'delete', '84 months', c84, 2, 0, 10),
      'pipcall/support-data#1': row('support_tickets', 'delete', '12 months', c12, 5, 0, 10),
      'pipcall/free-trial#1': row('trial_signups', 'delete', '1 year', c1y, 2, 0, 4),
      'pipcall/voicemail-greetings#1': row('voicemail_greetings', 'delete', '1 month', c1, 8, 0, 10),
      'pipcall/saved-voicemails#1': row('voicemails', 'delete', '1 month', c1, 8, 0, 12),
      // blocked counts what references the row now; the run deletes children first
      'pipcall/call-data-calls#1': row('calls', 'delete', '84 months', c84, 2, 2, 10),
      'pipcall/account-data-users#2': row('users', 'delete', '84 months', c84, 2, 2, 10),
      'pipcall/account-data-accounts#2': row('accounts', 'delete', '84 months', c84, 2, 2, 10),
      'pipcall/account-data-accounts#1': row('accounts', 'anonymise', '12 months', c12, 5, 0, 10),
      'pipcall/account-data-users#1': row('users', 'anonymise', '12 months', c12, 5, 0, 10),
      'pipcall/unsaved-voicemails#null': { table: 'voicemails', action: 'unspecified', after: 'unspecified', cutoff: null, due: null, held: null, blocked: null, total: null, guard: null },
    });
    const order = plan.stages.map((s) => `${String(s.table)}:${String(s.action)}`);
    for (const leaf of ['contacts', 'recordings', 'voicemails', 'voicemail_greetings']) expect(order.indexOf(`${leaf}:delete`)).toBeLessThan(order.indexOf('users:delete'));
    expect(order.indexOf('recordings:delete')).toBeLessThan(order.indexOf('calls:delete'));
    expect(order.indexOf('calls:delete')).toBeLessThan(order.indexOf('users:delete'));
    expect(order.indexOf('users:delete')).toBeLessThan(order.indexOf('accounts:delete'));
    expect(order.indexOf('accounts:delete')).toBeLessThan(order.indexOf('accounts:anonymise'));
  });

  it('lethe explain accounts 504 names the rule, the clock and each stage\'s due date', () => {
    const r = cli('explain', 'accounts', '504', '--now', NOW_ISO);
    expect(r.code).toBe(0);
    explain504 = r.stdout;
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  pipcall/account-data-accounts (enforce) clock terminated_at = 2025-11-22T03:15:00.000Z');
    expect(lines).toContain('    "Account Data is deleted 12 months after an account is terminated."');
    expect(lines).toContain('    stage 1: anonymise after 12 months → due 2026-11-22T03:15:00.000Z (due now)');
    expect(lines).toContain('    stage 2: delete after 84 months → due 2032-11-22T03:15:00.000Z');
    expect(lines[0]).toMatch(/^accounts 504 at 2026-11-23T03:15:00\.000Z: due/);
  });

  it('explain says account 504 (only its anonymise stage is due) is changed by the next run, not blocked', () => {
    expect(explain504.split('\n')[0]).toBe('accounts 504 at 2026-11-23T03:15:00.000Z: due: the next run changes it');
  });

  it('lethe explain --json accounts 505 (terminated exactly 12 months ago): stage 1 comes due at now itself, so it is kept', () => {
    const r = cli('explain', 'accounts', '505', '--json', '--now', NOW_ISO);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as { verdict: string; rules: { provider: string; rule: string; kind: string; clock_value: string; stages: unknown[] }[]; held_by: unknown[] };
    expect(e.verdict).toBe('kept: no stage is due yet');
    expect(e.held_by).toEqual([]);
    expect(e.rules.map(({ provider, rule, kind, clock_value, stages }) => ({ provider, rule, kind, clock_value, stages }))).toEqual([
      {
        provider: 'pipcall',
        rule: 'account-data-accounts',
        kind: 'enforce',
        clock_value: iso(C.london12m),
        stages: [
          { stage: 1, after: '12 months', action: 'anonymise', due_at: NOW_ISO, due_now: false, marker_set: false, guard: null, guard_counts: null },
          { stage: 2, after: '84 months', action: 'delete', due_at: '2032-11-23T03:15:00.000Z', due_now: false, marker_set: null, guard: null, guard_counts: null },
        ],
      },
    ]);
  });

  it('lethe run --now --json prints exactly one JSON result with status ok; its logs carry no personal value', async () => {
    const before = await dumpAll(store);
    const r = cli('run', '--now', NOW_ISO, '--json');
    expect(r.code).toBe(0);
    run = JSON.parse(r.stdout) as RunJson;
    runStderr = r.stderr;
    expect(run).toMatchObject({ status: 'ok', now: NOW_ISO, dry_run: false, trigger: 'cli', due: 47, changed: 45, held: 0, blocked: 2, guarded: 0, error: null });
    expect(run.files).toEqual({ removed: 18, missing: 0, shared: 0, refused: 0, errors: 0 });
    const after: Dump = await dumpAll(store);
    expect(rowById(after, 'accounts', 507)).toBeUndefined();
    expect(rowById(after, 'accounts', 510)).toMatchObject({ name: null, anonymised_at: NOW_ISO });
    expect(rowById(before, 'accounts', 510)).toMatchObject({ name: 'Customer Name 510' });
    expect(leakedValues(r.stdout + r.stderr, fx.personal)).toEqual([]);
  });

  it('every audit entry, file entries included, is also a pino "purge" line (on stderr with --json)', async () => {
    // DESIGN section 4: "Every audit entry is also a pino JSON line". (The `file` entries appended
    // by src/exec/files.ts drainFileQueue() used not to be logged.)
    type Line = { seq: number; action: string; table_name: string; rule: string; keys: number[]; hash: string };
    const logged = runStderr
      .split('\n')
      .filter((l) => l.includes('"event":"purge"'))
      .map((l) => JSON.parse(l) as Line)
      .map(({ seq, action, table_name, rule, keys, hash }) => ({ seq, action, table_name, rule, keys, hash }))
      .sort((a, b) => a.seq - b.seq);
    const stored = (await store.adapter.db.selectFrom('lethe_audit').selectAll().orderBy('seq').execute())
      .map(rowToEntry)
      .map(({ seq, action, table_name, rule, keys, hash }) => ({ seq, action, table_name, rule, keys, hash }));
    // The policy the run loaded (DESIGN 12), 11 batches of changes and 3 of files.
    expect(stored).toHaveLength(15);
    expect(stored[0]!.action).toBe('policy');
    expect(stored.filter((e) => e.action === 'file')).toHaveLength(3);
    expect(logged).toEqual(stored);
  });

  it('lethe audit --format csv prints every entry exactly as stored', async () => {
    const r = cli('audit', '--format', 'csv');
    expect(r.code).toBe(0);
    const rows = await store.adapter.db.selectFrom('lethe_audit').selectAll().orderBy('seq').execute();
    expect(rows).toHaveLength(15);
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const expected = [
      'seq,run_id,at,provider,rule,stage,table_name,action,cutoff,row_count,keys,by,reason,policy_sha256,prev_hash,hash',
      ...rows.map((e) =>
        [e.seq, e.run_id, e.at, e.provider, e.rule, e.stage, e.table_name, e.action, e.cutoff ?? '', e.row_count, q(String(e.keys)), e.actor ?? '', e.reason ?? '', e.policy_sha256, e.prev_hash, e.hash].map(String).join(','),
      ),
    ].join('\n');
    expect(r.stdout).toBe(expected + '\n');
    expect(rows.every((e) => Number(e.run_id) === run.run_id)).toBe(true);
  });

  it('lethe audit --format json prints every entry with its keys as a JSON array', async () => {
    const r = cli('audit', '--format', 'json');
    expect(r.code).toBe(0);
    const rows = await store.adapter.db.selectFrom('lethe_audit').selectAll().orderBy('seq').execute();
    // detail and refs are printed where they were recorded.
    const asPrinted = rows.map(rowToEntry).map(({ detail, refs, ...e }) => ({ ...e, ...(detail ? { detail } : {}), ...(refs ? { refs } : {}) }));
    expect(JSON.parse(r.stdout)).toEqual(asPrinted);
    expect((JSON.parse(r.stdout) as { keys: number[]; table_name: string; action: string }[]).find((e) => e.table_name === 'trial_signups')).toMatchObject({ action: 'delete', keys: [531, 534] });
  });

  it('explain and the run agree at month ends: a row the run keeps is not "due now"', async () => {
    // At now = 2026-11-30T12:00Z a contact of an account terminated 2026-10-31T00:30Z is not due
    // for pipcall's 1-month rule: 2026-10-31T00:30Z is not before now − 1 month = 2026-10-30T12:00Z,
    // although clock + 1 month (clamped to 30 Nov 00:30) lies before now.
    const monthEnd = '2026-11-30T12:00:00.000Z';
    await fx.insert('accounts', [{ id: 599, provider_id: 'pipcall', name: 'Month End', terminated_at: '2026-10-31T00:30:00.000Z' }]);
    await fx.insert('contacts', [{ id: 599, provider_id: 'pipcall', account_id: 599, first_name: 'Octavia', email: 'octavia@month-end.example' }]);
    const cutoff = DateTime.fromISO(monthEnd, { zone: LONDON }).minus({ months: 1 }).toUTC().toISO();
    expect(cutoff).toBe('2026-10-30T12:00:00.000Z');
    const runAtMonthEnd = await enforce(store, { now: new Date(monthEnd), filter: { provider: 'pipcall', rule: 'contact-data' } });
    expect(runAtMonthEnd.status).toBe('ok');
    expect(rowById(await dumpAll(store), 'contacts', 599)).toBeDefined(); // the run keeps it
    const e = JSON.parse(cli('explain', 'contacts', '599', '--json', '--now', monthEnd).stdout) as { verdict: string; rules: { rule: string; stages: { due_now: boolean }[] }[] };
    expect(e.rules.find((x) => x.rule === 'contact-data')!.stages[0]!.due_now).toBe(false);
    expect(e.verdict).toBe('kept: no stage is due yet');
  });
});
