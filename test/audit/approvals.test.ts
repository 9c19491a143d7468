/**
 * Approved plans (DESIGN 12), through bin/lethe on every engine: `plan --save` records what
 * is due under one policy; `approve` lets the guard pass those stages, with no more rows than
 * approved, until the policy changes or the approval expires; `run --force` is recorded like
 * an approval. Every act is an audit entry with who and why.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { daysBefore, cli, tempStore, ts, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { NOW_ISO, ids } from '../robustness/helpers.js';

const engines = await testEngines();

const POLICY = `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
  tenant_column: provider_id
defaults:
  timezone: UTC
  guard: { max_fraction: 0.5, min_rows: 10 }
providers:
  acme:
    name: Acme Telecom
    rules:
      trials:
        quote: "Trial sign-ups are deleted one year after the trial started."
        table: trial_signups
        clock: started_at
        after: 1 year
        action: delete
      visits:
        quote: "Web visits are deleted after 90 days."
        table: web_visits
        clock: visited_at
        after: 90 days
        action: delete
`;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Trials 1..100 (the first 60 started 400 days ago: over the guard's half), visits 1..100 (the first 20 are 200 days old). */
async function fill(store: TempStore): Promise<void> {
  await store.adapter.db.insertInto('providers').values([{ id: 'acme', name: 'Acme Telecom' }]).execute();
  await addTrials(store, range(1, 100), (id) => (id <= 60 ? 400 : 10));
  await store.adapter.db
    .insertInto('web_visits')
    .values(range(1, 100).map((id) => ({ id, provider_id: 'acme', ip_address: '192.0.2.1', path: '/', user_agent: 'test', visited_at: ts(store, daysBefore(id <= 20 ? 200 : 5)) })))
    .execute();
}

async function addTrials(store: TempStore, idList: number[], ageDays: (id: number) => number): Promise<void> {
  await store.adapter.db
    .insertInto('trial_signups')
    .values(idList.map((id) => ({ id, provider_id: 'acme', email: `t${id}@example.com`, phone: '+447700900123', started_at: ts(store, daysBefore(ageDays(id))) })))
    .execute();
}

interface Entry {
  seq: number;
  run_id: number;
  action: string;
  rule: string;
  table_name: string;
  keys: unknown[];
  by: string | null;
  reason: string | null;
  detail?: Record<string, unknown>;
}

const audit = (store: TempStore) => JSON.parse(cli(store, ['audit', '--json']).stdout) as Entry[];

/** Saves a plan at NOW; the trials stage has 60 rows due, which the guard stops unless an approval in force covers them. */
function savePlan(store: TempStore, guard = 'would stop'): number {
  const r = cli(store, ['--quiet', 'plan', '--save', '--json', '--now', NOW_ISO]);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { plan_id: number; stages: { rule: string; due: number; guard: string }[] };
  expect(doc.stages.find((s) => s.rule === 'trials')).toMatchObject({ due: 60, guard });
  return doc.plan_id;
}

