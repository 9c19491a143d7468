/**
 * The engine-neutral view of a store. Everything engine-specific lives behind `Adapter`,
 * one implementation per engine under src/store/; nothing outside those files asks which
 * engine it is talking to.
 */
import type { Kysely, RawBuilder } from 'kysely';

export type EngineName = 'sqlite' | 'postgres' | 'mysql';

/** How clock values are stored: ISO-8601 text (or a native date/time type), or epoch numbers. */
export type ClockFormat = 'iso' | 'epoch_s' | 'epoch_ms';

/** How to read a clock column: its format, and the zone values without one are read in. */
export interface ClockSpec {
  readonly format: ClockFormat;
  /** IANA zone for values that carry no zone (naive timestamps, DATE, ISO text without offset). */
  readonly zone: string;
}

export type ColumnKind =
  | 'timestamp' // a native date-time type (with or without a zone: see `zoned`)
  | 'date' // a native calendar date
  | 'text'
  | 'integer'
  | 'real'
  | 'uuid'
  | 'binary'
  | 'other';

export interface ColumnInfo {
  readonly name: string;
  /** The engine's own type name, lower case (e.g. `text`, `timestamp with time zone`, `datetime`). */
  readonly dataType: string;
  readonly kind: ColumnKind;
  /** For timestamps: whether the stored value is an instant (timestamptz, MySQL TIMESTAMP) rather than a wall time. */
  readonly zoned: boolean;
  /** For text: the declared maximum length in characters, or null when unbounded or unknown. */
  readonly maxLength: number | null;
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
  readonly unique: boolean;
}

export interface TableInfo {
  /**
   * The table's name as lethe uses it: `calls` for a table of the store's default schema
   * (PostgreSQL's current schema, MySQL's connected database, SQLite's main), `kamailio.acc`
   * for one in another schema or database. Spelled as the catalogue spells it.
   */
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnInfo>;
  /** Primary-key columns in key order; empty for a table without one. */
  readonly primaryKey: readonly string[];
  /** Foreign keys declared on this table (this table is the child). */
  readonly foreignKeys: readonly ForeignKeyInfo[];
  readonly indexes: readonly IndexInfo[];
}

