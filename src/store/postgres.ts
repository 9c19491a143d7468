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
import { EPOCH_SECONDS_RANGE, ISO_CLOCK_PATTERN, ISO_ZONE_PATTERN, epochBound, wallOf } from '../clock/read.js';
import { StoreError } from '../errors.js';
import type { Adapter, ClockSpec, ColumnInfo, ColumnKind, OrderedDelete, RangePartition, ReferenceGuard, RowsByKey, SafeDbError, SchemaInfo, SqlTypeKind } from './types.js';
import { redact } from './redact.js';
import { ServerAdapter, assemble } from './server-adapter.js';
import { isoUtc } from './timestamps.js';

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
    // Counts and ids as numbers while exact; larger int8 values stay text rather than round.
    if (oid === INT8) return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
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
        // Timestamps read as key text must print, and parse back, the same way on every connection.
        await conn.executeQuery(CompiledQuery.raw(`set datestyle = 'ISO, YMD'`));
      },
    }),
  });
  return new PostgresAdapter(db, redact(url), TYPES);
}

class PostgresAdapter extends ServerAdapter {
  readonly engine = 'postgres' as const;
  readonly supportsReturning = true;
  readonly writeReturnsKeys = true;
  readonly writesInWith = true;
  readonly rangeDeletes = true;
  readonly rowValueKeyset = true;
  readonly keyScanHint = '';
  readonly shareLockClause = 'for share';

  readonly referenceGuard: ReferenceGuard = {
    // A plain table (a partitioned one's foreign keys are cloned per partition), and every
    // foreign key to it restricting deletes when the statement runs, through a delete trigger
    // that fires on this connection (ALTER TABLE … DISABLE TRIGGER, session_replication_role).
    enforced: async (db, table) => {
      const rel = sql`to_regclass(${regclassText(table)})`;
      const r = await sql<{ kind: string | null; loose: number }>`
        select (select relkind::text from pg_class where oid = ${rel}) as kind,
               (select count(*)::int from pg_constraint c
                where c.contype = 'f' and c.confrelid = ${rel}
                  and not (c.confdeltype in ('a', 'r') and not c.condeferred and exists (
                    select 1 from pg_trigger g
                    where g.tgconstraint = c.oid and g.tgrelid = c.confrelid and (g.tgtype & 8) <> 0
                      and (g.tgenabled = 'A' or g.tgenabled = case when current_setting('session_replication_role') = 'replica' then 'R' else 'O' end)))) as loose`.execute(db);
      const row = r.rows[0];
      return row?.kind === 'r' && row.loose === 0;
    },
    // foreign_key_violation: the whole transaction is aborted.
    refused: (err) => (err as { code?: unknown })?.code === '23503',
    refusalRollsBack: 'transaction',
  };