describe.each(engines)('approved plans on %s', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  it('the guard stops the stage; an approval of the saved plan lets it run, with no more rows than approved; the chain names who and why', async () => {
    store = await tempStore(POLICY, engine);
    const db = store.adapter.db;
    await fill(store);
    const planId = savePlan(store);
    const stopped = cli(store, ['--json', 'run', '--now', NOW_ISO]);
    expect(stopped.code).toBe(1);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ status: 'guarded' });
    expect(await ids(db, 'trial_signups')).toHaveLength(100);

    const ok = cli(store, ['approve', String(planId), '--by', 'dpo@example.com', '--reason', 'backlog clean-up, decision DPO-7', '--now', NOW_ISO, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ plan_id: planId, approved_by: 'dpo@example.com', expires_at: '2026-11-24T03:15:00.000Z' });

    // Five more rows fell due after the plan: more than approved, so the guard still stops it.
    await addTrials(store, range(101, 105), () => 500);
    expect(cli(store, ['run', '--now', NOW_ISO]).code).toBe(1);
    expect(await ids(db, 'trial_signups')).toHaveLength(105);
    await db.deleteFrom('trial_signups').where('id', '>', 100).execute();

    const run = cli(store, ['--json', 'run', '--now', NOW_ISO]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { run_id: number; stages: { rule: string; status: string; changed: number; approved_plan: number | null }[] };
    expect(result.stages.find((s) => s.rule === 'trials')).toMatchObject({ status: 'done', changed: 60, approved_plan: planId });
    expect(await ids(db, 'trial_signups')).toEqual(range(61, 100));

    const entries = audit(store);
    const approve = entries.filter((e) => e.action === 'approve');
    expect(approve).toHaveLength(1);
    expect(approve[0]).toMatchObject({ by: 'dpo@example.com', reason: 'backlog clean-up, decision DPO-7', detail: { plan_id: planId, stages: expect.arrayContaining([expect.objectContaining({ rule: 'trials', due: 60 }), expect.objectContaining({ rule: 'visits', due: 20 })]) } });
    const deletes = entries.filter((e) => e.action === 'delete' && e.rule === 'trials');
    expect(deletes.flatMap((e) => e.keys).map(Number).sort((a, b) => a - b)).toEqual(range(1, 60));
    for (const e of deletes) expect(e.detail).toEqual({ approved_plan: planId });
    expect(deletes.every((e) => e.seq > approve[0]!.seq)).toBe(true);
    expect(cli(store, ['audit', 'verify']).code).toBe(0);
  });

  it('an approval ends when the policy changes or it expires, and cannot be given under another policy', async () => {
    store = await tempStore(POLICY, engine);
    await fill(store);
    const first = savePlan(store);
    expect(cli(store, ['approve', String(first), '--reason', 'ok for one hour', '--expires', '1 hour', '--now', NOW_ISO]).code).toBe(0);
    // Two hours later the approval has lapsed.
    const later = '2026-11-23T05:15:00.000Z';
    expect(cli(store, ['--json', 'run', '--now', later]).code).toBe(1);

    // At NOW the first approval is still in force: the plan says the run would go ahead under it.
    const second = savePlan(store, `approved (plan ${first})`);
    // Any edit of policies.yaml changes its sha256: the plan saved under the old text cannot be approved…
    appendFileSync(store.policyFile, '# reviewed\n');
    const refused = cli(store, ['approve', String(second), '--reason', 'x', '--now', NOW_ISO]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`plan ${second} was saved under policy [0-9a-f]{12}…, and the policy in force is [0-9a-f]{12}…`));
    // …and an approval given before the edit no longer applies after it.
    const store2 = store;
    const third = savePlan(store2);
    expect(cli(store2, ['approve', String(third), '--reason', 'before the edit', '--now', NOW_ISO]).code).toBe(0);
    appendFileSync(store2.policyFile, '# edited again\n');
    expect(cli(store2, ['run', '--now', NOW_ISO]).code).toBe(1);
    expect(await ids(store2.adapter.db, 'trial_signups')).toHaveLength(100);
    // The chain records each policy text runs were made under.
    expect(audit(store2).filter((e) => e.action === 'policy').length).toBeGreaterThanOrEqual(2);
  });

  it('an edit that loosens the guard does not loosen it for lethe run either, until a plan under the edit is approved', async () => {
    store = await tempStore(POLICY, engine);
    await fill(store);
    // A run under the strict guard records it (a policy entry), then the file lifts the guard.
    expect(cli(store, ['run', '--now', NOW_ISO]).code).toBe(1);
    writeFileSync(store.policyFile, POLICY.replace('guard: { max_fraction: 0.5, min_rows: 10 }', 'guard: { max_fraction: 1, min_rows: 10 }'));
    const loosened = cli(store, ['--json', 'run', '--now', NOW_ISO]);
    expect(loosened.code, loosened.stderr).toBe(1);
    expect(loosened.stderr).toMatch(/acme: policies\.yaml loosens the guard \(max_fraction 1, min_rows 10\); without an approval the guard in force stays \(max_fraction 0\.5, min_rows 10\)/);
    expect((JSON.parse(loosened.stdout) as { status: string }).status).toBe('guarded');
    expect(await ids(store.adapter.db, 'trial_signups')).toHaveLength(100);
    // The plan says so too, and the chain still records the stricter guard.
    const planId = savePlan(store);
    const policies = audit(store).filter((e) => e.action === 'policy');
    expect(policies.at(-1)!.detail).toMatchObject({ guards: { acme: { max_fraction: 0.5, min_rows: 10 } } });
    expect(cli(store, ['approve', String(planId), '--reason', 'guard lifted for the backlog (CHG-7)', '--by', 'dpo', '--now', NOW_ISO]).code).toBe(0);
    const ran = cli(store, ['--json', 'run', '--now', NOW_ISO]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(await ids(store.adapter.db, 'trial_signups')).toEqual(range(61, 100));
    expect(audit(store).filter((e) => e.action === 'policy').at(-1)!.detail).toMatchObject({ guards: { acme: { max_fraction: 1, min_rows: 10 } } });
  });

  it('run --force is recorded like an approval, with who and why', async () => {
    store = await tempStore(POLICY, engine);
    await fill(store);
    const r = cli(store, ['--json', 'run', '--force', '--by', 'ops-oncall', '--reason', 'incident 12: disk full', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const runId = (JSON.parse(r.stdout) as { run_id: number }).run_id;
    const entries = audit(store);
    const force = entries.find((e) => e.action === 'force');
    expect(force).toMatchObject({ run_id: runId, by: 'ops-oncall', reason: 'incident 12: disk full' });
    const firstChange = entries.find((e) => e.action === 'delete')!;
    expect(force!.seq).toBeLessThan(firstChange.seq);
    expect(await ids(store.adapter.db, 'trial_signups')).toEqual(range(61, 100));
    // Without --by the OS user is recorded.
    expect(cli(store, ['run', '--force', '--now', NOW_ISO]).code).toBe(0);
    const again = audit(store).filter((e) => e.action === 'force');
    expect(again[1]!.by).toMatch(/\S/);
  });

  it('refuses approvals that cannot be right, exit 2, changing nothing', async () => {
    store = await tempStore(POLICY, engine);
    await fill(store);
    const planId = savePlan(store);
    const before = audit(store).length;
    const cases: [string[], RegExp][] = [
      [['approve', '999', '--reason', 'x'], /no saved plan 999/],
      [['approve', 'abc', '--reason', 'x'], /"abc" is not a plan id/],
      [['approve', String(planId)], /required option '--reason <text>' not specified/],
      [['approve', String(planId), '--reason', '  '], /--reason is required/],
      [['approve', String(planId), '--reason', 'x', '--by', ''], /--by is empty/],
      [['approve', String(planId), '--reason', 'x', '--expires', 'soonish'], /--expires: "soonish" is neither/],
      [['approve', String(planId), '--reason', 'x', '--expires', '2020-01-01T00:00:00Z'], /is not after now/],
    ];
    for (const [args, message] of cases) {
      const r = cli(store, [...args, '--now', NOW_ISO]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(audit(store)).toHaveLength(before);
    expect(cli(store, ['approve', String(planId), '--reason', 'x', '--now', NOW_ISO]).code).toBe(0);
    const twice = cli(store, ['approve', String(planId), '--reason', 'x', '--now', NOW_ISO]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already approved/);
  });
});
