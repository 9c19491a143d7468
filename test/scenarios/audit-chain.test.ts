/**
 * The audit log's hash chain (DESIGN section 4): `lethe audit verify` exits 0 on an intact
 * chain; any edit of an entry, a removed entry in the middle, or a removed last entry makes it
 * exit 1 and name the first bad seq. The chain comes from a real loopup run (10 entries).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { enforce, runCli, tempStore, type TempStore } from '../support/harness.js';
import { entryHash, rowToEntry, verifyChain } from '../../src/audit/chain.js';
import { seedLoopup } from './fixtures.js';
import { Fixture, type Row } from './support.js';
import { testEngines } from '../support/engines.js';

const engines = await testEngines();

describe.each(engines)('lethe audit verify on %s', (engine) => {
  let store: TempStore;
  let entries: Row[];

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    const fx = new Fixture(store);
    await fx.providers();
    await seedLoopup(fx);
    const r = await enforce(store);
    expect(r.changed).toBe(13);
    entries = await store.adapter.db.selectFrom('lethe_audit').selectAll().orderBy('seq').execute();
  });
  afterAll(async () => store.close());

  const verify = () => runCli(['audit', 'verify'], { cwd: store.dir, env: store.env });
  const update = async (seq: number, set: Row) => store.adapter.db.updateTable('lethe_audit').set(set).where('seq', '=', seq).execute();
  const original = (seq: number) => entries.find((e) => Number(e.seq) === seq)!;

  it('exits 0 on the intact chain', async () => {
    // The run's policy entry (DESIGN 12), then its 10 batches.
    expect(entries.map((e) => Number(e.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(String(entries[0]!.action)).toBe('policy');
    const r = verify();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^audit chain verifies: 11 entries \(head seq 11\)/);
  });

  it('exits 1 and names seq 2 after its row_count is edited', async () => {
    await update(2, { row_count: sql`row_count + 1` });
    const r = verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\bseq 2\b/);
    expect(r.stdout).toBe('audit chain broken at seq 2: the entry was changed after it was written (1 entries before it verify)\n');
    await update(2, { row_count: original(2).row_count });
    expect((await verifyChain(store.adapter)).ok).toBe(true);
  });

  it('exits 1 and names seq 2 after its keys are edited (same number of keys)', async () => {
    const keys = JSON.parse(String(original(2).keys)) as number[];
    await update(2, { keys: JSON.stringify(keys.map((k) => k + 1000)) });
    const r = verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^audit chain broken at seq 2: /);
    await update(2, { keys: original(2).keys });
    expect((await verifyChain(store.adapter)).ok).toBe(true);
  });

  it('catches an edit whose hash was recomputed at the next entry, and other edits at the entry itself', async () => {
    // a forger who recomputes seq 4's own hash is still caught by seq 5's prev_hash
    const e4 = rowToEntry(original(4));
    const forged = { ...e4, rule: 'not-the-real-rule' };
    const { prev_hash: p4, hash: _h, ...body } = forged;
    await update(4, { rule: forged.rule, hash: entryHash(p4, body) });
    expect(await verifyChain(store.adapter)).toMatchObject({ ok: false, firstBad: 5, checked: 4 });
    await update(4, { rule: original(4).rule, hash: original(4).hash });
    for (const [seq, set] of [
      [6, { at: '2026-11-24T00:00:00.000Z' }],
      [7, { cutoff: null }],
      [3, { table_name: 'users' }],
    ] as [number, Row][]) {
      await update(seq, set);
      expect(await verifyChain(store.adapter), `edit of seq ${seq}`).toMatchObject({ ok: false, firstBad: seq });
      await update(seq, { [Object.keys(set)[0]!]: original(seq)[Object.keys(set)[0]!] });
    }
    expect(await verifyChain(store.adapter)).toMatchObject({ ok: true, checked: 11, firstBad: null, reason: null });
  });

  it('catches an entry removed from the middle', async () => {
    await store.adapter.db.deleteFrom('lethe_audit').where('seq', '=', 4).execute();
    expect(await verifyChain(store.adapter)).toMatchObject({ ok: false, firstBad: 4 });
    await store.adapter.db.insertInto('lethe_audit').values(original(4)).execute();
    expect((await verifyChain(store.adapter)).ok).toBe(true);
  });

  it('exits 1 and names seq 11 when the last entry is deleted', async () => {
    await store.adapter.db.deleteFrom('lethe_audit').where('seq', '=', 11).execute();
    const r = verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('audit chain broken at seq 11: the chain ends at 10 but its head says 11: entries were removed (10 entries before it verify)\n');
  });
});
