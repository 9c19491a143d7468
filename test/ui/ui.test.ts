/**
 * The web view (DESIGN 12) in a real headless Chromium, on every engine: what a DPO sees at
 * /ui of a running `lethe start` whose store was enforced, held, planned and approved
 * through bin/lethe. Every expectation comes from the store (or from the CLI reading it),
 * never from hard-coded results: the pages must list exactly what lethe_audit, lethe_runs,
 * lethe_holds and lethe_plans hold, and the report, erasure record and chain status must
 * match `lethe report`, `lethe audit --subject` and `lethe audit verify --checkpoints`.
 *
 * Each page is screenshotted into test-output/ui/<engine>-<page>.png. The only waits are for
 * the daemon's log lines and for navigations, each with a deadline.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RowKey, type KeyValue } from '../../src/exec/row-key.js';
import { letheDb } from '../../src/store/lethe-tables.js';
import { ROOT, SHIPPED_POLICY, tempStore, type TempStore } from '../support/harness.js';
import { runCliBatch } from '../support/cli-async.js';
import { killAll, startLethe, type LetheProc } from '../support/daemon.js';
import { testEngines } from '../support/engines.js';
import { seedLoop, seedPipcall } from '../scenarios/fixtures.js';
import { Fixture, NOW_ISO } from '../scenarios/support.js';

const engines = await testEngines();
const TOKEN = 'ui-test-token-6f1c2a9e4b7d';
const SHOTS = join(ROOT, 'test-output', 'ui');
/** The shipped policy with schedules that never fire during a test, so only the CLI writes. */
const POLICY = readFileSync(SHIPPED_POLICY, 'utf8').replace(/schedule: "[^"]+"/g, 'schedule: "0 0 1 1 *"');
/** The account whose erasure record is opened: pipcall, terminated beyond every period, so its rows are gone. */
const SUBJECT = 507;
const DAY_MS = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.parse(NOW_ISO) + days * DAY_MS).toISOString();
/**
 * Data-subject requests inserted straight into lethe_requests (as `lethe request add` records
 * them): ringu answers within 30 days, cloudcall within 45, pipcall states no deadline. The
 * key of request 6 is markup, which the pages must print as text.
 */
const REQUESTS = [
  { id: 1, provider: 'ringu', kind: 'erasure', table_name: 'accounts', row_key: '601', received: -33, due: -3, status: 'open' },
  { id: 2, provider: 'cloudcall', kind: 'access', table_name: 'accounts', row_key: '602', received: -35, due: 10, status: 'open' },
  { id: 3, provider: 'cloudcall', kind: 'erasure', table_name: 'calls', row_key: '603', received: -65, due: -20, status: 'done' },
  { id: 4, provider: 'ringu', kind: 'erasure', table_name: 'accounts', row_key: '604', received: -31, due: -1, status: 'conflict' },
  { id: 5, provider: 'pipcall', kind: 'access', table_name: 'accounts', row_key: '605', received: -300, due: null, status: 'open' },
  { id: 6, provider: 'cloudcall', kind: 'access', table_name: 'voicemails', row_key: '["<i>x</i>",1]', received: -44, due: 1, status: 'open' },
] as const;

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  await killAll();
});

interface CliReport {
  rules: { provider: string; rule: string; covered: number; overdue: number | null; held: number | null; blocked: number | null }[];
  requests: { provider: string; respond_within: string | null; open: number; conflict: number; overdue: number; overdue_requests: { id: number }[] }[];
}
interface CliVerify {
  chain: { checked: number; last: { seq: number } };
  checkpoints: { found: number; matched: number; latest: { seq: number; at: string } };
}

interface Entry {
  seq: number;
  provider: string;
  table_name: string;
  keys: KeyValue[];
  hash: string;
}

async function auditFromStore(store: TempStore): Promise<Entry[]> {
  const rows = await store.adapter.db.selectFrom('lethe_audit').select(['seq', 'provider', 'table_name', 'keys', 'hash']).orderBy('seq', 'desc').execute();
  return rows.map((r) => ({ seq: Number(r.seq), provider: String(r.provider), table_name: String(r.table_name), keys: JSON.parse(String(r.keys)) as KeyValue[], hash: String(r.hash) }));
}

/** The text of each cell of each body row of table #id. */
function cells(page: Page, id: string): Promise<string[][]> {
  return page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}

