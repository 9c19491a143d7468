/**
 * Calendar arithmetic for cutoffs and due dates. Expected instants are worked out by hand from
 * the 2026 daylight-saving dates:
 *   Europe/London     BST from 2026-03-29 01:00Z to 2026-10-25 01:00Z (GMT+1), GMT otherwise;
 *   America/New_York  EDT from 2026-03-08 07:00Z to 2026-11-01 06:00Z (UTC-4), EST (UTC-5) otherwise.
 */
import { describe, expect, it } from 'vitest';
import type { Period, Unit } from '../../src/policy/duration.js';
import { cutoffFor, periodMillisUpperBound } from '../../src/policy/period-math.js';
import { dueDate } from '../../src/clock/due.js';
import { readClock } from '../../src/clock/read.js';
import { NOW } from '../support/harness.js';

type Duration = Extract<Period, { kind: 'duration' }>;
const p = (units: Partial<Record<Unit, number>>): Duration => ({ kind: 'duration', text: JSON.stringify(units), units });
const cut = (now: string | Date, units: Partial<Record<Unit, number>>, zone: string) =>
  cutoffFor(typeof now === 'string' ? new Date(now) : now, p(units), zone).toISOString();
const due = (clock: string, units: Partial<Record<Unit, number>>, zone: string) => dueDate(readClock(clock, { format: 'iso', zone: 'UTC' }), p(units), zone, 'UTC')!.toISOString();

const LONDON = 'Europe/London';
const NEW_YORK = 'America/New_York';
const H = 3_600_000;
const DAY = 24 * H;

describe('cutoffFor across daylight saving', () => {
  it('London: 6 months before 03:15 GMT is 03:15 BST, an hour earlier in UTC than in the UTC zone', () => {
    expect(NOW.toISOString()).toBe('2026-11-23T03:15:00.000Z');
    expect(cut(NOW, { months: 6 }, LONDON)).toBe('2026-05-23T02:15:00.000Z');
    expect(cut(NOW, { months: 6 }, 'UTC')).toBe('2026-05-23T03:15:00.000Z');
  });

  it('London, spring: 7 calendar days back over the change are 7×24h + 1h', () => {
    // 2026-04-01 13:00 BST − 7 days = 2026-03-25 13:00 GMT.
    expect(cut('2026-04-01T12:00:00Z', { days: 7 }, LONDON)).toBe('2026-03-25T13:00:00.000Z');
    expect(new Date('2026-04-01T12:00:00Z').getTime() - new Date(cut('2026-04-01T12:00:00Z', { days: 7 }, LONDON)).getTime()).toBe(7 * DAY - H);
    expect(cut('2026-04-01T12:00:00Z', { weeks: 1 }, LONDON)).toBe('2026-03-25T13:00:00.000Z');
    expect(cut('2026-04-01T12:00:00Z', { days: 7 }, 'UTC')).toBe('2026-03-25T12:00:00.000Z');
  });

  it('London, autumn: 2 calendar days back over the change are 49 hours', () => {
    // 2026-10-26 12:00 GMT − 2 days = 2026-10-24 12:00 BST = 11:00Z.
    expect(cut('2026-10-26T12:00:00Z', { days: 2 }, LONDON)).toBe('2026-10-24T11:00:00.000Z');
  });

  it('a day is a calendar day, but 24 hours are 24 hours', () => {
    // 2026-03-29 13:00 BST (the day the clocks go forward).
    expect(cut('2026-03-29T12:00:00Z', { days: 1 }, LONDON)).toBe('2026-03-28T13:00:00.000Z');
    expect(cut('2026-03-29T12:00:00Z', { hours: 24 }, LONDON)).toBe('2026-03-28T12:00:00.000Z');
  });

  it('New York: 1 month before 22:15 EST is 22:15 EDT', () => {
    // NOW is 2026-11-22 22:15 EST; a month earlier is 2026-10-22 22:15 EDT = 2026-10-23 02:15Z.
    expect(cut(NOW, { months: 1 }, NEW_YORK)).toBe('2026-10-23T02:15:00.000Z');
    expect(cut(NOW, { months: 1 }, 'UTC')).toBe('2026-10-23T03:15:00.000Z');
    expect(cut(NOW, { months: 12 }, NEW_YORK)).toBe('2025-11-23T03:15:00.000Z');
  });

  it('New York, spring: the day of the change is 23 hours long', () => {
    // 2026-03-09 08:00 EDT − 1 day = 2026-03-08 08:00 EDT (after 02:00) = 12:00Z; − 2 days = 03-07 08:00 EST = 13:00Z.
    expect(cut('2026-03-09T12:00:00Z', { days: 1 }, NEW_YORK)).toBe('2026-03-08T12:00:00.000Z');
    expect(cut('2026-03-09T12:00:00Z', { days: 2 }, NEW_YORK)).toBe('2026-03-07T13:00:00.000Z');
  });

  it('the zone decides which calendar date "now" is on', () => {
    // 2026-12-01 03:00Z is still 30 November (22:00 EST) in New York: a month earlier is 30 October.
    expect(cut('2026-12-01T03:00:00Z', { months: 1 }, NEW_YORK)).toBe('2026-10-31T02:00:00.000Z');
    expect(cut('2026-12-01T03:00:00Z', { months: 1 }, 'UTC')).toBe('2026-11-01T03:00:00.000Z');
  });

  it('84 months before now in London (GMT both ends)', () => {
    expect(cut(NOW, { months: 84 }, LONDON)).toBe('2019-11-23T03:15:00.000Z');
  });

  it('a zero period (at once) is now itself', () => {
    expect(cut(NOW, {}, LONDON)).toBe(NOW.toISOString());
    expect(cut(NOW, {}, NEW_YORK)).toBe(NOW.toISOString());
  });
});

