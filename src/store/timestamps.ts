/** Engine-neutral helpers for the instants lethe reads from and writes to clock columns. */
import type { ClockFormat } from './types.js';

/** `2024-03-01T00:00:00.000Z`: the one text form lethe writes and hashes. */
export function isoUtc(at: Date): string {
  return at.toISOString();
}

export function epochDivisor(format: Exclude<ClockFormat, 'iso'>): number {
  return format === 'epoch_s' ? 1000 : 1;
}

const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a clock value the way the store compares it. Text without an offset is UTC,
 * as SQLite's julianday() reads it. Returns null for anything that does not parse,
 * including impossible dates (2026-02-30) that Date would silently roll over.
 */
export function parseClockValue(value: unknown, format: ClockFormat = 'iso'): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (format !== 'iso') {
    const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : NaN;
    return Number.isFinite(n) ? new Date(n * epochDivisor(format)) : null;
  }
  if (typeof value !== 'string') return null;
  const s = value.trim();
  const m = ISO_LIKE.exec(s);
  if (!m || !validParts(m)) return null;
  let iso = s.replace(' ', 'T');
  if (iso.length === 10) iso += 'T00:00:00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += 'Z';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function validParts(m: RegExpExecArray): boolean {
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? 0 : Number(x))) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1) return false;
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return d! <= daysInMonth && h! < 24 && mi! < 60 && sec! < 60;
}
