/**
 * What the two server adapters share: native timestamp types bound as Date objects,
 * catalogue rows assembled into SchemaInfo, and a pool closed on close(). Each engine's
 * SQL stays in its own adapter.
 */
import type { Kysely, RawBuilder } from 'kysely';
import { parseClockValue } from './timestamps.js';
import type { Adapter, ClockFormat, ColumnInfo, EngineName, ForeignKeyInfo, IndexInfo, SchemaInfo, SqlTypeKind, TableInfo } from './types.js';

export abstract class ServerAdapter implements Adapter {
  abstract readonly engine: EngineName;
  abstract readonly supportsReturning: boolean;
  abstract readonly shareLockClause: string;
  abstract readonly keyScanHint: string;
  readonly supportsForUpdate = true;
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

  decodeTimestamp(value: unknown, format: ClockFormat = 'iso'): Date | null {
    return parseClockValue(value, format);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  abstract introspect(): Promise<SchemaInfo>;
  abstract dbNow(): Promise<Date>;
  abstract transaction<T>(fn: (tx: Kysely<any>) => Promise<T>): Promise<T>;
  abstract clockBefore(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat, cutoff: Date): RawBuilder<unknown>;
  abstract castForColumn(expr: RawBuilder<unknown>, column: ColumnInfo): RawBuilder<unknown>;
  abstract clockUnparseable(expr: RawBuilder<unknown>, column: ColumnInfo, format: ClockFormat): RawBuilder<unknown>;
}

export interface CatalogueRows {
  cols: readonly { table_name: string; column_name: string; data_type: string; is_nullable: string }[];
  pks: readonly { table_name: string; column_name: string }[];
  fks: readonly { name: string; table_name: string; column_name: string; ref_table: string; ref_column: string }[];
  idx: readonly { table_name: string; index_name: string; column_name: string }[];
}

/** Builds SchemaInfo from catalogue rows, ordered by table and by position within keys. */
export function assemble({ cols, pks, fks, idx }: CatalogueRows, kind: (dataType: string) => ColumnInfo['kind']): SchemaInfo {
  const tables = new Map<string, { name: string; columns: Map<string, ColumnInfo>; primaryKey: string[]; foreignKeys: ForeignKeyInfo[]; indexes: IndexInfo[] }>();
  for (const c of cols) {
    const t = tables.get(c.table_name) ?? { name: c.table_name, columns: new Map(), primaryKey: [], foreignKeys: [], indexes: [] };
    t.columns.set(c.column_name, { name: c.column_name, dataType: c.data_type.toLowerCase(), kind: kind(c.data_type), nullable: c.is_nullable === 'YES' });
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
  const byIdx = new Map<string, { table: string; name: string; columns: string[] }>();
  for (const i of idx) {
    const key = `${i.table_name}\u0000${i.index_name}`;
    const ix = byIdx.get(key) ?? { table: i.table_name, name: i.index_name, columns: [] };
    ix.columns.push(i.column_name);
    byIdx.set(key, ix);
  }
  for (const ix of byIdx.values()) tables.get(ix.table)?.indexes.push({ name: ix.name, columns: ix.columns });
  return { tables: new Map([...tables].map(([k, v]) => [k, v as TableInfo])) };
}
