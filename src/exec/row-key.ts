/**
 * Row identity. A row is named by the columns of its table's primary key, or of the rule's
 * `key` where the table has none: one column or several, of any type. This is the only
 * place that knows how a key is read, compared, ordered, stored and printed; the executor,
 * holds, the file queue, explain and the audit all go through it.
 *
 * The canonical form of a key is JSON: a scalar for a one-column key, an array for a
 * composite one. Integers are JSON numbers (text beyond 2^53), everything else is text as
 * the engine prints it (timestamps, UUIDs, hex for binary), so a key read from one engine
 * binds back to exactly the same row.
 */
import { sql, type RawBuilder } from 'kysely';
import { UsageError } from '../errors.js';
import type { Adapter, ColumnInfo } from '../store/types.js';

export type KeyPart = string | number;
/** A scalar for a one-column key, an array (one part per column) for a composite key. */
export type KeyValue = KeyPart | KeyPart[];

/** Keys per IN list: keeps every statement far below each engine's parameter limit. */
export const KEY_CHUNK = 500;

export class RowKey {
  constructor(
    /** The table's name, for messages. */
    readonly table: string,
    readonly columns: readonly ColumnInfo[],
    private readonly adapter: Adapter,
  ) {}

  get composite(): boolean {
    return this.columns.length > 1;
  }

  /**
   * Keys per statement: a whole batch for a one-column key (one IN list, or one array
   * parameter on PostgreSQL and SQLite, far below every parameter limit) and for a composite
   * key the engine takes as a tuple list (keyTupleInList); KEY_CHUNK for an OR of ANDs.
   */
  get chunk(): number {
    const oneList = !this.composite || (this.adapter.keyTupleInList !== undefined && this.columns.every((c) => c.kind !== 'binary'));
    return oneList ? 10_000 : KEY_CHUNK;
  }

  /** Printable names: `id`, or `(dir, msgnum)`. */
  get names(): string {
    return this.composite ? `(${this.columns.map((c) => c.name).join(', ')})` : this.columns[0]!.name;
  }

  /** The select list `<t.c0> as __k0, …` (read so the value round-trips exactly); `as` names the outputs for several keys in one row. */
  select(alias: string, as = '__k'): RawBuilder<unknown> {
    return sql.join(this.columns.map((c, i) => sql`${this.adapter.keyOut(sql.ref(`${alias}.${c.name}`), c)} as ${sql.id(`${as}${i}`)}`));
  }

  /** The canonical key of a result row selected with `select`. */
  fromRow(row: Record<string, unknown>, as = '__k'): KeyValue {
    // Called for every row of every batch: a one-column key builds no array and no name.
    if (!this.composite) return canonicalPart(row[as === '__k' ? '__k0' : `${as}0`], this.columns[0]!);
    return this.columns.map((c, i) => canonicalPart(row[`${as}${i}`], c));
  }

  orderBy(alias: string): RawBuilder<unknown> {
    return sql.join(this.columns.map((c) => sql.ref(`${alias}.${c.name}`)));
  }

  /** Rows strictly after `cursor` in key order: index-driven on every engine. */
  after(alias: string, cursor: KeyValue): RawBuilder<unknown> {
    return this.#bound(alias, cursor, '>');
  }

  /**
   * Rows up to and including `last` in key order, as an index bound on every engine. A
   * composite key's `not (after last)` was none: on PostgreSQL each batch of a partition's
   * due rows read its primary key from the cursor to the partition's end (14.8 ms a delete
   * at 400,000 rows a partition, against 6.4 at 120,000).
   */
  upTo(alias: string, last: KeyValue): RawBuilder<unknown> {
    return this.#bound(alias, last, '<=');
  }

