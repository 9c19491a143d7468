/**
 * Overdue data-subject requests (DESIGN 9, "Requests with deadlines"; issue 12 item 3) in
 * `lethe report` (text and --json) and the daemon's lethe_requests_overdue gauge, on every
 * engine. Requests are inserted straight into lethe_requests (as `lethe request add` would
 * record them), around the injected now: one past its deadline (overdue), one within it,
 * one done after its deadline passed, one in conflict past its deadline (overdue), one due
 * exactly now (not yet overdue), one without a deadline, and one of a provider that left the
 * policy.
 *
 * Real stores only; due decisions use --now; the only waits are for a log line or for
 * /metrics to show a value, each with a deadline.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { letheDb } from '../../src/store/lethe-tables.js';
import { NOW, tempStore, type TempStore } from '../support/harness.js';
import { httpGet, killAll, parseMetrics, runLethe, sampleValue, startLethe, until } from '../support/daemon.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

/**
 * Three providers: ringu answers within 30 days, cloudcall within 45, pipcall states no
 * deadline. Only pipcall is scheduled (every 2 s, so the daemon test sees runs); the others
 * never tick during a test.
 */
const POLICY = `version: 1
store:
  url: sqlite:data/telecom.db
  tenant_column: provider_id
defaults:
  timezone: UTC
  schedule: "0 0 1 1 *"
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  ringu:
    name: ring-u (requests test)
    requests:
      quote: "within 30 days of request"
      respond_within: 30 days
    rules:
      trial-signups:
        quote: "Trials are deleted after 12 months."
        table: trial_signups
        clock: started_at
        after: 12 months
        action: delete
  cloudcall:
    name: CloudCall (requests test)
    requests:
      respond_within: 45 days
    rules:
      trial-signups:
        quote: "Trials are deleted after 12 months."
        table: trial_signups
        clock: started_at
        after: 12 months
        action: delete
  pipcall:
    name: PiPcall (requests test)
    schedule: "*/2 * * * * *"
    rules:
      trial-signups:
        quote: "Trials are deleted after 12 months."
        table: trial_signups
        clock: started_at
        after: 12 months
        action: delete
`;

interface Req {
  id: number;
  provider: string;
  kind: 'erasure' | 'access';
  table: string;
  key: string;
  received: number;
  /** Days from NOW, or null: no deadline. */
  due: number | null;
  status: 'open' | 'done' | 'conflict';
  done?: number;
}

const REQUESTS: Req[] = [
  // ringu (30 days): received 40 days ago, so 10 days past its deadline: overdue.
  { id: 1, provider: 'ringu', kind: 'erasure', table: 'accounts', key: '7', received: -40, due: -10, status: 'open' },
  // received 10 days ago: 20 days left.
  { id: 2, provider: 'ringu', kind: 'access', table: 'accounts', key: '8', received: -10, due: 20, status: 'open' },
  // past its deadline, but done: not overdue.
  { id: 3, provider: 'ringu', kind: 'erasure', table: 'accounts', key: '9', received: -60, due: -30, status: 'done', done: -29 },
  // cloudcall (45 days): in conflict (a hold stopped part of it) and 5 days late: overdue.
  { id: 4, provider: 'cloudcall', kind: 'erasure', table: 'calls', key: '5', received: -50, due: -5, status: 'conflict' },
  // due exactly now: the deadline has not passed.
  { id: 5, provider: 'cloudcall', kind: 'access', table: 'voicemails', key: '["<b>x</b>",1]', received: -45, due: 0, status: 'open' },
  // pipcall states no deadline: never overdue, however old.
  { id: 6, provider: 'pipcall', kind: 'access', table: 'accounts', key: '3', received: -400, due: null, status: 'open' },
  // a provider that left the policy: still counted and listed.
  { id: 7, provider: 'gone', kind: 'erasure', table: 'accounts', key: '11', received: -100, due: -70, status: 'open' },
];

