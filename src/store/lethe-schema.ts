/**
 * lethe's own tables, created by lethe on every engine. All instants in them are canonical
 * ISO-8601 UTC text (`2024-03-01T00:00:00.000Z`), so audit hashes never depend on how an
 * engine renders a timestamp.
 */
import { sql, type Kysely } from 'kysely';
import { StoreError } from '../errors.js';
import type { Adapter } from './types.js';

export const LETHE_SCHEMA_VERSION = 1;

/** Creates lethe_* tables and indexes if they do not exist; safe to call on every start. */
export async function ensureLetheTables(adapter: Adapter): Promise<void> {
  const t = (k: Parameters<Adapter['sqlType']>[0]) => sql.raw(adapter.sqlType(k));
  const db: Kysely<any> = adapter.db;

  await db.schema
    .createTable('lethe_runs')
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('trigger', t('key'), (c) => c.notNull())
    // provider + scheduled tick for scheduled runs: unique, so a restart never runs a slot twice
    .addColumn('slot', t('key'), (c) => c.unique())
    .addColumn('provider', t('key'))
    .addColumn('rule', t('key'))
    .addColumn('now', t('key'), (c) => c.notNull())
    .addColumn('status', t('key'), (c) => c.notNull())
    .addColumn('due', t('bigint'), (c) => c.notNull().defaultTo(0))
    .addColumn('changed', t('bigint'), (c) => c.notNull().defaultTo(0))
    .addColumn('held', t('bigint'), (c) => c.notNull().defaultTo(0))
    .addColumn('blocked', t('bigint'), (c) => c.notNull().defaultTo(0))
    .addColumn('guarded', t('bigint'), (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', t('key'), (c) => c.notNull())
    .addColumn('finished_at', t('key'))
    .addColumn('duration_ms', t('bigint'))
    .addColumn('policy_sha256', t('key'), (c) => c.notNull())
    .addColumn('stages', t('text'))
    .addColumn('error', t('text'))
    .execute();

  await db.schema
    .createTable('lethe_audit')
    .ifNotExists()
    .addColumn('seq', t('bigint'), (c) => c.primaryKey())
    .addColumn('run_id', t('bigint'), (c) => c.notNull())
    .addColumn('at', t('key'), (c) => c.notNull())
    .addColumn('provider', t('key'), (c) => c.notNull())
    .addColumn('rule', t('key'), (c) => c.notNull())
    .addColumn('stage', t('int'), (c) => c.notNull())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    .addColumn('action', t('key'), (c) => c.notNull())
    .addColumn('cutoff', t('key'))
    .addColumn('row_count', t('bigint'), (c) => c.notNull())
    .addColumn('keys', t('text'), (c) => c.notNull())
    .addColumn('policy_sha256', t('key'), (c) => c.notNull())
    .addColumn('prev_hash', t('key'), (c) => c.notNull())
    .addColumn('hash', t('key'), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_lethe_audit_run').ifNotExists().on('lethe_audit').column('run_id').execute();
  await db.schema.createIndex('ix_lethe_audit_rule').ifNotExists().on('lethe_audit').columns(['provider', 'rule']).execute();

  // One row: the chain's head. Appenders lock it, so two writers can never fork the chain.
  await db.schema
    .createTable('lethe_audit_head')
    .ifNotExists()
    .addColumn('id', t('int'), (c) => c.primaryKey())
    .addColumn('seq', t('bigint'), (c) => c.notNull())
    .addColumn('hash', t('key'), (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('lethe_holds')
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    .addColumn('row_id', t('bigint'), (c) => c.notNull())
    .addColumn('reason', t('text'), (c) => c.notNull())
    .addColumn('placed_at', t('key'), (c) => c.notNull())
    .addColumn('expires_at', t('key'))
    .addColumn('released_at', t('key'))
    .execute();
  await db.schema.createIndex('ix_lethe_holds_row').ifNotExists().on('lethe_holds').columns(['table_name', 'row_id']).execute();

  await db.schema
    .createTable('lethe_file_queue')
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('run_id', t('bigint'), (c) => c.notNull())
    .addColumn('provider', t('key'), (c) => c.notNull())
    .addColumn('rule', t('key'), (c) => c.notNull())
    .addColumn('stage', t('int'), (c) => c.notNull())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    .addColumn('row_id', t('bigint'), (c) => c.notNull())
    .addColumn('path', t('text'), (c) => c.notNull())
    .addColumn('status', t('key'), (c) => c.notNull())
    .addColumn('queued_at', t('key'), (c) => c.notNull())
    .addColumn('note', t('text'))
    .execute();
  await db.schema.createIndex('ix_lethe_file_queue_status').ifNotExists().on('lethe_file_queue').column('status').execute();

  // The enforcer lease: one row, taken and renewed by plain updates (see src/lease.ts).
  await db.schema
    .createTable('lethe_lease')
    .ifNotExists()
    .addColumn('name', t('key'), (c) => c.primaryKey())
    .addColumn('holder', t('key'))
    .addColumn('token', t('bigint'), (c) => c.notNull())
    .addColumn('acquired_at', t('key'))
    .addColumn('expires_at', t('key'))
    .execute();

  await db.schema
    .createTable('lethe_meta')
    .ifNotExists()
    .addColumn('name', t('key'), (c) => c.primaryKey())
    .addColumn('value', t('text'), (c) => c.notNull())
    .execute();
  // Later versions migrate from the recorded version; a store newer than this build is refused.
  const row = await db.selectFrom('lethe_meta').select('value').where('name', '=', 'schema_version').executeTakeFirst();
  if (!row) {
    // Two replicas starting together may both get here; the second insert loses harmlessly.
    await db.insertInto('lethe_meta').values({ name: 'schema_version', value: String(LETHE_SCHEMA_VERSION) }).execute().catch(() => undefined);
  }
  else if (Number(row.value) > LETHE_SCHEMA_VERSION) {
    throw new StoreError(`this store's lethe tables are schema version ${String(row.value)}, newer than this build (${LETHE_SCHEMA_VERSION}); upgrade lethe`);
  }
}
