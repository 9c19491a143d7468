/**
 * Calendar arithmetic on periods. Cutoffs are computed in the provider's time zone with
 * luxon, so "12 months" before 31 March is 31 March a year earlier, and a day across a
 * daylight-saving change is a calendar day, not 24 hours.
 */
import { DateTime } from 'luxon';
import type { Period } from './duration.js';

type DurationPeriod = Extract<Period, { kind: 'duration' }>;

/** The instant `period` before `now`, counted on the calendar of `zone`. */
export function cutoffFor(now: Date, period: DurationPeriod, zone: string): Date {
  return DateTime.fromJSDate(now, { zone }).minus(period.units).toJSDate();
}

/** The instant `period` after `clock` in `zone`: when a row with that clock value comes due. */
export function dueAt(clock: Date, period: DurationPeriod, zone: string): Date {
  return DateTime.fromJSDate(clock, { zone }).plus(period.units).toJSDate();
}

/** An upper bound of the period in milliseconds (months as 31 days), for ordering and limits. */
export function periodMillisUpperBound(period: DurationPeriod): number {
  const u = period.units;
  const day = 86_400_000;
  return (u.years ?? 0) * 366 * day + (u.months ?? 0) * 31 * day + (u.weeks ?? 0) * 7 * day + (u.days ?? 0) * day + (u.hours ?? 0) * 3_600_000 + (u.minutes ?? 0) * 60_000;
}
