/**
 * Malformed, hostile and empty policy files. For every case both `lethe check` and
 * `lethe run --now 2026-11-23T03:15:00Z` must exit 2, name the file with the line:column of
 * the problem on stderr, and change nothing in the store: a full dump of every table
 * (reference tables, lethe_* tables, and the schema itself) is taken before and after and
 * compared. The store is seeded with rows that a valid version of each fixture WOULD change
 * (see the controls at the end), so "nothing changed" is an observation, not a vacuity.
 *
 * The ~60 invocations go through test/support/cli-batch.mjs, which runs dist's `main()` (what
 * bin/lethe runs) once per invocation inside one child process; a second describe spawns the
 * real bin/lethe for a sample of the cases and requires byte-identical results, so the batch
 * is a faithful stand-in. Needs `npm run build` first.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { NOW, policyFromText, tempStore, type CliResult } from '../support/harness.js';
import { colOf, dumpStore, lineOf, runCliAsync, runCliBatch, type BatchCall, type StoreDump } from '../support/cli-async.js';

const NOW_ARG = NOW.toISOString().replace('.000Z', 'Z'); // 2026-11-23T03:15:00Z

// ------------------------------------------------------------------------------------------
// The valid base fixture every case alters. Line numbers are computed with lineOf() from the
// altered text (which insists the needle is on exactly one line), so each assertion names the
// exact line the offending key or value is on.
const BASE = `# lethe hostile-policy fixture: one valid rule, altered per case
version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
providers:
  pipcall:
    name: PiPcall (Assuract Limited)
    timezone: Europe/London
    schedule: "0 2 * * *"
    rules:
      call-data:
        quote: "Call Data and Call History Data is deleted 84 months after an account is terminated."
        table: calls
        clock: accounts.terminated_at
        after: 84 months
        action: delete
`;

/** `text` with `from` (which must occur exactly once) replaced by `to`. */
function alter(from: string, to: string, text = BASE): string {
  const n = text.split(from).length - 1;
  if (n !== 1) throw new Error(`fixture: "${from}" occurs ${n} times`);
  return text.replace(from, to);
}