  #bound(alias: string, k: KeyValue, op: '>' | '<='): RawBuilder<unknown> {
    const parts = this.parts(k);
    const refs = this.columns.map((c) => sql.ref(`${alias}.${c.name}`));
    const vals = this.columns.map((c, i) => this.adapter.bindKey(parts[i]!, c));
    if (!this.composite) return sql`${refs[0]} ${sql.raw(op)} ${vals[0]}`;
    if (this.adapter.rowValueKeyset) return sql`(${sql.join(refs)}) ${sql.raw(op)} (${sql.join(vals)})`;
    // a >= ? and (a > ? or (b >= ? and (b > ? or c > ?))), and for `<=` the mirror: the
    // leading comparison on the first column gives a range scan.
    const [weak, strict] = op === '>' ? ['>=', '>'] : ['<=', '<'];
    const nest = (i: number): RawBuilder<unknown> =>
      i === refs.length - 1 ? sql`${refs[i]} ${sql.raw(op)} ${vals[i]}` : sql`${refs[i]} ${sql.raw(weak)} ${vals[i]} and (${refs[i]} ${sql.raw(strict)} ${vals[i]} or ${nest(i + 1)})`;
    return sql`(${nest(0)})`;
  }

  /**
   * The rows `keys` name, as a key range, where the store's write lock keeps what a batch
   * selected as it was (Adapter.lockedKeyRange) and the keys, in key order, are every integer
   * from the first to the last: no other row can lie in that range. Null otherwise.
   */
  filledRange(alias: string, keys: readonly KeyValue[]): RawBuilder<unknown> | null {
    if (!this.adapter.lockedKeyRange || this.composite || this.columns[0]!.kind !== 'integer' || keys.length === 0) return null;
    const first = keys[0];
    if (typeof first !== 'number') return null;
    for (let i = 1; i < keys.length; i++) if (keys[i] !== first + i) return null;
    return this.adapter.lockedKeyRange(sql.ref(`${alias}.${this.columns[0]!.name}`), first, first + keys.length - 1);
  }

  /** `alias` is one of `keys` (at most KEY_CHUNK of them for a composite key, 10,000 for one column). */
  in(alias: string, keys: readonly KeyValue[]): RawBuilder<unknown> {
    if (keys.length === 0) return sql`1 = 0`;
    if (!this.composite) {
      const c = this.columns[0]!;
      return this.adapter.keyInList(sql.ref(`${alias}.${c.name}`), keys.map((k) => this.parts(k)[0]!), c);
    }
    const parts = keys.map((k) => this.parts(k));
    const tuples = this.adapter.keyTupleInList?.(this.columns.map((c) => sql.ref(`${alias}.${c.name}`)), parts, this.columns);
    if (tuples) return tuples;
    // (a = ? and b = ?) or …, where the engine has no tuple list for these columns (binary
    // ones): index lookups through an index, but every term tested on every row without one.
    return sql`(${sql.join(keys.map((k) => this.is(alias, k)), sql` or `)})`;
  }

  /**
   * `alias` is the row `k` names: an equality per key column. Where a statement tells many
   * rows apart one by one (the CASE of an anonymising UPDATE), a one-key `in` list would be a
   * subquery per row on SQLite, with its own temporary table, and an array cast per row on
   * PostgreSQL.
   */
  is(alias: string, k: KeyValue): RawBuilder<unknown> {
    const p = this.parts(k);
    return sql`(${sql.join(this.columns.map((c, i) => sql`${sql.ref(`${alias}.${c.name}`)} = ${this.adapter.bindKey(p[i]!, c)}`), sql` and `)})`;
  }

  /** Text of a key for holds, the file queue and messages: its canonical JSON. */
  static encode(k: KeyValue): string {
    // A number's JSON is its String(), and far cheaper to get.
    return typeof k === 'number' ? String(k) : JSON.stringify(k);
  }

  /** A key back from its stored JSON; malformed text yields null rather than a wrong key. */
  static decode(text: unknown): KeyValue | null {
    try {
      const v = JSON.parse(String(text)) as unknown;
      if (typeof v === 'string' || typeof v === 'number') return v;
      if (Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' || typeof p === 'number')) return v as KeyPart[];
      return null;
    } catch {
      return null;
    }
  }

  /**
   * A key typed on the command line: the value itself for a one-column key (`42`, a UUID),
   * or a JSON array with one value per column for a composite key (`'["/var/spool/vm/INBOX", 3]'`).
   */
  parseInput(text: string, what: string): KeyValue {
    if (!this.composite) {
      const c = this.columns[0]!;
      let raw: unknown = text;
      // A JSON string copied from the audit ("abc") is the string inside the quotes.
      if (/^".*"$/.test(text)) {
        try {
          raw = JSON.parse(text);
        } catch {
          raw = text;
        }
      }
      return this.checkPart(String(raw), c, what);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!Array.isArray(parsed) || parsed.length !== this.columns.length) {
      throw new UsageError(`${what}: ${this.table} is keyed by ${this.names}: give the key as a JSON array of ${this.columns.length} values, e.g. '${JSON.stringify(this.columns.map((c) => (c.kind === 'integer' ? 1 : 'value')))}'`);
    }
    return parsed.map((p, i) => this.checkPart(String(p), this.columns[i]!, what));
  }

  /** `42`, or `["/var/spool", 3]` for a composite key, for messages. */
  describe(k: KeyValue): string {
    return Array.isArray(k) ? JSON.stringify(k) : String(k);
  }

  /** The parts of `k`, one per key column. */
  parts(k: KeyValue): KeyPart[] {
    const parts = Array.isArray(k) ? k : [k];
    if (parts.length !== this.columns.length) throw new Error(`a key of ${parts.length} part(s) for ${this.table}, keyed by ${this.names}`);
    return parts;
  }

  private checkPart(text: string, c: ColumnInfo, what: string): KeyPart {
    if (c.kind === 'integer') {
      if (!/^-?\d+$/.test(text)) throw new UsageError(`${what}: "${text}" is not a row id: ${this.table}.${c.name} is ${c.dataType}`);
      return canonicalPart(text, c);
    }
    if (c.kind === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
      throw new UsageError(`${what}: "${text}" is not a row id: ${this.table}.${c.name} is a UUID`);
    }
    return c.kind === 'uuid' ? text.toLowerCase() : text;
  }
}

/** One key column's value in canonical form: safe integers as numbers, everything else as text. */
export function canonicalPart(v: unknown, c: Pick<ColumnInfo, 'kind'>): KeyPart {
  if (c.kind === 'integer') {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    const text = typeof v === 'bigint' ? v.toString() : String(v);
    if (/^-?\d+$/.test(text)) {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text.replace(/^(-?)0+(?=\d)/, '$1');
    }
    return text;
  }
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}
