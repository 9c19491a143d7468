/** parsePeriod and closest: the period forms policies.yaml accepts, and the hints for typos. */
import { describe, expect, it } from 'vitest';
import { closest, parsePeriod, type Period } from '../../src/policy/duration.js';

function ok(input: unknown): Period {
  const r = parsePeriod(input);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to parse: ${r.message}`);
  return r.period;
}
function bad(input: unknown): { message: string; hint: string } {
  const r = parsePeriod(input);
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${JSON.stringify(r.period)}`);
  return r;
}
const units = (input: unknown) => {
  const p = ok(input);
  if (p.kind !== 'duration') throw new Error(`${JSON.stringify(input)} is ${p.kind}`);
  return p.units;
};

describe('parsePeriod: accepted forms', () => {
  it.each([
    ['84 months', { months: 84 }],
    ['1 month', { months: 1 }],
    ['1 year', { years: 1 }],
    ['12 Months', { months: 12 }],
    ['  60   days ', { days: 60 }],
    ['2 weeks', { weeks: 2 }],
    ['36 hours', { hours: 36 }],
    ['30 minutes', { minutes: 30 }],
    ['90d', { days: 90 }],
    ['1 year, 6 months', { years: 1, months: 6 }],
    ['1 year and 6 months', { years: 1, months: 6 }],
    ['P84M', { months: 84 }],
    ['p1y', { years: 1 }],
    ['P1Y6M', { years: 1, months: 6 }],
    ['P2W', { weeks: 2 }],
    ['PT36H', { hours: 36 }],
  ])('%j → %j', (input, expected) => {
    expect(units(input)).toEqual(expected);
  });

  it('"at once", "immediately", "0" and the number 0 are zero periods', () => {
    for (const z of ['at once', 'At  Once', 'immediately', '0', 0]) expect(units(z), String(z)).toEqual({});
  });

  it('keeps the text as written (trimmed) for reports', () => {
    expect(ok('  84 months ')).toEqual({ kind: 'duration', text: '84 months', units: { months: 84 } });
    expect(ok('P84M')).toEqual({ kind: 'duration', text: 'P84M', units: { months: 84 } });
  });

  it('"unspecified" and "forever" are their own kinds, not durations', () => {
    expect(ok('unspecified')).toEqual({ kind: 'unspecified', text: 'unspecified' });
    expect(ok('Forever')).toEqual({ kind: 'forever', text: 'forever' });
  });
});

describe('parsePeriod: refused forms, with hints', () => {
  it('a misspelt unit names the unit and suggests the nearest one with the same number', () => {
    const r = bad('84 monhts');
    expect(r.message).toBe('unknown unit "monhts" in period "84 monhts"');
    expect(r.hint).toMatch(/^did you mean "84 months?"\?$/);
    expect(bad('60 dyas').hint).toMatch(/^did you mean "60 days?"\?$/);
    expect(bad('12 mnths').hint).toBe('did you mean "12 months"?');
    expect(bad('3 yaers').hint).toMatch(/^did you mean "3 years?"\?$/);
  });

  // closest() keeps the first of equally near candidates, and ALIASES lists `month` before
  // `months`, so a typo equally far from both (monhts: 2 edits from each) gets the singular.
  it('the hint for a typo of a plural unit is plural ("84 months", "60 days")', () => {
    expect(bad('84 monhts').hint).toBe('did you mean "84 months"?');
    expect(bad('60 dyas').hint).toBe('did you mean "60 days"?');
  });

  it('a number in words, a negative number, a fraction and a bare number are refused', () => {
    expect(bad('twelve months').message).toBe('cannot read the period "twelve months"');
    expect(bad('-3 days').message).toBe('cannot read the period "-3 days"');
    expect(bad('1.5 years').message).toBe('cannot read the period "1.5 years"');
    expect(bad('12').message).toBe('cannot read the period "12"');
  });

  it('a word close to a keyword gets a keyword hint', () => {
    expect(bad('unspecifed').hint).toBe('did you mean "unspecified"?');
    expect(bad('forevr').hint).toBe('did you mean "forever"?');
    expect(bad('at onse').hint).toBe('did you mean "at once"?');
  });

  it('a unit given twice is refused', () => {
    expect(bad('1 month, 2 months').message).toBe('the unit "months" appears twice in "1 month, 2 months"');
  });

  it('ISO durations: invalid ones and ones finer than minutes are refused', () => {
    expect(bad('P84X').message).toBe('"P84X" is not an ISO-8601 duration');
    expect(bad('PT30S').message).toMatch(/finer than minutes/);
    expect(bad('permanently').message).toBe('"permanently" is not an ISO-8601 duration');
  });

  it('non-text values other than 0 are refused with their type', () => {
    expect(bad(12).message).toBe('a period must be text, got number');
    expect(bad(null).message).toBe('a period must be text, got null');
    expect(bad(['1 month']).message).toBe('a period must be text, got a list');
    expect(bad(true).message).toBe('a period must be text, got boolean');
  });
});

describe('closest', () => {
  it('returns the nearest candidate within the typo distance, else undefined', () => {
    expect(closest('pipcal', ['loopup', 'cloudcall', 'ringu', 'loop', 'pipcall'])).toBe('pipcall');
    expect(closest('cals', ['accounts', 'calls', 'users'])).toBe('calls');
    expect(closest('aftr', ['quote', 'table', 'clock', 'after', 'action'])).toBe('after');
    expect(closest('zzzzzz', ['calls', 'users'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });

  it('is case-insensitive but returns the candidate as written', () => {
    expect(closest('CALLS', ['calls'])).toBe('calls');
    expect(closest('calls', ['Calls'])).toBe('Calls');
  });
});
