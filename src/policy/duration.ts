/**
 * Retention periods as written in policies.yaml: `84 months`, `P84M`, `60 days`, `at once`,
 * `unspecified` (documented, never enforced) and `forever` (retain only).
 */
import { Duration } from 'luxon';

export type Period =
  | { readonly kind: 'duration'; readonly text: string; readonly units: Readonly<Partial<Record<Unit, number>>> }
  | { readonly kind: 'unspecified'; readonly text: string }
  | { readonly kind: 'forever'; readonly text: string };

const UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes'] as const;
export type Unit = (typeof UNITS)[number];

const ALIASES: Record<string, Unit> = {
  year: 'years', years: 'years', y: 'years',
  month: 'months', months: 'months',
  week: 'weeks', weeks: 'weeks', w: 'weeks',
  day: 'days', days: 'days', d: 'days',
  hour: 'hours', hours: 'hours', h: 'hours',
  minute: 'minutes', minutes: 'minutes', min: 'minutes',
};

const ZERO_WORDS = new Set(['at once', 'immediately', '0']);

/** Parses a period; on failure returns the message and a "did you mean" hint. */
export function parsePeriod(input: unknown): { ok: true; period: Period } | { ok: false; message: string; hint: string } {
  const hint =
    'write a whole number and a unit (e.g. "84 months", "60 days", "1 year"), an ISO-8601 duration ("P84M"), "at once", "unspecified", or "forever" for retain';
  if (typeof input === 'number' && input === 0) return { ok: true, period: { kind: 'duration', text: '0', units: {} } };
  if (typeof input !== 'string') return { ok: false, message: `a period must be text, got ${describe(input)}`, hint };
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === 'unspecified') return { ok: true, period: { kind: 'unspecified', text } };
  if (text === 'forever') return { ok: true, period: { kind: 'forever', text } };
  if (ZERO_WORDS.has(text)) return { ok: true, period: { kind: 'duration', text, units: {} } };

  if (/^p/i.test(text)) {
    const d = Duration.fromISO(input.trim().toUpperCase());
    if (!d.isValid) return { ok: false, message: `"${input}" is not an ISO-8601 duration`, hint: 'e.g. P84M, P1Y, P60D' };
    const obj = d.toObject() as Record<string, number | undefined>;
    if (obj.seconds || obj.milliseconds || obj.quarters) {
      return { ok: false, message: `"${input}" uses units finer than minutes or quarters`, hint: 'use years, months, weeks, days, hours or minutes' };
    }
    const units: Partial<Record<Unit, number>> = {};
    for (const u of UNITS) if (obj[u]) units[u] = obj[u];
    return { ok: true, period: { kind: 'duration', text: input.trim(), units } };
  }

  const units: Partial<Record<Unit, number>> = {};
  const parts = text.split(/\s*(?:,|\band\b)\s*/).filter(Boolean);
  for (const part of parts) {
    const m = /^(\d+)\s*([a-z]+)$/.exec(part);
    if (!m) return { ok: false, message: `cannot read the period "${input}"`, hint: suggestWord(part) ?? hint };
    const unit = ALIASES[m[2]!];
    if (!unit) {
      // Suggest the canonical plural units: "monhts" is as close to "month" as to "months".
      const guess = closest(m[2]!, [...UNITS]);
      return {
        ok: false,
        message: `unknown unit "${m[2]}" in period "${input}"`,
        hint: guess ? `did you mean "${m[1]} ${guess}"?` : hint,
      };
    }
    if (units[unit] !== undefined) return { ok: false, message: `the unit "${unit}" appears twice in "${input}"`, hint };
    units[unit] = Number(m[1]);
  }
  return { ok: true, period: { kind: 'duration', text: input.trim(), units } };
}

function suggestWord(part: string): string | undefined {
  const guess = closest(part, ['unspecified', 'forever', 'at once', 'immediately']);
  return guess ? `did you mean "${guess}"?` : undefined;
}

/** The nearest candidate by edit distance, when it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}
