/** The throttle (DESIGN §3): batches are sized to hold their locks for 0.8 of max_hold, never above batch_size. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HOLD_MS, FIRST_THROTTLED_BATCH, nextBatchSize, Throttle } from '../../src/exec/throttle.js';
import { policyFromText } from '../support/harness.js';

describe('nextBatchSize', () => {
  it('shrinks in proportion when a batch held its locks too long', () => {
    expect(nextBatchSize(1000, 200, 50, 1000)).toBe(200);
    expect(nextBatchSize(10, 5000, 50, 1000)).toBe(1);
  });
  it('grows in proportion, at most fourfold a batch, up to batch_size, when a batch held them briefly', () => {
    expect(nextBatchSize(100, 10, 50, 1000)).toBe(400);
    expect(nextBatchSize(100, 20, 50, 1000)).toBe(200);
    expect(nextBatchSize(900, 10, 50, 1000)).toBe(1000);
    expect(nextBatchSize(1, 0, 50, 1000)).toBe(4);
  });
  it('keeps a batch that held them for the aimed share, and runs full batches with throttle off', () => {
    expect(nextBatchSize(300, 40, 50, 1000)).toBe(300);
    expect(nextBatchSize(7, 1e9, Infinity, 1000)).toBe(1000);
    expect(DEFAULT_MAX_HOLD_MS).toBe(50);
    expect(FIRST_THROTTLED_BATCH).toBe(100);
  });
});

describe('Throttle', () => {
  const throttled = () => new Throttle({ maxHoldMs: 50, pauseMs: 25 }, 0, 1000, false);
  it('lets batches follow one another while those since the last pause fit in 0.8 of max_hold, then pauses', () => {
    const t = throttled();
    t.starting(0);
    // 100 rows in 5 ms: 400 next, predicted at 20 ms, 25 ms since the window opened.
    expect(t.ended(5, 5)).toBe(0);
    expect(t.size).toBe(400);
    t.starting(5);
    // 400 rows in 12 ms: 1,000 next, predicted at 30 ms; 17 + 30 ms would pass 40 ms.
    expect(t.ended(12, 17)).toBe(25);
    expect(t.size).toBe(1000);
    // After the pause a new window opens: a batch of 30 ms is one on its own.
    t.starting(42);
    expect(t.ended(30, 72)).toBe(25);
  });
  it('owes a pause at the end of a stage only after batches that held the lock', () => {
    const t = throttled();
    // A stage with nothing due: its one key query selects nothing, and no batch ends.
    t.starting(0);
    expect(t.closing()).toBe(0);
    t.starting(1);
    t.ended(1, 2);
    expect(t.closing()).toBe(25);
    expect(t.closing()).toBe(0);
  });
  /** The sizes the throttle gives after batches of its own sizes that took `times` ms each, in turn. */
  const sizesAfter = (times: readonly number[], batchSize = 1000) => {
    const t = new Throttle({ maxHoldMs: 50, pauseMs: 0 }, 0, batchSize, false);
    return times.map((ms) => {
      t.starting(0);
      t.ended(ms, ms);
      return t.size;
    });
  };
  it('shrinks in proportion where halving a batch halves its time', () => {
    // 100 rows in 200 ms: 20 next; in 40 ms: 20 again; then 10 ms: grows fourfold.
    expect(sizesAfter([200, 40, 10])).toEqual([20, 20, 80]);
    // Over the aim all the way down, the time following the rows: smaller each time, no floor.
    expect(sizesAfter([400, 80, 45])).toEqual([10, 5, 4]);
  });
  it('stops shrinking where a batch half the size took nearly as long, and tries twice the size while it is no slower', () => {
    // 100 rows in 90 ms, 40 in 85 ms (their time is not in their rows): the floor is 100,
    // then 200 (88 ms) and 400 (80 ms) are no slower, and 800 is tried.
    expect(sizesAfter([90, 85, 88, 80])).toEqual([44, 200, 400, 800]);
  });
  it('tries twice the floor where even the floor is over the aim, and tries again after a comparison another load spoilt', () => {
    // 100 rows in 800 ms and 5 in 500 (slowed by something else, so no half-size batch took
    // as long as a larger one): down to one row, at 45 ms. Two rows are tried, and took 200
    // ms (slowed again): one row once more, then two, which took no longer than one; so
    // twice the floor is tried while no slower, up to batch_size.
    expect(sizesAfter([800, 500, 45, 200, 46, 47, 45, 44, 46, 45, 45, 46, 45])).toEqual([5, 1, 2, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    expect(sizesAfter([800, 500, ...Array<number>(12).fill(45)])).toEqual([5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000]);
  });
  it('where time follows the rows, tries twice the floor after 1, 2, 4, then 8 batches at it, and not where the floor fits', () => {
    // One row takes 45 ms, over the aim of 40; two take 90.
    const times = [4500, 45, 90, 45, 90, 45, 45, 90, 45, 45, 45, 45, 90, ...Array<number>(8).fill(45), 90];
    expect(sizesAfter(times)).toEqual([1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1]);
    // The floor's batches over the aim only when slowed: none twice its size.
    expect(sizesAfter([4000, 30, 60, 30, 90, 30])).toEqual([1, 1, 1, 1, 1, 1]);
  });
  it('keeps the floor when twice its size took longer, and never goes past batch_size', () => {
    // The floor of 100 found, 200 rows took 150 ms: back to the floor, where proportion gives
    // less; 200 is tried again after one batch at the floor, and after two once that took longer too.
    expect(sizesAfter([90, 85, 150, 90, 150, 90, 90])).toEqual([44, 200, 100, 200, 100, 100, 200]);
    expect(sizesAfter([90, 85, 88], 300)).toEqual([44, 200, 300]);
  });
  it('never pauses with throttle off, in a dry run, or with no pause', () => {
    for (const t of [new Throttle('off', 25, 1000, false), new Throttle({ maxHoldMs: 1, pauseMs: 25 }, 25, 1000, true), new Throttle({ maxHoldMs: 1, pauseMs: 0 }, 25, 1000, false)]) {
      t.starting(0);
      expect(t.ended(100, 100)).toBe(0);
      expect(t.closing()).toBe(0);
    }
  });
});

