/**
 * The SQLite adapter (better-sqlite3). The only file that imports the driver.
 *
 * Timestamps are ISO-8601 UTC text. Clock comparisons use an indexable lexicographic
 * prefilter (`col < 'YYYY-MM-DD'` two days past the cutoff, safe for any UTC offset)
 * followed by an exact `julianday()` comparison, so values written as
 * `2024-01-01 10:00:00`, `2024-01-01T10:00:00Z` or with an offset are all compared by
 * the instant they denote, and a value that does not parse is never due.
 */
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver, type RawBuilder } from 'kysely';
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EPOCH_SECONDS_RANGE, TEXT_FORMS, clockTextForm, cutoffOf, isBefore, readClock, textFormBound, type Cutoff } from '../clock/read.js';
import { ConfigError, StoreError } from '../errors.js';
import { CachedSqliteConnection } from './sqlite-statements.js';
import type { Adapter, ClockSpec, ColumnInfo, ForeignKeyInfo, IndexInfo, RowsByKey, SafeDbError, SchemaInfo, SqlTypeKind, TableInfo } from './types.js';
import { isoUtc } from './timestamps.js';

// better-sqlite3 reads this when its addon loads, at the first open: URIs let a read-only
// store be opened immutable (openReadonly). Only names that start with `file:` are URIs, and
// lethe passes absolute paths.
process.env.SQLITE_USE_URI ??= '1';

