/**
 * Clock health: whether a clock column holds what its rule says it holds.
 *
 * - The sample (every run and `check`): a few hundred values from both ends of the table's
 *   key order, read with the clock reader. When most of them cannot be clocks of this kind
 *   (epoch seconds under epoch_ms, milliseconds under epoch_s, text that is not ISO-8601,
 *   dates centuries away), the stage refuses and changes nothing, whatever the table's size.
 *   It reads at most SAMPLE rows through an index, so it costs the same on 100M rows.
 * - The census (`check` and `report` only): every value that is not a valid clock, counted,
 *   with the key of the first one and the shape of its value. Such values are never due.
 */
import { sql } from 'kysely';
import { RowKey, type KeyValue } from '../exec/row-key.js';
import { col, T } from '../exec/sql-fragments.js';
import type { Adapter, ClockSpec, ColumnInfo, TableInfo } from '../store/types.js';
import { instantOf, maskedShape, readClock } from './read.js';

/** Values read from each end of the table. */
const SAMPLE = 250;
/** A clock this far from now (either way) is not plausible for telecom data. */
const PLAUSIBLE_YEARS = 200;

export interface ClockVerdict {
  readonly message: string;
  readonly hint: string;
}

export interface ClockSample {
  readonly sampled: number;
  readonly invalid: number;
  readonly implausible: number;
  /** Set when the column as a whole cannot be what the rule says. */
  readonly verdict: ClockVerdict | null;
}

/** Samples `column` of `table` and judges it against `spec` at `now`. */
export async function sampleClock(adapter: Adapter, table: TableInfo, column: ColumnInfo, spec: ClockSpec, now: Date): Promise<ClockSample> {
  const raw = adapter.clockRaw(col(T, column.name), column, spec);
  const from = sql`${sql.table(table.name)} as ${sql.id(T)} where ${col(T, column.name)} is not null`;
  const values: unknown[] = [];
  if (table.primaryKey.length) {
    // Both ends of the key order: old and new rows alike, each read through the key's index.
    const order = (dir: 'asc' | 'desc') => sql.join(table.primaryKey.map((k) => sql`${col(T, k)} ${sql.raw(dir)}`));
    for (const dir of ['asc', 'desc'] as const) {
      const r = await sql<{ v: unknown }>`select ${raw} as v from ${from} order by ${order(dir)} limit ${SAMPLE}`.execute(adapter.db);
      values.push(...r.rows.map((x) => x.v));
    }
  } else {
    const r = await sql<{ v: unknown }>`select ${raw} as v from ${from} limit ${2 * SAMPLE}`.execute(adapter.db);
    values.push(...r.rows.map((x) => x.v));
  }
  return judge(values, spec, now, `${table.name}.${column.name}`);
}

/** The verdict on sampled raw values (pure; exported for tests). */
export function judge(values: readonly unknown[], spec: ClockSpec, now: Date, where: string): ClockSample {
  let invalid = 0;
  let implausible = 0;
  const years: number[] = [];
  const nowYear = now.getUTCFullYear();
  for (const v of values) {
    const r = readClock(v, spec);
    if (r.kind === 'null') continue;
    if (r.kind === 'invalid') {
      invalid++;
      continue;
    }
    const at = instantOf(r, spec.zone);
    const year = at ? at.getUTCFullYear() : NaN;
    years.push(year);
    // Epochs start in 1970; a telecom clock before 1971 is a unit error, not a date.
    if (!(year >= 1971 && year <= nowYear + PLAUSIBLE_YEARS && year >= nowYear - PLAUSIBLE_YEARS)) implausible++;
  }
  const sampled = values.filter((v) => v !== null && v !== undefined).length;
  const bad = invalid + implausible;
  if (sampled === 0 || bad * 2 <= sampled) return { sampled, invalid, implausible, verdict: null };
  return { sampled, invalid, implausible, verdict: explain(values, spec, where, { sampled, invalid, implausible, years }) };
}

function explain(values: readonly unknown[], spec: ClockSpec, where: string, n: { sampled: number; invalid: number; implausible: number; years: number[] }): ClockVerdict {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const median = numbers.length ? [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]! : null;
  const head = `clock ${where}: ${n.invalid + n.implausible} of ${n.sampled} sampled values`;
  if (spec.format === 'epoch_ms' && median !== null && Math.abs(median) < 1e11) {
    return { message: `${head} read as dates in ${range(n.years)} under epoch_ms: they look like epoch seconds`, hint: 'set clock_format: epoch_s for this rule (or the store)' };
  }
  if (spec.format === 'epoch_s' && median !== null && Math.abs(median) >= 1e11) {
    const unit = Math.abs(median) >= 1e14 ? 'microseconds' : 'milliseconds';
    return { message: `${head} are out of range or centuries away under epoch_s: they look like epoch ${unit}`, hint: unit === 'milliseconds' ? 'set clock_format: epoch_ms' : 'lethe reads epoch seconds (epoch_s) or milliseconds (epoch_ms)' };
  }
  if (spec.format === 'iso' && n.invalid * 2 > n.sampled) {
    const shape = maskedShape(values.find((v) => readClock(v, spec).kind === 'invalid'));
    return {
      message: `${head} are not ISO-8601 dates (values look like ${shape})`,
      hint: numbers.length * 2 > n.sampled ? 'for epoch numbers set clock_format: epoch_s or epoch_ms' : 'store YYYY-MM-DD[Thh:mm[:ss]][zone]; lethe accepts no other text form',
    };
  }
  return { message: `${head} are not plausible clocks: they read as dates in ${range(n.years)}`, hint: 'check clock_format and the column: a unit or format error deletes everything or nothing' };
}

function range(years: readonly number[]): string {
  const ok = years.filter((y) => Number.isFinite(y));
  if (!ok.length) return 'no valid year';
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
}

export interface ClockCensus {
  /** Non-NULL values that are not valid clocks (never due). */
  readonly invalid: number;
  /** The key of the first such row in key order, and the masked shape of its value. */
  readonly first: { readonly key: KeyValue; readonly shape: string } | null;
}

/** Counts every invalid clock value of `column` (a full scan: check and report only). */
export async function censusClock(adapter: Adapter, table: TableInfo, keyColumns: readonly ColumnInfo[] | null, column: ColumnInfo, spec: ClockSpec): Promise<ClockCensus> {
  const bad = adapter.clockInvalid(col(T, column.name), column, spec);
  const from = sql`${sql.table(table.name)} as ${sql.id(T)} where ${bad}`;
  const n = Number((await sql<{ n: unknown }>`select count(*) as n from ${from}`.execute(adapter.db)).rows[0]?.n ?? 0);
  if (n === 0 || !keyColumns?.length) return { invalid: n, first: null };
  const key = new RowKey(table.name, keyColumns, adapter);
  const r = await sql<Record<string, unknown>>`select ${key.select(T)}, ${adapter.clockRaw(col(T, column.name), column, spec)} as ${sql.id('__v')} from ${from} order by ${key.orderBy(T)} limit 1`.execute(adapter.db);
  const row = r.rows[0];
  return { invalid: n, first: row ? { key: key.fromRow(row), shape: maskedShape(row.__v) } : null };
}
