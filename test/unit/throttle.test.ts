/** The throttle (DESIGN §3): batches are sized to hold their locks for 0.8 of max_hold, never above batch_size. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HOLD_MS, FIRST_THROTTLED_BATCH, fixedCost, nextBatchSize, Throttle } from '../../src/exec/throttle.js';
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
  it('does not shrink batches whose time is a fixed cost, whatever their size: it grows them to batch_size', () => {
    // A key query the planner answers by reading every match and sorting them (no statistics
    // after a bulk load on PostgreSQL): 70 ms a batch, one row or a thousand.
    const t = new Throttle({ maxHoldMs: 50, pauseMs: 0 }, 0, 1000, false);
    const sizes: number[] = [];
    for (let i = 0, at = 0; i < 7; i++, at += 70) {
      t.starting(at);
      t.ended(70, at + 70);
      sizes.push(t.size);
    }
    // Two shrinks measure it twice (57 and 32 rows took as long as 100); then it grows.
    expect(sizes).toEqual([57, 32, 128, 512, 1000, 1000, 1000]);
  });
  it('keeps sizing in proportion where one slow batch alone suggests a fixed cost', () => {
    // 1 ms a batch and 0.04 ms a row, but the first batch was slowed to 9 ms (a checkpoint).
    const t = new Throttle({ maxHoldMs: 50, pauseMs: 0 }, 0, 10_000, false);
    t.starting(0);
    t.ended(9, 9);
    expect(t.size).toBe(400);
    // 400 rows in 17 ms. The line through the two says 6.3 ms a batch; one fit is not two,
    // so the next is sized in proportion (941 rows, 38 ms), not by it (1,262 rows, 51 ms).
    t.starting(9);
    t.ended(17, 26);
    expect(t.size).toBe(941);
  });
  it('sizes batches by what their rows cost beyond the fixed cost', () => {
    // 10 ms a batch plus 0.1 ms a row: 100 rows take 20 ms, 200 take 30 ms.
    expect(fixedCost({ rows: 100, ms: 20 }, { rows: 200, ms: 30 })).toBe(10);
    expect(fixedCost({ rows: 200, ms: 30 }, { rows: 100, ms: 20 })).toBe(10);
    // Sizes closer than half apart tell nothing; a smaller batch that took longer, no row cost.
    expect(fixedCost({ rows: 200, ms: 30 }, { rows: 250, ms: 35 })).toBeNull();
    expect(fixedCost({ rows: 100, ms: 70 }, { rows: 57, ms: 75 })).toBe(70);
    // The budget (40 ms) leaves 30 ms for rows after the fixed 10: 300 of them.
    expect(nextBatchSize(200, 30, 50, 1000, 10)).toBe(300);
    // A fixed part over half the budget: the rows still get half of it (20 ms at 0.4 ms a row).
    expect(nextBatchSize(100, 70, 50, 1000, 30)).toBe(50);
    // All of it fixed: no row cost to size by, so it grows fourfold.
    expect(nextBatchSize(57, 70, 50, 1000, 70)).toBe(228);
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
