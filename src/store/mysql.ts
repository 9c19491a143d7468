/**
 * The MySQL / MariaDB adapter (mysql2). The only file that imports the driver.
 *
 * Timestamps are DATETIME(3) holding UTC: every session runs with time_zone '+00:00' and
 * the driver reads and writes Dates as UTC. There is no RETURNING, so keys are always
 * selected before they are changed, and inserted ids come from the driver. Sessions use
 * READ COMMITTED, and batches lock the audit head row first (see the PostgreSQL adapter).
 */
import { DateTime } from 'luxon';
import { createPool } from 'mysql2';
import { CompiledQuery, Kysely, MysqlDialect, sql, type RawBuilder } from 'kysely';
import { EPOCH_SECONDS_RANGE, ISO_CLOCK_PATTERN, ISO_ZONE_PATTERN, epochBound, wallOf } from '../clock/read.js';
import { StoreError } from '../errors.js';
import { redact } from './redact.js';
import { ServerAdapter, assemble } from './server-adapter.js';
import { isoUtc } from './timestamps.js';
import { letheTable } from './lethe-tables.js';
import type { Adapter, ClockSpec, ColumnInfo, ColumnKind, OrderedDelete, RangePartition, ReferenceGuard, SafeDbError, SchemaInfo, SqlTypeKind } from './types.js';

/** Case-sensitive in both MariaDB's PCRE and MySQL's ICU, whatever the column's collation. */
const ISO_RE = `(?-i)${ISO_CLOCK_PATTERN}`;
const ZONE_RE = `(?-i)${ISO_ZONE_PATTERN}`;

