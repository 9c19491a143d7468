/**
 * DESIGN §11, finding 1 of the safety issue: an application moves due rows out of due (a
 * fresh clock) while lethe runs. A row whose move committed must never be deleted. On the
 * first release lethe selected keys without locks and deleted by key alone: on PostgreSQL
 * and MariaDB some moved rows were deleted (measured: 102 and 156 of ~7,000 moves).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { NOW } from '../support/harness.js';
import { cliStore, startWriter, type CliStore } from '../support/safety.js';

const engines = await testEngines();
const ROWS = 20_000;
const NOW_ISO = NOW.toISOString();

const POLICY = `version: 1
store:
  tenant_column: provider_id
defaults:
  batch_size: 1000
providers:
  acme:
    name: Acme
    rules:
      trials:
        quote: "Free-trial sign-ups are deleted after 30 days."
        table: trial_signups
        clock: started_at
        after: 30 days
        action: delete
`;

describe.each(engines)('an application moving due rows out of due during a run, on %s', (engine) => {
  let store: CliStore;
  beforeAll(async () => {
    store = await cliStore(engine, POLICY);
    await store.db.insertInto('providers').values({ id: 'acme', name: 'Acme' }).execute();
    const old = engine === 'sqlite' ? new Date(NOW.getTime() - 60 * 86_400_000).toISOString() : new Date(NOW.getTime() - 60 * 86_400_000);
    for (let i = 0; i < ROWS; i += 1000) {
      await store.db
        .insertInto('trial_signups')
        .values(Array.from({ length: 1000 }, (_, j) => ({ id: i + j + 1, provider_id: 'acme', email: `t${i + j + 1}@example.com`, phone: null, started_at: old })))
        .execute();
    }
  });
  afterAll(async () => store?.close());

  it('never deletes a row whose move out of due committed', async () => {
    const fresh = engine === 'mysql' ? NOW_ISO.slice(0, 23).replace('T', ' ') : NOW_ISO;
    const writer = startWriter(store, 'writer.mjs', { table: 'trial_signups', column: 'started_at', value: fresh, from: 1, window: 2000 });
    const run = store.cli(['run', '--force', '--json', '--now', NOW_ISO]);
    const moved = new Set((await writer.stop()).map(Number));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const r = JSON.parse(run.stdout) as { changed: number };
    // The writer raced the whole run: it moved a good share of the rows, and lethe deleted the rest.
    expect(moved.size).toBeGreaterThan(100);
    const left = new Set((await store.db.selectFrom('trial_signups').select('id').execute()).map((x) => Number(x.id)));
    const lost = [...moved].filter((id) => !left.has(id));
    expect(lost, `moved rows deleted: ${lost.length} of ${moved.size}`).toEqual([]);
    expect(r.changed + left.size).toBe(ROWS);
    // Every row left was moved (nothing due was skipped).
    expect([...left].filter((id) => !moved.has(id))).toEqual([]);
  });
});
