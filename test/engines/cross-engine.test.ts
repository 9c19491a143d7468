/**
 * The same scenario must give the same rows, the same audit keys and the same audit
 * hashes on every engine: the chain's canonical form does not depend on the engine.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { REFERENCE_TABLES } from '../../db/reference-schema.js';
import { seedReferenceData } from '../../db/seed.js';
import { verifyChain } from '../../src/audit/chain.js';
import { enforce, NOW, SHIPPED_POLICY, tempStore, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();
const stores: TempStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

interface Outcome {
  ids: Record<string, number[]>;
  audit: { seq: number; rule: string; action: string; keys: string; hash: string }[];
  runs: { status: string; due: number; changed: number; held: number; blocked: number }[];
}

/**
 * The shipped policy with `throttle: off`: a throttled batch is sized from the last one's
 * time, so where a batch ran slower on one engine its batches, and so its entries and their
 * hashes, would split the same rows differently (a CI run on a busy machine split off three
 * calls on PostgreSQL).
 */
const POLICY = readFileSync(SHIPPED_POLICY, 'utf8').replace(/^store:\n/m, 'store:\n  throttle: off\n');

async function scenario(engine: (typeof engines)[number]): Promise<Outcome> {
  expect(POLICY).toMatch(/^store:\n  throttle: off\n/m);
  const store = await tempStore(POLICY, engine);
  stores.push(store);
  await seedReferenceData(store.adapter, { accounts: 60, seed: 11, now: NOW, mediaRoot: store.mediaRoot });
  // Hold the longest-terminated account: everything of it is due, so the hold is exercised.
  const oldest = await store.adapter.db.selectFrom('accounts').select('id').where('terminated_at', 'is not', null).orderBy('terminated_at').orderBy('id').limit(1).executeTakeFirstOrThrow();
  await store.adapter.db.insertInto('lethe_holds').values({ table_name: 'accounts', row_key: String(Number(oldest.id)), reason: 'litigation hold', placed_at: NOW.toISOString(), expires_at: null, released_at: null }).execute();
  const first = await enforce(store, { force: true });
  expect(first.error).toBeNull();
  const second = await enforce(store, { force: true });
  expect(second.changed).toBe(0);
  expect((await verifyChain(store.adapter)).ok).toBe(true);

  const ids: Record<string, number[]> = {};
  for (const t of REFERENCE_TABLES) {
    if (t === 'providers') continue;
    const r = await sql<{ id: unknown }>`select id from ${sql.table(t)} order by id`.execute(store.adapter.db);
    ids[t] = r.rows.map((x) => Number(x.id));
  }
  const audit = (await store.adapter.db.selectFrom('lethe_audit').select(['seq', 'rule', 'action', 'keys', 'hash']).orderBy('seq').execute()).map((a) => ({
    seq: Number(a.seq),
    rule: String(a.rule),
    action: String(a.action),
    keys: String(a.keys),
    hash: String(a.hash),
  }));
  const runs = (await store.adapter.db.selectFrom('lethe_runs').select(['status', 'due', 'changed', 'held', 'blocked']).orderBy('id').execute()).map((r) => ({
    status: String(r.status),
    due: Number(r.due),
    changed: Number(r.changed),
    held: Number(r.held),
    blocked: Number(r.blocked),
  }));
  return { ids, audit, runs };
}

describe('one scenario, every engine', () => {
  it(`gives identical rows, audit keys and audit hashes on ${engines.join(', ')}`, async () => {
    const outcomes = new Map<string, Outcome>();
    for (const e of engines) outcomes.set(e, await scenario(e));
    const base = outcomes.get(engines[0]!)!;
    expect(base.audit.length).toBeGreaterThan(20);
    expect(base.runs[0]!.held).toBeGreaterThan(0);
    expect(base.runs.map((r) => r.status)).toEqual(['ok', 'ok']);
    for (const [engine, o] of outcomes) {
      expect({ engine, ids: o.ids }).toEqual({ engine, ids: base.ids });
      expect({ engine, audit: o.audit }).toEqual({ engine, audit: base.audit });
      expect({ engine, runs: o.runs }).toEqual({ engine, runs: base.runs });
    }
  });
});
