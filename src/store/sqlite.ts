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
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from '../errors.js';
import type { Adapter, ClockFormat, ColumnInfo, ForeignKeyInfo, IndexInfo, SchemaInfo, SqlTypeKind, TableInfo } from './types.js';
import { epochDivisor, isoUtc, parseClockValue } from './timestamps.js';

/** Kysely's driver issues a plain BEGIN; lethe's batches need the write lock before they read. */
class ImmediateSqliteDriver extends SqliteDriver {
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

/** ISO-8601 text starts with a four-digit year, a month and a day. */
const ISO_GLOB = '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*';

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
  readonly?: boolean;
}

/** Opens (creating if needed) the SQLite file at `file` with WAL, foreign keys and a busy timeout. */
export function openSqlite(file: string, opts: SqliteOptions = {}): Adapter {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let raw: Database.Database;
  try {
    raw = new Database(file, { readonly: opts.readonly ?? false });
  } catch (err) {
    throw new StoreError(`cannot open SQLite store ${file}: ${(err as Error).message}`, { cause: err });
  }
  raw.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
  if (!opts.readonly) raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  // NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commits.
  raw.pragma('synchronous = NORMAL');
  // A batch of deletes touches thousands of index pages; checkpointing after every batch
  // (the default 1000-page threshold) made commits cost more than the statements. Every
  // 10000 pages (~40 MB of WAL) keeps the WAL bounded at a fraction of the cost.
  if (!opts.readonly) raw.pragma('wal_autocheckpoint = 10000');
  const db = new Kysely<any>({ dialect: new ImmediateSqliteDialect({ database: raw }) });
  return new SqliteAdapter(db, raw, file);
}

class SqliteAdapter implements Adapter {
  readonly engine = 'sqlite' as const;
  readonly supportsReturning = true;
  // BEGIN IMMEDIATE already holds the database's one write lock for the whole transaction.
  readonly supportsForUpdate = false;
  readonly keyScanHint = '';
  readonly shareLockClause = '';
  readonly description: string;
  constructor(
    readonly db: Kysely<any>,
    private readonly raw: Database.Database,
    file: string,
  ) {
    this.description = `sqlite:${file}`;
  }

  sqlType(kind: SqlTypeKind): string {
    return TYPES[kind];
  }

  encodeTimestamp(at: Date): unknown {
    return isoUtc(at);
  }

  decodeTimestamp(value: unknown, format: ClockFormat = 'iso'): Date | null {
    return parseClockValue(value, format);
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
        columns.set(c.name, { name: c.name, dataType: c.type.toLowerCase(), kind: affinity(c.type), nullable: c.notnull === 0 && c.pk === 0 });
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
      const idxRows = this.raw.prepare(`select name from pragma_index_list(?)`).all(name) as { name: string }[];
      const indexes: IndexInfo[] = idxRows.map((ix) => ({
        name: ix.name,
        columns: (this.raw.prepare(`select name from pragma_index_info(?) order by seqno`).all(ix.name) as { name: string | null }[])
          .map((c) => c.name ?? '')
          .filter(Boolean),
      }));
      // An INTEGER PRIMARY KEY is the rowid: indexed, though no index row says so.
      if (primaryKey.length === 1) indexes.push({ name: `${name}:rowid`, columns: primaryKey });
      tables.set(name, { name, columns, primaryKey, foreignKeys, indexes });
    }
    return { tables };
  }

  async dbNow(): Promise<Date> {
    const row = this.raw.prepare(`select strftime('%Y-%m-%dT%H:%M:%fZ', 'now') as now`).get() as { now: string };
    return new Date(row.now);
  }

  transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  clockBefore(expr: RawBuilder<unknown>, _column: ColumnInfo, format: ClockFormat, cutoff: Date): RawBuilder<unknown> {
    if (format !== 'iso') {
      const bound = cutoff.getTime() / epochDivisor(format);
      return sql`(typeof(${expr}) in ('integer', 'real') and ${expr} < ${bound})`;
    }
    // Any ISO text denoting an instant before the cutoff starts with a date at most one day
    // after the cutoff's UTC date (offsets are at most ±14h), so it sorts before this bound.
    const bound = isoUtc(new Date(cutoff.getTime() + 2 * 86_400_000)).slice(0, 10);
    // The GLOB keeps julianday() from reading numeric text ("12") as a Julian day number.
    return sql`(typeof(${expr}) = 'text' and ${expr} < ${bound} and ${expr} glob ${ISO_GLOB} and julianday(${expr}) < julianday(${isoUtc(cutoff)}))`;
  }

  castForColumn(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return expr; // dynamic typing: the value is stored as bound
  }

  clockUnparseable(expr: RawBuilder<unknown>, _column: ColumnInfo, format: ClockFormat): RawBuilder<unknown> {
    if (format !== 'iso') return sql`(${expr} is not null and typeof(${expr}) not in ('integer', 'real'))`;
    return sql`(${expr} is not null and (typeof(${expr}) <> 'text' or not (${expr} glob ${ISO_GLOB}) or julianday(${expr}) is null))`;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function affinity(declared: string): ColumnInfo['kind'] {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  if (t.includes('DATE') || t.includes('TIME')) return 'timestamp';
  return 'other';
}
