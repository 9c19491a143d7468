/**
 * Calendar arithmetic on periods. Cutoffs are computed in the provider's time zone with
 * luxon, so "12 months" before 31 March is 31 March a year earlier, and a day across a
 * daylight-saving change is a calendar day, not 24 hours.
 */
import { DateTime } from 'luxon';
import type { Period } from './duration.js';

type DurationPeriod = Extract<Period, { kind: 'duration' }>;

/** The plain calendar subtraction: `now` minus `period` on the calendar of `zone`. */
function minus(now: number, period: DurationPeriod, zone: string): number {
  return DateTime.fromMillis(now, { zone }).minus(period.units).toMillis();
}

/** How far back a clamped month end can pull a cutoff (31 March − 1 month = 28 February): under 4 days. */
const CLAMP_REACH = 4 * 86_400_000;

/**
 * The instant `period` before `now`, counted on the calendar of `zone`, made monotone.
 *
 * Plain calendar subtraction is not monotone: 29 March 00:00 − 1 month is 28 February 00:00
 * (clamped), earlier than 28 March 23:00 − 1 month = 28 February 23:00; and when clocks go
 * back an hour, wall time (and so the subtraction) repeats an hour. A row would be due, then
 * not, then due again, and no due date could describe it. The cutoff is therefore the latest
 * plain cutoff of any instant up to `now`. The plain subtraction only jumps back where the
 * local date changes (midnight) or the local clock goes back (a DST change), so the
 * candidates are `now` and the instant just before each such point in the last few days.
 */
export function cutoffFor(now: Date, period: DurationPeriod, zone: string): Date {
  const t = now.getTime();
  if (Object.values(period.units).every((v) => !v)) return new Date(t);
  const key = `${t}|${zone}|${JSON.stringify(period.units)}`;
  const known = memo.get(key);
  if (known !== undefined) return new Date(known);
  let best = minus(t, period, zone);
  for (const b of jumpPoints(t, best, period, zone)) {
    if (b > t) continue;
    const c = minus(b - 1, period, zone);
    if (c > best) best = c;
  }
  if (memo.size >= 4096) memo.clear();
  memo.set(key, best);
  return new Date(best);
}

/**
 * Where wall-time subtraction can jump back, in (t − CLAMP_REACH, t]: local midnights (month
 * ends clamp), the zone's offset changes (clocks go back), and the instants whose result
 * lands just past an offset change (a result inside a skipped hour is pushed past it, so
 * the results before the change's end are later than those after it).
 */
function jumpPoints(t: number, plain: number, period: DurationPeriod, zone: string): number[] {
  const points: number[] = [];
  let day = DateTime.fromMillis(t, { zone }).startOf('day');
  for (let i = 0; i < 6 && day.toMillis() > t - CLAMP_REACH; i++) {
    points.push(day.toMillis());
    day = day.minus({ days: 1 }).startOf('day');
  }
  const own = offsetChange(t - CLAMP_REACH, t, zone);
  if (own !== null) points.push(own);
  const result = offsetChange(plain - CLAMP_REACH, plain + 3_600_000, zone);
  if (result !== null) points.push(DateTime.fromMillis(result, { zone }).plus(period.units).toMillis());
  return points;
}

/** The first instant in (lo, hi] with a different UTC offset than lo, if any (at most one in a few days). */
function offsetChange(lo: number, hi: number, zone: string): number | null {
  const offset = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  const start = offset(lo);
  if (offset(hi) === start) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offset(mid) === start) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Cutoffs already worked out: a plan asks for the same (now, period, zone) once per rule that refers to it. */
const memo = new Map<string, number>();

/** An upper bound of the period in milliseconds (months as 31 days), for ordering and limits. */
export function periodMillisUpperBound(period: DurationPeriod): number {
  const u = period.units;
  const day = 86_400_000;
  return (u.years ?? 0) * 366 * day + (u.months ?? 0) * 31 * day + (u.weeks ?? 0) * 7 * day + (u.days ?? 0) * day + (u.hours ?? 0) * 3_600_000 + (u.minutes ?? 0) * 60_000;
}
