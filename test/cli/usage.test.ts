/**
 * CLI usage errors exit 2 with a clear message on stderr and change nothing; help exits 0.
 * The cases the CLI contract names run the real bin/lethe (concurrently, in beforeAll); a few
 * more go through the batch runner (test/support/cli-batch.mjs, validated against bin/lethe in
 * test/policy/hostile-policies.test.ts). Needs `npm run build` first.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempStore, type CliResult, type TempStore } from '../support/harness.js';
import { dumpStore, runCliAsync, runCliBatch, type StoreDump } from '../support/cli-async.js';

const NOW_ARG = '2026-11-23T03:15:00Z';

let store: TempStore;
let before: StoreDump;
let emptyDir: string;
const real = new Map<string, CliResult>();
let batch = new Map<string, CliResult>();

/** Real bin/lethe invocations, by name. */
const REAL: Record<string, { args: string[]; env?: Record<string, string>; inEmptyDir?: boolean }> = {
  unknownCommand: { args: ['frobnicate'] },
  unknownFlag: { args: ['run', '--frobnicate', '--now', NOW_ARG] },
  nowYesterday: { args: ['--now', 'yesterday', 'run'] },
  providerTypo: { args: ['run', '--provider', 'pipcal', '--now', NOW_ARG] },
  auditXml: { args: ['audit', '--format', 'xml'] },
  holdNoReason: { args: ['hold', 'add', 'accounts', '1'] },
  explainAbc: { args: ['explain', 'accounts', 'abc'] },
  missingConfig: { args: ['--config', 'no-such-policies.yaml', 'check'] },
  missingDefaultConfig: { args: ['check'], inEmptyDir: true },
  help: { args: ['--help'] },
};

/** More usage errors, through the batch runner. */
const BATCH: Record<string, string[]> = {
  nowAfterCommand: ['run', '--now', 'yesterday'],
  nowFeb30: ['--now', '2026-02-30T03:15:00Z', 'plan', '--json'],
  nowHour25: ['--now', '2026-11-23T25:15:00Z', 'plan'],
  ruleTypo: ['run', '--provider', 'pipcall', '--rule', 'call-data-call', '--now', NOW_ARG],
  extraArgument: ['report', 'extra'],
  missingArgument: ['explain', 'accounts'],
  explainNoTable: ['explain', 'nosuch', '1'],
  explainLetheTable: ['explain', 'lethe_audit', '1'],
  holdNoRow: ['hold', 'add', 'accounts', '999', '--reason', 'case 42'],
  holdBlankReason: ['hold', 'add', 'accounts', '1', '--reason', '   '],
  holdPastUntil: ['--now', NOW_ARG, 'hold', 'add', 'accounts', '1', '--reason', 'case 42', '--until', '2020-01-01T00:00:00Z'],
  auditSince: ['audit', '--since', 'last week'],
  auditRun: ['audit', '--run', 'abc'],
  holdRelease: ['hold', 'release', 'abc'],
  seedAccounts: ['db', 'seed', '--accounts', '0'],
  commandHelp: ['run', '--help'],
};

beforeAll(async () => {
  store = await tempStore();
  await store.close();
  const db = new Database(store.dbFile);
  db.exec(`insert into providers (id, name) values ('pipcall', 'PiPcall');
           insert into accounts (id, provider_id, name, email, terminated_at) values (1, 'pipcall', 'Pat Pip', 'pat@example.com', '2018-06-01T00:00:00Z');
           insert into calls (id, provider_id, account_id, started_at) values (1, 'pipcall', 1, '2018-01-05T10:00:00Z');`);
  db.close();
  before = dumpStore(store.dbFile);
  emptyDir = mkdtempSync(join(tmpdir(), 'lethe-noconfig-'));
  const runs = Object.entries(REAL).map(async ([name, c]) => {
    real.set(name, await runCliAsync(c.args, { cwd: c.inEmptyDir ? emptyDir : store.dir, ...(c.env ? { env: c.env } : {}) }));
  });
  const batched = runCliBatch(Object.entries(BATCH).map(([id, args]) => ({ id, cwd: store.dir, args }))).then((m) => (batch = m));
  await Promise.all([...runs, batched]);
}, 120_000);

const r = (name: string): CliResult => {
  const x = real.get(name) ?? batch.get(name);
  if (!x) throw new Error(`no result ${name}`);
  return x;
};
/** Exit 2, no stack trace, and stderr matching every pattern. */
function usageError(name: string, ...says: RegExp[]): void {
  const x = r(name);
  expect(x.code, `${name}: stderr:\n${x.stderr}`).toBe(2);
  for (const re of says) expect(x.stderr, name).toMatch(re);
  expect(x.stderr, name).not.toMatch(/\n\s+at .*\.js:\d+/);
}