/** Kysely's driver issues a plain BEGIN; lethe's batches need the write lock before they read. */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #connection: CachedSqliteConnection;
  constructor(config: ConstructorParameters<typeof SqliteDriver>[0]) {
    super(config);
    this.#connection = new CachedSqliteConnection(config.database as Database.Database);
  }
  /** The one connection (Kysely's mutex still serialises it), with its statements prepared once. */
  override async acquireConnection(): Promise<DatabaseConnection> {
    await super.acquireConnection();
    return this.#connection;
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Passive checkpoints a pause runs at most, each catching up with the writers' pages since the last. */
const CHECKPOINT_ROUNDS = 8;

/** What `pragma wal_checkpoint` returns: frames in the WAL as the round began, and those copied. */
interface CheckpointRound {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * Whether another round cannot copy more: another connection is checkpointing (it copies
 * them), or no frame came into the WAL since the previous round, which copied what it could
 * (all of it, or up to the snapshot a reader still holds).
 */
function checkpointSettled(previous: CheckpointRound | null, round: CheckpointRound): boolean {
  return round.busy !== 0 || (previous !== null && round.log === previous.log);
}

const TYPES: Record<SqlTypeKind, string> = {
  id: 'integer',
  serial: 'integer',
  bigint: 'integer',
  int: 'integer',
  key: 'text',
  string: 'text',
  text: 'text',
  timestamp: 'text',
};

export interface SqliteOptions {
  /** Milliseconds a writer waits for another writer's lock before failing. */
  busyTimeoutMs?: number;
  /** Open for reading only: no WAL switch, no checkpoint, no write of any kind. */
  readonly?: boolean;
  /**
   * `normal` (the default): a commit reaches the WAL and is fsynced at the next checkpoint or
   * syncCommits, which lethe's enforcement calls before it acts on its commits. `full`: every
   * commit is fsynced before it returns, for commands that tell a person a write is done.
   */
  synchronous?: 'normal' | 'full';
  /** Create the file's missing parent folders (default true; `db migrate` of a named store says no). */
  createDir?: boolean;
}

/** Opens (creating if needed) the SQLite file at `file` with WAL, foreign keys and a busy timeout. */
export function openSqlite(file: string, opts: SqliteOptions = {}): Adapter {
  const readonly = opts.readonly ?? false;
  let raw: Database.Database;
  try {
    if (file !== ':memory:' && !readonly && (opts.createDir ?? true)) mkdirSync(dirname(file), { recursive: true });
    raw = readonly ? openReadonly(file) : new Database(file);
    raw.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
    if (!readonly) {
      // SQLite opens a file it may not write read-only without a word; say so before any work starts.
      if (file !== ':memory:') refuseUnwritable(file);
      raw.pragma('journal_mode = WAL');
    }
    raw.pragma('foreign_keys = ON');
    // NORMAL is durable across process crashes in WAL mode; only power loss can drop the last
    // commits, and enforcement syncs them before acting outside the store (syncCommits).
    raw.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    if (!readonly) raw.pragma(`wal_autocheckpoint = ${walCheckpointPages(raw)}`);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StoreError) throw err;
    if (!readonly && isPermissionError(err)) throw notWritable(file, (err as Error).message);
    throw new StoreError(`cannot open SQLite store ${file}: ${(err as Error).message}`, { cause: err });
  }
  const nativeClock = registerClockFunctions(raw);
  const db = new Kysely<any>({ dialect: new ImmediateSqliteDialect({ database: raw }) });
  return new SqliteAdapter(db, raw, file, nativeClock);
}

/** How much WAL lethe's commits let grow before one of them copies it into the database. */
export const WAL_CHECKPOINT_BYTES = 256 * 1024 * 1024;

/**
 * wal_autocheckpoint in pages for WAL_CHECKPOINT_BYTES. A batch of deletes touches an index
 * page for every row in every index whose order is not the key's, and its commit writes each
 * of them to the WAL; a checkpoint then copies every page written since the last one. At the
 * default 1,000 pages the commits cost more than the statements. With caller, callee and
 * duration indexed on 3M calls (1M due, 1,000 batches), the commits of a loop of lethe's
 * statements took 24.6 s at 10,000 pages (40 MB), 15.5 s at 40,000, 12.5 s at 100,000 and
 * 11.9 s at 200,000, against deletes of 10.7 s: batches rewrite the same index pages, and a
 * checkpoint copies each once however often it was written. A throttled stage checkpoints in
 * its pauses (Adapter.checkpoint), so the WAL stays far below this there; an unthrottled one
 * grows it to this, and checkpoints at its end.
 */
function walCheckpointPages(raw: Database.Database): number {
  const pageSize = Number(raw.pragma('page_size', { simple: true }));
  return Math.max(1000, Math.floor(WAL_CHECKPOINT_BYTES / (pageSize > 0 ? pageSize : 4096)));
}

/**
 * A read-only connection. A store in WAL mode needs its -shm file even to read; in a folder
 * this process may not write, where none exists, SQLite cannot create it. With no -wal
 * file either, every committed change is in the main file, so it is opened as immutable
 * (nothing else can be writing it: nobody can create a -wal beside it).
 */
function openReadonly(file: string): Database.Database {
  const raw = new Database(file, { readonly: true, fileMustExist: true });
  try {
    raw.prepare('select count(*) from sqlite_schema').get();
    return raw;
  } catch (err) {
    raw.close();
    const code = (err as { code?: string }).code ?? '';
    const wal = statSize(`${file}-wal`);
    if (!/^SQLITE_(READONLY|CANTOPEN)/.test(code)) throw err;
    if (wal > 0) {
      throw new StoreError(`cannot read the SQLite store ${file} read-only: its ${file}-wal file holds changes not yet in the main file, and reading them needs a ${file}-shm file this process cannot create in ${dirname(file)}; copy the three files to a folder you can write, or read it as a user who can write the folder`);
    }
  }
  // SQLITE_USE_URI=1 (read by better-sqlite3 when it loads) lets the filename carry ?immutable=1.
  if (process.env.SQLITE_USE_URI !== '1') throw new StoreError(`cannot read the SQLite store ${file} read-only: its folder ${dirname(file)} is not writable for the -shm file WAL mode needs; copy it to a folder you can write`);
  return new Database(`${pathToFileURL(file).href}?immutable=1`, { readonly: true, fileMustExist: true });
}

function statSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** SQLite's and the file system's ways of saying "you may not write here". */
function isPermissionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/.test(code) || ['EACCES', 'EPERM', 'EROFS'].includes(code);
}

/**
 * Refuses a store this process cannot write: the file, or (for the -wal and -shm files
 * WAL mode creates beside it) its folder. access() answers for this uid, and for root on
 * a read-only mount.
 */
function refuseUnwritable(file: string): void {
  const dir = dirname(file);
  for (const [path, needed] of [[file, existsSync(file)], [dir, !existsSync(`${file}-wal`) || !existsSync(`${file}-shm`)]] as const) {
    if (!needed) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      throw notWritable(file, `${path === file ? 'the file' : 'its folder'} ${path} is not writable (${(err as NodeJS.ErrnoException).code})`);
    }
  }
}

/**
 * The message for a store lethe must write but may not (a root-owned bind mount in the
 * container is the usual cause): which path, as which uid, and the two fixes.
 */