async function insertRequests(store: TempStore, list: readonly Req[]): Promise<void> {
  for (const r of list) {
    await letheDb(store.adapter)
      .insertInto('lethe_requests')
      .values({
        id: r.id,
        provider: r.provider,
        kind: r.kind,
        table_name: r.table,
        row_key: r.key,
        received_at: at(r.received),
        due_at: r.due === null ? null : at(r.due),
        placed_at: at(r.received),
        placed_by: 'dpo',
        reason: `ticket ${r.id}`,
        status: r.status,
        done_at: r.done === undefined ? null : at(r.done),
      })
      .execute();
  }
}

interface JsonReport {
  now: string;
  rules: { provider: string; rule: string }[];
  unspecified: number;
  requests: {
    provider: string;
    respond_within: string | null;
    open: number;
    conflict: number;
    overdue: number;
    overdue_requests: { id: number; provider: string; kind: string; table: string; key: unknown; received_at: string; due_at: string; status: string; days_overdue: number }[];
  }[];
}

afterEach(async () => {
  await killAll();
});

describe.each(engines)('overdue data-subject requests on %s', (engine) => {
  let store: TempStore;
  beforeAll(async () => {
    store = await tempStore(POLICY, engine);
    await insertRequests(store, REQUESTS);
  });
  afterAll(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
  });

  const lethe = async (args: string[]) => {
    const r = await runLethe(['--now', NOW_ISO, ...args], { cwd: store.dir, env: store.env });
    expect(r.code, `lethe ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };

  it('lethe report --json: per provider the deadline and the open, conflict and overdue counts, and the overdue requests (keys only); the other fields unchanged', async () => {
    const doc = JSON.parse(await lethe(['report', '--json'])) as JsonReport;
    expect(Object.keys(doc)).toEqual(['now', 'rules', 'unspecified', 'requests']);
    expect(doc.now).toBe(NOW_ISO);
    expect(doc.rules.map((r) => `${r.provider}/${r.rule}`)).toEqual(['ringu/trial-signups', 'cloudcall/trial-signups', 'pipcall/trial-signups']);
    expect(doc.requests.map(({ overdue_requests, ...counts }) => ({ ...counts, ids: overdue_requests.map((r) => r.id) }))).toEqual([
      { provider: 'ringu', respond_within: '30 days', open: 2, conflict: 0, overdue: 1, ids: [1] },
      { provider: 'cloudcall', respond_within: '45 days', open: 1, conflict: 1, overdue: 1, ids: [4] },
      { provider: 'pipcall', respond_within: null, open: 1, conflict: 0, overdue: 0, ids: [] },
      { provider: 'gone', respond_within: null, open: 1, conflict: 0, overdue: 1, ids: [7] },
    ]);
    const late = doc.requests.flatMap((p) => p.overdue_requests);
    expect(late).toEqual([
      { id: 1, provider: 'ringu', kind: 'erasure', table: 'accounts', key: 7, received_at: at(-40), due_at: at(-10), status: 'open', done_at: null, overdue: true, days_overdue: 10 },
      { id: 4, provider: 'cloudcall', kind: 'erasure', table: 'calls', key: 5, received_at: at(-50), due_at: at(-5), status: 'conflict', done_at: null, overdue: true, days_overdue: 5 },
      { id: 7, provider: 'gone', kind: 'erasure', table: 'accounts', key: 11, received_at: at(-100), due_at: at(-70), status: 'open', done_at: null, overdue: true, days_overdue: 70 },
    ]);
    // The reason (free text an operator typed) is not in the report.
    expect(JSON.stringify(doc.requests)).not.toContain('ticket');

    // --provider narrows the requests as it narrows the rules.
    const one = JSON.parse(await lethe(['report', '--json', '--provider', 'cloudcall'])) as JsonReport;
    expect(one.requests.map((p) => [p.provider, p.overdue])).toEqual([['cloudcall', 1]]);

    // At its deadline request 5 is not overdue (above); a millisecond later it is, by 0 whole days.
    const r = await runLethe(['--now', new Date(NOW.getTime() + 1).toISOString(), 'report', '--json'], { cwd: store.dir, env: store.env });
    expect(r.code, r.stderr).toBe(0);
    const later = JSON.parse(r.stdout) as JsonReport;
    expect(later.requests.find((p) => p.provider === 'cloudcall')?.overdue_requests.map((r) => [r.id, r.days_overdue])).toEqual([
      [4, 5],
      [5, 0],
    ]);
  });

  it('lethe report (text): a requests section with each provider’s deadline or "not stated", and the overdue requests listed', async () => {
    const out = await lethe(['report']);
    const section = out.slice(out.indexOf('data-subject requests'));
    expect(section).not.toBe(out);
    const row = (provider: string) => section.split('\n').find((l) => l.startsWith(`${provider} `))?.split(/\s{2,}/);
    expect(row('ringu')).toEqual(['ringu', '30 days', '2', '0', '1']);
    expect(row('cloudcall')).toEqual(['cloudcall', '45 days', '1', '1', '1']);
    expect(row('pipcall')).toEqual(['pipcall', 'not stated', '1', '0', '0']);
    expect(row('gone')).toEqual(['gone', 'not stated', '1', '0', '1']);
    const listed = section.slice(section.indexOf('overdue requests'));
    const ids = listed
      .split('\n')
      .slice(3)
      .filter(Boolean)
      .map((l) => l.trim().split(/\s{2,}/));
    expect(ids).toEqual([
      ['1', 'ringu', 'erasure', 'accounts', '7', at(-40), at(-10), 'open', '10'],
      ['4', 'cloudcall', 'erasure', 'calls', '5', at(-50), at(-5), 'conflict', '5'],
      ['7', 'gone', 'erasure', 'accounts', '11', at(-100), at(-70), 'open', '70'],
    ]);
    // The rules table and its footnote come first, as before.
    expect(out.indexOf('rule(s) with an unspecified period')).toBeLessThan(out.indexOf('data-subject requests'));
    // CSV stays one table: the rules.
    const csvOut = await lethe(['report', '--format', 'csv']);
    expect(csvOut).not.toContain('data-subject');
  });

  it('/metrics: lethe_requests_overdue per provider is restored at start and refreshed after each run', async () => {
    const d = startLethe(['--now', NOW_ISO, 'start', '--port', '0', '--host', '127.0.0.1'], { cwd: store.dir, env: store.env });
    const port = await d.port();
    await d.waitFor((l) => l.event === 'started', '"started"');
    const gauge = async () => {
      const samples = parseMetrics((await httpGet(port, '/metrics')).body);
      return Object.fromEntries(['ringu', 'cloudcall', 'pipcall', 'gone'].map((p) => [p, sampleValue(samples, 'lethe_requests_overdue', { provider: p })]));
    };
    const text = (await httpGet(port, '/metrics')).body;
    expect(text).toMatch(/^# TYPE lethe_requests_overdue gauge$/m);
    expect(await gauge()).toEqual({ ringu: 1, cloudcall: 1, pipcall: 0, gone: 1 });

    // A new request past its deadline, and the conflict one done: the next run's refresh shows both.
    await insertRequests(store, [{ id: 8, provider: 'ringu', kind: 'erasure', table: 'accounts', key: '12', received: -31, due: -1, status: 'open' }]);
    await letheDb(store.adapter).updateTable('lethe_requests').set({ status: 'done', done_at: NOW_ISO }).where('id', '=', 4).execute();
    const runsBefore = d.lines.filter((l) => l.event === 'run:end').length;
    await d.waitForNth((l) => l.event === 'run:end', runsBefore + 1, 'a run:end after the inserts', 20_000);
    const after = await until(
      async () => {
        const g = await gauge();
        return g.ringu === 2 ? g : null;
      },
      'lethe_requests_overdue{provider="ringu"} to be 2 after a run',
      { timeoutMs: 15_000, abort: () => (d.hasExited() ? `lethe exited\n${d.tail()}` : null) },
    );
    expect(after).toEqual({ ringu: 2, cloudcall: 0, pipcall: 0, gone: 1 });
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });
});
