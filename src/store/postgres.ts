/**
 * The PostgreSQL adapter (pg). The only file that imports the driver.
 *
 * Timestamps are timestamptz; int8 values are parsed to numbers (ids stay far below 2^53).
 * Batches run at READ COMMITTED and begin by locking the audit head row, which also
 * serialises them with `lethe hold add`: a hold committed before a batch starts is seen
 * by it, and one placed during it waits for it.
 */
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import { StoreError } from '../errors.js';
import { epochDivisor } from './timestamps.js';
import type { Adapter, ClockFormat, ColumnInfo, SchemaInfo, SqlTypeKind } from './types.js';
import { redact } from './redact.js';
import { ServerAdapter, assemble } from './server-adapter.js';

const TYPES: Record<SqlTypeKind, string> = {
  id: 'bigint',
  serial: 'bigserial',
  bigint: 'bigint',
  int: 'integer',
  key: 'text',
  string: 'text',
  text: 'text',
  timestamp: 'timestamptz',
};

const INT8 = 20;
const NUMERIC = 1700;
/** Per-pool type parsers: bigint ids and counts as numbers, without touching pg's globals. */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/** Opens a pool to `url` (postgres://…). */
export function openPostgres(url: string): Adapter {
  const pool = new pg.Pool({ connectionString: url, max: 4, types: typeParsers, application_name: 'lethe' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<any>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (conn) => {
        await conn.executeQuery(CompiledQuery.raw(`set time zone 'UTC'`));
      },
    }),
  });
  return new PostgresAdapter(db, redact(url), TYPES);
}

class PostgresAdapter extends ServerAdapter {
  readonly engine = 'postgres' as const;
  readonly supportsReturning = true;
  readonly keyScanHint = '';
  readonly shareLockClause = 'for share';

  async introspect(): Promise<SchemaInfo> {
    const db = this.db;
    try {
      const cols = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>`
        select c.table_name, c.column_name, c.data_type, c.is_nullable
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema = current_schema()
        order by c.table_name, c.ordinal_position`.execute(db);
      const pks = await sql<{ table_name: string; column_name: string }>`
        select cl.relname as table_name, a.attname as column_name
        from pg_constraint con
        join pg_class cl on cl.oid = con.conrelid
        cross join lateral unnest(con.conkey) with ordinality as u(attnum, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = u.attnum
        where con.contype = 'p' and cl.relnamespace = current_schema()::regnamespace
        order by cl.relname, u.ord`.execute(db);
      const fks = await sql<{ name: string; table_name: string; column_name: string; ref_table: string; ref_column: string }>`
        select con.conname as name, cl.relname as table_name, a.attname as column_name, rcl.relname as ref_table, ra.attname as ref_column
        from pg_constraint con
        join pg_class cl on cl.oid = con.conrelid
        join pg_class rcl on rcl.oid = con.confrelid
        cross join lateral unnest(con.conkey, con.confkey) with ordinality as u(k, rk, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = u.k
        join pg_attribute ra on ra.attrelid = con.confrelid and ra.attnum = u.rk
        where con.contype = 'f' and cl.relnamespace = current_schema()::regnamespace
        order by con.conname, u.ord`.execute(db);
      const idx = await sql<{ table_name: string; index_name: string; column_name: string }>`
        select t.relname as table_name, i.relname as index_name, a.attname as column_name
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
        cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
        join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
        where t.relnamespace = current_schema()::regnamespace
        order by t.relname, i.relname, k.ord`.execute(db);
      return assemble({ cols: cols.rows, pks: pks.rows, fks: fks.rows, idx: idx.rows }, kindOf);
    } catch (err) {
      throw new StoreError(`cannot introspect ${this.description}: ${(err as Error).message}`, { cause: err });
    }
  }

  async dbNow(): Promise<Date> {
    const r = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(this.db);
    return new Date(r.rows[0]!.now);
  }

  transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('read committed').execute(fn);
  }

  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat, cutoff: Date): RawBuilder<unknown> {
    if (format !== 'iso') return sql`(${expr} < ${cutoff.getTime() / epochDivisor(format)})`;
    if (column.kind === 'timestamp') return sql`(${expr} < ${cutoff})`;
    // ISO text: cast only values shaped like a date, so one bad value cannot fail the query.
    return sql`(case when ${expr} ~ '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$' then (${expr})::timestamptz < ${cutoff} else false end)`;
  }

  castForColumn(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
    // The type name comes from the catalogue (information_schema.columns.data_type), never from input.
    return column.kind === 'text' ? expr : sql`cast(${expr} as ${sql.raw(column.dataType)})`;
  }

  clockUnparseable(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat): RawBuilder<unknown> {
    if (format !== 'iso') return sql`(${expr} is not null and false)`;
    if (column.kind === 'timestamp') return sql`false`;
    return sql`(${expr} is not null and ${expr} !~ '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$')`;
  }

}

function kindOf(dataType: string): ColumnInfo['kind'] {
  const t = dataType.toLowerCase();
  if (t.startsWith('timestamp') || t === 'date') return 'timestamp';
  if (t.includes('int')) return 'integer';
  if (t.includes('char') || t === 'text') return 'text';
  if (t === 'real' || t.includes('double') || t === 'numeric') return 'real';
  return 'other';
}
