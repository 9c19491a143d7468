/**
 * lethe's own tables, created by lethe on every engine. All instants in them are canonical
 * ISO-8601 UTC text (`2024-03-01T00:00:00.000Z`), so audit hashes never depend on how an
 * engine renders a timestamp.
 */
import { sql, type Kysely } from 'kysely';
import { GENESIS_HASH } from '../audit/chain.js';
import { StoreError } from '../errors.js';
import { letheDb } from './lethe-tables.js';
import type { Adapter } from './types.js';

/**
 * 1: the first release. 2: holds and the file queue name rows by `row_key` (canonical JSON
 * of any key) instead of an integer `row_id`; holds record who placed and released them.
 * 3: audit entries record who (actor), why (reason), details and the rows the changed rows
 * referenced (refs); saved and approved plans (lethe_plans).
 * 4: customer instructions (lethe_instructions) and data-subject requests (lethe_requests),
 * two new tables; nothing else changes.
 */
export const LETHE_SCHEMA_VERSION = 4;

/** Creates lethe_* tables and indexes if they do not exist, and migrates older ones; safe on every start. */
export async function ensureLetheTables(adapter: Adapter): Promise<void> {
  const t = (k: Parameters<Adapter['sqlType']>[0]) => sql.raw(adapter.sqlType(k));
  if (adapter.letheSchema) await adapter.ensureSchema(adapter.letheSchema);
  const db: Kysely<any> = letheDb(adapter);
  const found = await storedVersion(db);
  if (found !== null && found > LETHE_SCHEMA_VERSION) {
    throw new StoreError(`this store's lethe tables are schema version ${found}, newer than this build (${LETHE_SCHEMA_VERSION}); upgrade lethe`);
  }
  if (found === 1) await migrateFrom1(adapter);
  if (found !== null && found < 3) await migrateTo3(adapter);

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
    .addColumn('actor', t('key'))
    .addColumn('reason', t('text'))
    .addColumn('detail', t('text'))
    .addColumn('refs', t('text'))
    .execute();
  await db.schema.createIndex('ix_lethe_audit_run').ifNotExists().on('lethe_audit').column('run_id').execute();
  await db.schema.createIndex('ix_lethe_audit_rule').ifNotExists().on('lethe_audit').columns(['provider', 'rule']).execute();
  await db.schema.createIndex('ix_lethe_audit_action').ifNotExists().on('lethe_audit').columns(['action', 'seq']).execute();

  // One row: the chain's head. Appenders lock it, so two writers can never fork the chain.
  await db.schema
    .createTable('lethe_audit_head')
    .ifNotExists()
    .addColumn('id', t('int'), (c) => c.primaryKey())
    .addColumn('seq', t('bigint'), (c) => c.notNull())
    .addColumn('hash', t('key'), (c) => c.notNull())
    .execute();
  // Only when lethe sets the store up: a head that goes missing later is reported, not recreated.
  if (found === null) await createHead(db);

  // Saved plans (`plan --save`) and their approvals (`approve`).
  await db.schema
    .createTable('lethe_plans')
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('created_at', t('key'), (c) => c.notNull())
    .addColumn('created_by', t('key'), (c) => c.notNull())
    .addColumn('now', t('key'), (c) => c.notNull())
    .addColumn('policy_sha256', t('key'), (c) => c.notNull())
    .addColumn('provider', t('key'))
    .addColumn('rule', t('key'))
    // [{provider, rule, stage, table, action, due, guard}]
    .addColumn('stages', t('text'), (c) => c.notNull())
    .addColumn('approved_at', t('key'))
    .addColumn('approved_by', t('key'))
    .addColumn('approve_reason', t('text'))
    .addColumn('expires_at', t('key'))
    .execute();

  await createHolds(db, 'lethe_holds', t);
  await db.schema.createIndex('ix_lethe_holds_table').ifNotExists().on('lethe_holds').column('table_name').execute();
  await createFileQueue(db, 'lethe_file_queue', t);
  await db.schema.createIndex('ix_lethe_file_queue_status').ifNotExists().on('lethe_file_queue').column('status').execute();

  // Customer instructions (`lethe instruct`): a per-row override of the schedule of the rules
  // that accept them. A newer instruction on the same row and provider replaces the older.
  await db.schema
    .createTable('lethe_instructions')
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('provider', t('key'), (c) => c.notNull())
    .addColumn('rule', t('key'), (c) => c.notNull())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    .addColumn('row_key', t('text'), (c) => c.notNull())
    // after | keep_until | erase_now
    .addColumn('kind', t('key'), (c) => c.notNull())
    .addColumn('period', t('key'))
    .addColumn('keep_until', t('key'))
    .addColumn('reason', t('text'))
    .addColumn('placed_at', t('key'), (c) => c.notNull())
    .addColumn('placed_by', t('key'), (c) => c.notNull())
    .addColumn('replaced_at', t('key'))
    .addColumn('replaced_by_id', t('bigint'))
    .execute();
  await db.schema.createIndex('ix_lethe_instructions_provider').ifNotExists().on('lethe_instructions').columns(['provider', 'replaced_at']).execute();

  // Data-subject requests (`lethe request add`): erasure or access, with the provider's deadline.
  await db.schema
    .createTable('lethe_requests')
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('provider', t('key'), (c) => c.notNull())
    // erasure | access
    .addColumn('kind', t('key'), (c) => c.notNull())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    .addColumn('row_key', t('text'), (c) => c.notNull())
    .addColumn('received_at', t('key'), (c) => c.notNull())
    // null: the provider's policy states no deadline
    .addColumn('due_at', t('key'))
    .addColumn('placed_at', t('key'), (c) => c.notNull())
    .addColumn('placed_by', t('key'), (c) => c.notNull())
    .addColumn('reason', t('text'))
    // open | done | conflict (done as far as holds and keep obligations allow)
    .addColumn('status', t('key'), (c) => c.notNull())
    .addColumn('done_at', t('key'))
    .addColumn('run_id', t('bigint'))
    // JSON: rows changed, rows kept and why, the export's path and sha256
    .addColumn('outcome', t('text'))
    .execute();
  await db.schema.createIndex('ix_lethe_requests_status').ifNotExists().on('lethe_requests').columns(['status', 'provider']).execute();

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
  if (found !== null && found < 4) await db.updateTable('lethe_meta').set({ value: '4' }).where('name', '=', 'schema_version').execute();
  if (found === null) {
    // Two replicas starting together may both get here; the second insert loses harmlessly.
    await db.insertInto('lethe_meta').values({ name: 'schema_version', value: String(LETHE_SCHEMA_VERSION) }).execute().catch(() => undefined);
  }
}

