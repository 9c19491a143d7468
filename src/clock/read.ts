/**
 * The one clock reader. It decides, for a stored clock value, whether it is a valid clock
 * at all and whether it lies before a cutoff. Every engine's SQL (Adapter.clockBefore and
 * clockInvalid) is written to give exactly these answers, and a property test checks that
 * it does; explain, plan, run and the overdue gauge all decide through it.
 *
 * What is valid:
 * - ISO-8601 text: `YYYY-MM-DD`, optionally followed by `T` or one space, `hh:mm`, optional
 *   `:ss` and a fraction of 1–9 digits, and optionally a zone (`Z`, `±hh:mm`, `±hhmm`,
 *   `±hh`, at most ±14:59). The date must exist (no 2026-02-30), the year is 0001–9999,
 *   hours 00–23, minutes and seconds 00–59. Nothing else: no `2026-5-1`, no space before
 *   the offset, no surrounding blanks. Fractions beyond microseconds are truncated.
 * - Native date and time types, read as the text the engine prints for them.
 * - Epoch numbers (`epoch_s`, `epoch_ms`) between the years 0001 and 9999.
 *
 * How it compares: a value that names an instant (a zone, timestamptz, an epoch) is compared
 * as an instant. A value without a zone (a naive timestamp, a DATE, ISO text without an
 * offset) is a wall time in the rule's `clock_zone`, and is compared with the cutoff's wall
 * time in that zone. Comparing wall times needs no time-zone tables in the database, so
 * every engine can do it; it differs from converting each value to an instant only inside
 * the hour a DST change repeats.
 */
import { DateTime } from 'luxon';
import type { ClockSpec } from '../store/types.js';

/** The grammar of ISO clock text, shared verbatim with the engines' regular expressions. */
export const ISO_CLOCK_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?$';
/** A zone at the end of ISO clock text (only meaningful once the text has a time). */
export const ISO_ZONE_PATTERN = '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$';

const ISO = new RegExp(ISO_CLOCK_PATTERN);
const ZONE = new RegExp(ISO_ZONE_PATTERN);

/**
 * Forms of clock text a SQLite store compares as text: within one form, text order is time
 * order. A date (`YYYY-MM-DD`), optionally followed by the separator (`T` or a space) and
 * `hh:mm`, `:ss`, `.fff` or `.ffffff`, and a time optionally by `Z` or `+00:00`. Without a
 * zone it is a wall time in the clock's zone; with one, an instant. These are the forms
 * applications write: lethe's and JavaScript's own (`2024-03-01T12:00:00.000Z`), SQLite's
 * CURRENT_TIMESTAMP (`2024-03-01 12:00:00`), Django's and Rails' (`… 12:00:00.000000`),
 * Python's isoformat of a UTC time (`2024-03-01T12:00:00+00:00`). clockTextForm(v) − 1 is
 * the value's index here. The most common come first: SQLite's CASE tries them in turn (14
 * forms before lethe's own cost 0.1 s per 1M rows).
 */
export const TEXT_FORMS: readonly TextForm[] = (() => {
  const all = [10, 16, 19, 23, 26].flatMap((length) =>
    length === 10
      ? [{ length, separator: 'T' as const, zone: '' as const }]
      : (['T', ' '] as const).flatMap((separator) => (['', 'Z', '+00:00'] as const).map((zone) => ({ length, separator, zone }))),
  );
  // lethe's and JavaScript's, SQLite's CURRENT_TIMESTAMP, Django's and Rails'; then the rest.
  const common = ['23TZ', '19 ', '26 ', '23 '];
  const rank = (f: TextForm) => {
    const i = common.indexOf(`${f.length}${f.separator}${f.zone}`);
    return i < 0 ? common.length : i;
  };
  return all.sort((a, b) => rank(a) - rank(b));
})();

export interface TextForm {
  /** Characters before the zone. */
  readonly length: number;
  readonly separator: 'T' | ' ';
  readonly zone: '' | 'Z' | '+00:00';
}

