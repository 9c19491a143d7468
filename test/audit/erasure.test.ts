/**
 * Proof of erasure (DESIGN 12), through bin/lethe on every engine: `audit --table T --key K`
 * finds exactly the entries that changed a row, and `audit --subject accounts:N` lists what
 * was done to a customer and to every row that referenced it when it was changed, directly
 * or through other rows (recordings through their call), after those rows are gone. The
 * expected answer comes from the store itself, dumped before the run: which rows referenced
 * the account, and which of them the run deleted or changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type TempStore, tempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture, NOW_ISO, diffDumps, dumpAll, referencing, type Dump } from '../scenarios/support.js';

const engines = await testEngines();

interface SubjectDoc {
  subject: { table: string; key: unknown };
  row_present: boolean | null;
  chain: { ok: boolean };
  entries: { seq: number; action: string; table: string; keys: unknown[]; via: string; hash: string }[];
}

describe.each(engines)('proof of erasure on %s', (engine) => {
  let store: TempStore;
  let before: Dump;
  let after: Dump;
  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    before = await dumpAll(store);
    const r = cli(store, ['run', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    after = await dumpAll(store);
  });
  afterAll(async () => store?.close());

  it('audit --table --key finds exactly the entries whose keys name the row', () => {
    const all = JSON.parse(cli(store, ['audit', '--json']).stdout) as { seq: number; table_name: string; keys: unknown[] }[];
    const expected = all.filter((e) => e.table_name === 'calls' && e.keys.includes(507)).map((e) => e.seq);
    expect(expected.length).toBeGreaterThan(0);
    const found = JSON.parse(cli(store, ['audit', '--table', 'calls', '--key', '507', '--json']).stdout) as { seq: number }[];
    expect(found.map((e) => e.seq)).toEqual(expected);
    // 50 is not 507, though its text is inside it; and another table's 507 is not this one.
    expect(JSON.parse(cli(store, ['audit', '--table', 'calls', '--key', '50', '--json']).stdout)).toEqual([]);
    const csv = cli(store, ['audit', '--table', 'calls', '--key', '507', '--format', 'csv']).stdout.trim().split('\n');
    expect(csv).toHaveLength(expected.length + 1);
  });

  it('audit --table --key refuses what cannot name a row, exit 2', () => {
    expect(cli(store, ['audit', '--key', '507']).stderr).toMatch(/--key: name its table with --table/);
    const bad = cli(store, ['audit', '--table', 'calls', '--key', 'x7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"x7" is not a row id/);
  });

  it('audit --subject accounts:507 lists the account and every row that referenced it, each changed row once per entry', () => {
    const r = cli(store, ['audit', '--subject', 'accounts:507', '--json', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as SubjectDoc;
    expect(doc.subject).toEqual({ table: 'accounts', key: 507 });
    expect(doc.chain.ok).toBe(true);
    expect(doc.row_present).toBe(false);

    // What the store says: rows that referenced account 507 before the run, and which of them the run deleted or changed.
    const refs = referencing(before, 'accounts', 507);
    const diff = diffDumps(before, after);
    const changedRows = new Map<string, Set<number>>();
    for (const [t, ids] of refs) {
      const hit = [...ids].filter((id) => diff[t]?.deleted.includes(id) || diff[t]?.changed.includes(id));
      if (hit.length) changedRows.set(t, new Set(hit));
    }
    expect([...changedRows.keys()].sort()).toEqual(['accounts', 'calls', 'contacts', 'recordings', 'support_tickets', 'users', 'voicemail_greetings', 'voicemails']);

    const rowEntries = doc.entries.filter((e) => ['delete', 'anonymise', 'set'].includes(e.action));
    const seen = new Map<string, Set<number>>();
    for (const e of rowEntries) for (const k of e.keys) (seen.get(e.table) ?? seen.set(e.table, new Set()).get(e.table)!).add(Number(k));
    expect(Object.fromEntries([...seen].map(([t, s]) => [t, [...s].sort()]))).toEqual(Object.fromEntries([...changedRows].map(([t, s]) => [t, [...s].sort()])));
    // Only account 507's rows: every key listed is one that referenced it.
    for (const e of doc.entries) for (const k of e.keys) expect(refs.get(e.table)?.has(Number(k)), `${e.table} ${String(k)} in seq ${e.seq}`).toBe(true);
    // The recording reached the account through its call as well as directly; the via line says which row it referenced.
    expect(doc.entries.find((e) => e.table === 'recordings' && e.action === 'delete')?.via).toBe('referenced accounts 507');
    expect(doc.entries.find((e) => e.table === 'accounts' && e.action === 'delete')?.via).toBe('the subject');
    // Files removed with those rows come with them.
    const files = doc.entries.filter((e) => e.action === 'file').map((e) => `${e.table} ${e.keys.join(',')}`).sort();
    expect(files).toEqual(['recordings 507', 'voicemail_greetings 507', 'voicemails 507']);
    // Entry hashes are the chain's own.
    const chain = JSON.parse(cli(store, ['audit', '--json']).stdout) as { seq: number; hash: string }[];
    for (const e of doc.entries) expect(chain.find((c) => c.seq === e.seq)?.hash).toBe(e.hash);
  });

  it('another account’s record holds only its own rows, and an untouched account’s record is empty but says the row is there', () => {
    const other = JSON.parse(cli(store, ['audit', '--subject', 'accounts:504', '--json', '--now', NOW_ISO]).stdout) as SubjectDoc;
    const refs = referencing(before, 'accounts', 504);
    expect(other.entries.length).toBeGreaterThan(0);
    for (const e of other.entries) for (const k of e.keys) expect(refs.get(e.table)?.has(Number(k)), `${e.table} ${String(k)}`).toBe(true);
    const untouched = JSON.parse(cli(store, ['audit', '--subject', 'accounts:503', '--json', '--now', NOW_ISO]).stdout) as SubjectDoc;
    expect(untouched.entries).toEqual([]);
    expect(untouched.row_present).toBe(true);
  });

  it('prints the record as a table, CSV and a printable HTML document with no personal values', () => {
    const doc = JSON.parse(cli(store, ['audit', '--subject', 'accounts:507', '--json', '--now', NOW_ISO]).stdout) as SubjectDoc;
    const csv = cli(store, ['audit', '--subject', 'accounts:507', '--format', 'csv', '--now', NOW_ISO]).stdout.trim().split('\n');
    expect(csv[0]).toBe('seq,at,action,provider,rule,stage,table,keys,via,by,reason,policy_sha256,hash');
    expect(csv).toHaveLength(doc.entries.length + 1);
    const text = cli(store, ['audit', '--subject', 'accounts:507', '--now', NOW_ISO]).stdout;
    expect(text).toMatch(/^erasure record of accounts 507/);
    const html = cli(store, ['audit', '--subject', 'accounts:507', '--format', 'html', '--now', NOW_ISO]).stdout;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Erasure record: accounts 507');
    for (const e of doc.entries) expect(html).toContain(e.hash);
    expect(html).not.toMatch(/<script|https?:\/\//);
    // The account's personal values (as seeded) appear nowhere in any format.
    const personal = Object.entries(before.accounts!.find((a) => Number(a.id) === 507)!)
      .filter(([c, v]) => ['name', 'email', 'phone', 'billing_address'].includes(c) && typeof v === 'string' && v.length > 3)
      .map(([, v]) => String(v));
    expect(personal.length).toBeGreaterThan(0);
    for (const out of [html, text, csv.join('\n'), JSON.stringify(doc)]) for (const v of personal) expect(out).not.toContain(v);
  });

  it('--subject refuses a malformed subject, exit 2', () => {
    expect(cli(store, ['audit', '--subject', 'accounts']).stderr).toMatch(/is not <table>:<key>/);
    const r = cli(store, ['audit', '--subject', 'accounts:abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"abc" is not a row id/);
  });
});