export function notWritable(file: string, reason: string): ConfigError {
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this process' : `uid ${uid}`;
  return new ConfigError(
    `the SQLite store ${file} is read-only for ${who}: ${reason}. lethe writes the file and, beside it, its -wal and -shm files, so the file and its folder ${dirname(file)} must be writable by ${who}: ` +
      `chown -R ${uid ?? '<uid>'} ${dirname(file)} (the container runs as uid 1000), or mount a writable volume there. ` +
      'Reading commands (audit, audit verify, plan, report, explain, check, hold list) work on a read-only store.',
  );
}

/**
 * SQLite has no time zones and no strict date parser, so its clock predicates call the one
 * clock reader (src/clock/read.ts) as SQL functions: the answer is the reader's by
 * construction. An indexable prefilter in front of them keeps scans to the candidate rows.
 */
function registerClockFunctions(raw: Database.Database): boolean {
  const cutoffs = new Map<string, Cutoff>();
  const cutoff = (ms: number, zone: string) => {
    const k = `${ms}|${zone}`;
    let c = cutoffs.get(k);
    if (!c) {
      if (cutoffs.size > 256) cutoffs.clear();
      c = cutoffOf(new Date(ms), zone);
      cutoffs.set(k, c);
    }
    return c;
  };
  const spec = (format: unknown, zone: unknown): ClockSpec => ({ format: String(format) as ClockSpec['format'], zone: String(zone) });
  raw.function('lethe_clock_before', { deterministic: true }, (v: unknown, format: unknown, zone: unknown, ms: unknown) =>
    isBefore(readClock(v, spec(format, zone)), cutoff(Number(ms), String(zone))) ? 1 : 0,
  );
  raw.function('lethe_clock_form', { deterministic: true }, (v: unknown) => clockTextForm(v));
  raw.function('lethe_clock_invalid', { deterministic: true }, (v: unknown, format: unknown) => (readClock(v, spec(format, 'UTC')).kind === 'invalid' ? 1 : 0));
  return loadNativeClock(raw);
}

/**
 * Where `npm run build` compiled it (native/build.mjs), the C lethe_clock_form replaces the
 * JavaScript one registered above: SQLite calls it on every due row of a key query, and a
 * call into JavaScript cost about 0.2 s per million rows (the key queries of a run over 1M
 * due rows: 0.41-0.46 s with the JavaScript function, 0.20-0.25 s with none). Its answers are the
 * reference's (test/unit/clock-form-native.test.ts). Returns whether it is in use.
 */
function loadNativeClock(raw: Database.Database): boolean {
  const file = NATIVE_CLOCK.find((f) => existsSync(f));
  if (!file) return false;
  try {
    raw.loadExtension(file);
    return true;
  } catch {
    // The JavaScript function stays registered: the same answers.
    return false;
  }
}

/** The extension as `npm run build` leaves it: beside dist/src/store/sqlite.js, or (running from src/) in dist/. */
export const NATIVE_CLOCK = [fileURLToPath(new URL('../../native/lethe_clock.so', import.meta.url)), fileURLToPath(new URL('../../dist/native/lethe_clock.so', import.meta.url))];