/** The value of `attr` on each body row of table #id, as numbers. */
function rowIds(page: Page, id: string, attr: string): Promise<number[]> {
  return page.$$eval(`#${id} tbody tr`, (trs, a) => trs.map((tr) => Number(tr.getAttribute(a))), attr);
}

describe.each(engines)('the web view on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let d: LetheProc;
  let base: string;
  let ctx: BrowserContext;
  let page: Page;
  let signing: { env: Record<string, string>; publicFile: string; dir: string };
  let cliSays: { report: CliReport; subjectJson: string; verified: CliVerify };
  /** Console errors other than a refused or failed load (a 401 or 400 page is such a load). */
  const consoleErrors: string[] = [];

  const shot = async (name: string) => {
    const path = join(SHOTS, `${engine}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  };
  /** The page holds none of the personal values the fixture inserted. */
  const expectNoPersonal = async () => {
    const html = await page.content();
    expect([...fx.personal].filter((v) => html.includes(v))).toEqual([]);
  };
  const go = async (path: string, status = 200) => {
    const res = await page.goto(base + path);
    expect(res?.status(), `${path}: ${await page.content()}`).toBe(status);
    await expectNoPersonal();
  };
  const submit = (selector = 'form.filters button[type=submit]') => Promise.all([page.waitForNavigation(), page.click(selector)]);

  beforeAll(async () => {
    store = await tempStore(POLICY, engine);
    fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    await seedLoop(fx);

    const keys = generateKeyPairSync('ed25519');
    const privateFile = join(store.dir, 'signing.pem');
    const publicFile = join(store.dir, 'signing.pub.pem');
    writeFileSync(privateFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    const dir = join(store.dir, 'checkpoints');
    mkdirSync(dir);
    signing = { env: { LETHE_SIGNING_KEY_FILE: privateFile, LETHE_CHECKPOINT_DIR: dir }, publicFile, dir };

    // bin/lethe's main() once per call, in one process per batch (Node's start-up is paid once).
    const batch = async (calls: string[][]): Promise<string[]> => {
      const out = await runCliBatch(calls.map((args, i) => ({ id: String(i), cwd: store.dir, args: ['--quiet', ...args] })), { ...store.env, ...signing.env });
      return calls.map((args, i) => {
        const r = out.get(String(i))!;
        expect(r.code, `lethe ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
        return r.stdout;
      });
    };
    // A plan saved and approved before the run (its stages have rows due), the run, a hold
    // placed and another placed and released, and a later plan left waiting for approval.
    const [saved] = await batch([['plan', '--save', '--json', '--by', 'ops', '--now', NOW_ISO]]);
    const planId = (JSON.parse(saved!) as { plan_id: number }).plan_id;
    const [, ran, , second] = await batch([
      ['approve', String(planId), '--by', 'dpo', '--reason', 'quarterly purge reviewed (DPO-12)', '--now', NOW_ISO],
      ['run', '--now', NOW_ISO],
      ['hold', 'add', 'accounts', '509', '--reason', 'litigation LX-9', '--by', 'legal-team', '--now', NOW_ISO],
      ['hold', 'add', 'accounts', '403', '--reason', 'regulator query RQ-3', '--by', 'legal-team', '--now', NOW_ISO, '--json'],
      ['hold', 'release', '2', '--reason', 'query answered', '--by', 'legal-team', '--now', NOW_ISO],
      ['plan', '--save', '--json', '--by', 'ops', '--now', NOW_ISO],
    ]);
    expect(ran).toMatch(/^run 1 ok: /m);
    expect((JSON.parse(second!) as { id: number }).id, 'the released hold is the second one').toBe(2);

    for (const r of REQUESTS) {
      const { received, due, ...row } = r;
      await letheDb(store.adapter)
        .insertInto('lethe_requests')
        .values({ ...row, received_at: daysFromNow(received), due_at: due === null ? null : daysFromNow(due), placed_at: daysFromNow(received), placed_by: 'dpo', done_at: r.status === 'done' ? daysFromNow(-25) : null })
        .execute();
    }

    // What the CLI says, read while the daemon starts (neither writes to the chain).
    d = startLethe(['--now', NOW_ISO, 'start', '--port', '0', '--host', '127.0.0.1'], { cwd: store.dir, env: { ...store.env, ...signing.env, LETHE_UI_TOKEN: TOKEN } });
    const [report, subject, verified] = await batch([
      ['report', '--json', '--now', NOW_ISO],
      ['audit', '--subject', `accounts:${SUBJECT}`, '--json', '--now', NOW_ISO],
      ['audit', 'verify', '--checkpoints', signing.dir, '--public-key', signing.publicFile, '--json'],
    ]);
    cliSays = { report: JSON.parse(report!) as CliReport, subjectJson: subject!, verified: JSON.parse(verified!) as CliVerify };
    base = `http://127.0.0.1:${await d.port()}`;
    await d.waitFor((l) => l.event === 'started', '"started"');

    ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
  });
  afterAll(async () => {
    await ctx?.close();
    if (d && !d.hasExited()) {
      d.child.kill('SIGTERM');
      await d.exited;
    }
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
  });

  it('refuses a reader without the token: a 401 login page with no audit data', async () => {
    const entries = await auditFromStore(store);
    expect(entries.length).toBeGreaterThan(0);
    for (const path of ['/ui', '/ui/audit', '/ui/subject.json?subject=accounts:507', '/ui/chain']) {
      const res = await page.goto(base + path);
      expect(res?.status(), path).toBe(401);
      const html = await page.content();
      expect(await page.locator('form[action="/ui/login"] input[name=token]').count()).toBe(1);
      for (const e of entries) expect(html, `${path} shows entry ${e.seq}`).not.toContain(e.hash.slice(0, 12));
      expect(html).not.toMatch(/<table|pipcall|loop\/|litigation/);
    }
    await shot('login');

    // A wrong token through the form, a wrong bearer token, and a stale or forged cookie are refused alike.
    await page.fill('input[name=token]', 'not-the-token');
    const [wrong] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(wrong?.status()).toBe(401);
    expect(await page.locator('[role=alert]').textContent()).toMatch(/not the token/);
    expect((await ctx.cookies()).filter((c) => c.name === 'lethe_ui')).toEqual([]);
    expect((await fetch(`${base}/ui/runs`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${base}/ui/runs`, { headers: { cookie: `lethe_ui=${Date.now() + 3_600_000}.${'A'.repeat(43)}` } })).status).toBe(401);
  });

  it('logs in with the token through the form, then shows the overview', async () => {
    await go('/ui', 401);
    await page.fill('input[name=token]', TOKEN);
    const [res] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/ui');
    await expectNoPersonal();

    // The cookie is HttpOnly and SameSite=Strict, and it is not the token.
    const [cookie] = (await ctx.cookies()).filter((c) => c.name === 'lethe_ui');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(cookie!.value).not.toContain(TOKEN);

    // The chain verifies, with as many entries as the store holds and its head.
    const entries = await auditFromStore(store);
    const chain = await page.locator('#chain-status').textContent();
    expect(chain).toContain(`verifies: ${entries.length} entries, head seq ${entries[0]!.seq}`);
    expect(await page.locator('#chain-status .hash').getAttribute('title')).toBe(entries[0]!.hash);
    // Holds, waiting plans and the report summary, from the store and from `lethe report`.
    const active = await store.adapter.db.selectFrom('lethe_holds').select('id').where('released_at', 'is', null).execute();
    expect(await page.locator('#active-holds').textContent()).toBe(String(active.length));
    const waiting = await store.adapter.db.selectFrom('lethe_plans').select('id').where('approved_at', 'is', null).execute();
    expect(await page.locator('#plans-waiting').textContent()).toBe(String(waiting.length));
    const report = cliSays.report;
    const perProvider = new Map<string, [number, number, number]>();
    for (const r of report.rules) {
      const s = perProvider.get(r.provider) ?? [0, 0, 0];
      perProvider.set(r.provider, [s[0] + (r.overdue ?? 0), s[1] + (r.held ?? 0), s[2] + (r.blocked ?? 0)]);
    }
    const summary = await cells(page, 'summary');
    expect(summary.map((c) => [c[0], [Number(c[3]), Number(c[4]), Number(c[5])]])).toEqual([...perProvider]);
    // The last runs, newest first.
    const runs = await store.adapter.db.selectFrom('lethe_runs').select('id').orderBy('id', 'desc').limit(10).execute();
    expect(await rowIds(page, 'runs', 'data-run')).toEqual(runs.map((r) => Number(r.id)));
    await shot('overview');
  });

  it('filters the audit log by provider: only that provider’s entries, newest first', async () => {
    await go('/ui/audit');
    const all = await auditFromStore(store);
    expect(await rowIds(page, 'audit', 'data-seq')).toEqual(all.map((e) => e.seq).slice(0, 100));
    for (const provider of ['loop', 'pipcall']) {
      await page.selectOption('select[name=provider]', provider);
      await submit();
      expect(new URL(page.url()).searchParams.get('provider')).toBe(provider);
      const expected = all.filter((e) => e.provider === provider).map((e) => e.seq);
      expect(expected.length, `${provider} has entries`).toBeGreaterThan(0);
      expect(await rowIds(page, 'audit', 'data-seq')).toEqual(expected.slice(0, 100));
      expect(new Set((await cells(page, 'audit')).map((c) => c[3]))).toEqual(new Set([provider]));
      await expectNoPersonal();
    }
    await shot('audit-provider');
    await page.click('form.filters a');
    await page.waitForURL(`${base}/ui/audit`);
  });

  it('finds a key: table + key lists exactly the entries whose keys name that row', async () => {
    const all = await auditFromStore(store);
    for (const [table, key] of [['calls', '507'], ['accounts', '509'], ['calls', '50']] as const) {
      await go('/ui/audit');
      await page.fill('input[name=table]', table);
      await page.fill('input[name=key]', key);
      await submit();
      const expected = all.filter((e) => e.table_name === table && e.keys.some((k) => RowKey.encode(k) === key)).map((e) => e.seq);
      expect(await rowIds(page, 'audit', 'data-seq'), `${table} ${key}`).toEqual(expected);
      if (key === '50') {
        // 50 is inside 501…510 as text, but names no row: nothing is listed.
        expect(expected).toEqual([]);
        expect(all.some((e) => e.table_name === 'calls' && JSON.stringify(e.keys).includes('50'))).toBe(true);
        expect(await page.locator('#audit-empty').count()).toBe(1);
      } else {
        expect(expected.length, `${table} ${key} has entries`).toBeGreaterThan(0);
        if (table === 'calls') await shot('audit-key');
      }
    }
  });

  it("opens an account's erasure record: the entries of its rows, as `lethe audit --subject` lists them", async () => {
    const doc = JSON.parse(cliSays.subjectJson) as { row_present: boolean | null; entries: { seq: number; table: string; keys: KeyValue[]; hash: string }[] };
    expect(doc.row_present).toBe(false);
    expect(doc.entries.some((e) => e.table === 'accounts')).toBe(true);

    await go('/ui/subject');
    await page.fill('input[name=subject]', `accounts:${SUBJECT}`);
    await submit();
    expect(await page.locator('#record h1').textContent()).toBe(`Erasure record: accounts ${SUBJECT}`);
    const rows = await page.$$eval('#record tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(rows.map((c) => [Number(c[0]), c[4], c[8]])).toEqual(doc.entries.map((e) => [e.seq, e.table, e.hash]));
    await expectNoPersonal();
    await shot('subject');

    // The JSON download is the CLI's document, byte for byte; the printable page renders under its CSP.
    const json = await page.request.get(`${base}/ui/subject.json?subject=accounts:${SUBJECT}`);
    expect(json.status()).toBe(200);
    expect(json.headers()['content-disposition']).toMatch(/^attachment; filename="erasure-accounts-507\.json"$/);
    expect(await json.text()).toBe(cliSays.subjectJson);
    const csv = await page.request.get(`${base}/ui/subject.csv?subject=accounts:${SUBJECT}`);
    expect((await csv.text()).trim().split('\n')).toHaveLength(doc.entries.length + 1);
    await Promise.all([page.waitForNavigation(), page.click('#printable')]);
    expect(await page.title()).toBe(`Erasure record: accounts ${SUBJECT}`);
    // Its inline stylesheet applied (the CSP allows exactly that one by its hash).
    expect(await page.$eval('body', (b) => b.ownerDocument.defaultView!.getComputedStyle(b).maxWidth)).not.toBe('none');
    await expectNoPersonal();
    await shot('subject-printable');
  });

  it('lists the runs, newest first, with their counts', async () => {
    await go('/ui/runs');
    const runs = await store.adapter.db.selectFrom('lethe_runs').selectAll().orderBy('id', 'desc').execute();
    expect(runs.length).toBeGreaterThan(0);
    const shown = await cells(page, 'runs');
    expect(shown.map((c) => [Number(c[0]), c[1], c[3], c[4], Number(c[7]), Number(c[8]), Number(c[9]), Number(c[10]), Number(c[11])])).toEqual(
      runs.map((r) => [Number(r.id), String(r.trigger), String(r.status), String(r.now), Number(r.due), Number(r.changed), Number(r.held), Number(r.blocked), Number(r.guarded)]),
    );
    await shot('runs');
  });

  it('shows the compliance report as `lethe report` computes it', async () => {
    const report = cliSays.report;
    const cell = (n: number | null) => (n === null ? '' : String(n));
    await go('/ui/report');
    const shown = await cells(page, 'report');
    expect(shown.map((c) => [c[0], c[1], c[4], c[5], c[6], c[7]])).toEqual(report.rules.map((r) => [r.provider, r.rule, String(r.covered), cell(r.overdue), cell(r.held), cell(r.blocked)]));
    await shot('report');
    await page.selectOption('select[name=provider]', 'loop');
    await submit();
    expect((await cells(page, 'report')).map((c) => c[1])).toEqual(report.rules.filter((r) => r.provider === 'loop').map((r) => r.rule));
  });

  it('lists data-subject requests, not done first and overdue ones marked (a conflict one past its deadline too), linked from the navigation; the overview shows the overdue ones', async () => {
    await go('/ui');
    // On the overview: the count and the overdue requests themselves, as `lethe report` lists them.
    const cliOverdue = cliSays.report.requests.flatMap((p) => p.overdue_requests.map((r) => r.id));
    expect(cliOverdue).toEqual([1, 4]);
    expect(await page.locator('#requests-overdue-total').textContent()).toBe('2');
    expect(await rowIds(page, 'overdue-requests', 'data-request')).toEqual(cliOverdue);
    expect((await cells(page, 'overdue-requests')).map((c) => [c[0], c[5], c[8]])).toEqual([
      ['1', 'open', 'overdue 3 days'],
      ['4', 'conflict', 'overdue 1 day'],
    ]);

    await Promise.all([page.waitForNavigation(), page.click('header nav a[href="/ui/requests"]')]);
    expect(new URL(page.url()).pathname).toBe('/ui/requests');
    expect(await page.locator('header nav a.here').textContent()).toBe('Requests');
    await expectNoPersonal();
    // Not done first, the most urgent first (no deadline last), then the done one.
    expect(await rowIds(page, 'requests', 'data-request')).toEqual([1, 4, 6, 2, 5, 3]);
    expect(await rowIds(page, 'requests', 'data-overdue')).toEqual([1, 1, 0, 0, 0, 0]);
    expect((await cells(page, 'requests')).map((c) => [c[0], c[4], c[5], c[7], c[8]])).toEqual([
      ['1', '601', 'open', daysFromNow(-3), 'overdue 3 days'],
      ['4', '604', 'conflict', daysFromNow(-1), 'overdue 1 day'],
      ['6', '["<i>x</i>",1]', 'open', daysFromNow(1), 'within deadline'],
      ['2', '602', 'open', daysFromNow(10), 'within deadline'],
      ['5', '605', 'open', 'not stated', 'no deadline'],
      ['3', '603', 'done', daysFromNow(-20), 'done'],
    ]);
    // The markup in a key is text, not an element.
    expect(await page.locator('#requests i').count()).toBe(0);
    expect(await page.content()).toContain('&lt;i&gt;x&lt;/i&gt;');
    // Per provider, as `lethe report --json` counts them, with the deadline or "not stated".
    expect(await cells(page, 'request-summary')).toEqual(
      cliSays.report.requests.map((p) => [p.provider, p.respond_within ?? 'not stated', String(p.open), String(p.conflict), String(p.overdue)]),
    );
    expect((await cells(page, 'request-summary')).filter((c) => c[0] === 'ringu' || c[0] === 'cloudcall' || c[0] === 'pipcall')).toEqual([
      ['cloudcall', '45 days', '2', '0', '0'],
      ['ringu', '30 days', '1', '1', '2'],
      ['pipcall', 'not stated', '1', '0', '0'],
    ]);
    await shot('requests');

    await page.selectOption('select[name=provider]', 'ringu');
    await submit();
    expect(await rowIds(page, 'requests', 'data-request')).toEqual([1, 4]);
    expect(await page.locator('#requests-overdue').textContent()).toMatch(/^2 overdue at /);
  });

  it('lists holds, active and released, with who and why', async () => {
    await go('/ui/holds');
    const holds = await store.adapter.db.selectFrom('lethe_holds').selectAll().orderBy('id', 'desc').execute();
    expect(holds.length).toBe(2);
    const shown = await cells(page, 'holds');
    expect(shown.map((c) => [Number(c[0]), c[1], c[2], c[3], c[4], c[6], c[10]])).toEqual(
      holds.map((h) => [Number(h.id), h.released_at === null ? 'active' : 'released', String(h.table_name), String(h.row_key), String(h.reason), String(h.placed_by), h.release_reason === null ? '' : String(h.release_reason)]),
    );
    await shot('holds');
  });

  it('lists saved plans and the approval', async () => {
    await go('/ui/plans');
    const plans = await store.adapter.db.selectFrom('lethe_plans').selectAll().orderBy('id', 'desc').execute();
    expect(plans.length).toBe(2);
    const shown = await cells(page, 'plans');
    expect(shown.map((c) => [Number(c[0]), c[1], c[3], c[7], c[9]])).toEqual(
      plans.map((p) => [Number(p.id), p.approved_at === null ? 'awaiting approval' : 'in force', String(p.created_by), p.approved_by === null ? '' : String(p.approved_by), p.approve_reason === null ? '' : String(p.approve_reason)]),
    );
    await shot('plans');
  });

  it('shows the chain verified and every checkpoint matched, as `lethe audit verify --checkpoints` does', async () => {
    const v = cliSays.verified;
    expect(v.checkpoints.found).toBeGreaterThan(0);
    await go('/ui/chain');
    expect(await page.locator('#chain-ok').count()).toBe(1);
    expect(await page.locator('#chain-status').textContent()).toContain(`${v.chain.checked} entries, head seq ${v.chain.last.seq}`);
    expect(await page.locator('#checkpoints-ok').count()).toBe(1);
    expect(await page.locator('#cp-found').textContent()).toBe(String(v.checkpoints.found));
    expect(await page.locator('#cp-matched').textContent()).toBe(String(v.checkpoints.matched));
    expect(await page.locator('#cp-latest').textContent()).toContain(`seq ${v.checkpoints.latest.seq} at ${v.checkpoints.latest.at}`);
    await shot('chain');
  });

  it('answers bad input with a message and status 400, never a stack trace', async () => {
    const cases: [string, RegExp][] = [
      ['/ui/audit?provider=pipcal', /no provider "pipcal".*did you mean "pipcall"/],
      ['/ui/audit?table=calls&key=x7', /"x7" is not a row id/],
      ['/ui/audit?table=nosuch&key=1', /no table "nosuch" in the store or the audit log/],
      ['/ui/audit?key=1', /key: name its table too/],
      ['/ui/audit?since=yesterday', /since: "yesterday" is not an ISO-8601 instant/],
      ['/ui/report?provider=nobody', /no provider "nobody"/],
      ['/ui/requests?provider=nobody', /no provider "nobody"/],
      ['/ui/subject?subject=nosuch:1', /no table "nosuch"/],
      ['/ui/subject?subject=accounts', /is not <table>:<key>/],
      ['/ui/subject.json', /name a row/],
    ];
    for (const [path, message] of cases) {
      await go(path, 400);
      expect(await page.locator('[role=alert]').textContent(), path).toMatch(message);
      expect(await page.content()).not.toMatch(/\n\s+at |Error:/);
    }
    await shot('bad-input');
  });

  it('sends the security headers, refuses writes, and takes a bearer token', async () => {
    const res = await fetch(`${base}/ui/audit`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(Object.fromEntries(['content-security-policy', 'x-content-type-options', 'referrer-policy', 'cache-control'].map((h) => [h, res.headers.get(h)]))).toEqual({
      'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect((await fetch(`${base}/ui/audit`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    expect((await fetch(`${base}/ui/ui.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect(consoleErrors).toEqual([]);
  });
});

describe.skipIf(engines.length === 0)('the web view without LETHE_UI_TOKEN', () => {
  it('is open, and the daemon warns that it is unauthenticated', async () => {
    const store = await tempStore(POLICY, engines[0]);
    try {
      const d = startLethe(['--now', NOW_ISO, 'start', '--port', '0', '--host', '127.0.0.1'], { cwd: store.dir, env: store.env });
      const port = await d.port();
      const warn = await d.waitFor((l) => l.event === 'ui:open', 'the "ui:open" warning');
      expect(warn.msg).toMatch(/unauthenticated.*LETHE_UI_TOKEN.*--host 127\.0\.0\.1/);
      const res = await fetch(`http://127.0.0.1:${port}/ui/runs`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('No runs yet.');
      d.child.kill('SIGTERM');
      await d.exited;
    } finally {
      await store.close();
      rmSync(store.dir, { recursive: true, force: true });
    }
  });
});
