/**
 * Finding 12 of the safety issue: explain printed `clock + after` as the due date while the
 * run used `clock < now − after`, and the two disagree around month ends, leap days and DST
 * changes: explain showed a due date in the past for a row it said was kept, and across New
 * York's spring-forward the run deleted a row 30 minutes before the due date explain printed.
 * Now explain's due date comes from the run's own predicate: a row is due exactly when its
 * due date is in the past, and the run deletes exactly those.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { cliStore, type CliStore } from '../support/safety.js';

const engines = await testEngines();

/** [zone, period, clock, now], each a moment where the old due date and the run disagreed. */
const CASES: [string, string, string, string][] = [
  ['Europe/London', '12 months', '2024-02-29T12:00:00.000Z', '2025-02-28T18:00:00.000Z'],
  ['America/New_York', '1 month', '2025-01-31T15:00:00.000Z', '2025-02-28T20:00:00.000Z'],
  ['America/New_York', '1 day', '2025-03-08T07:30:00.000Z', '2025-03-09T07:00:00.000Z'],
  ['America/New_York', '1 day', '2025-03-08T07:30:00.000Z', '2025-03-09T07:45:00.000Z'],
];

const policy = (zone: string, after: string) => `version: 1
store:
  tenant_column: provider_id
defaults:
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme
    timezone: ${zone}
    rules:
      trials:
        quote: "Free-trial sign-ups are deleted after the trial."
        table: trial_signups
        clock: started_at
        after: ${after}
        action: delete
`;

describe.each(engines)('explain and run around month ends and DST, on %s', (engine) => {
  const stores: CliStore[] = [];
  beforeAll(async () => {
    for (const [zone, after, clock] of CASES) {
      const s = await cliStore(engine, policy(zone, after));
      await s.db.insertInto('providers').values({ id: 'acme', name: 'Acme' }).execute();
      await s.db.insertInto('trial_signups').values({ id: 1, provider_id: 'acme', email: 'a@example.com', started_at: engine === 'sqlite' ? clock : new Date(clock) }).execute();
      stores.push(s);
    }
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  CASES.forEach(([zone, after, clock, now], i) => {
    it(`${zone}, ${after} after ${clock}, at ${now}: due now exactly when the due date is past, and the run agrees`, async () => {
      const s = stores[i]!;
      const ex = s.cli(['explain', 'trial_signups', '1', '--json', '--now', now]);
      expect(ex.code, ex.stderr).toBe(0);
      const stage = (JSON.parse(ex.stdout) as { rules: { stages: { due_at: string; due_now: boolean }[] }[] }).rules[0]!.stages[0]!;
      expect(Date.parse(stage.due_at) < Date.parse(now), `due_at ${stage.due_at} vs due_now ${stage.due_now}`).toBe(stage.due_now);
      const run = s.cli(['run', '--json', '--now', now]);
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as { changed: number }).changed).toBe(stage.due_now ? 1 : 0);
    });
  });
});
