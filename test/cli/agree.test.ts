/**
 * Outputs that agree with each other (operator-experience issue, item 6): `explain` says what
 * the guard will do, as `plan` and the run do; `run --json` speaks snake_case with integer
 * milliseconds like every other command; `--json` with a conflicting `--format` is a usage
 * error. Every case runs bin/lethe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW, cli, daysBefore, tempStore, type TempStore } from '../support/harness.js';

const NOW_ISO = NOW.toISOString();

const POLICY = `version: 1
store:
  url: sqlite:data/telecom.db
  tenant_column: provider_id
providers:
  pipcall:
    name: PiPcall
    guard: { max_fraction: 0.25, min_rows: 1 }
    rules:
      trials:
        quote: "Free-trial email and phone are deleted after 1 year."
        note: Kept a year so a second trial can be refused.
        table: trial_signups
        clock: started_at
        after: 1 year
        action: delete
`;

/** Every key of a JSON document, at any depth. */
function keysOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(keysOf);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)]);
  return [];
}

describe('outputs that agree', () => {
  let store: TempStore;
  beforeAll(async () => {
    store = await tempStore(POLICY);
    await store.adapter.db.insertInto('providers').values({ id: 'pipcall', name: 'PiPcall' }).execute();
    // 3 of 4 due: past max_fraction, so the guard stops the stage.
    const rows = [400, 500, 600, 10].map((days, i) => ({ id: i + 1, provider_id: 'pipcall', email: `t${i}@example.invalid`, phone: null, started_at: daysBefore(days) }));
    await store.adapter.db.insertInto('trial_signups').values(rows).execute();
  });
  afterAll(async () => store?.close());

  it('explain does not promise a change the guard stops; with an approved plan it does', () => {
    const plan = JSON.parse(cli(store, ['plan', '--json', '--now', NOW_ISO]).stdout) as { stages: { rule: string; guard: string }[] };
    expect(plan.stages.find((s) => s.rule === 'trials')!.guard).toBe('would stop');
    const text = cli(store, ['explain', 'trial_signups', '1', '--now', NOW_ISO]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(/the next run changes it/);
    expect(text.stdout).toMatch(/guard/);
    const json = JSON.parse(cli(store, ['explain', 'trial_signups', '1', '--json', '--now', NOW_ISO]).stdout) as { verdict: string; rules: { stages: { guard: string }[] }[] };
    expect(json.verdict).toMatch(/^guarded:/);
    expect(json.rules[0]!.stages[0]!.guard).toBe('would stop');

    const saved = JSON.parse(cli(store, ['plan', '--save', '--json', '--by', 'ops', '--now', NOW_ISO]).stdout) as { plan_id: number };
    expect(cli(store, ['approve', String(saved.plan_id), '--by', 'dpo', '--reason', 'ticket 1']).code).toBe(0);
    const approved = JSON.parse(cli(store, ['explain', 'trial_signups', '1', '--json', '--now', NOW_ISO]).stdout) as { verdict: string; rules: { stages: { guard: string }[] }[] };
    expect(approved.verdict).toMatch(/^due: the next run changes it/);
    expect(approved.rules[0]!.stages[0]!.guard).toBe(`approved (plan ${saved.plan_id})`);
    // plan agrees with explain and the run: the approved plan lets the stage through.
    const after = JSON.parse(cli(store, ['plan', '--json', '--now', NOW_ISO]).stdout) as { stages: { rule: string; guard: string }[] };
    expect(after.stages.find((s) => s.rule === 'trials')!.guard).toBe(`approved (plan ${saved.plan_id})`);
  });

  it('explain prints the rule’s note', () => {
    expect(cli(store, ['explain', 'trial_signups', '4', '--now', NOW_ISO]).stdout).toMatch(/note: Kept a year so a second trial can be refused\./);
  });

  it('run --json uses snake_case keys and integer milliseconds', () => {
    const r = cli(store, ['--json', 'run', '--dry-run', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBeLessThan(2);
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & { stages: Record<string, unknown>[] };
    expect(keysOf(doc).filter((k) => /[A-Z]/.test(k))).toEqual([]);
    expect(doc).toMatchObject({ run_id: expect.any(Number), dry_run: true, started_at: expect.any(String), finished_at: expect.any(String) });
    expect(Number.isInteger(doc.duration_ms)).toBe(true);
    expect(Number.isInteger(doc.stages[0]!.longest_batch_ms)).toBe(true);
    expect(doc.stages[0]).toHaveProperty('approved_plan');
  });

  it('--json with a --format other than json is a usage error', () => {
    for (const args of [['audit', '--json', '--format', 'table'], ['audit', '--json', '--format', 'csv'], ['report', '--json', '--format', 'csv', '--now', NOW_ISO]]) {
      const r = cli(store, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--json and --format \w+ disagree/);
      expect(r.stdout).toBe('');
    }
    expect(cli(store, ['audit', '--json', '--format', 'json']).code).toBe(0);
    expect(cli(store, ['report', '--json', '--now', NOW_ISO]).code).toBe(0);
  });

  it('report includes each rule’s note', () => {
    const j = JSON.parse(cli(store, ['report', '--json', '--now', NOW_ISO]).stdout) as { rules: { rule: string; note: string | null }[] };
    expect(j.rules.find((r) => r.rule === 'trials')!.note).toBe('Kept a year so a second trial can be refused.');
    const csv = cli(store, ['report', '--format', 'csv', '--now', NOW_ISO]).stdout;
    expect(csv.split('\n')[0]).toMatch(/,note$/);
  });
});
