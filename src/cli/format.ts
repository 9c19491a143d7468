/** Human output: aligned tables and CSV. Machine output is --json. */
import { UsageError } from '../errors.js';

export type Cell = string | number | boolean | null | undefined;

/** Renders rows as a left-aligned text table with a header rule; numbers are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map(show));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n') + '\n';
}

/** RFC 4180 CSV. */
export function csv(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const esc = (c: Cell) => {
    const s = show(c);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers.map(esc).join(','), ...rows.map((r) => r.map(esc).join(','))].join('\n') + '\n';
}

function show(c: Cell): string {
  if (c === null || c === undefined) return '';
  return String(c);
}

/**
 * The output format of a command with both --json and --format: --json is --format json,
 * so any other --format with it is a contradiction (exit 2), never silently one or the other.
 */
export function outputFormat(json: boolean, format: string | undefined, fallback = 'table'): string {
  if (json && format !== undefined && format !== 'json') throw new UsageError(`--json and --format ${format} disagree: give one of them`);
  return json ? 'json' : (format ?? fallback);
}

/**
 * A result as --json prints it, like every other command's: snake_case keys, and whole
 * milliseconds (a `…Ms` field is a duration, rounded).
 */
export function snakeJson<T>(v: T): SnakeJson<T> {
  if (Array.isArray(v)) return v.map(snakeJson) as SnakeJson<T>;
  if (v === null || typeof v !== 'object') return v as SnakeJson<T>;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), /Ms$/.test(k) && typeof x === 'number' ? Math.round(x) : snakeJson(x)]),
  ) as SnakeJson<T>;
}

/** `runId` → `run_id`, as a type. */
type Snake<S extends string> = S extends `${infer H}${infer R}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<R>}` : S;

/** The type snakeJson returns for a T. */
export type SnakeJson<T> = T extends readonly (infer U)[] ? SnakeJson<U>[] : T extends object ? { [K in keyof T as K extends string ? Snake<K> : K]: SnakeJson<T[K]> } : T;