async function createHead(db: Kysely<any>): Promise<void> {
  const head = await db.selectFrom('lethe_audit_head').select('id').where('id', '=', 1).executeTakeFirst();
  // Two replicas setting up one store together: the second insert loses harmlessly.
  if (!head) await db.insertInto('lethe_audit_head').values({ id: 1, seq: 0, hash: GENESIS_HASH }).execute().catch(() => undefined);
}

type TypeOf = (k: Parameters<Adapter['sqlType']>[0]) => ReturnType<typeof sql.raw>;

async function createHolds(db: Kysely<any>, name: string, t: TypeOf): Promise<void> {
  await db.schema
    .createTable(name)
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    // The held row's key as canonical JSON: 42, "5b8e…", ["/var/spool/vm", 3].
    .addColumn('row_key', t('text'), (c) => c.notNull())
    .addColumn('reason', t('text'), (c) => c.notNull())
    .addColumn('placed_at', t('key'), (c) => c.notNull())
    .addColumn('placed_by', t('key'))
    .addColumn('expires_at', t('key'))
    .addColumn('released_at', t('key'))
    .addColumn('released_by', t('key'))
    .addColumn('release_reason', t('text'))
    .execute();
}

async function createFileQueue(db: Kysely<any>, name: string, t: TypeOf): Promise<void> {
  await db.schema
    .createTable(name)
    .ifNotExists()
    .addColumn('id', t('serial'), (c) => c.primaryKey())
    .addColumn('run_id', t('bigint'), (c) => c.notNull())
    .addColumn('provider', t('key'), (c) => c.notNull())
    .addColumn('rule', t('key'), (c) => c.notNull())
    .addColumn('stage', t('int'), (c) => c.notNull())
    .addColumn('table_name', t('key'), (c) => c.notNull())
    .addColumn('row_key', t('text'), (c) => c.notNull())
    .addColumn('path', t('text'), (c) => c.notNull())
    .addColumn('status', t('key'), (c) => c.notNull())
    .addColumn('queued_at', t('key'), (c) => c.notNull())
    .addColumn('note', t('text'))
    .execute();
}

