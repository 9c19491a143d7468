/**
 * Where lethe's own tables are: the store's default schema, or `store.lethe_schema` (a
 * PostgreSQL schema or MySQL database of their own, so the product's schema stays as its
 * vendor made it). Every query on a lethe_* table goes through one of these two helpers.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Adapter } from './types.js';

/** `db` (or a transaction) whose unqualified table names resolve to lethe's schema. Only for queries on lethe_* tables. */
export function letheDb(adapter: Adapter, db: Kysely<any> = adapter.db): Kysely<any> {
  return adapter.letheSchema ? db.withSchema(adapter.letheSchema) : db;
}

/** A lethe table for raw SQL: `lethe_audit_head`, or `"lethe"."lethe_audit_head"`. */
export function letheTable(adapter: Adapter, name: string): RawBuilder<unknown> {
  return sql.table(adapter.letheSchema ? `${adapter.letheSchema}.${name}` : name);
}