  /**
   * The row versions (ctid) of the next due rows, read by a subquery that orders and limits
   * them, deleted, and their keys returned: one statement and one round trip a batch, where a
   * key query and a delete by range took two. PostgreSQL has no DELETE … LIMIT. Every row
   * taken is one the statement's snapshot holds due; the due condition is evaluated again on
   * a row another transaction changed meanwhile, so a row moved out of due is taken but not
   * deleted. How many rows were taken, and the last key taken, come with every row (one with
   * no deleted row's columns when none was deleted): a short delete is not an exhausted
   * window. A ctid names one row of one table: not used on a table that others inherit from,
   * whose rows the statement's scans would read from several (the referenceGuard already
   * keeps partitioned tables out).
   */
  readonly orderedDelete: OrderedDelete = {
    usable: async (db, table) => {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_inherits where inhparent = to_regclass(${regclassText(table)})`.execute(db);
      return r.rows[0]?.n === 0;
    },
    statement: (table, where, orderBy, limit, returning) =>
      sql<Record<string, unknown>>`with taken as materialized (select ctid as c, ${orderBy} as o from ${sql.table(table)} where ${where} order by ${orderBy} limit ${limit}),
      gone as (delete from ${sql.table(table)} where ctid = any(array(select c from taken)) and ${where} returning ${returning}, true as __gone)
      select gone.*, n.__taken, n.__last from (select count(*)::int as __taken, max(o) as __last from taken) as n left join gone on true`,
    // Without the limit it needs no subquery over ctids: 1M due rows of 3M calls, 1,000 ids a
    // window, took 2.6-2.8 s where `statement` took 4.2-4.9 (13.7-15.7 against 14.7-18.7 s
    // with a child table's foreign key checked on every row).
    window: (table, where, returning) => sql<Record<string, unknown>>`delete from ${sql.table(table)} where ${where} returning ${returning}`,
    outcome: (rows) => {
      const n = rows[0];
      return { deleted: rows.filter((r) => r.__gone !== null), taken: { count: Number(n?.__taken ?? 0), last: Number(n?.__last ?? NaN) } };
    },
  };

  async introspect(schemas: readonly string[] = []): Promise<SchemaInfo> {
    const db = this.db;
    try {
      const current = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
      const wanted = [current, ...schemas.filter((x) => x !== current)];
      // Tables of the current schema keep their plain names; others are `schema.table`.
      // Partitions are left out: their parent is the table rules name.
      const name = (ns: RawBuilder<unknown>, rel: RawBuilder<unknown>) => sql`case when ${ns} = ${current} then ${rel}::text else ${ns} || '.' || ${rel} end`;
      const rels = sql`select c.oid, n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any(${wanted})`;
      const cols = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; max_length: unknown }>`
        with rels as (${rels})
        select ${name(sql`r.nspname`, sql`r.relname`)} as table_name, a.attname as column_name,
               format_type(a.atttypid, a.atttypmod) as data_type,
               case when a.attnotnull then 'NO' else 'YES' end as is_nullable,
               case when a.atttypid in (1043, 1042) and a.atttypmod > 4 then a.atttypmod - 4 end as max_length
        from rels r join pg_attribute a on a.attrelid = r.oid
        where a.attnum > 0 and not a.attisdropped
        order by 1, a.attnum`.execute(db);
      const pks = await sql<{ table_name: string; column_name: string }>`
        with rels as (${rels})
        select ${name(sql`r.nspname`, sql`r.relname`)} as table_name, a.attname as column_name
        from pg_constraint con
        join rels r on r.oid = con.conrelid
        cross join lateral unnest(con.conkey) with ordinality as u(attnum, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = u.attnum
        where con.contype = 'p'
        order by 1, u.ord`.execute(db);
      const fks = await sql<{ name: string; table_name: string; column_name: string; ref_table: string; ref_column: string }>`
        with rels as (${rels})
        select con.conname as name, ${name(sql`r.nspname`, sql`r.relname`)} as table_name, a.attname as column_name,
               ${name(sql`rn.nspname`, sql`rcl.relname`)} as ref_table, ra.attname as ref_column
        from pg_constraint con
        join rels r on r.oid = con.conrelid
        join pg_class rcl on rcl.oid = con.confrelid
        join pg_namespace rn on rn.oid = rcl.relnamespace
        cross join lateral unnest(con.conkey, con.confkey) with ordinality as u(k, rk, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = u.k
        join pg_attribute ra on ra.attrelid = con.confrelid and ra.attnum = u.rk
        where con.contype = 'f'
        order by con.conname, u.ord`.execute(db);
      const idx = await sql<{ table_name: string; index_name: string; column_name: string; is_unique: boolean }>`
        with rels as (${rels})
        select ${name(sql`r.nspname`, sql`r.relname`)} as table_name, i.relname as index_name, a.attname as column_name, x.indisunique as is_unique
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join rels r on r.oid = x.indrelid
        cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
        join pg_attribute a on a.attrelid = r.oid and a.attnum = k.attnum
        order by 1, i.relname, k.ord`.execute(db);
      return assemble({ cols: cols.rows, pks: pks.rows, fks: fks.rows, idx: idx.rows }, kindOf, current);
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

  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown> {
    if (spec.format !== 'iso') {
      if (column.kind !== 'integer' && column.kind !== 'real') return sql`false`;
      const scale = spec.format === 'epoch_s' ? 1 : 1000;
      // Bounds as bigint: they may not fit the column's own type (an INTEGER of epoch seconds).
      return sql`(${expr} < ${epochParam(epochBound(cutoff, scale, column), column)} and ${expr} >= ${epochParam(EPOCH_SECONDS_RANGE[0] * scale, column)})`;
    }
    const wall = wallOf(cutoff, spec.zone);
    // -infinity is a sentinel, not a clock: never due (and invalid for check).
    if (column.kind === 'timestamp') return column.zoned ? sql`(${expr} < ${cutoff} and isfinite(${expr}))` : sql`(${expr} < cast(${wall} as timestamp) and isfinite(${expr}))`;
    if (column.kind === 'date') return sql`(${expr} < cast(${wall} as timestamp) and isfinite(${expr}))`;
    if (column.kind !== 'text') return sql`false`;
    // ISO text. The outer comparison is an index range; the CASEs parse only text the reader's
    // grammar accepts (CASE keeps a bad value from reaching a cast that would fail the query).
    const bound = isoUtc(new Date(cutoff.getTime() + 2 * 86_400_000)).slice(0, 10);
    return sql`(${expr} < ${bound} and case when ${expr} ~ ${ISO_CLOCK_PATTERN} then case when ${this.#realDay(expr)} then
      case when length(${expr}) > 10 and ${expr} ~ ${ISO_ZONE_PATTERN}
        then cast(left(regexp_replace(${expr}, ${ISO_ZONE_PATTERN}, ''), 26) || substring(${expr} from ${ISO_ZONE_PATTERN}) as timestamptz) < ${cutoff}
        else cast(left(${expr}, 26) as timestamp) < cast(${wall} as timestamp) end
      else false end else false end)`;
  }

  /** The text's day exists in its month and its year is not 0000 (only called on text the grammar accepts). */
  #realDay(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`substr(${expr}, 1, 4) <> '0000' and cast(substr(${expr}, 9, 2) as int) <= extract(day from cast(substr(${expr}, 1, 7) || '-01' as date) + interval '1 month' - interval '1 day')`;
  }

  clockInvalid(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown> {
    if (spec.format !== 'iso') {
      if (column.kind !== 'integer' && column.kind !== 'real') return sql`(${expr} is not null)`;
      const scale = spec.format === 'epoch_s' ? 1 : 1000;
      return sql`(${expr} < ${epochParam(EPOCH_SECONDS_RANGE[0] * scale, column)} or ${expr} > ${epochParam(EPOCH_SECONDS_RANGE[1] * scale, column)})`;
    }
    if (column.kind === 'timestamp' || column.kind === 'date') return sql`(not isfinite(${expr}))`;
    if (column.kind !== 'text') return sql`(${expr} is not null)`;
    return sql`(case when ${expr} ~ ${ISO_CLOCK_PATTERN} then not (${this.#realDay(expr)}) else ${expr} is not null end)`;
  }

  clockRaw(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown> {
    if (spec.format !== 'iso' || column.kind === 'text') return expr;
    if (column.kind === 'timestamp') {
      return column.zoned
        ? sql`case when isfinite(${expr}) then to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') else 'infinity' end`
        : sql`case when isfinite(${expr}) then to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS.US') else 'infinity' end`;
    }
    if (column.kind === 'date') return sql`case when isfinite(${expr}) then to_char(${expr}, 'YYYY-MM-DD') else 'infinity' end`;
    return expr;
  }

  castForColumn(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
    // The type name comes from the catalogue (format_type), never from input.
    return column.kind === 'text' ? expr : sql`cast(${expr} as ${sql.raw(column.dataType)})`;
  }

  keyOut(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
    if (column.kind === 'binary') return sql`encode(${expr}, 'hex')`;
    // Integers as they are: the int8 parser keeps them exact (a number, or text beyond 2^53).
    if (column.kind === 'integer') return expr;
    // Text, so timestamps keep their microseconds and big integers their digits.
    return sql`cast(${expr} as text)`;
  }

  bindKey(value: string | number, column: ColumnInfo): RawBuilder<unknown> {
    if (column.kind === 'binary') return sql`decode(${String(value)}, 'hex')`;
    // An untyped parameter takes the column's type, so text parses back to the exact value.
    return sql`${value}`;
  }

  override keyInList(ref: RawBuilder<unknown>, values: readonly (string | number)[], column: ColumnInfo): RawBuilder<unknown> {
    // One array parameter instead of one per key: a 1000-key statement parses and binds in a
    // fraction of the time. The array's type is the column's own (from the catalogue).
    if (column.kind === 'binary') return sql`${ref} in (${sql.join(values.map((v) => this.bindKey(v, column)))})`;
    return sql`${ref} = any(cast(${values.map(String)} as ${sql.raw(column.dataType)}[]))`;
  }

  rowsByKey(alias: string, keyColumns: readonly ColumnInfo[], rows: readonly (readonly (string | number | null)[])[]): RowsByKey | null {
    if (keyColumns.some((c) => c.kind === 'binary') || rows.length === 0) return null;
    // One array per column, zipped back into rows by unnest, as keyTupleInList: the key arrays
    // typed as the key columns, the values as text (castForColumn types them for their column).
    const width = rows[0]!.length;
    const names = Array.from({ length: width }, (_v, i) => `__v${i}`);
    const arrays = names.map((_n, i) => {
      const values = rows.map((r) => (r[i] === null || r[i] === undefined ? null : String(r[i])));
      return sql`cast(${values} as ${sql.raw(i < keyColumns.length ? keyColumns[i]!.dataType : 'text')}[])`;
    });
    // The key list as well: joined to the rows alone, the planner hashed them against a scan
    // of the whole table (28 ms a batch of 1,000 on 100,000 rows; 6 ms through the key).
    const refs = keyColumns.map((c) => sql.ref(`${alias}.${c.name}`));
    const keys = rows.map((r) => r.slice(0, keyColumns.length) as (string | number)[]);
    const listed = keyColumns.length === 1 ? this.keyInList(refs[0]!, keys.map((k) => k[0]!), keyColumns[0]!) : this.keyTupleInList(refs, keys, keyColumns)!;
    return {
      from: sql`unnest(${sql.join(arrays)}) as ${sql.id('__rows')}(${sql.join(names.map((n) => sql.id(n)))})`,
      match: sql`${sql.join(refs.map((r, i) => sql`${r} = ${sql.ref(`__rows.${names[i]}`)}`), sql` and `)} and ${listed}`,
      value: (i) => sql.ref(`__rows.${names[keyColumns.length + i]}`),
    };
  }

  keyTupleInList(refs: readonly RawBuilder<unknown>[], parts: readonly (readonly (string | number)[])[], columns: readonly ColumnInfo[]): RawBuilder<unknown> | null {
    if (columns.some((c) => c.kind === 'binary')) return null;
    // One array per column, zipped back into tuples: a thousand keys in as many parameters as columns.
    const arrays = columns.map((c, i) => sql`cast(${parts.map((p) => String(p[i]))} as ${sql.raw(c.dataType)}[])`);
    return sql`(${sql.join(refs)}) in (select * from unnest(${sql.join(arrays)}))`;
  }

  deleteWhere(table: string, alias: string, where: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`delete from ${sql.table(table)} as ${sql.id(alias)} where ${where}`;
  }

  rowLockClause(write: 'delete' | 'update', target: string, parents: readonly string[]): string {
    // NO KEY UPDATE for updates: the application can still insert rows referencing them.
    const own = `for ${write === 'delete' ? 'update' : 'no key update'} of ${target}`;
    return parents.length ? `${own} for share of ${parents.join(', ')}` : own;
  }

  async ensureSchema(name: string): Promise<void> {
    await sql`create schema if not exists ${sql.id(name)}`.execute(this.db);
  }

  async syncSerial(db: Kysely<any>, table: string, column: string): Promise<void> {
    const qualified = this.letheSchema ? `${this.letheSchema}.${table}` : table;
    await sql`select setval(pg_get_serial_sequence(${qualified}, ${column}), greatest(coalesce((select max(${sql.ref(column)}) from ${sql.table(qualified)}), 0), 1))`.execute(db);
  }

  async rangePartitions(db: Kysely<any>, table: string, column: ColumnInfo, zone: string): Promise<RangePartition[] | null> {
    if (column.kind !== 'timestamp' && column.kind !== 'date') return null;
    const rel = sql`to_regclass(${regclassText(table)})`;
    const def = (await sql<{ k: string | null }>`select pg_get_partkeydef(${rel}) as k`.execute(db)).rows[0]?.k ?? null;
    // `RANGE (started_at)`: partitioned on the clock column alone (an expression or a second column is not).
    const m = def ? /^RANGE \(("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\)$/.exec(def) : null;
    if (!m || unquote(m[1]!) !== column.name) return null;
    const rows = await sql<{ ns: string; rel: string; cur: string; bound: string }>`
      select n.nspname as ns, c.relname as rel, current_schema() as cur, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace
      where i.inhparent = ${rel} order by c.relname`.execute(db);
    // A bound as an instant, by the server's own parser: a naive value or a date is read in the clock's zone.
    const instant = async (literal: string): Promise<Date | null> => {
      if (literal === 'MINVALUE' || literal === 'MAXVALUE') return null;
      const text = /^'((?:[^']|'')*)'$/.exec(literal)?.[1]?.replace(/''/g, "'");
      if (text === undefined) return null;
      const expr = column.zoned ? sql`cast(${text} as timestamptz)` : column.kind === 'date' ? sql`(cast(${text} as date)::timestamp at time zone ${zone})` : sql`(cast(${text} as timestamp) at time zone ${zone})`;
      const r = await sql<{ t: Date }>`select case when isfinite(${expr}) then ${expr} end as t`.execute(db);
      return r.rows[0]?.t ?? null;
    };
    const out: RangePartition[] = [];
    for (const r of rows.rows) {
      const b = /^FOR VALUES FROM \((.+)\) TO \((.+)\)$/.exec(r.bound);
      if (!b) continue; // DEFAULT: it holds NULL clocks and anything else; never dropped whole.
      out.push({ name: r.ns === r.cur ? r.rel : `${r.ns}.${r.rel}`, from: await instant(b[1]!), to: await instant(b[2]!) });
    }
    return out;
  }

  async lockPartition(tx: Kysely<any>, partition: string): Promise<void> {
    // Readers go on; writers of its (old) rows and inserts of rows referencing them wait. A
    // lock held by a long transaction fails fast, and the stage deletes the rows instead.
    await sql`set local lock_timeout = '5s'`.execute(tx);
    await sql`lock table ${sql.table(partition)} in exclusive mode`.execute(tx);
  }

  partitionRows(_table: string, partition: string): RawBuilder<unknown> {
    return sql.table(partition);
  }

  /** One transaction: `inspect` (which locks the partition), then detach and drop; the DDL commits or rolls back with the entry. */
  dropPartition<R>(table: string, partition: string, inspect: (tx: Kysely<any>) => Promise<R | null>): Promise<R | null> {
    return this.transaction(async (tx) => {
      const done = await inspect(tx);
      if (done === null) return null;
      await sql`alter table ${sql.table(table)} detach partition ${sql.table(partition)}`.execute(tx);
      await sql`drop table ${sql.table(partition)}`.execute(tx);
      return done;
    });
  }

  isRetryable(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    // deadlock_detected, serialization_failure, lock_not_available
    return code === '40P01' || code === '40001' || code === '55P03';
  }

  safeError(err: unknown): SafeDbError | null {
    const e = err as { code?: unknown; severity?: unknown; constraint?: unknown; table?: unknown; schema?: unknown };
    if (!(err instanceof Error) || typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code) || e.severity === undefined) return null;
    const table = typeof e.table === 'string' ? (typeof e.schema === 'string' ? `${e.schema}.${e.table}` : e.table) : null;
    return { code: e.code, constraint: typeof e.constraint === 'string' ? e.constraint : null, table };
  }
}

/** `schema.table` or `table` as text to_regclass reads back exactly (every part quoted). */
function regclassText(table: string): string {
  const dot = table.indexOf('.');
  const parts = dot < 0 ? [table] : [table.slice(0, dot), table.slice(dot + 1)];
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

/** An identifier as pg_get_partkeydef prints it, unquoted. */
function unquote(id: string): string {
  return id.startsWith('"') ? id.slice(1, -1).replace(/""/g, '"') : id;
}

/** An epoch bound typed so it never overflows the column's type: bigint for integers, numeric otherwise. */
function epochParam(v: number | string, column: ColumnInfo): RawBuilder<unknown> {
  return column.kind === 'integer' ? sql`cast(${String(v)} as bigint)` : sql`cast(${String(v)} as numeric)`;
}

function kindOf(dataType: string): { kind: ColumnKind; zoned: boolean } {
  const t = dataType.toLowerCase();
  if (t.startsWith('timestamp')) return { kind: 'timestamp', zoned: t.includes('with time zone') };
  if (t === 'date') return { kind: 'date', zoned: false };
  if (['smallint', 'integer', 'bigint'].includes(t)) return { kind: 'integer', zoned: false };
  if (t.startsWith('character') || t === 'text' || t === 'citext') return { kind: 'text', zoned: false };
  if (t === 'uuid') return { kind: 'uuid', zoned: false };
  if (t === 'bytea') return { kind: 'binary', zoned: false };
  if (t === 'real' || t.startsWith('double') || t.startsWith('numeric')) return { kind: 'real', zoned: false };
  return { kind: 'other', zoned: false };
}
