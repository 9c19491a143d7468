/**
 * The MySQL / MariaDB adapter (mysql2). The only file that imports the driver.
 *
 * Timestamps are DATETIME(3) holding UTC: every session runs with time_zone '+00:00' and
 * the driver reads and writes Dates as UTC. There is no RETURNING, so keys are always
 * selected before they are changed, and inserted ids come from the driver. Sessions use
 * READ COMMITTED, and batches lock the audit head row first (see the PostgreSQL adapter).
 */
import { createPool } from 'mysql2';
import { CompiledQuery, Kysely, MysqlDialect, sql, type RawBuilder } from 'kysely';
import { StoreError } from '../errors.js';
import { redact } from './redact.js';
import { ServerAdapter, assemble } from './server-adapter.js';
import { epochDivisor } from './timestamps.js';
import type { Adapter, ClockFormat, ColumnInfo, SchemaInfo, SqlTypeKind } from './types.js';

const TYPES: Record<SqlTypeKind, string> = {
  id: 'bigint',
  serial: 'bigint auto_increment',
  bigint: 'bigint',
  int: 'int',
  // 191 characters of utf8mb4 fit InnoDB's 767-byte index prefix on every MariaDB/MySQL.
  key: 'varchar(191)',
  string: 'varchar(255)',
  text: 'mediumtext',
  timestamp: 'datetime(3)',
};

/** Opens a pool to `url` (mysql://… or mariadb://…). */
export function openMysql(url: string): Adapter {
  const pool = createPool({
    uri: url.replace(/^mariadb:/i, 'mysql:'),
    connectionLimit: 4,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    charset: 'utf8mb4',
  });
  const db = new Kysely<any>({
    dialect: new MysqlDialect({
      pool,
      onCreateConnection: async (conn) => {
        await conn.executeQuery(CompiledQuery.raw(`set session time_zone = '+00:00'`));
        await conn.executeQuery(CompiledQuery.raw(`set session transaction isolation level read committed`));
      },
    }),
  });
  return new MysqlAdapter(db, redact(url), TYPES);
}

class MysqlAdapter extends ServerAdapter {
  readonly engine = 'mysql' as const;
  readonly supportsReturning = false;
  // MariaDB otherwise drives a joined-clock batch query from the parent's clock index and
  // sorts every remaining due row on every batch (measured: 143 ms average, 791 ms worst,
  // growing with the due rows); STRAIGHT_JOIN walks the rule's table in key order.
  readonly keyScanHint = 'straight_join';
  // MariaDB has no FOR SHARE; LOCK IN SHARE MODE works on MariaDB and MySQL alike.
  readonly shareLockClause = 'lock in share mode';

  async introspect(): Promise<SchemaInfo> {
    const db = this.db;
    try {
      const cols = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>`
        select c.table_name as table_name, c.column_name as column_name, c.column_type as data_type, c.is_nullable as is_nullable
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema = database()
        order by c.table_name, c.ordinal_position`.execute(db);
      const pks = await sql<{ table_name: string; column_name: string }>`
        select table_name as table_name, column_name as column_name
        from information_schema.key_column_usage
        where table_schema = database() and constraint_name = 'PRIMARY'
        order by table_name, ordinal_position`.execute(db);
      const fks = await sql<{ name: string; table_name: string; column_name: string; ref_table: string; ref_column: string }>`
        select constraint_name as name, table_name as table_name, column_name as column_name,
               referenced_table_name as ref_table, referenced_column_name as ref_column
        from information_schema.key_column_usage
        where table_schema = database() and referenced_table_name is not null
        order by table_name, constraint_name, ordinal_position`.execute(db);
      const idx = await sql<{ table_name: string; index_name: string; column_name: string }>`
        select table_name as table_name, index_name as index_name, column_name as column_name
        from information_schema.statistics
        where table_schema = database()
        order by table_name, index_name, seq_in_index`.execute(db);
      return assemble({ cols: cols.rows, pks: pks.rows, fks: fks.rows, idx: idx.rows }, kindOf);
    } catch (err) {
      throw new StoreError(`cannot introspect ${this.description}: ${(err as Error).message}`, { cause: err });
    }
  }

  async dbNow(): Promise<Date> {
    const r = await sql<{ now: Date }>`select utc_timestamp(3) as now`.execute(this.db);
    return new Date(r.rows[0]!.now);
  }

  transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat, cutoff: Date): RawBuilder<unknown> {
    if (format !== 'iso') return sql`(${expr} < ${cutoff.getTime() / epochDivisor(format)})`;
    if (column.kind === 'timestamp') return sql`(${expr} < ${cutoff})`;
    // ISO text: parse the UTC forms; anything else is NULL and so never due.
    return sql`(str_to_date(replace(replace(${expr}, 'T', ' '), 'Z', ''), '%Y-%m-%d %H:%i:%s.%f') < ${cutoff})`;
  }

  castForColumn(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return expr; // MySQL converts on assignment
  }

  clockUnparseable(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat): RawBuilder<unknown> {
    if (format !== 'iso' || column.kind === 'timestamp') return sql`false`;
    return sql`(${expr} is not null and str_to_date(replace(replace(${expr}, 'T', ' '), 'Z', ''), '%Y-%m-%d %H:%i:%s.%f') is null)`;
  }

}

function kindOf(dataType: string): ColumnInfo['kind'] {
  const t = dataType.toLowerCase();
  if (t.startsWith('datetime') || t.startsWith('timestamp') || t === 'date') return 'timestamp';
  if (t.includes('int')) return 'integer';
  if (t.includes('char') || t.includes('text')) return 'text';
  if (t.startsWith('double') || t.startsWith('float') || t.startsWith('decimal')) return 'real';
  return 'other';
}