/** The live schema as introspected: the only source of identifiers lethe puts into SQL. */
export interface SchemaInfo {
  readonly tables: ReadonlyMap<string, TableInfo>;
  /** The schema (PostgreSQL) or database (MySQL) unqualified names belong to; null on SQLite. */
  readonly defaultSchema: string | null;
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

/** A database error reduced to what may be logged: no driver message, which can quote row values. */
export interface SafeDbError {
  readonly code: string;
  readonly constraint: string | null;
  readonly table: string | null;
}

/**
 * One RANGE partition of a table partitioned on a single column (DESIGN §9): its name as lethe
 * names tables, and its bounds as instants (null for MINVALUE / MAXVALUE).
 */
export interface RangePartition {
  readonly name: string;
  readonly from: Date | null;
  readonly to: Date | null;
}

export interface Adapter {
  readonly engine: EngineName;
  readonly db: Kysely<any>;
  /** A printable, password-free description of the store for logs. */
  readonly description: string;
  /** The schema (PostgreSQL) or database (MySQL) lethe's own tables live in; null for the default. */
  letheSchema: string | null;
  /** Whether INSERT … RETURNING works; without it the driver's insert id is used. */
  readonly supportsReturning: boolean;
  /**
   * Whether a batch's DELETE and UPDATE report the keys they changed (RETURNING): then a
   * batch locks nothing up front, its writes carry the due condition, and the audit names
   * the rows they returned. Without it the selected rows are locked (rowLockClause) and the
   * writes change exactly those.
   */
  readonly writeReturnsKeys: boolean;
  /**
   * The throttle's default pause between batches: on SQLite a writer waiting on the one
   * write lock needs a gap longer than its busy handler's back-off to get in (25 ms); row
   * locks on PostgreSQL and MySQL do not block other writers, so there it is 0.
   */
  readonly defaultPauseMs: number;
  /**
   * Run at the start of a throttle's pause: copies the pages lethe's batches wrote from the
   * write-ahead log into the database without waiting on or blocking any writer (SQLite's
   * PASSIVE checkpoint). Absent where the server does this itself.
   */
  checkpoint?(): Promise<void>;
  /**
   * Makes every commit so far survive a power cut, where a commit alone does not (SQLite at
   * synchronous = NORMAL writes it to the WAL without an fsync). Called before lethe acts
   * outside the store on what was committed: unlinking a deleted row's file, writing a signed
   * checkpoint of the audit head. Absent where every commit is durable by itself.
   */
  syncCommits?(): Promise<void>;
  /**
   * Whether a delete batch deletes by key range (after the cursor, up to the batch's last key,
   * the due condition repeated) rather than by a list of keys: where the key query locked that
   * range (rowLockClause; MySQL, when nothing selected is held), or where the delete returns
   * its keys and held rows are left out by its condition (PostgreSQL). On MySQL a range delete
   * takes half the time of a 1,000-key IN list, on PostgreSQL four fifths of a key array's;
   * on SQLite, where the due condition means reading every row's clock again, the list was as
   * fast (SQLite deletes by the range its keys fill instead: lockedKeyRange).
   */
  readonly rangeDeletes: boolean;
  /**
   * Where a batch's transaction holds the store's one write lock from its key query to its
   * commit (SQLite's BEGIN IMMEDIATE), nothing the key query read can change before the
   * delete: a batch whose keys are every integer from its first to its last deletes that
   * range with no due condition (RowKey.filledRange). This is the range's condition; on
   * SQLite it also asks for an integer, since a column declared integer may hold 5.5,
   * which lies between 5 and 6 but was not selected. Absent elsewhere.
   */
  lockedKeyRange?(ref: RawBuilder<unknown>, first: number, last: number): RawBuilder<unknown>;
  /** Whether SELECT … FOR UPDATE is needed (and allowed) to lock rows inside a transaction. */
  readonly supportsForUpdate: boolean;
  /** Whether a WITH clause may hold an INSERT, UPDATE or DELETE (PostgreSQL): two writes in one round trip. */
  readonly writesInWith: boolean;
  /**
   * Whether `(a, b) > (?, ?)` drives an index range scan. Where it does not (MariaDB), keyset
   * predicates on composite keys are expanded to `a >= ? and (a > ? or b > ?)`.
   */
  readonly rowValueKeyset: boolean;
  /**
   * A keyword placed right after SELECT in a batch's key query when it joins the clock's
   * table, keeping the rule's table as the driving table walked in key order ('' for none).
   */
  readonly keyScanHint: string;
  /** The clause that takes a shared row lock (`for share`, `lock in share mode`), or '' when not needed. */
  readonly shareLockClause: string;
  /**
   * An index hint placed after a table's alias in FROM that keeps the planner from reading
   * `indexes` for the query's order (MySQL's IGNORE INDEX FOR ORDER BY); absent where the
   * planners need none.
   */
  notForOrder?(indexes: readonly string[]): RawBuilder<unknown>;
  /**
   * An index hint placed after a table's alias in FROM that makes the planner read the table
   * by its primary key (MySQL's FORCE INDEX (PRIMARY)); absent where the planners need none.
   */
  primaryKeyOrder?(): RawBuilder<unknown>;
  /**
   * Whether max() of this one-column key compares its values as the key order sorts them, so
   * a stage's last due key is read in the same pass as its count. Integer keys always are.
   * Absent: the last key is read by ordering the due keys.
   */
  maxInKeyOrder?(column: ColumnInfo): boolean;
  /**
   * A delete batch in one statement, where the engine has one: it deletes the next due rows
   * in key order and returns their keys, in place of a key query and a delete (executor.ts,
   * orderedBatch). MariaDB's `DELETE … ORDER BY … LIMIT … RETURNING`; PostgreSQL's delete of
   * the row versions a limited subquery names. Absent elsewhere.
   */
  readonly orderedDelete?: OrderedDelete;
  /**
   * How the store refuses to delete a row that a child row references, where it can be told
   * that it will (ReferenceGuard). A delete batch then probes its key range for child rows
   * instead of testing every row, and a child row that comes after the probe fails the
   * delete, never loses its parent. Absent: every row is tested.
   */
  readonly referenceGuard?: ReferenceGuard;

  /** The SQL type to declare a column of the given kind with. */
  sqlType(kind: SqlTypeKind): string;
  /** Encodes a point in time for binding to a `timestamp` column of this engine. */
  encodeTimestamp(at: Date): unknown;

