/**
 * The one due-date function. A row is due for a stage at `now` when its clock reads before
 * `now − after` (calendar arithmetic in the provider's zone). The run, plan and the overdue
 * gauge ask the database that question with the cutoff below; explain asks it here, and
 * prints the due date as the first instant at which the answer becomes yes. Month ends,
 * leap days and DST changes therefore give one answer everywhere: explain never prints a
 * due date in the past for a row the run keeps.
 */
import { DateTime } from 'luxon';
import type { Period } from '../policy/duration.js';
import { cutoffFor } from '../policy/period-math.js';
import { cutoffOf, instantOf, isBefore, type ClockReading, type Cutoff } from './read.js';

type DurationPeriod = Extract<Period, { kind: 'duration' }>;

/** The cutoff of a stage at `now`: clocks (read in `clockZone`) strictly before it are due. */
export function stageCutoff(now: Date, after: DurationPeriod, providerZone: string, clockZone: string): Cutoff {
  return cutoffOf(cutoffFor(now, after, providerZone), clockZone);
}

/** Whether a clock reading is due for a stage of period `after` at `now`. */
export function isDue(r: ClockReading, now: Date, after: DurationPeriod, providerZone: string, clockZone: string): boolean {
  return isBefore(r, stageCutoff(now, after, providerZone, clockZone));
}

/**
 * The due date of `r` for a stage of period `after`: the last instant at which it is not yet
 * due (the run uses `clock < now − after`, so at that instant itself the row is kept, and a
 * millisecond later it is due). Null for a NULL or invalid clock, which is never due. Found
 * by bisection around the naive `clock + after`, within a few days of it whatever the
 * calendar does; the cutoff is monotone (period-math.ts), so there is one such instant.
 */
export function dueDate(r: ClockReading, after: DurationPeriod, providerZone: string, clockZone: string): Date | null {
  const clock = instantOf(r, clockZone);
  if (!clock) return null;
  const due = (t: number) => isDue(r, new Date(t), after, providerZone, clockZone);
  const guess = DateTime.fromJSDate(clock, { zone: providerZone }).plus(after.units).toMillis();
  const day = 86_400_000;
  let lo = guess - 4 * day;
  let hi = guess + 4 * day;
  // The window always brackets the answer; widen defensively rather than assume it.
  for (let i = 0; due(lo) && i < 64; i++) lo -= 4 * day;
  for (let i = 0; !due(hi) && i < 64; i++) hi += 4 * day;
  if (due(lo) || !due(hi)) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (due(mid)) hi = mid;
    else lo = mid;
  }
  return new Date(lo);
}