/** `YYYY-MM-DD HH:MM:SS.ffffff`: how a wall time or a UTC instant binds against DATETIME. */
const datetimeText = (fixed: string) => fixed.replace('T', ' ');

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
  readonly writeReturnsKeys = false;
  readonly writesInWith = false;
  readonly rangeDeletes = true;
  // MariaDB does not use `(a, b) > (?, ?)` for a range scan; the expanded form it does.
  readonly rowValueKeyset = false;
  // MariaDB otherwise drives a joined-clock batch query from the parent's clock index and
  // sorts every remaining due row on every batch (measured: 143 ms average, 791 ms worst,
  // growing with the due rows); STRAIGHT_JOIN walks the rule's table in key order.
  readonly keyScanHint = 'straight_join';
  // MariaDB has no FOR SHARE; LOCK IN SHARE MODE works on MariaDB and MySQL alike.
  readonly shareLockClause = 'lock in share mode';

  /**
   * MariaDB's (MySQL has no RETURNING). The statement takes no index hint, so its window of
   * keys (orderedBatch) is what keeps its plan to a short range of the primary key.
   */
  readonly orderedDelete: OrderedDelete = {
    usable: async (db) => /mariadb/i.test((await sql<{ v: string }>`select version() as v`.execute(db)).rows[0]?.v ?? ''),
    outcome: (rows) => ({ deleted: rows, taken: null }),
    statement: (table, where, orderBy, limit, returning) => sql<Record<string, unknown>>`delete from ${sql.table(table)} where ${where} order by ${orderBy} limit ${limit} returning ${returning}`,
  };

  readonly referenceGuard: ReferenceGuard = {
    enforced: async (db, table) => {
      const dot = table.indexOf('.');
      const schema = dot < 0 ? null : table.slice(0, dot);
      const name = dot < 0 ? table : table.slice(dot + 1);
      const r = await sql<{ checks: unknown; loose: unknown }>`
        select @@foreign_key_checks as checks,
               (select count(*) from information_schema.referential_constraints
                where unique_constraint_schema = coalesce(${schema}, database()) and referenced_table_name = ${name}
                  and delete_rule not in ('RESTRICT', 'NO ACTION')) as loose`.execute(db);
      const row = r.rows[0];
      return !!row && Number(row.checks) === 1 && Number(row.loose) === 0;
    },
    // ER_ROW_IS_REFERENCED_2, and ER_ROW_IS_REFERENCED where the server does not name the constraint.
    refused: (err) => {
      const errno = (err as { errno?: unknown })?.errno;
      return errno === 1451 || errno === 1217;
    },
    refusalRollsBack: 'statement',
  };

  notForOrder(indexes: readonly string[]): RawBuilder<unknown> {
    return sql`ignore index for order by (${sql.join(indexes.map((i) => sql.id(i)))})`;
  }

  primaryKeyOrder(): RawBuilder<unknown> {
    return sql`force index (primary)`;
  }

  /**
   * Text and binary keys: max() compares by the column's collation, as ORDER BY does. The
   * ordered read instead is a derived table, which MariaDB copies whole into a temporary
   * table: 6.7-8.3 s for the last of 10M due text keys, where max() takes 2.9. (ENUM is not
   * among them: max() compares its text, ORDER BY its position.)
   */
  maxInKeyOrder(column: ColumnInfo): boolean {
    return column.kind === 'text' || column.kind === 'binary' || column.kind === 'uuid';
  }

  async introspect(schemas: readonly string[] = []): Promise<SchemaInfo> {
    const db = this.db;
    try {
      const current = String((await sql<{ d: string }>`select database() as d`.execute(db)).rows[0]!.d);
      const wanted = [current, ...schemas.filter((x) => x !== current)];
      // Tables of the connected database keep their plain names; others are `database.table`.
      const name = (schema: string, table: string) => sql`case when ${sql.ref(schema)} = ${current} then ${sql.ref(table)} else concat(${sql.ref(schema)}, '.', ${sql.ref(table)}) end`;
      const cols = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; max_length: unknown }>`
        select ${name('c.table_schema', 'c.table_name')} as table_name, c.column_name as column_name, c.column_type as data_type,
               c.is_nullable as is_nullable, c.character_maximum_length as max_length
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema in (${sql.join(wanted)})
        order by 1, c.ordinal_position`.execute(db);
      const pks = await sql<{ table_name: string; column_name: string }>`
        select ${name('table_schema', 'table_name')} as table_name, column_name as column_name
        from information_schema.key_column_usage
        where table_schema in (${sql.join(wanted)}) and constraint_name = 'PRIMARY'
        order by 1, ordinal_position`.execute(db);
      const fks = await sql<{ name: string; table_name: string; column_name: string; ref_table: string; ref_column: string }>`
        select constraint_name as name, ${name('table_schema', 'table_name')} as table_name, column_name as column_name,
               ${name('referenced_table_schema', 'referenced_table_name')} as ref_table, referenced_column_name as ref_column
        from information_schema.key_column_usage
        where table_schema in (${sql.join(wanted)}) and referenced_table_name is not null
        order by 2, constraint_name, ordinal_position`.execute(db);
      const idx = await sql<{ table_name: string; index_name: string; column_name: string; is_unique: unknown }>`
        select ${name('table_schema', 'table_name')} as table_name, index_name as index_name, column_name as column_name, non_unique = 0 as is_unique
        from information_schema.statistics
        where table_schema in (${sql.join(wanted)})
        order by 1, index_name, seq_in_index`.execute(db);
      return assemble({ cols: cols.rows, pks: pks.rows, fks: fks.rows, idx: idx.rows }, kindOf, current);
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

  clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown> {
    if (spec.format !== 'iso') {
      if (column.kind !== 'integer' && column.kind !== 'real') return sql`false`;
      const scale = spec.format === 'epoch_s' ? 1 : 1000;
      return sql`(${expr} < ${epochBound(cutoff, scale, column)} and ${expr} >= ${EPOCH_SECONDS_RANGE[0] * scale})`;
    }
    const wall = datetimeText(wallOf(cutoff, spec.zone));
    // A TIMESTAMP holds an instant (the session is UTC); DATETIME and DATE hold wall times.
    // Zero dates ('0000-00-00') are sentinels, never due.
    if (column.kind === 'timestamp' || column.kind === 'date') {
      const bound = column.zoned ? datetimeText(isoUtc(cutoff).slice(0, 23)) : wall;
      return sql`(${expr} < ${bound} and ${this.#realNative(expr)})`;
    }
    if (column.kind !== 'text') return sql`false`;
    const bound = isoUtc(new Date(cutoff.getTime() + 2 * 86_400_000)).slice(0, 10);
    const utc = datetimeText(isoUtc(cutoff).slice(0, 23));
    // ISO text: the outer comparison is an index range; the CASEs parse only text the reader's grammar accepts.
    return sql`(${expr} < ${bound} and case when ${expr} regexp ${ISO_RE} then case when ${this.#realDay(expr)} then
      case when length(${expr}) > 10 and ${expr} regexp ${ZONE_RE}
        then date_sub(cast(left(regexp_replace(${expr}, ${ZONE_RE}, ''), 26) as datetime(6)), interval ${this.#offsetMinutes(expr)} minute) < ${utc}
        else cast(left(${expr}, 26) as datetime(6)) < ${wall} end
      else 0 end else 0 end)`;
  }

  #realNative(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`${expr} >= '0001-01-01' and month(${expr}) > 0 and dayofmonth(${expr}) > 0`;
  }

  /** The text's day exists in its month and its year is not 0000 (only called on text the grammar accepts). */
  #realDay(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`left(${expr}, 4) <> '0000' and cast(substr(${expr}, 9, 2) as unsigned) <= day(last_day(concat(left(${expr}, 7), '-01')))`;
  }

  /** Minutes east of UTC of the text's zone (Z, ±hh, ±hhmm, ±hh:mm). */
  #offsetMinutes(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    const z = sql`replace(regexp_substr(${expr}, ${ZONE_RE}), ':', '')`;
    return sql`(case when right(${expr}, 1) = 'Z' then 0 else (case when left(${z}, 1) = '-' then -1 else 1 end) * (cast(substr(${z}, 2, 2) as unsigned) * 60 + case when length(${z}) = 5 then cast(substr(${z}, 4, 2) as unsigned) else 0 end) end)`;
  }

  clockInvalid(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown> {
    if (spec.format !== 'iso') {
      if (column.kind !== 'integer' && column.kind !== 'real') return sql`(${expr} is not null)`;
      const scale = spec.format === 'epoch_s' ? 1 : 1000;
      return sql`(${expr} < ${EPOCH_SECONDS_RANGE[0] * scale} or ${expr} > ${EPOCH_SECONDS_RANGE[1] * scale})`;
    }
    if (column.kind === 'timestamp' || column.kind === 'date') return sql`(${expr} is not null and not (${this.#realNative(expr)}))`;
    if (column.kind !== 'text') return sql`(${expr} is not null)`;
    return sql`(${expr} is not null and case when ${expr} regexp ${ISO_RE} then not (${this.#realDay(expr)}) else 1 end)`;
  }

  clockRaw(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown> {
    if (spec.format !== 'iso' || column.kind === 'text') return expr;
    if (column.kind === 'timestamp') return sql`date_format(${expr}, ${column.zoned ? '%Y-%m-%dT%H:%i:%s.%fZ' : '%Y-%m-%dT%H:%i:%s.%f'})`;
    if (column.kind === 'date') return sql`date_format(${expr}, '%Y-%m-%d')`;
    return expr;
  }

  castForColumn(expr: RawBuilder<unknown>): RawBuilder<unknown> {
    return expr; // MySQL converts on assignment
  }

  keyOut(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown> {
    if (column.kind === 'binary') return sql`hex(${expr})`;
    if (column.kind === 'timestamp') return sql`date_format(${expr}, '%Y-%m-%d %H:%i:%s.%f')`;
    // Integers as they are (mysql2 returns text beyond 2^53); decimals as text, exactly.
    if (column.kind === 'real') return sql`cast(${expr} as char)`;
    return expr;
  }

  bindKey(value: string | number, column: ColumnInfo): RawBuilder<unknown> {
    if (column.kind === 'binary') return sql`unhex(${String(value)})`;
    // A string compared with an integer column would be compared as a double: exact only to 2^53.
    if (column.kind === 'integer' && typeof value === 'string') return sql`cast(${value} as decimal(65, 0))`;
    return sql`${value}`;
  }

  keyTupleInList(refs: readonly RawBuilder<unknown>[], parts: readonly (readonly (string | number)[])[], columns: readonly ColumnInfo[]): RawBuilder<unknown> | null {
    if (columns.some((c) => c.kind === 'binary')) return null;
    // A row-value IN list: read by range on an index of the columns, and tested by binary
    // search without one. On an Asterisk cdr of 300,000 rows, deleting 1,000 keys took 17 ms
    // against 51 for an OR of ANDs with an index on (uniqueid, sequence), and 161 ms against
    // 14 s without (MariaDB 10.11; the OR is tested term by term on every row).
    return sql`(${sql.join(refs)}) in (${sql.join(parts.map((p) => sql`(${sql.join(p.map((v, i) => this.bindKey(v, columns[i]!)))})`))})`;
  }

  deleteWhere(table: string, alias: string, where: RawBuilder<unknown>): RawBuilder<unknown> {
    // The multi-table form is the one that takes an alias on MariaDB and MySQL alike.
    return sql`delete ${sql.id(alias)} from ${sql.table(table)} as ${sql.id(alias)} where ${where}`;
  }

  rowLockClause(): string {
    // MariaDB has no FOR UPDATE OF: every row the query reads is locked for update. Taking
    // the write's own lock up front avoids the S→X upgrade that deadlocks a waiting writer.
    return 'for update';
  }

  async ensureSchema(name: string): Promise<void> {
    await sql`create database if not exists ${sql.id(name)}`.execute(this.db);
  }

  /**
   * The partitions of a table partitioned by RANGE COLUMNS on the clock (DATETIME or DATE),
   * by RANGE on TO_DAYS of it, or by RANGE on UNIX_TIMESTAMP of a TIMESTAMP clock; each
   * partition's range starts at the bound before it. The first is unbounded below: it holds
   * NULL and zero dates, which are never due, and is never dropped whole.
   */
  async rangePartitions(db: Kysely<any>, table: string, column: ColumnInfo, zone: string): Promise<RangePartition[] | null> {
    if (column.kind !== 'timestamp' && column.kind !== 'date') return null;
    const dot = table.indexOf('.');
    const schema = dot < 0 ? sql`database()` : sql`${table.slice(0, dot)}`;
    const rows = (
      await sql<{ name: string; method: string | null; sub: string | null; expr: string | null; bound: string | null }>`
        select partition_name as name, partition_method as method, subpartition_method as sub, partition_expression as expr, partition_description as bound
        from information_schema.partitions
        where table_schema = ${schema} and table_name = ${table.slice(dot + 1)} and partition_name is not null
        order by partition_ordinal_position`.execute(db)
    ).rows;
    const first = rows[0];
    if (!first || rows.some((r) => r.method !== first.method || r.sub !== null || r.expr !== first.expr)) return null;
    if (!(await this.#mayDropPartitions(db, schema, table.slice(dot + 1)))) return null;
    const quoted = '`' + column.name.replace(/`/g, '``') + '`';
    const expr = (first.expr ?? '').trim().toLowerCase();
    // A bound as an instant: a DATETIME or DATE is a wall time in the clock's zone, a TIMESTAMP's epoch an instant.
    const wall = (text: string) => {
      const t = DateTime.fromSQL(text, { zone });
      return t.isValid ? t.toJSDate() : null;
    };
    let instant: (bound: string) => Date | null;
    if (first.method === 'RANGE COLUMNS' && expr === quoted.toLowerCase() && !column.zoned) {
      instant = (b) => {
        const text = /^'((?:[^']|'')*)'$/.exec(b)?.[1];
        return text === undefined ? null : wall(text.replace(/''/g, "'"));
      };
    } else if (first.method === 'RANGE' && expr === `to_days(${quoted.toLowerCase()})` && !column.zoned) {
      // TO_DAYS('1970-01-01') is 719528.
      instant = (b) => (/^\d+$/.test(b) ? wall(new Date((Number(b) - 719_528) * 86_400_000).toISOString().slice(0, 10)) : null);
    } else if (first.method === 'RANGE' && expr === `unix_timestamp(${quoted.toLowerCase()})` && column.zoned) {
      instant = (b) => (/^\d+$/.test(b) ? new Date(Number(b) * 1000) : null);
    } else return null;
    const out: RangePartition[] = [];
    let from: Date | null = null;
    for (const r of rows) {
      const to = r.bound === null || r.bound === 'MAXVALUE' ? null : instant(r.bound);
      out.push({ name: r.name, from, to });
      from = to;
    }
    return out;
  }

  /**
   * Whether information_schema shows this user the privileges a drop needs on the table:
   * ALTER and DROP, and LOCK TABLES on its database. Without them the entry, committed before
   * the DDL, would name rows the DDL then refused to drop; so the partitions are not listed,
   * and their rows go in batches. Privileges held only through a role are not seen here.
   */
  async #mayDropPartitions(db: Kysely<any>, schema: RawBuilder<unknown>, table: string): Promise<boolean> {
    const grantee = sql`(select concat('''', substring_index(current_user(), '@', 1), '''@''', substring_index(current_user(), '@', -1), ''''))`;
    const r = await sql<{ p: string }>`
      select privilege_type as p from information_schema.user_privileges where grantee = ${grantee}
      union select privilege_type from information_schema.schema_privileges where grantee = ${grantee} and table_schema = ${schema}
      union select privilege_type from information_schema.table_privileges where grantee = ${grantee} and table_schema = ${schema} and table_name = ${table}`.execute(db);
    const held = new Set(r.rows.map((x) => x.p.toUpperCase()));
    return ['ALTER', 'DROP', 'LOCK TABLES'].every((p) => held.has(p));
  }

  partitionRows(table: string, partition: string): RawBuilder<unknown> {
    return sql`${sql.table(table)} partition (${sql.id(partition)})`;
  }

  /**
   * MySQL's DDL commits by itself, so the partition cannot go in the entry's transaction. On
   * one connection, under LOCK TABLES (the table, and lethe's tables as `inspect` names them:
   * the lease and head as the fence reads them, the holds, the audit), which keeps writers and
   * `hold add` out throughout: `inspect` in a transaction that commits the entry, then
   * ALTER TABLE … DROP PARTITION, then UNLOCK TABLES. A lock not had in 5 s fails retryable,
   * and the stage deletes the rows instead.
   */
  async dropPartition<R>(table: string, partition: string, inspect: (tx: Kysely<any>) => Promise<R | null>): Promise<R | null> {
    const lethe = (name: string, alias?: string) => (alias ? sql`${letheTable(this, name)} as ${sql.id(alias)}` : letheTable(this, name));
    const locks = [
      sql`${sql.table(table)} write`,
      sql`${sql.table(table)} as ${sql.id('t')} read`,
      sql`${lethe('lethe_lease', 'l')} write`,
      sql`${lethe('lethe_audit_head', 'h')} write`,
      sql`${lethe('lethe_audit_head')} write`,
      sql`${lethe('lethe_audit')} write`,
      sql`${lethe('lethe_holds')} read`,
    ];
    return this.db.connection().execute(async (conn) => {
      await sql`set session lock_wait_timeout = 5, session innodb_lock_wait_timeout = 5, session autocommit = 0`.execute(conn);
      try {
        await sql`lock tables ${sql.join(locks)}`.execute(conn);
        let done: R | null;
        try {
          done = await inspect(conn);
          await sql.raw(done === null ? 'rollback' : 'commit').execute(conn);
        } catch (err) {
          await sql`rollback`.execute(conn);
          throw err;
        }
        if (done === null) return null;
        try {
          await sql`alter table ${sql.table(table)} drop partition ${sql.id(partition)}`.execute(conn);
        } catch (err) {
          const code = this.safeError(err)?.code ?? 'unknown';
          throw new StoreError(
            `${table}: partition ${partition} is audited as dropped, but ALTER TABLE … DROP PARTITION failed (${code}); its rows are still there, and the next run drops or deletes them and audits them again`,
            { cause: err },
          );
        }
        return done;
      } finally {
        await sql`unlock tables`.execute(conn);
        await sql`set session lock_wait_timeout = default, session innodb_lock_wait_timeout = default, session autocommit = 1`.execute(conn);
      }
    });
  }

  async syncSerial(): Promise<void> {
    // AUTO_INCREMENT already continues after the largest id inserted.
  }

  isRetryable(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
  }

  safeError(err: unknown): SafeDbError | null {
    const e = err as { code?: unknown; errno?: unknown; sqlMessage?: unknown; sqlState?: unknown };
    if (!(err instanceof Error) || typeof e.errno !== 'number' || typeof e.code !== 'string') return null;
    // Only identifiers are taken from the message: CONSTRAINT `name` and the table of a foreign key.
    const msg = typeof e.sqlMessage === 'string' ? e.sqlMessage : '';
    const constraint = /CONSTRAINT `([^`]+)`/.exec(msg)?.[1] ?? null;
    const table = /^Cannot (?:delete or update a parent|add or update a child) row: a foreign key constraint fails \(`([^`]+)`\.`([^`]+)`/.exec(msg);
    return { code: e.code, constraint, table: table ? `${table[1]}.${table[2]}` : null };
  }
}

function kindOf(dataType: string): { kind: ColumnKind; zoned: boolean } {
  const t = dataType.toLowerCase();
  if (t.startsWith('datetime')) return { kind: 'timestamp', zoned: false };
  if (t.startsWith('timestamp')) return { kind: 'timestamp', zoned: true };
  if (t === 'date') return { kind: 'date', zoned: false };
  if (/^(tiny|small|medium|big)?int\b/.test(t) || t.startsWith('int')) return { kind: 'integer', zoned: false };
  if (t === 'uuid') return { kind: 'uuid', zoned: false };
  if (t.includes('char') || t.includes('text')) return { kind: 'text', zoned: false };
  if (t.includes('binary') || t.includes('blob')) return { kind: 'binary', zoned: false };
  if (t.startsWith('double') || t.startsWith('float') || t.startsWith('decimal')) return { kind: 'real', zoned: false };
  return { kind: 'other', zoned: false };
}