  /** Reads tables, columns, keys and indexes of the default schema and of `schemas`. */
  introspect(schemas?: readonly string[]): Promise<SchemaInfo>;
  /** The store's own clock, read once per run. */
  dbNow(): Promise<Date>;
  /**
   * Runs `fn` in one transaction that takes the write lock up front (SQLite: BEGIN IMMEDIATE),
   * commits when it resolves and rolls back when it throws.
   */
  transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T>;
  /**
   * A predicate true when the clock value `expr` (of `column`, read with `spec`) is a valid
   * clock value lying strictly before `cutoff`: the same answer src/clock/read.ts gives for
   * the same value, on every engine. NULL and invalid values are never before anything.
   */
  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown>;
  /**
   * Where clockBefore is costly per row (SQLite's strict text check): a plain comparison the
   * clock's index answers, true for every value clockBefore is true for (and perhaps more).
   * The guard counts with it first and counts exactly only when the bound could stop the
   * stage. Absent where clockBefore is as cheap.
   */
  clockUpperBound?(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown>;
  /** A predicate true for non-NULL clock values that are not valid under `spec` (never due; counted by check). */
  clockInvalid(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown>;
  /** `expr` as the value src/clock/read.ts parses: text for dates and times, numbers for epochs. */
  clockRaw(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown>;
  /**
   * `expr` typed for assignment to `column`. Needed where the engine types an expression
   * of bound parameters as text (a CASE over parameters on PostgreSQL) and refuses to
   * assign text to a timestamp or number column.
   */
  castForColumn(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown>;
  /** A key column read so its value round-trips exactly through JSON (timestamps and binary as text). */
  keyOut(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown>;
  /** A canonical key part (from keyOut, via JSON) bound for comparison with `column`. */
  bindKey(value: string | number, column: ColumnInfo): RawBuilder<unknown>;
  /** `ref in (values…)` for one key column, in the engine's cheapest form (PostgreSQL: one array parameter). */
  keyInList(ref: RawBuilder<unknown>, values: readonly (string | number)[], column: ColumnInfo): RawBuilder<unknown>;
  /**
   * `(ref1, ref2, …) in (keys…)` for a composite key, in the engine's cheapest form
   * (PostgreSQL: unnest of one array per column; SQLite: one JSON array; MySQL: a row-value
   * list); null to use an OR of ANDs (binary columns).
   */
  keyTupleInList?(refs: readonly RawBuilder<unknown>[], parts: readonly (readonly (string | number)[])[], columns: readonly ColumnInfo[]): RawBuilder<unknown> | null;
  /**
   * Rows of new text values joined to the table by key, for an UPDATE that sets each row's own
   * values (`update … from`): `rows` are the key's parts then one value per column, text or
   * null. `from` is the source, `match` joins it to `alias`, `value(i)` is the i-th value of
   * the matching row. Optional, and null for keys it cannot carry (binary): the caller then
   * sets the values with a CASE per column.
   */
  rowsByKey?(alias: string, keyColumns: readonly ColumnInfo[], rows: readonly (readonly (string | number | null)[])[]): RowsByKey | null;
  /** `delete from table as alias where …`, in the form the engine accepts. */
  deleteWhere(table: string, alias: string, where: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * The locking clause of a batch's key query: the rows about to be deleted or updated
   * (alias `target`) are locked as the write will lock them, so the application's writers
   * wait for the batch rather than deadlock with a lock upgrade; the clock's parent rows
   * (`parents`) are share-locked so their clock cannot move either. '' where the transaction
   * already holds the store's one write lock (SQLite).
   */
  rowLockClause(write: 'delete' | 'update', target: string, parents: readonly string[]): string;
  /**
   * The RANGE partitions of `table` when it is partitioned on `column` alone, a timestamp or
   * date column read in `zone`; null when it is not, or the engine cannot drop partitions.
   * The default partition is never listed. Optional: engines without it never drop partitions.
   */
  rangePartitions?(db: Kysely<any>, table: string, column: ColumnInfo, zone: string): Promise<RangePartition[] | null>;
  /** The FROM item for one partition's rows alone: PostgreSQL's partition is a table of its own; MySQL's is named on its table. */
  partitionRows?(table: string, partition: string): RawBuilder<unknown>;
  /**
   * Inside dropPartition's `inspect`, once the chain's head is locked: locks `partition`
   * against writes (a lock that waits too long fails, so the caller can fall back to row
   * deletes). Absent where dropPartition has locked it already.
   */
  lockPartition?(tx: Kysely<any>, partition: string): Promise<void>;
  /**
   * Drops `partition` of `table` whole around `inspect`, which runs on the dropping connection
   * while nothing else can write to the partition or append to the audit chain: it checks the
   * partition, writes the drop's audit entry and returns it, or returns null to leave the
   * partition as it is. PostgreSQL: one transaction, DDL included. MySQL, whose DDL commits
   * by itself: under LOCK TABLES, the entry committed first and the partition dropped after,
   * so a crash between them leaves an entry for rows still there, never rows gone unaudited.
   */
  dropPartition?<R>(table: string, partition: string, inspect: (tx: Kysely<any>) => Promise<R | null>): Promise<R | null>;
  /** Creates a schema (PostgreSQL) or database (MySQL) for lethe's tables if it does not exist. */
  ensureSchema(name: string): Promise<void>;
  /** Moves a serial column's counter past the ids copied into `table` (PostgreSQL sequences do not follow explicit ids). */
  syncSerial(db: Kysely<any>, table: string, column: string): Promise<void>;
  /** Whether an error rolled back a transaction that may succeed if run again (deadlock, lock timeout). */
  isRetryable(err: unknown): boolean;
  /** The error code, constraint and table of a driver error; never its message. */
  safeError(err: unknown): SafeDbError | null;
  close(): Promise<void>;
}

/** See Adapter.orderedDelete. Used only where the store's ReferenceGuard holds for the table. */
export interface OrderedDelete {
  /** Whether the server has the statement, for this table. */
  usable(db: Kysely<any>, table: string): Promise<boolean>;
  /**
   * What the statement's result rows say: the rows it deleted (their `returning` columns),
   * and, where it can take due rows it then does not delete (PostgreSQL: rows a concurrent
   * change moved out of due), how many it took in key order and the last key it took. null
   * where it took exactly the rows it deleted (MariaDB's locking read skips changed rows and
   * reads on).
   */
  outcome(rows: readonly Record<string, unknown>[]): { deleted: readonly Record<string, unknown>[]; taken: { count: number; last: number } | null };
  /**
   * The next `limit` rows matching `where` in the order of `orderBy` (the integer key column),
   * deleted, and their `returning` columns returned; the table takes no alias, so `where`
   * names it.
   */
  statement(table: string, where: RawBuilder<unknown>, orderBy: RawBuilder<unknown>, limit: number, returning: RawBuilder<unknown>): RawBuilder<Record<string, unknown>>;
  /**
   * Every row matching `where` deleted, and their `returning` columns returned: used for a
   * window of at most `limit` ids, which can hold no more than a batch, where that costs less
   * than `statement`. Absent where it does not.
   */
  window?(table: string, where: RawBuilder<unknown>, returning: RawBuilder<unknown>): RawBuilder<Record<string, unknown>>;
}

/** See Adapter.referenceGuard. */
export interface ReferenceGuard {
  /**
   * Whether the store, on this connection, refuses to delete any row of `table` that a child
   * row references: every foreign key referencing it is RESTRICT or NO ACTION, checked by the
   * statement itself (not deferred), and enforced (MySQL's foreign_key_checks, PostgreSQL's
   * triggers). A CASCADE or SET NULL would change the child row unaudited instead.
   */
  enforced(db: Kysely<any>, table: string): Promise<boolean>;
  /**
   * Whether `err` is that refusal. On MySQL the statement alone rolled back; on PostgreSQL
   * the whole transaction did.
   */
  refused(err: unknown): boolean;
  /** What a refusal rolls back: the statement alone (MySQL), or the whole transaction (PostgreSQL). */
  readonly refusalRollsBack: 'statement' | 'transaction';
}

/** What Adapter.rowsByKey gives: a source of per-row values, and how to read them. */
export interface RowsByKey {
  readonly from: RawBuilder<unknown>;
  readonly match: RawBuilder<unknown>;
  value(i: number): RawBuilder<unknown>;
}
