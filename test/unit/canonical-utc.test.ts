/**
 * isCanonicalUtc decides which clock text SQLite compares as text: it must accept exactly
 * the text JavaScript's own Date writes back unchanged (year 0000 aside, which is no clock),
 * and nothing else. Checked against that oracle on random digits in every position of the
 * form, so impossible months, days, hours, minutes and seconds all come up.
 */
import { describe, expect, it } from 'vitest';
import { isCanonicalUtc } from '../../src/clock/read.js';
import { rng } from '../support/rng.js';

function oracle(s: string): boolean {
  const ms = Date.parse(s);
  return !Number.isNaN(ms) && !s.startsWith('0000') && new Date(ms).toISOString() === s;
}

describe('isCanonicalUtc', () => {
  it('accepts exactly the UTC text Date writes back unchanged', () => {
    const r = rng(20261202);
    const digit = () => String(Math.floor(r() * 10));
    // Mostly plausible values, so that valid ones are common too: each field's first digit is drawn from a small range.
    const d2 = (hi: number) => String(Math.floor(r() * (hi + 1))) + digit();
    let accepted = 0;
    for (let i = 0; i < 50_000; i++) {
      const year = r() < 0.02 ? '0000' : digit() + digit() + digit() + digit();
      const s = `${year}-${d2(1)}-${d2(3)}T${d2(2)}:${d2(6)}:${d2(6)}.${digit()}${digit()}${digit()}Z`;
      expect(isCanonicalUtc(s), s).toBe(oracle(s));
      if (oracle(s)) accepted++;
    }
    // Both answers were exercised.
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(45_000);
  });

  it('rejects leap days of common years, other shapes and non-text', () => {
    expect(isCanonicalUtc('2024-02-29T23:59:59.999Z')).toBe(true);
    expect(isCanonicalUtc('2000-02-29T00:00:00.000Z')).toBe(true);
    for (const v of [
      '2025-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-03-01T00:00:00Z',
      '2024-03-01T00:00:00.000+00:00',
      '2024-03-01 00:00:00.000Z',
      '2024-03-01T00:00:00.000z',
      ' 2024-03-01T00:00:00.000Z',
      '２０２４-03-01T00:00:00.000Z',
      1709251200000,
      Buffer.from('2024-03-01T00:00:00.000Z'),
      null,
    ]) {
      expect(isCanonicalUtc(v), String(v)).toBe(false);
    }
  });
});