describe('usage errors exit 2 with a clear message', () => {
  it('an unknown command names it', () => {
    usageError('unknownCommand', /unknown command 'frobnicate'/);
  });

  it('an unknown flag names it and shows the command’s usage', () => {
    usageError('unknownFlag', /unknown option '--frobnicate'/, /Usage: lethe run \[options\]/);
  });

  it('--now yesterday is refused, before or after the command', () => {
    usageError('nowYesterday', /--now: "yesterday" is not an ISO-8601 instant \(e\.g\. 2026-11-23T03:15:00Z\)/);
    usageError('nowAfterCommand', /--now: "yesterday" is not an ISO-8601 instant/);
    usageError('nowHour25', /--now: "2026-11-23T25:15:00Z" is not an ISO-8601 instant/);
  });

  it('run --provider pipcal suggests pipcall', () => {
    usageError('providerTypo', /--provider: no provider "pipcal" in .*policies\.yaml \(did you mean "pipcall"\?\)/);
    expect(r('providerTypo').stdout).toBe('');
  });

  it('run --rule with a typo suggests the rule', () => {
    usageError('ruleTypo', /--rule: no rule "call-data-call" for pipcall \(did you mean "call-data-calls"\?\)/);
  });

  it('audit --format xml lists the formats', () => {
    usageError('auditXml', /argument 'xml' is invalid/, /table, json, csv/);
  });

  it('hold add without --reason (or with a blank one) is refused', () => {
    usageError('holdNoReason', /required option '--reason <text>' not specified/);
    usageError('holdBlankReason', /--reason is required/);
  });

  it('explain accounts abc: the id must be a row id', () => {
    usageError('explainAbc', /explain: "abc" is not a row id/);
    expect(r('explainAbc').stdout).toBe('');
  });

  it('a missing config file exits 2 naming the absolute path', () => {
    usageError('missingConfig', new RegExp(`cannot read policy file ${join(store.dir, 'no-such-policies.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    usageError('missingDefaultConfig', new RegExp(`${join(emptyDir, 'policies.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: error: cannot read the file`), /hint: check --config or LETHE_CONFIG/);
  });

  it('more argument errors: too many, too few, bad table, bad row, bad instants and ids', () => {
    usageError('extraArgument', /too many arguments for 'report'/);
    usageError('missingArgument', /missing required argument 'id'/);
    usageError('explainNoTable', /explain: no table "nosuch" in the store/);
    usageError('explainLetheTable', /explain: no table "lethe_audit" in the store/);
    usageError('holdNoRow', /hold add: accounts has no row 999/);
    usageError('holdPastUntil', /--until: 2020-01-01T00:00:00Z is not in the future/);
    usageError('auditSince', /--since: "last week" is not an ISO-8601 instant/);
    usageError('auditRun', /--run: "abc" is not a run id/);
    usageError('holdRelease', /hold release: "abc" is not a hold id/);
    usageError('seedAccounts', /--accounts: "0" is not a positive whole number/);
  });

  // context.ts: "Parses --now / LETHE_NOW strictly; a typo is a usage error, never 'now'".
  // parseClockValue hands the text to `new Date()`, which rolls 30 February over to 2 March.
  it('--now 2026-02-30T03:15:00Z is a usage error, not 2026-03-02', () => {
    usageError('nowFeb30', /--now: "2026-02-30T03:15:00Z" is not an ISO-8601 instant/);
  });
});

describe('help', () => {
  it('lethe --help exits 0 and lists the commands', () => {
    const h = r('help');
    expect(h.code).toBe(0);
    expect(h.stderr).toBe('');
    expect(h.stdout).toMatch(/^Usage: lethe \[options\] \[command\]/);
    for (const cmd of ['run', 'plan', 'check', 'explain', 'audit', 'hold', 'report', 'db']) expect(h.stdout).toMatch(new RegExp(`\\n  ${cmd}\\b`));
    for (const flag of ['--config', '--db', '--media-root', '--now', '--json']) expect(h.stdout).toContain(flag);
  });

  it('lethe run --help exits 0 with the run flags', () => {
    const h = r('commandHelp');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^Usage: lethe run \[options\]/);
    for (const flag of ['--provider', '--rule', '--dry-run', '--force']) expect(h.stdout).toContain(flag);
  });
});

describe('side effects', () => {
  it('none of the invocations above changed the store (no run, no hold, no seed)', () => {
    const after = dumpStore(store.dbFile);
    expect(after).toEqual(before);
    expect(after.tables.calls).toHaveLength(1);
    expect(after.tables.lethe_runs).toEqual([]);
    expect(after.tables.lethe_holds).toEqual([]);
  });
});
