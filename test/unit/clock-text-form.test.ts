/**
 * clockTextForm and wallTextBound decide which clock text SQLite compares as text, and with
 * what: for every value they accept, that comparison must give the reader's answer
 * (readClock, isBefore) at any cutoff, in any clock zone. Checked on random digits in every
 * position of every form, so impossible dates and times come up, and on cutoffs with and
 * without a fraction of a second.
 */
import { describe, expect, it } from 'vitest';
import { UTC_TEXT_FORM, WALL_TEXT_FORMS, clockTextForm, cutoffOf, isBefore, readClock, wallTextBound } from '../../src/clock/read.js';
import { isoUtc } from '../../src/store/timestamps.js';
import { rng } from '../support/rng.js';

const ZONES = ['UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata'];

describe('clockTextForm', () => {
  it('accepts only values the reader reads, and the text comparison gives its answer', () => {
    const r = rng(20261203);
    const digit = () => String(Math.floor(r() * 10));
    // Each field's first digit from a small range, so valid values are common too.
    const d2 = (hi: number) => String(Math.floor(r() * (hi + 1))) + digit();
    const year = () => (r() < 0.02 ? '0000' : r() < 0.5 ? `20${d2(2)}` : digit() + digit() + digit() + digit());
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const form = WALL_TEXT_FORMS[Math.floor(r() * WALL_TEXT_FORMS.length)]!;
      const full = `${year()}-${d2(1)}-${d2(3)}${form.separator}${d2(2)}:${d2(6)}:${d2(6)}.${digit()}${digit()}${digit()}${digit()}${digit()}${digit()}`;
      // Now and then lethe's UTC form, a zone or a stray character instead.
      const pick = r();
      const s = pick < 0.1 ? `${full.slice(0, 10)}T${full.slice(11, 23)}Z` : pick < 0.15 ? `${full.slice(0, 19)}+01:00` : pick < 0.18 ? `${full.slice(0, form.length - 1)}x` : full.slice(0, form.length);
      const code = clockTextForm(s);
      counts.set(code, (counts.get(code) ?? 0) + 1);
      const zone = ZONES[Math.floor(r() * ZONES.length)]!;
      const reading = readClock(s, { format: 'iso', zone });
      if (code === 0) {
        // Left to the reader: never a valid value of the forms (a zone, lethe's form aside).
        if (reading.kind === 'wall') expect(WALL_TEXT_FORMS.some((f) => f.length === s.length), s).toBe(false);
        continue;
      }
      expect(reading.kind, s).toBe(code === UTC_TEXT_FORM ? 'instant' : 'wall');
      for (let k = 0; k < 3; k++) {
        // Near the value, with a fraction of a second or none.
        const base = Date.parse(`${s.slice(0, 10)}T${s.length > 10 ? s.slice(11, 19).padEnd(8, ':00') : '00:00:00'}Z`);
        // Sometimes at the value itself, where rounding the bound decides.
        const offset = r() < 0.2 ? 0 : Math.round((r() - 0.5) * 4 * 86_400_000);
        const at = new Date(r() < 0.5 ? base + offset : base + Math.round(offset / 1000) * 1000 + (r() < 0.3 ? 500 : 0));
        if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1 || at.getUTCFullYear() > 9999) continue;
        const cutoff = cutoffOf(at, zone);
        const bound = code === UTC_TEXT_FORM ? isoUtc(at) : wallTextBound(cutoff, WALL_TEXT_FORMS[code - 2]!);
        expect(s < bound, `${s} before ${at.toISOString()} in ${zone} (bound ${bound})`).toBe(isBefore(reading, cutoff));
      }
    }
    // Every form was accepted often, and rejections were common too.
    expect(counts.get(UTC_TEXT_FORM)).toBeGreaterThan(1000);
    for (let i = 0; i < WALL_TEXT_FORMS.length; i++) expect(counts.get(2 + i), JSON.stringify(WALL_TEXT_FORMS[i])).toBeGreaterThan(1000);
    expect(counts.get(0)).toBeGreaterThan(10_000);
  });

  it('takes the common forms and leaves zones, other widths and non-text to the reader', () => {
    expect(clockTextForm('2024-03-01T00:00:00.000Z')).toBe(UTC_TEXT_FORM);
    for (const s of ['2024-03-01', '2024-03-01 12:30', '2024-03-01T12:30:59', '2024-03-01 12:30:59', '2024-02-29 23:59:59.999', '2024-03-01T00:00:00.123456']) {
      expect(clockTextForm(s), s).toBeGreaterThan(UTC_TEXT_FORM);
    }
    for (const v of ['2025-02-29 00:00:00', '2024-03-01 24:00:00', '2024-13-01', '0000-01-01', '2024-03-01T12:30+01', '2024-03-01 12:30:00.1', '2024-03-01t12:30:00', ' 2024-03-01', 1709251200, null]) {
      expect(clockTextForm(v), String(v)).toBe(0);
    }
  });

  it('rounds the bound up to the form’s precision', () => {
    const at = new Date('2025-11-23T03:15:00.500Z');
    const cutoff = cutoffOf(at, 'UTC');
    const form = (length: number, separator: 'T' | ' ') => WALL_TEXT_FORMS.find((f) => f.length === length && f.separator === separator)!;
    expect(wallTextBound(cutoff, form(19, ' '))).toBe('2025-11-23 03:15:01');
    expect(wallTextBound(cutoff, form(23, 'T'))).toBe('2025-11-23T03:15:00.500');
    expect(wallTextBound(cutoff, form(16, ' '))).toBe('2025-11-23 03:16');
    expect(wallTextBound(cutoff, form(10, 'T'))).toBe('2025-11-24');
    expect(wallTextBound(cutoffOf(new Date('2025-11-23T00:00:00.000Z'), 'UTC'), form(10, 'T'))).toBe('2025-11-23');
    expect(wallTextBound(cutoffOf(new Date('2025-11-23T03:15:00.000Z'), 'America/New_York'), form(19, 'T'))).toBe('2025-11-22T22:15:00');
  });
});