/** The largest integer a JS number holds exactly. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

class SqliteAdapter implements Adapter {
  readonly engine = 'sqlite' as const;
  readonly supportsReturning = true;
  // BEGIN IMMEDIATE holds the store's one write lock: nothing changes under a batch.
  readonly writeReturnsKeys = false;
  readonly writesInWith = false;
  // By key list, or by a range the batch's keys fill (lockedKeyRange): a range with the due
  // condition repeated read every row's clock twice, and was no faster than the list.
  readonly rangeDeletes = false;
  readonly defaultPauseMs = 25;
  // BEGIN IMMEDIATE already holds the database's one write lock for the whole transaction.
  readonly supportsForUpdate = false;
  readonly rowValueKeyset = true;
  readonly keyScanHint = '';
  readonly shareLockClause = '';
  letheSchema: string | null = null;
  readonly description: string;
  constructor(
    readonly db: Kysely<any>,
    private readonly raw: Database.Database,
    private readonly file: string,
    /** Whether lethe_clock_form is the C extension's (loadNativeClock) rather than the JavaScript one. */
    readonly nativeClock: boolean,
  ) {
    this.description = `sqlite:${file}`;
  }

  sqlType(kind: SqlTypeKind): string {
    return TYPES[kind];
  }

  encodeTimestamp(at: Date): unknown {
    return isoUtc(at);
  }

  async introspect(): Promise<SchemaInfo> {
    const tables = new Map<string, TableInfo>();
    const names = this.raw
      .prepare(`select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name`)
      .all() as { name: string }[];
    for (const { name } of names) {
      const cols = this.raw.prepare(`select * from pragma_table_info(?)`).all(name) as {
        name: string;
        type: string;
        notnull: number;
        pk: number;
      }[];
      const columns = new Map<string, ColumnInfo>();
      for (const c of cols) {
        const width = /\(\s*(\d+)\s*\)/.exec(c.type);
        columns.set(c.name, {
          name: c.name,
          dataType: c.type.toLowerCase(),
          kind: affinity(c.type),
          zoned: false,
          maxLength: width && /CHAR|TEXT|CLOB/i.test(c.type) ? Number(width[1]) : null,
          nullable: c.notnull === 0 && c.pk === 0,
        });
      }
      const primaryKey = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const fkRows = this.raw.prepare(`select * from pragma_foreign_key_list(?)`).all(name) as {
        id: number;
        seq: number;
        table: string;
        from: string;
        to: string | null;
      }[];
      const byId = new Map<number, { refTable: string; columns: string[]; refColumns: string[] }>();
      for (const r of fkRows.sort((a, b) => a.id - b.id || a.seq - b.seq)) {
        const fk = byId.get(r.id) ?? { refTable: r.table, columns: [], refColumns: [] };
        fk.columns.push(r.from);
        fk.refColumns.push(r.to ?? 'id');
        byId.set(r.id, fk);
      }
      const foreignKeys: ForeignKeyInfo[] = [...byId.values()].map((fk) => ({ table: name, ...fk }));
      const idxRows = this.raw.prepare(`select name, "unique" as u from pragma_index_list(?)`).all(name) as { name: string; u: number }[];
      const indexes: IndexInfo[] = idxRows.map((ix) => ({
        name: ix.name,
        unique: ix.u === 1,
        columns: (this.raw.prepare(`select name from pragma_index_info(?) order by seqno`).all(ix.name) as { name: string | null }[])
          .map((c) => c.name ?? '')
          .filter(Boolean),
      }));
      // An INTEGER PRIMARY KEY is the rowid: indexed, though no index row says so.
      if (primaryKey.length === 1) indexes.push({ name: `${name}:rowid`, columns: primaryKey, unique: true });
      tables.set(name, { name, columns, primaryKey, foreignKeys, indexes });
    }
    return { tables, defaultSchema: null };
  }

  async dbNow(): Promise<Date> {
    const row = this.raw.prepare(`select strftime('%Y-%m-%dT%H:%M:%fZ', 'now') as now`).get() as { now: string };
    return new Date(row.now);
  }

  /**
   * An application connection whose commit finds the WAL past its own autocheckpoint (1,000
   * pages by default) copies every page still only in the WAL, inside that commit: after a
   * batch of scattered deletes that was lethe's thousand-odd pages, and the bench's writer
   * (one insert every 10 ms beside a throttled run on a shared table) waited 16-19 ms at the
   * median and 110-120 ms at p99. Copied by lethe at the start of its pause, where no writer
   * waits on it: 0.2-0.8 ms and 54-57 ms, the run no longer.
   * Through Kysely, which hands the one connection to one transaction at a time: run on the
   * raw handle while the lease's renewal held a transaction open on it, SQLite refused the
   * checkpoint ("database table is locked") and the stage failed.
   *
   * Again until a round finds no page it has not copied: a checkpoint copies the WAL as it was
   * when it started, and a writer that commits meanwhile adds pages it does not cover. That
   * writer's next commit, still past its autocheckpoint, then copies them itself, fsyncing
   * the WAL while lethe's next batch writes to it: on the bench's shared table one insert a
   * run took 95-276 ms so. Copied to the end, the WAL starts over at the next write instead.
   * Not when another connection is checkpointing (busy): that one copies them.
   */
  async checkpoint(): Promise<void> {
    let last: CheckpointRound | null = null;
    for (let i = 0; i < CHECKPOINT_ROUNDS; i++) {
      const r = await sql<CheckpointRound>`pragma wal_checkpoint(passive)`.execute(this.db);
      const round = r.rows[0];
      if (!round || checkpointSettled(last, round)) return;
      last = round;
    }
  }

  /**
   * At synchronous = NORMAL a commit is in the WAL file, not yet on disk; a checkpoint syncs
   * the WAL before it copies pages and the database after. So an fsync of the WAL makes every
   * commit durable: those still in it, and those copied out of it already. Without a WAL file
   * every commit has been checkpointed. One fsync a drain or checkpoint, where FULL would
   * take one every batch.
   */
  async syncCommits(): Promise<void> {
    if (this.file === ':memory:') return;
    let fd: number;
    try {
      fd = openSync(`${this.file}-wal`, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown> {
    if (spec.format !== 'iso') {
      // Numbers compare exactly in SQL, as the reader compares them; text is never an epoch.
      const scale = spec.format === 'epoch_s' ? 1 : 1000;
      return sql`(${this.clockUpperBound(expr, column, spec, cutoff)} and typeof(${expr}) in ('integer', 'real') and ${expr} >= ${EPOCH_SECONDS_RANGE[0] * scale} and ${expr} <= ${EPOCH_SECONDS_RANGE[1] * scale})`;
    }
    // Index prefilter (the upper bound), then text in a form whose text order is time order
    // (TEXT_FORMS: lethe's own, 2024-03-01T00:00:00.000Z, SQLite's, 2024-03-01 00:00:00, and
    // others) is compared in SQL with the cutoff in the same form, and any other goes to the
    // clock reader.
    const c = cutoffOf(cutoff, spec.zone);
    const forms = TEXT_FORMS.map((f, i) => sql`when ${sql.lit(i + 1)} then ${expr} < ${sql.lit(textFormBound(c, f))}`);
    const upper = sql`${expr} < ${sql.lit(this.#upperBoundText(cutoff))}`;
    return this.#inlined(sql`(${upper} and case ${this.#textForm(expr)} ${sql.join(forms, sql` `)} else lethe_clock_before(${expr}, ${sql.lit(spec.format)}, ${sql.lit(spec.zone)}, ${sql.lit(cutoff.getTime())}) = 1 end)`);
  }

  /**
   * `predicate` as one piece of SQL text, where it binds no parameter (its values are
   * literals): compiled once per stage rather than with every batch's key query. The 26
   * branches of clockBefore's CASE were most of the key query's nodes, and Kysely compiles
   * every node of a query each time it runs it.
   */
  #inlined(predicate: RawBuilder<unknown>): RawBuilder<unknown> {
    const compiled = predicate.compile(this.db);
    return compiled.parameters.length === 0 ? sql.raw(compiled.sql) : predicate;
  }

  #upperBoundText(cutoff: Date): string {
    return isoUtc(new Date(cutoff.getTime() + 2 * 86_400_000)).slice(0, 10);
  }

  /**
   * The first conjunct of clockBefore: an epoch below the cutoff's; ISO text for an instant
   * before the cutoff starts with a date at most a day after the cutoff's (zones are at most
   * ±14h), so it sorts before the date two days after it.
   */
  clockUpperBound(expr: RawBuilder<unknown>, _column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown> {
    if (spec.format !== 'iso') return sql`${expr} < ${cutoff.getTime() / (spec.format === 'epoch_s' ? 1000 : 1)}`;
    return sql`${expr} < ${this.#upperBoundText(cutoff)}`;
  }

  /**
   * Which text form the value is in (clockTextForm), checked in JS on every due row: the
   * check of lethe's own form in SQL (a glob, four substr() comparisons and date() for days
   * past the 28th) cost 310 ms per 1M rows, a function 130 ms.
   */
  #textForm(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`lethe_clock_form(${expr})`;
  }

  clockInvalid(expr: RawBuilder<unknown>, _column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown> {
    return sql`(${expr} is not null and lethe_clock_invalid(${expr}, ${spec.format}) = 1)`;
  }

  clockRaw(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return expr;
  }

  castForColumn(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return expr; // dynamic typing: the value is stored as bound
  }

  keyOut(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
    // Integers beyond 2^53 as text (better-sqlite3 would round them); the others as they are,
    // which bind back as integers. All as text, converting every key both ways made the
    // bench's run 1.47 s where it now takes 1.37 s.
    if (column.kind === 'integer') return sql`case when typeof(${expr}) = 'integer' and ${expr} between ${sql.lit(-MAX_SAFE)} and ${sql.lit(MAX_SAFE)} then ${expr} else cast(${expr} as text) end`;
    if (column.kind === 'binary') return sql`hex(${expr})`;
    return expr;
  }

  bindKey(value: string | number, column: ColumnInfo): RawBuilder<unknown> {
    // Text bound against an INTEGER column is compared as an integer (column affinity), exactly.
    return column.kind === 'binary' ? sql`unhex(${value})` : sql`${value}`;
  }

  lockedKeyRange(ref: RawBuilder<unknown>, first: number, last: number): RawBuilder<unknown> {
    return sql`${ref} between ${first} and ${last} and typeof(${ref}) = 'integer'`;
  }

  keyInList(ref: RawBuilder<unknown>, values: readonly (string | number)[], column: ColumnInfo): RawBuilder<unknown> {
    // One JSON array parameter, read back by json_each: its numbers come out integers and its
    // strings text, as bindKey binds each kind but binary, and the column's affinity applies
    // to them as to bound values. A thousand bound values cost more to bind and to compile:
    // a hand-written loop on 3M calls took 2.8-3.0 s with them, 2.4-3.0 s (median 2.6) with the array.
    if (column.kind !== 'binary') return sql`${ref} in (select value from json_each(${JSON.stringify(values)}))`;
    return sql`${ref} in (${sql.join(values.map((v) => this.bindKey(v, column)))})`;
  }

  keyTupleInList(refs: readonly RawBuilder<unknown>[], parts: readonly (readonly (string | number)[])[], columns: readonly ColumnInfo[]): RawBuilder<unknown> | null {
    if (columns.some((c) => c.kind === 'binary')) return null;
    // One JSON array of key arrays, as keyInList. Through an index it is one search per key
    // (1,000 keys of an Asterisk cdr key of 300,000 rows: 1.3 ms against 4.3 for an OR of
    // ANDs, which SQLite also caps at 500 terms); without one, one scan that looks each row
    // up in the list (26 ms against 2.2 s for 500 keys).
    return sql`(${sql.join(refs)}) in (select ${sql.join(columns.map((_c, i) => sql`value ->> ${sql.raw(String(i))}`))} from json_each(${JSON.stringify(parts)}))`;
  }

  rowsByKey(alias: string, keyColumns: readonly ColumnInfo[], rows: readonly (readonly (string | number | null)[])[]): RowsByKey | null {
    if (keyColumns.some((c) => c.kind === 'binary')) return null;
    // One JSON array of rows, read back by json_each as keyTupleInList reads keys: each row is
    // found through the key, where a CASE tests every branch on every row. 200,000 rows of
    // three columns took 240 ms this way against 880 ms as CASEs of 200 rows.
    const j = sql.id('__rows');
    const at = (i: number) => sql`${j}.value ->> ${sql.raw(String(i))}`;
    return {
      from: sql`json_each(${JSON.stringify(rows)}) as ${j}`,
      match: sql.join(keyColumns.map((c, i) => sql`${sql.ref(`${alias}.${c.name}`)} = ${at(i)}`), sql` and `),
      value: (i) => at(keyColumns.length + i),
    };
  }

  deleteWhere(table: string, alias: string, where: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`delete from ${sql.table(table)} as ${sql.id(alias)} where ${where}`;
  }

  rowLockClause(): string {
    return ''; // BEGIN IMMEDIATE holds the one write lock
  }

  async ensureSchema(): Promise<void> {
    throw new ConfigError('store.lethe_schema is for PostgreSQL and MySQL; on SQLite lethe keeps its tables in the store file');
  }

  async syncSerial(): Promise<void> {
    // An INTEGER PRIMARY KEY continues after the largest id.
  }

  isRetryable(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  }

  safeError(err: unknown): SafeDbError | null {
    if (!(err instanceof Error) || err.name !== 'SqliteError') return null;
    // SQLite's messages name no table or constraint in a structured way, and a trigger's
    // RAISE() text is the trigger author's: only the code is kept.
    return { code: String((err as { code?: unknown }).code ?? 'SQLITE_ERROR'), constraint: null, table: null };
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function affinity(declared: string): ColumnInfo['kind'] {
  const t = declared.toUpperCase().trim();
  if (t === 'DATE') return 'date';
  if (t === 'UUID') return 'uuid';
  if (t.includes('BLOB') || t === '') return t === '' ? 'other' : 'binary';
  if (t.includes('INT')) return 'integer';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  if (t.includes('DATE') || t.includes('TIME')) return 'timestamp';
  return 'other';
}