const FORM_CODES = new Map(TEXT_FORMS.map((f, i) => [formKey(f.length, f.separator, f.zone), i + 1]));

function formKey(length: number, separator: string, zone: string): number {
  return length * 100 + (separator === ' ' ? 10 : 0) + (zone === 'Z' ? 1 : zone === '' ? 0 : 2);
}

/**
 * 1 + the index in TEXT_FORMS of a valid clock value's form, 0 for anything else (which goes
 * to the reader). Valid as readClock has it: the date exists, year 0001–9999, hours 00–23,
 * minutes and seconds 00–59. SQLite calls it on every due row. Before it, only lethe's own
 * form was compared in SQL, and the rest went to the reader through a second function call:
 * 1,000 key selects of 1,000 rows such as `2025-07-07 05:55:06` took 1.8–2.2 s, 0.7–0.9 s
 * with it (0.35–0.40 s without any check, for scale).
 */
export function clockTextForm(raw: unknown): number {
  if (typeof raw !== 'string') return 0;
  const n = raw.length;
  // lethe's own form first, by one expression, as most stores hold it: the general path
  // below made the bench's key selects 0.2 s slower per 1M rows.
  if (n === 24 && LETHE_FORM_TEXT.test(raw)) return validDate(raw) ? LETHE_FORM : 0;
  const zone = raw.endsWith('Z') ? 'Z' : raw.endsWith('+00:00') ? '+00:00' : '';
  const length = n - zone.length;
  if (length !== 10 && length !== 16 && length !== 19 && length !== 23 && length !== 26) return 0;
  if (!digitsAt(raw, 0, 4) || raw[4] !== '-' || !digitsAt(raw, 5, 7) || raw[7] !== '-' || !digitsAt(raw, 8, 10) || !validDate(raw)) return 0;
  const separator = length === 10 ? 'T' : raw[10]!;
  if (length > 10 && ((separator !== 'T' && separator !== ' ') || !digitsAt(raw, 11, 13) || raw[13] !== ':' || !digitsAt(raw, 14, 16) || twoAt(raw, 11) > 23 || twoAt(raw, 14) > 59)) return 0;
  if (length > 16 && (raw[16] !== ':' || !digitsAt(raw, 17, 19) || twoAt(raw, 17) > 59)) return 0;
  if (length > 19 && (raw[19] !== '.' || !digitsAt(raw, 20, length))) return 0;
  return FORM_CODES.get(formKey(length, separator, zone)) ?? 0;
}

/** lethe's own form, `2024-03-01T00:00:00.000Z`, with months, days, hours, minutes and seconds in range (not yet the day in its month). */
const LETHE_FORM_TEXT = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$/;
const LETHE_FORM = 1 + TEXT_FORMS.findIndex((f) => f.length === 23 && f.separator === 'T' && f.zone === 'Z');

/** Whether the `YYYY-MM-DD` that `s` starts with (digits already checked) names a real date of the years 0001–9999. */
function validDate(s: string): boolean {
  const month = twoAt(s, 5);
  const day = twoAt(s, 8);
  if (s.startsWith('0000') || month < 1 || month > 12 || day < 1) return false;
  // Every month has days 01 to 28.
  return day <= 28 || day <= daysInMonth(Number(s.slice(0, 4)), month);
}

