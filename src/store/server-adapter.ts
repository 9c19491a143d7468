/**
 * What the two server adapters share: native timestamp types bound as Date objects,
 * catalogue rows assembled into SchemaInfo, and a pool closed on close(). Each engine's
 * SQL stays in its own adapter.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Adapter, ClockSpec, ColumnInfo, ColumnKind, EngineName, ForeignKeyInfo, IndexInfo, SafeDbError, SchemaInfo, SqlTypeKind, TableInfo } from './types.js';

export abstract class ServerAdapter implements Adapter {
  abstract readonly engine: EngineName;
  abstract readonly supportsReturning: boolean;
  abstract readonly shareLockClause: string;
  abstract readonly keyScanHint: string;
  abstract readonly rowValueKeyset: boolean;
  abstract readonly writeReturnsKeys: boolean;
  abstract readonly writesInWith: boolean;
  abstract readonly rangeDeletes: boolean;
  readonly supportsForUpdate = true;
  readonly defaultPauseMs = 0;
  letheSchema: string | null = null;
  constructor(
    readonly db: Kysely<any>,
    readonly description: string,
    private readonly types: Readonly<Record<SqlTypeKind, string>>,
  ) {}

  sqlType(kind: SqlTypeKind): string {
    return this.types[kind];
  }

  /** The drivers bind Dates in UTC (sessions run with time zone UTC). */
  encodeTimestamp(at: Date): unknown {
    return at;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  abstract introspect(schemas?: readonly string[]): Promise<SchemaInfo>;
  abstract dbNow(): Promise<Date>;
  abstract transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T>;
  abstract clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec, cutoff: Date): RawBuilder<unknown>;
  abstract clockInvalid(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown>;
  abstract clockRaw(expr: RawBuilder<unknown>, column: ColumnInfo, spec: ClockSpec): RawBuilder<unknown>;
  abstract castForColumn(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown>;
  abstract keyOut(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown>;
  abstract bindKey(value: string | number, column: ColumnInfo): RawBuilder<unknown>;
  keyInList(ref: RawBuilder<unknown>, values: readonly (string | number)[], column: ColumnInfo): RawBuilder<unknown> {
    return sql`${ref} in (${sql.join(values.map((v) => this.bindKey(v, column)))})`;
  }
  abstract deleteWhere(table: string, alias: string, where: RawBuilder<unknown>): RawBuilder<unknown>;
  abstract rowLockClause(write: 'delete' | 'update', target: string, parents: readonly string[]): string;
  abstract ensureSchema(name: string): Promise<void>;
  abstract syncSerial(db: Kysely<any>, table: string, column: string): Promise<void>;
  abstract isRetryable(err: unknown): boolean;
  abstract safeError(err: unknown): SafeDbError | null;
}

/** Catalogue rows; table names are already as lethe names them (`calls`, `kamailio.acc`). */
export interface CatalogueRows {
  cols: readonly { table_name: string; column_name: string; data_type: string; is_nullable: string; max_length: unknown; zoned?: unknown }[];
  pks: readonly { table_name: string; column_name: string }[];
  fks: readonly { name: string; table_name: string; column_name: string; ref_table: string; ref_column: string }[];
  idx: readonly { table_name: string; index_name: string; column_name: string; is_unique: unknown }[];
}

/** Builds SchemaInfo from catalogue rows, ordered by table and by position within keys. */
export function assemble({ cols, pks, fks, idx }: CatalogueRows, kind: (dataType: string) => { kind: ColumnKind; zoned: boolean }, defaultSchema: string): SchemaInfo {
  const tables = new Map<string, { name: string; columns: Map<string, ColumnInfo>; primaryKey: string[]; foreignKeys: ForeignKeyInfo[]; indexes: IndexInfo[] }>();
  for (const c of cols) {
    const t = tables.get(c.table_name) ?? { name: c.table_name, columns: new Map(), primaryKey: [], foreignKeys: [], indexes: [] };
    const k = kind(c.data_type);
    const max = c.max_length === null || c.max_length === undefined ? null : Number(c.max_length);
    t.columns.set(c.column_name, {
      name: c.column_name,
      dataType: c.data_type.toLowerCase(),
      kind: k.kind,
      zoned: k.zoned,
      maxLength: k.kind === 'text' && max !== null && Number.isFinite(max) && max > 0 ? max : null,
      nullable: c.is_nullable === 'YES',
    });
    tables.set(c.table_name, t);
  }
  for (const p of pks) tables.get(p.table_name)?.primaryKey.push(p.column_name);
  const byFk = new Map<string, ForeignKeyInfo & { columns: string[]; refColumns: string[] }>();
  for (const f of fks) {
    const key = `${f.table_name}\u0000${f.name}`;
    const fk = byFk.get(key) ?? { table: f.table_name, columns: [], refTable: f.ref_table, refColumns: [] };
    fk.columns.push(f.column_name);
    fk.refColumns.push(f.ref_column);
    byFk.set(key, fk);
  }
  for (const fk of byFk.values()) tables.get(fk.table)?.foreignKeys.push(fk);
  const byIdx = new Map<string, { table: string; name: string; columns: string[]; unique: boolean }>();
  for (const i of idx) {
    const key = `${i.table_name}\u0000${i.index_name}`;
    const ix = byIdx.get(key) ?? { table: i.table_name, name: i.index_name, columns: [], unique: i.is_unique === true || Number(i.is_unique) === 1 };
    ix.columns.push(i.column_name);
    byIdx.set(key, ix);
  }
  for (const ix of byIdx.values()) tables.get(ix.table)?.indexes.push({ name: ix.name, columns: ix.columns, unique: ix.unique });
  return { tables: new Map([...tables].map(([k, v]) => [k, v as TableInfo])), defaultSchema };
}