describe('throttle in policies.yaml', () => {
  const policy = (store: string, provider: string) => `version: 1
store:
  url: sqlite:x.db
${store}providers:
  a:
    name: A
${provider}    rules: {}
  b:
    name: B
    rules: {}
`;
  it('is store-wide, overridden per provider, and off for maintenance windows', () => {
    const p = policyFromText(policy('  throttle: { max_hold: 20 ms, pause: 1 s }\n', '    throttle: off\n'));
    expect(p.providers.map((x) => x.throttle)).toEqual(['off', { maxHoldMs: 20, pauseMs: 1000 }]);
  });
  it('defaults to the engine’s values (null here, resolved per engine at run time)', () => {
    expect(policyFromText(policy('', '')).providers[0]!.throttle).toEqual({ maxHoldMs: null, pauseMs: null });
  });
  it('refuses a duration it cannot read', () => {
    expect(() => policyFromText(policy('  throttle: { pause: soon }\n', ''))).toThrow(/a duration in ms or s/);
  });
  // DESIGN §3 gives the throttle's values as defaults, set store-wide or per provider; the
  // `defaults:` block is where the other per-provider settings take theirs.
  const withDefaults = (defaults: string, store: string) => policy(store, '    throttle: off\n').replace('providers:\n', `defaults:\n${defaults}providers:\n`);
  it('is taken from defaults: as well, a provider still overriding it', () => {
    const p = policyFromText(withDefaults('  throttle: { max_hold: 30 ms, pause: 5 ms }\n', ''));
    expect(p.providers.map((x) => x.throttle)).toEqual(['off', { maxHoldMs: 30, pauseMs: 5 }]);
    expect(policyFromText(withDefaults('  throttle: off\n', '')).providers[1]!.throttle).toBe('off');
  });
  it('refuses a store-wide throttle set in both places, naming the second', () => {
    const text = withDefaults('  throttle: off\n', '  throttle: { pause: 10 ms }\n');
    const line = text.split('\n').findIndex((l) => l.startsWith('defaults:')) + 2;
    expect(() => policyFromText(text)).toThrow(new RegExp(`:${line}:\\d+: error: .*throttle is set under store: and under defaults:`));
  });
});