function digitsAt(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function twoAt(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
}

/**
 * The text below which a value of `form` lies before `cutoff`: the cutoff's wall time (its
 * UTC time, for a form with a zone) in that form, rounded up to the form's precision (a value
 * `12:00:00` is before a cutoff at 12:00:00.5, as readClock compares).
 */
export function textFormBound(cutoff: Cutoff, form: TextForm): string {
  const fixed = form.zone ? cutoff.utc : cutoff.wall;
  let bound = fixed.slice(0, form.length);
  if (/[1-9]/.test(fixed.slice(form.length))) {
    // One unit of the form's precision later (a wall time is read as UTC fields: only the digits matter).
    const unitMs = form.length === 10 ? 86_400_000 : form.length === 16 ? 60_000 : form.length === 19 ? 1000 : 1;
    // The cutoff has millisecond precision: only the shorter forms round.
    const next = new Date(Math.floor(Date.parse(`${fixed.slice(0, 23)}Z`) / unitMs) * unitMs + unitMs);
    // Past 9999-12-31 every valid value is before the cutoff: ':' sorts after every digit.
    if (next.getUTCFullYear() > 9999) return ':';
    bound = next.toISOString().slice(0, form.length);
  }
  return form.length > 10 ? `${bound.slice(0, 10)}${form.separator}${bound.slice(11)}${form.zone}` : bound;
}

/** Epoch values outside 0001-01-01 … 9999-12-31 are not clocks. */
export const EPOCH_SECONDS_RANGE = [-62_135_596_800, 253_402_300_799] as const;

export type ClockReading =
  | { readonly kind: 'null' }
  | { readonly kind: 'invalid' }
  /** An instant: UTC text `YYYY-MM-DDTHH:MM:SS.ffffff` (fixed width, so text order is time order). */
  | { readonly kind: 'instant'; readonly utc: string }
  /** A wall time in the clock's zone, in the same fixed-width form. */
  | { readonly kind: 'wall'; readonly wall: string }
  /** An epoch number, compared as a number. */
  | { readonly kind: 'epoch'; readonly value: number; readonly divisor: number };

/** A cutoff in every form a reading is compared in. */
export interface Cutoff {
  readonly at: Date;
  /** `at` as fixed-width UTC text with microseconds. */
  readonly utc: string;
  /** `at` as wall time in the clock's zone, fixed-width. */
  readonly wall: string;
}

/** Reads a stored clock value (as the store returned it, or as Adapter.clockRaw renders it). */
export function readClock(raw: unknown, spec: ClockSpec): ClockReading {
  if (raw === null || raw === undefined) return { kind: 'null' };
  if (spec.format !== 'iso') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : NaN;
    if (!Number.isFinite(n)) return { kind: 'invalid' };
    const divisor = spec.format === 'epoch_s' ? 1 : 1000;
    const [lo, hi] = EPOCH_SECONDS_RANGE;
    if (n < lo * divisor || n > hi * divisor) return { kind: 'invalid' };
    return { kind: 'epoch', value: n, divisor };
  }
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) return { kind: 'invalid' };
    const utc = fixedUtc(raw.getTime(), 0);
    return utc ? { kind: 'instant', utc } : { kind: 'invalid' };
  }
  if (typeof raw !== 'string') return { kind: 'invalid' };
  return readIsoText(raw);
}

function readIsoText(s: string): ClockReading {
  if (!ISO.test(s) || !validDate(s)) return { kind: 'invalid' };
  const y = Number(s.slice(0, 4));
  const mo = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  const zone = s.length > 10 ? ZONE.exec(s) : null;
  const local = zone ? s.slice(0, zone.index) : s;
  // YYYY-MM-DD hh:mm:ss.ffffff — truncated to microseconds, the finest every engine keeps.
  const h = local.length > 10 ? local.slice(11, 13) : '00';
  const mi = local.length > 10 ? local.slice(14, 16) : '00';
  const sec = local.length > 16 ? local.slice(17, 19) : '00';
  const frac = (local.length > 20 ? local.slice(20, 26) : '').padEnd(6, '0');
  const wall = `${s.slice(0, 10)}T${h}:${mi}:${sec}.${frac}`;
  if (!zone) return { kind: 'wall', wall };
  const offsetMinutes = zone[1] === 'Z' ? 0 : offsetOf(zone[1]!);
  const ms = utcMillis(y, mo, d, Number(h), Number(mi), Number(sec), Number(frac.slice(0, 3))) - offsetMinutes * 60_000;
  const utc = fixedUtc(ms, Number(frac.slice(3)));
  return utc ? { kind: 'instant', utc } : { kind: 'invalid' };
}

