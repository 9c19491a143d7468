/**
 * clockTextForm and textFormBound decide which clock text SQLite compares as text, and with
 * what: for every value they accept, that comparison must give the reader's answer
 * (readClock, isBefore) at any cutoff, in any clock zone. Checked on random digits in every
 * position of every form, so impossible dates and times come up, and on cutoffs with and
 * without a fraction of a second; lethe's own form also against JavaScript's Date.
 */
import { describe, expect, it } from 'vitest';
import { TEXT_FORMS, clockTextForm, cutoffOf, isBefore, readClock, textFormBound } from '../../src/clock/read.js';
import { rng } from '../support/rng.js';

const ZONES = ['UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata'];
const LETHE_FORM = 1 + TEXT_FORMS.findIndex((f) => f.length === 23 && f.separator === 'T' && f.zone === 'Z');

describe('clockTextForm', () => {
  it('accepts only values the reader reads, and the text comparison gives its answer', () => {
    const r = rng(20261203);
    const digit = () => String(Math.floor(r() * 10));
    // Each field's first digit from a small range, so valid values are common too.
    const d2 = (hi: number) => String(Math.floor(r() * (hi + 1))) + digit();
    const year = () => (r() < 0.02 ? '0000' : r() < 0.5 ? `20${d2(2)}` : digit() + digit() + digit() + digit());
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      const form = TEXT_FORMS[Math.floor(r() * TEXT_FORMS.length)]!;
      const full = `${year()}-${d2(1)}-${d2(3)}${form.separator}${d2(2)}:${d2(6)}:${d2(6)}.${digit()}${digit()}${digit()}${digit()}${digit()}${digit()}`;
      // Now and then another zone, a zone on a date, or a stray character instead.
      const pick = r();
      const s =
        pick < 0.05
          ? `${full.slice(0, form.length)}+01:00`
          : pick < 0.07
            ? `${full.slice(0, 10)}Z`
            : pick < 0.1
              ? `${full.slice(0, form.length - 1)}x${form.zone}`
              : `${full.slice(0, form.length)}${form.zone}`;
      const code = clockTextForm(s);
      counts.set(code, (counts.get(code) ?? 0) + 1);
      const zone = ZONES[Math.floor(r() * ZONES.length)]!;
      const reading = readClock(s, { format: 'iso', zone });
      if (code === 0) {
        // Left to the reader: no valid value of a form is (another zone is no form).
        if (reading.kind !== 'invalid') expect(s.endsWith('+01:00'), s).toBe(true);
        continue;
      }
      const f = TEXT_FORMS[code - 1]!;
      expect(s.length, s).toBe(f.length + f.zone.length);
      expect(reading.kind, s).toBe(f.zone ? 'instant' : 'wall');
      for (let k = 0; k < 3; k++) {
        // Near the value, with a fraction of a second or none; sometimes at the value itself, where rounding the bound decides.
        const base = Date.parse(`${s.slice(0, 10)}T${s.length > 10 ? s.slice(11, 19).padEnd(8, ':00') : '00:00:00'}Z`);
        const offset = r() < 0.2 ? 0 : Math.round((r() - 0.5) * 4 * 86_400_000);
        const at = new Date(r() < 0.5 ? base + offset : base + Math.round(offset / 1000) * 1000 + (r() < 0.3 ? 500 : 0));
        if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1 || at.getUTCFullYear() > 9999) continue;
        const cutoff = cutoffOf(at, zone);
        const bound = textFormBound(cutoff, f);
        expect(s < bound, `${s} before ${at.toISOString()} in ${zone} (bound ${bound})`).toBe(isBefore(reading, cutoff));
      }
    }
    // Every form was accepted often, and rejections were common too.
    for (let i = 0; i < TEXT_FORMS.length; i++) expect(counts.get(i + 1) ?? 0, JSON.stringify(TEXT_FORMS[i])).toBeGreaterThan(500);
    expect(counts.get(0)).toBeGreaterThan(10_000);
  });

  it('takes lethe’s own form exactly where Date writes the text back unchanged', () => {
    const oracle = (s: string) => {
      const ms = Date.parse(s);
      return !Number.isNaN(ms) && !s.startsWith('0000') && new Date(ms).toISOString() === s;
    };
    const r = rng(20261202);
    const digit = () => String(Math.floor(r() * 10));
    const d2 = (hi: number) => String(Math.floor(r() * (hi + 1))) + digit();
    let accepted = 0;
    for (let i = 0; i < 50_000; i++) {
      const year = r() < 0.02 ? '0000' : digit() + digit() + digit() + digit();
      const s = `${year}-${d2(1)}-${d2(3)}T${d2(2)}:${d2(6)}:${d2(6)}.${digit()}${digit()}${digit()}Z`;
      expect(clockTextForm(s) === LETHE_FORM, s).toBe(oracle(s));
      if (oracle(s)) accepted++;
    }
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(45_000);
  });

  it('takes the common forms and leaves other zones, widths and non-text to the reader', () => {
    expect(clockTextForm('2024-03-01T00:00:00.000Z')).toBe(LETHE_FORM);
    for (const s of ['2024-03-01', '2024-03-01 12:30', '2024-03-01T12:30:59', '2024-03-01 12:30:59', '2024-02-29 23:59:59.999', '2024-03-01T00:00:00.123456', '2024-03-01T12:30:59Z', '2024-03-01T12:30:59.123456+00:00']) {
      expect(clockTextForm(s), s).toBeGreaterThan(0);
    }
    for (const v of [
      '2025-02-29 00:00:00',
      '1900-02-29T00:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-03-01 24:00:00',
      '2024-13-01',
      '0000-01-01',
      '2024-03-01Z',
      '2024-03-01T12:30+01',
      '2024-03-01T12:30:00-00:00',
      '2024-03-01 12:30:00.1',
      '2024-03-01t12:30:00',
      '2024-03-01T00:00:00.000z',
      ' 2024-03-01',
      '２０２４-03-01T00:00:00.000Z',
      1709251200,
      Buffer.from('2024-03-01T00:00:00.000Z'),
      null,
    ]) {
      expect(clockTextForm(v), String(v)).toBe(0);
    }
  });

  it('rounds the bound up to the form’s precision', () => {
    const form = (length: number, separator: 'T' | ' ', zone: '' | 'Z' | '+00:00' = '') => TEXT_FORMS.find((f) => f.length === length && f.separator === separator && f.zone === zone)!;
    const cutoff = cutoffOf(new Date('2025-11-23T03:15:00.500Z'), 'UTC');
    expect(textFormBound(cutoff, form(19, ' '))).toBe('2025-11-23 03:15:01');
    expect(textFormBound(cutoff, form(19, 'T', '+00:00'))).toBe('2025-11-23T03:15:01+00:00');
    expect(textFormBound(cutoff, form(23, 'T', 'Z'))).toBe('2025-11-23T03:15:00.500Z');
    expect(textFormBound(cutoff, form(16, ' '))).toBe('2025-11-23 03:16');
    expect(textFormBound(cutoff, form(10, 'T'))).toBe('2025-11-24');
    expect(textFormBound(cutoffOf(new Date('2025-11-23T00:00:00.000Z'), 'UTC'), form(10, 'T'))).toBe('2025-11-23');
    // A wall time in the clock's zone; an instant in UTC whatever the zone.
    const ny = cutoffOf(new Date('2025-11-23T03:15:00.000Z'), 'America/New_York');
    expect(textFormBound(ny, form(19, 'T'))).toBe('2025-11-22T22:15:00');
    expect(textFormBound(ny, form(19, 'T', 'Z'))).toBe('2025-11-23T03:15:00Z');
  });
});
