/**
 * max_run_time stops a run after its current batch; the next run resumes where it left
 * off. The wall clock the limit is measured on is injected (EnforceOptions.clock), so the
 * test advances it per reading instead of waiting.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/chain.js';
import { daysBefore, enforce, policyFromText, tempStore, ts, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();

const POLICY = `version: 1
store: { media_root: data/media, throttle: off }   # batches of exactly batch_size
defaults:
  guard: { max_fraction: 1, min_rows: 0 }
  max_run_time: 1 minute
providers:
  acme:
    name: Acme
    rules:
      trials:
        quote: "Free-trial details are deleted after one year."
        table: trial_signups
        clock: started_at
        after: 1 year
        action: delete
        batch_size: 10
`;

describe.each(engines)('max_run_time on %s', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  it('ends the run after the batch during which the limit passed; the next run resumes and finishes', async () => {
    store = await tempStore(POLICY, engine);
    const db = store.adapter.db;
    await db.insertInto('providers').values({ id: 'acme', name: 'Acme' }).execute();
    await db
      .insertInto('trial_signups')
      .values(Array.from({ length: 95 }, (_, i) => ({ id: i + 1, provider_id: 'acme', email: `t${i + 1}@example.com`, phone: null, started_at: ts(store!, daysBefore(400)) })))
      .execute();
    const policy = policyFromText(POLICY, store.policyFile);
    expect(policy.providers[0]!.maxRunTimeMs).toBe(60_000);

    // Each reading of the wall clock moves it 25 s: the deadline (start + 60 s) passes
    // on the third check, i.e. after two batches of ten.
    let wall = Date.UTC(2026, 10, 23, 3, 15);
    const first = await enforce(store, { policy, clock: () => (wall += 25_000) });
    expect(first.status).toBe('interrupted');
    expect(first.stages[0]).toMatchObject({ status: 'interrupted', batches: 2, changed: 20 });
    const left = async () => Number((await sql<{ n: unknown }>`select count(*) as n from trial_signups`.execute(db)).rows[0]!.n);
    expect(await left()).toBe(75);

    const second = await enforce(store, { policy });
    expect(second.status).toBe('ok');
    expect(second.changed).toBe(75);
    expect(await left()).toBe(0);
    const runs = await db.selectFrom('lethe_runs').select(['status', 'changed']).orderBy('id').execute();
    expect(runs.map((r) => [r.status, Number(r.changed)])).toEqual([
      ['interrupted', 20],
      ['ok', 75],
    ]);
    expect((await verifyChain(store!.adapter)).ok).toBe(true);
  });
});