/**
 * Whether lethe's tables are there at this build's version, read without writing: reading
 * commands then skip ensureLetheTables, so they work on a read-only store or as a
 * read-only database user. Returns the version found (null: no lethe tables).
 */
export async function letheTablesVersion(adapter: Adapter): Promise<number | null> {
  return storedVersion(letheDb(adapter));
}

/** The schema version recorded in lethe_meta, or null for a store lethe has not set up. */
async function storedVersion(db: Kysely<any>): Promise<number | null> {
  try {
    const row = await db.selectFrom('lethe_meta').select('value').where('name', '=', 'schema_version').executeTakeFirst();
    return row ? Number(row.value) : null;
  } catch {
    return null; // no lethe_meta yet
  }
}

/**
 * 1 → 2: holds and queued files keep their rows, now named by row_key (an integer id's
 * canonical JSON is its decimal text). Each table is copied into the new layout and swapped
 * in; they hold a few rows each, so this is quick even on a long-lived store.
 */
async function migrateFrom1(adapter: Adapter): Promise<void> {
  const t: TypeOf = (k) => sql.raw(adapter.sqlType(k));
  // Version 1 had no lethe_schema option: its tables are in the default schema.
  const db = adapter.db;
  const copy = async (name: string, create: (db: Kysely<any>, name: string, t: TypeOf) => Promise<void>, columns: string[]) => {
    const next = `${name}_v2`;
    await db.schema.dropTable(next).ifExists().execute();
    await create(db, next, t);
    const cols = sql.join(columns.map((c) => sql.ref(c)));
    await sql`insert into ${sql.table(next)} (${cols}, row_key) select ${cols}, concat(${sql.ref('row_id')}) from ${sql.table(name)}`.execute(db);
    await db.schema.dropTable(name).execute();
    await db.schema.alterTable(next).renameTo(name).execute();
    await adapter.syncSerial(db, name, 'id');
  };
  await copy('lethe_holds', createHolds, ['id', 'table_name', 'reason', 'placed_at', 'expires_at', 'released_at']);
  await copy('lethe_file_queue', createFileQueue, ['id', 'run_id', 'provider', 'rule', 'stage', 'table_name', 'path', 'status', 'queued_at', 'note']);
  await db.updateTable('lethe_meta').set({ value: '2' }).where('name', '=', 'schema_version').execute();
}

/**
 * 2 → 3: four nullable columns on lethe_audit (old entries keep null in them and verify as
 * before); lethe_plans is created with the other tables. A column already added by an
 * interrupted migration is left as it is.
 */
async function migrateTo3(adapter: Adapter): Promise<void> {
  const db = letheDb(adapter);
  for (const [name, type] of [['actor', 'key'], ['reason', 'text'], ['detail', 'text'], ['refs', 'text']] as const) {
    try {
      await db.schema.alterTable('lethe_audit').addColumn(name, sql.raw(adapter.sqlType(type))).execute();
    } catch (err) {
      if (!/duplicate column|already exists/i.test((err as Error).message)) throw err;
    }
  }
  await db.updateTable('lethe_meta').set({ value: '3' }).where('name', '=', 'schema_version').execute();
}

