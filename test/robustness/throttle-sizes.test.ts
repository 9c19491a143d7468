/**
 * Throttled batches (DESIGN §3) start small and are sized from what the rows cost: the first
 * batch takes FIRST_THROTTLED_BATCH rows, later ones grow towards batch_size while they hold
 * the lock briefly, and with `throttle: off` every batch is batch_size from the first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_THROTTLED_BATCH } from '../../src/exec/executor.js';
import { EventBus } from '../../src/events.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { callsPolicy, fillCalls } from '../support/calls.js';
import { enforce } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const DUE = 3_000;


async function sizes(throttle: string): Promise<number[]> {
  store = await vendorStore('sqlite', { ddl: ['create table calls (id integer primary key, started_at text)'], policy: callsPolicy({ batch_size: '1000', throttle }) });
  await fillCalls(store, DUE, DUE);
  await ensureLetheTables(store.adapter);
  const events = new EventBus();
  const seen: number[] = [];
  events.on('batch', (b) => seen.push(b.selected));
  const r = await enforce(store, { events });
  expect([r.status, r.changed], r.error ?? '').toEqual(['ok', DUE]);
  return seen;
}

let store: VendorStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('throttled batch sizes on sqlite', () => {
  it('start at FIRST_THROTTLED_BATCH rows and grow towards batch_size while batches are brief', async () => {
    // A budget no batch of these rows comes near, and no pause: only the sizing is at work.
    const seen = await sizes('{ max_hold: 10 s, pause: 0 ms }');
    expect(seen[0]).toBe(FIRST_THROTTLED_BATCH);
    expect(seen[1]).toBe(FIRST_THROTTLED_BATCH * 4);
    expect(seen[2]).toBe(1000);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(DUE);
  });

  it('are batch_size from the first with throttle off', async () => {
    expect(await sizes('off')).toEqual([1000, 1000, 1000]);
  });
});
