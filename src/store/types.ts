/**
 * The engine-neutral view of a store. Everything engine-specific lives behind `Adapter`,
 * one implementation per engine under src/store/; nothing outside those files asks which
 * engine it is talking to.
 */
import type { Kysely, RawBuilder } from 'kysely';

export type EngineName = 'sqlite' | 'postgres' | 'mysql';

/** How clock values are stored: ISO-8601 text (or a native timestamp type), or epoch numbers. */
export type ClockFormat = 'iso' | 'epoch_s' | 'epoch_ms';

export interface ColumnInfo {
  readonly name: string;
  /** The engine's own type name, lower case (e.g. `text`, `timestamp with time zone`, `datetime`). */
  readonly dataType: string;
  /** `timestamp` for native date/time types; the rest by affinity. */
  readonly kind: 'timestamp' | 'text' | 'integer' | 'real' | 'other';
  readonly nullable: boolean;
}

export interface ForeignKeyInfo {
  /** The referencing table (the child). */
  readonly table: string;
  readonly columns: readonly string[];
  /** The referenced table (the parent). */
  readonly refTable: string;
  readonly refColumns: readonly string[];
}

export interface IndexInfo {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface TableInfo {
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnInfo>;
  readonly primaryKey: readonly string[];
  /** Foreign keys declared on this table (this table is the child). */
  readonly foreignKeys: readonly ForeignKeyInfo[];
  readonly indexes: readonly IndexInfo[];
}

/** The live schema as introspected: the only source of identifiers lethe puts into SQL. */
export interface SchemaInfo {
  readonly tables: ReadonlyMap<string, TableInfo>;
}

/** Column kinds the reference schema and lethe's own tables are declared with. */
export type SqlTypeKind =
  | 'id' // integer primary key, values supplied by the writer
  | 'serial' // integer primary key the store assigns (1, 2, 3 … on a fresh store)
  | 'bigint' // integer, e.g. a foreign key to an id
  | 'int' // small integer (flags, counts)
  | 'key' // short indexed text (provider ids, names used in keys)
  | 'string' // personal or descriptive text up to 255 chars
  | 'text' // long text (bodies, JSON)
  | 'timestamp'; // a point in time, UTC

export interface Adapter {
  readonly engine: EngineName;
  readonly db: Kysely<any>;
  /** A printable, password-free description of the store for logs. */
  readonly description: string;
  /** Whether INSERT … RETURNING works; without it the driver's insert id is used. */
  readonly supportsReturning: boolean;
  /** Whether SELECT … FOR UPDATE is needed (and allowed) to lock rows inside a transaction. */
  readonly supportsForUpdate: boolean;
  /**
   * A keyword placed right after SELECT in a batch's key query when it joins the clock's
   * table, keeping the rule's table as the driving table walked in key order ('' for none).
   */
  readonly keyScanHint: string;
  /** The clause that takes a shared row lock (`for share`, `lock in share mode`), or '' when not needed. */
  readonly shareLockClause: string;

  /** The SQL type to declare a column of the given kind with. */
  sqlType(kind: SqlTypeKind): string;
  /** Encodes a point in time for binding to a `timestamp` column of this engine. */
  encodeTimestamp(at: Date): unknown;
  /** Decodes whatever the driver returned for a clock column into a Date (null when unparseable). */
  decodeTimestamp(value: unknown, format?: ClockFormat): Date | null;

  /** Reads tables, columns, primary keys, foreign keys and indexes. */
  introspect(): Promise<SchemaInfo>;
  /** The store's own clock, read once per run. */
  dbNow(): Promise<Date>;
  /**
   * Runs `fn` in one transaction that takes the write lock up front (SQLite: BEGIN IMMEDIATE),
   * commits when it resolves and rolls back when it throws.
   */
  transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T>;
  /**
   * A predicate that is true when the clock value `expr` (of column `column`, stored in
   * `format`) is not NULL, parses, and lies strictly before `cutoff`.
   */
  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat, cutoff: Date): RawBuilder<unknown>;
  /**
   * `expr` typed for assignment to `column`. Needed where the engine types an expression
   * of bound parameters as text (a CASE over parameters on PostgreSQL) and refuses to
   * assign text to a timestamp or number column.
   */
  castForColumn(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown>;
  /** A predicate true for non-NULL clock values that do not parse in `format` (for `check`). */
  clockUnparseable(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat): RawBuilder<unknown>;
  close(): Promise<void>;
}
