/** The throttle (DESIGN §3): batches are sized to hold their locks for 0.8 of max_hold, never above batch_size. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HOLD_MS, FIRST_THROTTLED_BATCH, nextBatchSize } from '../../src/exec/throttle.js';
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
});