/** True when `r` is a valid clock lying strictly before the cutoff. NULL and invalid values never are. */
export function isBefore(r: ClockReading, cutoff: Cutoff): boolean {
  switch (r.kind) {
    case 'instant':
      return r.utc < cutoff.utc;
    case 'wall':
      return r.wall < cutoff.wall;
    case 'epoch':
      // The same division the SQL does, so a value on the boundary gets the same answer.
      return r.value < cutoff.at.getTime() / (r.divisor === 1 ? 1000 : 1);
    default:
      return false;
  }
}

/**
 * The epoch value below which a clock is before `cutoff` (scale 1 for seconds, 1000 for
 * milliseconds). For integer columns the bound is rounded up (v < 1.5 ⇔ v < 2 for integers),
 * so it binds as the column's type and the comparison stays an index range; other columns
 * compare with the exact quotient, as isBefore does.
 */
export function epochBound(cutoff: Date, scale: 1 | 1000, column: { kind: string }): number | string {
  const exact = cutoff.getTime() / (scale === 1 ? 1000 : 1);
  return column.kind === 'integer' ? Math.ceil(exact) : String(exact);
}

/** The cutoff instant `at` in every form readings are compared in, for clocks read in `zone`. */
export function cutoffOf(at: Date, zone: string): Cutoff {
  return { at, utc: fixedUtc(at.getTime(), 0) ?? '', wall: wallOf(at, zone) };
}

/** `at` as wall time in `zone`, fixed-width with microseconds. */
export function wallOf(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat("yyyy-LL-dd'T'HH:mm:ss.SSS") + '000';
}

/** The instant a reading denotes (a wall time is placed in `zone`); null for NULL and invalid values. */
export function instantOf(r: ClockReading, zone: string): Date | null {
  switch (r.kind) {
    case 'instant':
      return new Date(`${r.utc.slice(0, 23)}Z`);
    case 'wall': {
      const dt = DateTime.fromISO(r.wall.slice(0, 23), { zone });
      return dt.isValid ? dt.toJSDate() : null;
    }
    case 'epoch':
      return new Date(r.value * (r.divisor === 1 ? 1000 : 1));
    default:
      return null;
  }
}

/** How a reading prints in explain: ISO UTC for instants, the wall time and its zone otherwise. */
export function showReading(r: ClockReading, zone: string): string | null {
  switch (r.kind) {
    case 'instant':
      return `${r.utc.slice(0, 23)}Z`;
    case 'wall':
      // A wall time read in UTC is an instant, and prints as one.
      return zone === 'UTC' || zone === 'Etc/UTC' ? `${r.wall.slice(0, 23)}Z` : `${r.wall.slice(0, 23)} (${zone})`;
    case 'epoch':
      return new Date(r.value * (r.divisor === 1 ? 1000 : 1)).toISOString();
    default:
      return null;
  }
}

/**
 * The shape of a value with its digits and letters masked (`2026-5-1` → `9999-9-9`), so
 * `check` and `report` can say what a bad value looks like without printing it.
 */
export function maskedShape(raw: unknown): string {
  if (raw === null || raw === undefined) return 'NULL';
  if (typeof raw === 'number' || typeof raw === 'bigint') return `a number of ${String(raw).replace(/^-/, '').split('.')[0]!.length} digits`;
  const s = raw instanceof Date ? raw.toISOString() : String(raw);
  const masked = s.slice(0, 40).replace(/[0-9]/g, '9').replace(/[A-Za-z]/g, (c) => (c === 'T' || c === 'Z' ? c : 'a'));
  return JSON.stringify(s.length > 40 ? `${masked}…` : masked);
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function offsetOf(zone: string): number {
  const z = zone.replace(':', '');
  const sign = z[0] === '-' ? -1 : 1;
  return sign * (Number(z.slice(1, 3)) * 60 + (z.length > 3 ? Number(z.slice(3, 5)) : 0));
}

/** Date.UTC without its 0–99 → 1900s quirk. */
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, ms);
  return dt.getTime();
}

/** Fixed-width UTC text for years 0001–9999, or null outside them. */
function fixedUtc(ms: number, extraMicros: number): string | null {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (!(y >= 1 && y <= 9999)) return null;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(y, 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}${p(extraMicros, 3)}`;
}