// A clamped month end (31 March − 1 month = 28 February) would pull the cutoff back, behind
// the cutoffs of the day before. Cutoffs are kept monotone: a month end's cutoff is the end of
// the shorter month's last day, the latest any earlier instant had (DESIGN §11, one due date).
describe('month ends', () => {
  it('12 months (or 1 year) before 29 February is the end of 28 February', () => {
    expect(cut('2024-02-29T12:00:00Z', { months: 12 }, 'UTC')).toBe('2023-02-28T23:59:59.999Z');
    expect(cut('2024-02-29T12:00:00Z', { years: 1 }, 'UTC')).toBe('2023-02-28T23:59:59.999Z');
    expect(cut('2024-02-29T12:00:00Z', { years: 4 }, 'UTC')).toBe('2020-02-29T12:00:00.000Z');
  });

  it('a month before the 31st is the end of the last day of the shorter month', () => {
    expect(cut('2024-03-31T00:00:00Z', { months: 1 }, 'UTC')).toBe('2024-02-29T23:59:59.999Z');
    expect(cut('2023-03-31T00:00:00Z', { months: 1 }, 'UTC')).toBe('2023-02-28T23:59:59.999Z');
    expect(cut('2026-08-31T09:00:00Z', { months: 6 }, 'UTC')).toBe('2026-02-28T23:59:59.999Z');
    expect(cut('2026-05-31T09:00:00Z', { months: 1 }, 'UTC')).toBe('2026-04-30T23:59:59.999Z');
  });

  it('12 months before 28 February 2025 is 28 (not 29) February 2024', () => {
    expect(cut('2025-02-28T00:00:00Z', { months: 12 }, 'UTC')).toBe('2024-02-28T00:00:00.000Z');
  });

  it('month ends are taken on the provider’s calendar: 31 March 01:30 BST minus a month', () => {
    // 2026-03-31T00:30Z is 01:30 BST on 31 March in London, 00:30 on 31 March in UTC; both
    // clamp to 28 February, whose end is 23:59:59.999 GMT (= UTC in February).
    expect(cut('2026-03-31T00:30:00Z', { months: 1 }, LONDON)).toBe('2026-02-28T23:59:59.999Z');
    expect(cut('2026-03-31T00:30:00Z', { months: 1 }, 'UTC')).toBe('2026-02-28T23:59:59.999Z');
  });

  it('the due date is the last instant the run keeps the row (clock < now − after is false there, true a millisecond later)', () => {
    // 29 February + 12 months: now − 12 months passes 29 February 2024 only after 28 February 2025 ends.
    expect(due('2024-02-29T00:00:00Z', { months: 12 }, 'UTC')).toBe('2025-02-28T23:59:59.999Z');
    // 31 January + 1 month: the cutoffs of 28 February to 3 March are clamped to 28 February.
    expect(due('2023-01-31T00:00:00Z', { months: 1 }, 'UTC')).toBe('2023-02-28T23:59:59.999Z');
    expect(due('2025-11-23T03:15:00Z', { months: 12 }, LONDON)).toBe('2026-11-23T03:15:00.000Z');
    // 2026-03-28 12:00 GMT + 1 day = 2026-03-29 12:00 BST = 11:00Z.
    expect(due('2026-03-28T12:00:00Z', { days: 1 }, LONDON)).toBe('2026-03-29T11:00:00.000Z');
  });

  it('cutoffs never go back as now advances (month ends are clamped to the latest cutoff so far)', () => {
    // 29 March 00:00 − 1 month clamps to 28 February 00:00, earlier than 28 March 23:00's cutoff.
    expect(cut('2026-03-28T23:00:00Z', { months: 1 }, 'UTC')).toBe('2026-02-28T23:00:00.000Z');
    expect(cut('2026-03-29T00:00:00Z', { months: 1 }, 'UTC')).toBe('2026-02-28T23:59:59.999Z');
    expect(cut('2026-03-31T12:00:00Z', { months: 1 }, 'UTC')).toBe('2026-02-28T23:59:59.999Z');
    expect(cut('2026-04-01T00:00:00Z', { months: 1 }, 'UTC')).toBe('2026-03-01T00:00:00.000Z');
    // Every period kind, in zones with DST (Lord Howe moves by 30 minutes), across both changes.
    for (const units of [{ months: 1 }, { days: 1 }, { years: 1 }]) {
      for (const zone of [NEW_YORK, LONDON, 'Australia/Lord_Howe']) {
        let prev = -Infinity;
        for (const [from, to] of [['2026-03-01', '2026-04-30'], ['2026-09-25', '2026-11-10']] as const) {
          for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += 193 * 60_000) {
            const c = cutoffFor(new Date(t), p(units), zone).getTime();
            expect(c, `${JSON.stringify(units)} ${zone} at ${new Date(t).toISOString()}`).toBeGreaterThanOrEqual(prev);
            prev = c;
          }
        }
      }
    }
  });
});

describe('periodMillisUpperBound', () => {
  it('counts months as 31 days and years as 366', () => {
    expect(periodMillisUpperBound(p({ months: 84 }))).toBe(84 * 31 * DAY);
    expect(periodMillisUpperBound(p({ years: 1, days: 1 }))).toBe(367 * DAY);
    expect(periodMillisUpperBound(p({ weeks: 2, hours: 3, minutes: 4 }))).toBe(14 * DAY + 3 * H + 4 * 60_000);
    expect(periodMillisUpperBound(p({}))).toBe(0);
  });
});