/** A YAML billion-laughs: 10 levels of anchors, each a list of ten aliases of the one before. */
function yamlBomb(): string {
  const lines = ['  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  const names = 'abcdefghij';
  for (let i = 1; i < names.length; i++) {
    lines.push(`  ${names[i]}: &${names[i]} [${Array(10).fill(`*${names[i - 1]}`).join(', ')}]`);
  }
  const withAnchors = alter('providers:\n', `laughs:\n${lines.join('\n')}\nproviders:\n`);
  return alter('        action: delete\n', '        action: delete\n        where: { provider_id: *j }\n', withAnchors);
}

// ------------------------------------------------------------------------------------------
// The seed: rows due under the base rule and under the shipped policy, and rows that are not.
function seed(dbFile: string): void {
  const db = new Database(dbFile);
  try {
    db.pragma('foreign_keys = ON');
    db.exec(`
      insert into providers (id, name) values ('loopup', 'LoopUp'), ('cloudcall', 'CloudCall'), ('ringu', 'ring-u'), ('loop', 'Loop'), ('pipcall', 'PiPcall');
      insert into accounts (id, provider_id, name, email, phone, terminated_at, contract_ends_at) values
        (1, 'pipcall', 'Pat Pip', 'pat@example.com', '+447700900001', '2018-06-01T00:00:00Z', null),
        (2, 'loopup', 'Lou Loop', 'lou@example.com', '+447700900002', '2024-01-10T00:00:00Z', null),
        (3, 'loop', 'Lee Lo', 'lee@example.com', '+447700900003', null, '2025-01-01T00:00:00Z'),
        (4, 'pipcall', 'Still Here', 'still@example.com', '+447700900004', null, null),
        (5, 'ringu', 'Ray Ring', 'ray@example.com', '+14155550105', null, null);
      insert into users (id, provider_id, account_id, name, email, phone, created_at) values
        (1, 'pipcall', 1, 'Pat Pip', 'pat@example.com', '+447700900001', '2015-01-01T00:00:00Z'),
        (2, 'loopup', 2, 'Lou Loop', 'lou@example.com', '+447700900002', '2016-01-01T00:00:00Z');
      insert into calls (id, provider_id, account_id, user_id, direction, local_number, remote_number, started_at, ended_at, duration_s) values
        (1, 'pipcall', 1, 1, 'out', '+447700900001', '+447700900999', '2018-01-05T10:00:00Z', '2018-01-05T10:05:00Z', 300),
        (2, 'loopup', 2, 2, 'in', '+447700900002', '+447700900998', '2024-02-01T09:00:00Z', '2024-02-01T09:01:00Z', 60),
        (3, 'loopup', 2, 2, 'out', '+447700900002', '+447700900997', '2026-11-01T09:00:00Z', '2026-11-01T09:02:00Z', 120),
        (4, 'pipcall', 4, null, 'out', '+447700900004', '+447700900996', '2026-11-20T09:00:00Z', '2026-11-20T09:02:00Z', 120);
      insert into push_registrations (id, provider_id, account_id, sip_uri, device_token, registered_at, expires_at) values
        (1, 'ringu', 5, 'sip:ray@example.com', 'tok-1', '2026-10-20T00:00:00Z', '2026-10-26T00:00:00Z');
      insert into trial_signups (id, provider_id, email, phone, started_at) values
        (1, 'pipcall', 'trial@example.com', '+447700900123', '2024-01-01T00:00:00Z');
      insert into referrals (id, provider_id, referrer_user_id, friend_name, friend_email, message, sent_at, unsubscribed_at) values
        (1, 'loopup', 2, 'Fran Friend', 'fran@example.com', 'try it', '2026-09-01T00:00:00Z', '2026-10-01T00:00:00Z');
      insert into sales_documents (id, provider_id, account_id, title, body, created_at) values
        (1, 'loop', 3, 'Quote', 'body', '2019-01-01T00:00:00Z');
    `);
  } finally {
    db.close();
  }
}

interface Prepared {
  dir: string;
  dbFile: string;
  policyFile: string;
  text: string;
  before: StoreDump;
}

/** A migrated and seeded store, made once with tempStore() and copied for each case. */
let template: string | undefined;
async function templateDb(): Promise<string> {
  if (!template) {
    const store = await tempStore(BASE);
    await store.close(); // closing the last connection checkpoints the WAL into the file
    seed(store.dbFile);
    template = store.dbFile;
  }
  return template;
}

/** A folder holding `text` as policies.yaml and a copy of the seeded store (plus `extra` rows), dumped. */
async function prepare(text: string, extra?: (db: Database.Database) => void): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-hostile-'));
  const policyFile = join(dir, 'policies.yaml');
  const dbFile = join(dir, 'data', 'telecom.db');
  writeFileSync(policyFile, text);
  mkdirSync(join(dir, 'data'));
  copyFileSync(await templateDb(), dbFile);
  if (extra) {
    const db = new Database(dbFile);
    try {
      extra(db);
    } finally {
      db.close();
    }
  }
  return { dir, dbFile, policyFile, text, before: dumpStore(dbFile) };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `<file>:<line>:<col>: error: ` at the start of a problem line, exact line (and column, when given). */
function located(file: string, line: number, col?: number, severity: 'error' | 'warning' = 'error'): RegExp {
  return new RegExp(`(^|\\n)${escapeRe(file)}:${line}:${col ?? '\\d+'}: ${severity}: `);
}
/** Anything that looks like a JavaScript stack frame: a hostile policy must get a message, not a crash. */
const STACK = /\n\s+at .*(\.js|\.ts):\d+/;

const checkArgs = (p: Prepared) => ['--config', p.policyFile, 'check'];
const runArgs = (p: Prepared) => ['--config', p.policyFile, 'run', '--now', NOW_ARG];

interface Case {
  id: string;
  name: string;
  text: string;
  line: number;
  /** Exact column where the engine's choice is unambiguous (the key, or the value). */
  col?: number;
  /** More that stderr must say (messages, hints). */
  says?: RegExp[];
}

const unknownTable = alter('table: calls', 'table: cals');
const twelveMonths = alter('after: 84 months', 'after: twelve months');
const negative = alter('after: 84 months', 'after: -3 days');
const monhts = alter('after: 84 months', 'after: 84 monhts');
const aftr = alter('after: 84 months', 'aftr: 84 months');
const noQuote = alter('        quote: "Call Data and Call History Data is deleted 84 months after an account is terminated."\n', '');
const sha1 = alter('action: delete', 'action: { anonymise: { remote_number: sha1 } }');
const hmacNoMarker = alter('action: delete', 'action: { anonymise: { remote_number: hmac } }');
const outOfOrder = alter(
  '        after: 84 months\n        action: delete\n',
  '        stages:\n          - after: 84 months\n            action: { set: { direction: archived } }\n          - after: 12 months\n            action: delete\n',
);
const forever = alter('after: 84 months', 'after: forever');
const badCron = alter('schedule: "0 2 * * *"', 'schedule: "0 26 * * *"');
const badZone = alter('timezone: Europe/London', 'timezone: Europe/Londres');
const version2 = alter('version: 1', 'version: 2');
const duplicate = alter('        clock: accounts.terminated_at\n', '        clock: accounts.terminated_at\n        table: accounts\n');
const tabs = alter('        table: calls\n', '\ttable: calls\n');
const badIndent = alter('        table: calls\n', '         table: calls\n');
const dedent = alter('        table: calls\n', '      table: calls\n');
const injTable = alter('table: calls', 'table: "calls; DROP TABLE accounts"');
const injClock = alter('clock: accounts.terminated_at', 'clock: "started_at) OR 1=1 --"');
const injWhere = alter('        action: delete\n', `        action: delete\n        where: {"provider_id = 'x' OR 1=1 --": 1}\n`);
const passwd = alter('        action: delete\n', '        action: delete\n        files: "../../etc/passwd"\n');
const unknownColumn = alter('clock: accounts.terminated_at', 'clock: terminated_att');
const unknownJoinedColumn = alter('clock: accounts.terminated_at', 'clock: accounts.terminated_att');
const unreachable = alter('table: calls', 'table: trial_signups');
const auditTable = alter('        table: calls\n        clock: accounts.terminated_at\n        after: 84 months\n', '        table: lethe_audit\n        clock: at\n        after: at once\n');
const ONLY_COMMENTS = '# policies.yaml for the new tenant\n# (rules to follow)\n\n    # nothing else yet\n';

const CASES: Case[] = [
  { id: 'empty', name: 'an empty file', text: '', line: 1, col: 1, says: [/the policy file is empty/] },
  { id: 'comments', name: 'a file of only comments and blank lines', text: ONLY_COMMENTS, line: 1, col: 1, says: [/the policy file is empty/] },
  { id: 'duplicate', name: 'a duplicate key in a rule', text: duplicate, line: lineOf(duplicate, 'table: accounts'), col: 9, says: [/unique/i, /hint: each key may appear once/] },
  { id: 'tabs', name: 'a tab used for indentation', text: tabs, line: lineOf(tabs, '\ttable: calls'), col: 1, says: [/tab/i] },
  { id: 'indent', name: 'a key indented one space too far', text: badIndent, line: lineOf(badIndent, ' table: calls'), says: [/same column|indent/i] },
  { id: 'dedent', name: 'a key dedented out of its rule', text: dedent, line: lineOf(dedent, 'table: calls') },
  { id: 'inj-table', name: 'SQL injection in a table name', text: injTable, line: lineOf(injTable, 'DROP TABLE'), col: colOf(injTable, '"calls;'), says: [/plain identifier/] },
  { id: 'inj-clock', name: 'SQL injection in a clock', text: injClock, line: lineOf(injClock, 'OR 1=1'), col: colOf(injClock, '"started_at)'), says: [/providers\.pipcall\.rules\.call-data\.clock/] },
  { id: 'inj-where', name: 'SQL injection in a where key', text: injWhere, line: lineOf(injWhere, 'OR 1=1'), says: [/where/] },
  { id: 'files-passwd', name: 'a path instead of a files column', text: passwd, line: lineOf(passwd, 'etc/passwd'), col: colOf(passwd, '"../../etc'), says: [/neither a column name nor a template/, /files/] },
  { id: 'unknown-table', name: 'an unknown table (with a did-you-mean)', text: unknownTable, line: lineOf(unknownTable, 'table: cals'), col: colOf(unknownTable, 'cals'), says: [/table "cals" does not exist/, /hint: did you mean "calls"\?/] },
  { id: 'unknown-column', name: 'an unknown clock column', text: unknownColumn, line: lineOf(unknownColumn, 'terminated_att'), col: colOf(unknownColumn, 'terminated_att'), says: [/column "terminated_att" does not exist in calls/] },
  { id: 'unknown-joined-column', name: 'an unknown column on the clock table (with a did-you-mean)', text: unknownJoinedColumn, line: lineOf(unknownJoinedColumn, 'terminated_att'), says: [/"terminated_att" does not exist in accounts/, /hint: did you mean "terminated_at"\?/] },
  { id: 'unreachable-clock', name: 'a clock on a table no foreign key reaches', text: unreachable, line: lineOf(unreachable, 'clock: accounts.terminated_at'), says: [/no foreign-key path leads from trial_signups to accounts/] },
  { id: 'monhts', name: 'a misspelt unit (84 monhts)', text: monhts, line: lineOf(monhts, 'monhts'), col: colOf(monhts, '84 monhts'), says: [/unknown unit "monhts"/, /hint: did you mean "84 month/] },
  { id: 'twelve', name: 'a number written in words (twelve months)', text: twelveMonths, line: lineOf(twelveMonths, 'twelve'), says: [/"twelve months"/] },
  { id: 'negative', name: 'a negative period (-3 days)', text: negative, line: lineOf(negative, '-3 days'), says: [/"-3 days"/] },
  { id: 'aftr', name: 'an unknown key in a rule (aftr)', text: aftr, line: lineOf(aftr, 'aftr:'), col: 9, says: [/unknown key "aftr"/, /hint: did you mean "after"\?/] },
  { id: 'sha1', name: 'an unknown anonymise strategy (sha1)', text: sha1, line: lineOf(sha1, 'sha1'), says: [/strateg/] },
  { id: 'stages-order', name: 'stages out of order', text: outOfOrder, line: lineOf(outOfOrder, '- after: 12 months'), says: [/increasing period/] },
  { id: 'forever-delete', name: '`after: forever` on a delete', text: forever, line: lineOf(forever, 'forever'), col: colOf(forever, 'forever'), says: [/only for retain/] },
  { id: 'cron', name: 'an invalid cron expression', text: badCron, line: lineOf(badCron, '0 26'), says: [/invalid cron expression "0 26 \* \* \*"/] },
  { id: 'zone', name: 'an unknown time zone', text: badZone, line: lineOf(badZone, 'Londres'), col: colOf(badZone, 'Europe/Londres'), says: [/unknown time zone "Europe\/Londres"/] },
  { id: 'version2', name: 'version: 2', text: version2, line: lineOf(version2, 'version: 2'), says: [/\[version\]/] },
  { id: 'audit-table', name: "a rule aimed at lethe's own audit table", text: auditTable, line: lineOf(auditTable, 'table: lethe_audit'), says: [/lethe's own table lethe_audit/] },
];


const bomb = yamlBomb();

/** Three shape errors in three rules: an unknown key, an empty quote, an unknown strategy. */
const THREE_SHAPE = `version: 1
store:
  url: sqlite:data/telecom.db
providers:
  pipcall:
    name: PiPcall
    rules:
      call-data:
        quote: "Call Data is deleted 84 months after an account is terminated."
        table: calls
        clock: accounts.terminated_at
        aftr: 84 months
        action: delete
      contact-data:
        quote: ""
        table: contacts
        clock: accounts.terminated_at
        after: 1 month
        action: delete
      support-data:
        quote: "Support Data is deleted 12 months after an account is terminated."
        table: support_tickets
        clock: accounts.terminated_at
        after: 12 months
        action: { anonymise: { subject: sha1 } }
`;
/** Three meaning errors far apart: a default time zone, a rule's period, another provider's cron. */
const THREE_MEANING = `version: 1
store:
  url: sqlite:data/telecom.db
defaults:
  timezone: Europe/Lodnon
providers:
  pipcall:
    name: PiPcall
    rules:
      call-data:
        quote: "Call Data is deleted 84 months after an account is terminated."
        table: calls
        clock: accounts.terminated_at
        after: 84 monhts
        action: delete
  loop:
    name: Loop
    schedule: "0 25 * * *"
    rules:
      customer-data-calls:
        quote: "All data will be destroyed … at the end of an agreement plus upto 6 months"
        table: calls
        clock: accounts.contract_ends_at
        after: 6 months
        action: delete
`;
/** Three live-schema errors in three rules: a table, a clock column, a clock no foreign key reaches. */
const THREE_LIVE = `version: 1
store:
  url: sqlite:data/telecom.db
providers:
  pipcall:
    name: PiPcall
    rules:
      call-data:
        quote: "Call Data is deleted 84 months after an account is terminated."
        table: cals
        clock: accounts.terminated_at
        after: 84 months
        action: delete
      contact-data:
        quote: "Contact Data is deleted 1 month after an account is terminated."
        table: contacts
        clock: accounts.terminated_att
        after: 1 month
        action: delete
      free-trial:
        quote: "we will retain your email address and telephone number for a period of 1 year"
        table: trial_signups
        clock: users.created_at
        after: 1 year
        action: delete
`;
/** One error of each phase: shape (aftr), meaning (1 monht), live schema (suport_tickets). */
const THREE_MIXED = `version: 1
store:
  url: sqlite:data/telecom.db
providers:
  pipcall:
    name: PiPcall
    rules:
      call-data:
        quote: "Call Data is deleted 84 months after an account is terminated."
        table: calls
        clock: accounts.terminated_at
        aftr: 84 months
        action: delete
      contact-data:
        quote: "Contact Data is deleted 1 month after an account is terminated."
        table: contacts
        clock: accounts.terminated_at
        after: 1 monht
        action: delete
      support-data:
        quote: "Support Data is deleted 12 months after an account is terminated."
        table: suport_tickets
        clock: accounts.terminated_at
        after: 12 months
        action: delete
`;
/** LoopUp's calls rule, on a store where one call's clock value is garbage. */
const CALLS_RULE = `version: 1
store:
  url: sqlite:data/telecom.db
providers:
  loopup:
    name: LoopUp
    timezone: Europe/London
    rules:
      service-data-calls:
        quote: "Our default retention period for personal data within Service Data and Account Data is 12 months"
        table: calls
        clock: started_at
        after: 12 months
        action: delete
`;
const USERS_RULE = `version: 1
store:
  url: sqlite:data/telecom.db
providers:
  pipcall:
    name: PiPcall
    rules:
      account-data-users:
        quote: "Account Data is deleted 12 months after an account is terminated."
        table: users
        clock: accounts.terminated_at
        after: 12 months
        action: delete
`;
const hugePeriod = alter('after: 84 months', 'after: 999999999 years');

const callIds = (dbFile: string) => (dumpStore(dbFile).tables.calls ?? []).map((r) => (JSON.parse(String(r)) as { id: number }).id);

// ------------------------------------------------------------------------------------------
const prepared = new Map<string, Prepared>();
let results = new Map<string, CliResult>();
const result = (id: string, cmd: 'check' | 'run'): CliResult => {
  const r = results.get(`${id}:${cmd}`);
  if (!r) throw new Error(`no result for ${id}:${cmd}`);
  return r;
};

beforeAll(async () => {
  const jobs: [string, string, ((db: Database.Database) => void)?][] = [
    ...CASES.map((c): [string, string] => [c.id, c.text]),
    ['bomb', bomb],
    ['three-shape', THREE_SHAPE],
    ['three-meaning', THREE_MEANING],
    ['three-live', THREE_LIVE],
    ['three-mixed', THREE_MIXED],
    ['bad-clock', CALLS_RULE, (db) => db.exec(`insert into calls (id, provider_id, account_id, started_at) values (7, 'loopup', 2, 'yesterday')`)],
    ['bad-joined-clock', USERS_RULE, (db) => db.exec(`insert into accounts (id, provider_id, name, terminated_at) values (6, 'pipcall', 'Sue Soon', 'soon')`)],
    ['julian-clock', CALLS_RULE, (db) => db.exec(`insert into calls (id, provider_id, account_id, started_at) values (12, 'loopup', 2, '12')`)],
    ['huge-period', hugePeriod],
    ['no-quote', noQuote],
    ['hmac-no-marker', hmacNoMarker],
  ];
  const calls: BatchCall[] = [];
  for (const [id, text, extra] of jobs) {
    const p = await prepare(text, extra);
    prepared.set(id, p);
    calls.push({ id: `${id}:check`, cwd: p.dir, args: checkArgs(p) });
    calls.push({ id: `${id}:run`, cwd: p.dir, args: runArgs(p) });
  }
  results = await runCliBatch(calls);
}, 120_000);

const get = (id: string): Prepared => {
  const p = prepared.get(id);
  if (!p) throw new Error(`no prepared store ${id}`);
  return p;
};

describe('hostile policies: `check` and `run` exit 2, locate the problem, change nothing', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const p = get(c.id);
      for (const cmd of ['check', 'run'] as const) {
        const r = result(c.id, cmd);
        expect(r.code, `${cmd} exit code; stderr:\n${r.stderr}`).toBe(2);
        expect(r.stderr, cmd).toMatch(located(p.policyFile, c.line, c.col));
        for (const re of c.says ?? []) expect(r.stderr, cmd).toMatch(re);
        expect(r.stderr, cmd).not.toMatch(STACK);
        expect(r.stdout, cmd).toBe('');
      }
      expect(dumpStore(p.dbFile)).toEqual(p.before);
    });
  }

  it('a YAML bomb (10 levels of nested aliases, 10^10 leaves) is refused without expanding it', () => {
    const p = get('bomb');
    for (const cmd of ['check', 'run'] as const) {
      const r = result('bomb', cmd);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr, cmd).toMatch(new RegExp(`(^|\\n)${escapeRe(p.policyFile)}:\\d+:\\d+: error: .*alias`, 'i'));
      expect(r.stderr, cmd).not.toMatch(STACK);
    }
    expect(dumpStore(p.dbFile)).toEqual(p.before);
  });

  const three: [string, string, () => number[]][] = [
    ['shape (unknown key, empty quote, unknown strategy)', 'three-shape', () => [lineOf(THREE_SHAPE, 'aftr:'), lineOf(THREE_SHAPE, 'quote: ""'), lineOf(THREE_SHAPE, 'sha1')]],
    ['meaning (time zone, period, cron)', 'three-meaning', () => [lineOf(THREE_MEANING, 'Lodnon'), lineOf(THREE_MEANING, 'monhts'), lineOf(THREE_MEANING, '0 25')]],
    ['live schema (table, column, foreign-key path)', 'three-live', () => [lineOf(THREE_LIVE, 'table: cals'), lineOf(THREE_LIVE, 'terminated_att'), lineOf(THREE_LIVE, 'users.created_at')]],
  ];
  for (const [what, id, lines] of three) {
    it(`three independent errors in different places are all reported at once: ${what}`, () => {
      const p = get(id);
      for (const cmd of ['check', 'run'] as const) {
        const r = result(id, cmd);
        expect(r.code, cmd).toBe(2);
        for (const line of lines()) expect(r.stderr, `${cmd}: line ${line}`).toMatch(located(p.policyFile, line));
        expect(r.stderr.match(/: error: /g), cmd).toHaveLength(3);
      }
      expect(dumpStore(p.dbFile)).toEqual(p.before);
    });
  }

  it('errors of every phase are reported together (a shape error does not hide a bad period or an unknown table)', () => {
    const p = get('three-mixed');
    const r = result('three-mixed', 'check');
    expect(r.code).toBe(2);
    for (const n of ['aftr:', '1 monht', 'suport_tickets']) expect(r.stderr, n).toMatch(located(p.policyFile, lineOf(THREE_MIXED, n)));
  });

  // DESIGN §10: a value that does not parse is never due, counted and named by check, and
  // never stops the rest of the run (it used to make every command a configuration error).
  it('a clock column holding an unparseable value: check warns naming the table and row, run keeps that row and enforces the rest', () => {
    const p = get('bad-clock');
    const chk = result('bad-clock', 'check');
    expect(chk.code, chk.stderr).toBe(0);
    expect(chk.stdout).toMatch(located(p.policyFile, lineOf(CALLS_RULE, 'clock: started_at'), colOf(CALLS_RULE, 'started_at'), 'warning'));
    expect(chk.stdout).toMatch(/: warning: 1 value\(s\) of calls\.started_at are not valid ISO-8601 clocks \(first: calls row 7, a value shaped like "aaaaaaaaa"\)/);
    // The value itself is never printed.
    expect(chk.stdout + chk.stderr).not.toMatch(/yesterday/);
    const rn = result('bad-clock', 'run');
    expect(rn.code, rn.stderr).toBe(0);
    // Call 2 (loopup, started 2024-02-01) is due under this rule and goes; call 7 stays.
    const calls = callIds(p.dbFile);
    expect(calls).toContain(7);
    expect(calls).not.toContain(2);
  });

  it('an unparseable value on a clock reached through a foreign key names that table and its row', () => {
    const p = get('bad-joined-clock');
    const chk = result('bad-joined-clock', 'check');
    expect(chk.code, chk.stderr).toBe(0);
    expect(chk.stdout).toMatch(located(p.policyFile, lineOf(USERS_RULE, 'clock: accounts.terminated_at'), undefined, 'warning'));
    expect(chk.stdout).toMatch(/: warning: 1 value\(s\) of accounts\.terminated_at are not valid ISO-8601 clocks \(first: accounts row 6/);
    expect(result('bad-joined-clock', 'run').code).toBe(0);
  });

  it('a numeric text clock value ("12") is named by check and is never due', () => {
    const chk = result('julian-clock', 'check');
    expect(chk.code).toBe(0);
    expect(chk.stdout).toMatch(/\bcalls row 12\b/);
    const p = get('julian-clock');
    expect(result('julian-clock', 'run').code).toBe(0);
    expect(callIds(p.dbFile)).toContain(12);
  });

  it('a rule without its quote is accepted; check warns, naming the rule', () => {
    const p = get('no-quote');
    const chk = result('no-quote', 'check');
    expect(chk.code, chk.stderr).toBe(0);
    expect(chk.stdout).toMatch(located(p.policyFile, lineOf(noQuote, 'call-data:'), undefined, 'warning'));
    expect(chk.stdout).toMatch(/warning: rule pipcall\/call-data has no quote/);
  });

  it('hmac without a marker is accepted (its pseudonyms are recognisable, so reruns never hash one again)', () => {
    const chk = result('hmac-no-marker', 'check');
    expect(chk.code, chk.stderr).toBe(0);
  });

  it('a period too large for the calendar (999999999 years) fails check with exit 2', () => {
    const p = get('huge-period');
    for (const cmd of ['check', 'run'] as const) {
      const r = result('huge-period', cmd);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(2);
      expect(r.stderr, cmd).toMatch(located(p.policyFile, lineOf(hugePeriod, '999999999 years')));
    }
    expect(dumpStore(p.dbFile)).toEqual(p.before);
  });
});

describe('the batch runner is faithful: the real bin/lethe gives byte-identical results', () => {
  // One case from each end of validation: the YAML parser (alias limit), and the live store (clock values).
  for (const id of ['bomb', 'bad-clock']) {
    it(`${id}: check and run`, async () => {
      const p = get(id);
      const chk = await runCliAsync(checkArgs(p), { cwd: p.dir });
      expect(chk).toEqual(result(id, 'check'));
      expect(chk.code).toBe(id === 'bomb' ? 2 : 0);
      if (id === 'bomb') {
        expect(await runCliAsync(runArgs(p), { cwd: p.dir })).toEqual(result(id, 'run'));
        expect(dumpStore(p.dbFile)).toEqual(p.before);
      }
    });
  }
});

describe('hostile policies: messages that must name the real problem (in-process loader)', () => {
  const problemsOf = (text: string) => {
    try {
      policyFromText(text, '/virtual/policies.yaml');
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('the policy loaded without a problem');
  };

  it('the YAML bomb is refused by the loader in well under a second', () => {
    const t0 = performance.now();
    const problems = problemsOf(bomb);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/alias/i);
  });

  it('the YAML bomb is located at the aliases that make it', () => {
    const [p] = problemsOf(bomb);
    expect(p!.line).toBeGreaterThanOrEqual(lineOf(bomb, 'b: &b'));
    expect(p!.line).toBeLessThanOrEqual(lineOf(bomb, 'provider_id: *j'));
  });

  it('`84 monhts` suggests "84 months"', () => {
    const [p] = problemsOf(monhts);
    expect(p!.hint).toBe('did you mean "84 months"?');
  });

  it('`version: 2` is reported with the value it got', () => {
    const [p] = problemsOf(version2);
    expect(p!.line).toBe(lineOf(version2, 'version: 2'));
    expect(p!.message).not.toContain('undefined');
    expect(p!.message).toMatch(/\b2\b/);
  });

  it('an unknown anonymise strategy is reported at `sha1`, as a strategy', () => {
    const block = alter('        action: delete\n', '        action:\n          anonymise:\n            remote_number: null\n            local_number: sha1\n');
    const [p] = problemsOf(block);
    expect(p!.message).toContain('sha1');
    expect(p!.line).toBe(lineOf(block, 'local_number: sha1'));
  });

  it('a blank quote ("   ") is refused', () => {
    const blank = alter('quote: "Call Data and Call History Data is deleted 84 months after an account is terminated."', 'quote: "   "');
    const problems = problemsOf(blank);
    expect(problems[0]!.line).toBe(lineOf(blank, 'quote: "   "'));
  });
});

describe('controls: the same seed and fixtures are not inert', () => {
  it('the shipped policies.yaml passes `lethe check` against a migrated, seeded store (exit 0)', async () => {
    const store = await tempStore();
    await store.close();
    seed(store.dbFile);
    const r = await runCliAsync(['--config', store.policyFile, 'check'], { cwd: store.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: .*: 5 providers, \d+ rules/m);
    expect(r.stdout + r.stderr).not.toMatch(/: error: /);
  });

  it('the unaltered base fixture is valid and its run deletes the due call, so an unchanged dump above means something', async () => {
    const p = await prepare(BASE);
    expect(() => policyFromText(BASE)).not.toThrow();
    const r = await runCliAsync(runArgs(p), { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    const after = dumpStore(p.dbFile);
    const ids = (rows: unknown[]) => rows.map((s) => (JSON.parse(s as string) as { id: number }).id).sort();
    expect(ids(p.before.tables.calls!)).toEqual([1, 2, 3, 4]);
    // Only pipcall call 1 is due: its account was terminated 2018-06-01, more than 84 months ago.
    expect(ids(after.tables.calls!)).toEqual([2, 3, 4]);
    // The policy the run loaded, then the delete of call 1.
    const audit = after.tables.lethe_audit!.map((e) => JSON.parse(e as string) as { seq: number; action: string }).sort((a, b) => a.seq - b.seq);
    expect(audit.map((e) => e.action)).toEqual(['policy', 'delete']);
    expect(after.tables.lethe_runs).toHaveLength(1);
  });
});
