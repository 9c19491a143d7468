/**
 * The reference telecom schema of DESIGN section 7: the tables the shipped policies.yaml is
 * written against, and what `lethe db migrate` creates for demos, tests and benchmarks.
 *
 * Declared once as data so that creation, dropping and indexing cannot drift apart. Every
 * type comes from the adapter (`sqlType`), so the same declaration yields ISO text on SQLite,
 * timestamptz on PostgreSQL and DATETIME(3) on MySQL without a branch on the engine here.
 */
import { sql, type CreateTableBuilder } from 'kysely';
import { UsageError } from '../src/errors.js';
import type { Adapter, SqlTypeKind } from '../src/store/types.js';

interface ColumnSpec {
  readonly name: string;
  readonly kind: SqlTypeKind;
  /** The parent table of a foreign key to its `id`. */
  readonly references?: string;
  readonly notNull?: boolean;
  readonly defaultValue?: number;
}

interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

const id: ColumnSpec = { name: 'id', kind: 'id' };
const provider: ColumnSpec = { name: 'provider_id', kind: 'key', references: 'providers', notNull: true };
/** A required foreign key to `table`.id. */
const fk = (name: string, table: string): ColumnSpec => ({ name, kind: 'bigint', references: table, notNull: true });
/** An optional foreign key (`→table?` in DESIGN). */
const optFk = (name: string, table: string): ColumnSpec => ({ name, kind: 'bigint', references: table });
const str = (name: string): ColumnSpec => ({ name, kind: 'string' });
const text = (name: string): ColumnSpec => ({ name, kind: 'text' });
const ts = (name: string): ColumnSpec => ({ name, kind: 'timestamp' });

// Personal and clock columns stay nullable on purpose: anonymisation may set any of them to
// NULL, and a NULL clock is a legitimate "never due" (an account that is not terminated).
const TABLES: readonly TableSpec[] = [
  { name: 'providers', columns: [{ name: 'id', kind: 'key' }, { name: 'name', kind: 'string', notNull: true }] },
  {
    name: 'accounts',
    columns: [
      id, provider, str('name'), str('email'), str('phone'), str('employer'), str('date_of_birth'), str('username'),
      str('password_hash'), ts('created_at'), ts('terminated_at'), ts('contract_ends_at'), ts('anonymised_at'),
    ],
  },
  {
    name: 'users',
    columns: [id, provider, fk('account_id', 'accounts'), str('name'), str('email'), str('phone'), ts('created_at'), ts('anonymised_at')],
  },
  {
    name: 'contacts',
    columns: [
      id, provider, fk('account_id', 'accounts'), optFk('user_id', 'users'), str('first_name'), str('last_name'), str('company'),
      str('email'), str('phone'), str('source'), ts('created_at'),
    ],
  },
  {
    name: 'calls',
    columns: [
      id, provider, fk('account_id', 'accounts'), optFk('user_id', 'users'), str('direction'), str('local_number'),
      str('remote_number'), ts('started_at'), ts('ended_at'), { name: 'duration_s', kind: 'bigint' },
    ],
  },
  {
    name: 'conferences',
    columns: [id, provider, fk('account_id', 'accounts'), optFk('host_user_id', 'users'), str('title'), ts('started_at'), ts('ended_at')],
  },
  {
    name: 'conference_participants',
    columns: [id, provider, fk('conference_id', 'conferences'), str('name'), str('cli'), ts('joined_at'), ts('left_at')],
  },
  {
    name: 'recordings',
    columns: [
      id, provider, fk('account_id', 'accounts'), optFk('call_id', 'calls'), optFk('conference_id', 'conferences'),
      str('media_path'), { name: 'size_bytes', kind: 'bigint' }, ts('recorded_at'),
      { name: 'downloadable', kind: 'int', notNull: true, defaultValue: 1 },
    ],
  },
  {
    name: 'voicemail_greetings',
    columns: [id, provider, fk('account_id', 'accounts'), optFk('user_id', 'users'), str('media_path'), ts('created_at')],
  },
  {
    name: 'voicemails',
    columns: [
      id, provider, fk('account_id', 'accounts'), optFk('user_id', 'users'), str('caller_number'), str('media_path'),
      ts('recorded_at'), { name: 'saved', kind: 'int', notNull: true, defaultValue: 0 },
    ],
  },
  {
    name: 'support_tickets',
    columns: [
      id, provider, fk('account_id', 'accounts'), str('subject'), text('body'), str('contact_email'), str('contact_phone'),
      ts('created_at'), ts('closed_at'),
    ],
  },
  { name: 'trial_signups', columns: [id, provider, str('email'), str('phone'), ts('started_at')] },
  {
    name: 'push_registrations',
    columns: [
      id, provider, fk('account_id', 'accounts'), optFk('user_id', 'users'), str('sip_uri'), str('device_token'),
      ts('registered_at'), ts('expires_at'), ts('disabled_at'),
    ],
  },
  {
    name: 'referrals',
    columns: [
      id, provider, optFk('referrer_user_id', 'users'), str('friend_name'), str('friend_email'), text('message'),
      ts('sent_at'), ts('unsubscribed_at'), ts('anonymised_at'),
    ],
  },
  {
    name: 'web_visits',
    columns: [id, provider, str('ip_address'), str('path'), text('user_agent'), ts('visited_at'), ts('anonymised_at')],
  },
  {
    name: 'prospects',
    columns: [id, provider, str('name'), str('company'), str('email'), str('phone'), ts('created_at'), ts('last_contact_at')],
  },
  {
    name: 'debug_logs',
    columns: [id, provider, fk('account_id', 'accounts'), optFk('user_id', 'users'), text('content'), ts('uploaded_at')],
  },
  {
    name: 'sales_documents',
    columns: [id, provider, optFk('account_id', 'accounts'), str('title'), text('body'), ts('created_at')],
  },
];

/** The reference tables, every parent before its children (the order to create and fill them in). */
export const REFERENCE_TABLES: readonly string[] = Object.freeze(TABLES.map((t) => t.name));

/**
 * The plain single-column indexes a table gets: every foreign-key column (lethe asks "does a
 * child still reference this parent" before each delete, and an unindexed child scan per
 * parent would make that quadratic), every timestamp column (any of them can be a clock) and
 * every media_path (before it unlinks files, the drain asks whether a row that stays still
 * names them: on 50,000 seeded accounts, reading the three media tables for that took 5.2 s
 * of a 37 s run, and the run took 30 s with these indexes).
 */
function indexedColumns(table: TableSpec): string[] {
  return table.columns.filter((c) => c.references !== undefined || c.kind === 'timestamp' || c.name === 'media_path').map((c) => c.name);
}

export interface ReferenceSchemaOptions {
  /**
   * Create the indexes too (the default). A bulk load is several times faster into bare
   * tables followed by `createReferenceIndexes`: each batch of random timestamps otherwise
   * dirties most leaf pages of every clock index, and every commit rewrites them.
   */
  readonly indexes?: boolean;
}

/** Creates the missing reference tables (and, unless told not to, their indexes); existing ones are left as they are. */
export async function createReferenceSchema(adapter: Adapter, opts: ReferenceSchemaOptions = {}): Promise<void> {
  await refuseOwnTables(adapter);
  for (const table of TABLES) {
    let create: CreateTableBuilder<string, string> = adapter.db.schema.createTable(table.name).ifNotExists();
    for (const col of table.columns) {
      create = create.addColumn(col.name, sql.raw(adapter.sqlType(col.kind)), (c) => {
        let b = c;
        if (col.name === 'id') b = b.primaryKey();
        if (col.notNull) b = b.notNull();
        if (col.defaultValue !== undefined) b = b.defaultTo(col.defaultValue);
        return b;
      });
    }
    // Table-level constraints rather than inline REFERENCES, which MySQL parses and ignores.
    // No ON DELETE clause: lethe deletes child-first itself and must never cascade unaudited.
    for (const col of table.columns) {
      if (col.references === undefined) continue;
      create = create.addForeignKeyConstraint(`fk_${table.name}_${col.name}`, [col.name], col.references, ['id']);
    }
    await create.execute();
  }
  if (opts.indexes ?? true) await createReferenceIndexes(adapter);
}

/**
 * Refuses a store that holds tables of its own under the reference schema's names (a
 * product's `calls`, jambonz's `accounts` and `users`), before anything is created: around
 * them the reference tables would be mixed into the product's schema, and the indexes on
 * their columns fail. A reference table lacking a column is one; extra columns are allowed.
 */
async function refuseOwnTables(adapter: Adapter): Promise<void> {
  const live = (await adapter.introspect()).tables;
  const clashes = TABLES.flatMap((t) => {
    const have = live.get(t.name);
    const missing = have ? t.columns.map((c) => c.name).filter((c) => !have.columns.has(c)) : [];
    return missing.length ? [`table ${t.name} lacks ${missing.join(', ')}`] : [];
  });
  if (!clashes.length) return;
  throw new UsageError(
    `${adapter.description} already has tables named as the reference telecom schema's that are not it: ${clashes.join('; ')}. ` +
      'lethe db migrate and db seed make that schema, to try lethe on; nothing was changed. To enforce retention on your own tables, ' +
      'write policies.yaml against them and run lethe check: lethe makes its own lethe_* tables at the first run (README, "Pointing lethe at your store").',
  );
}

/** Creates every reference index (`ix_<table>_<column>`) that does not exist yet. */
export async function createReferenceIndexes(adapter: Adapter): Promise<void> {
  // Existing indexes are looked up rather than created with IF NOT EXISTS, which MySQL
  // lacks for CREATE INDEX.
  const existing = await adapter.introspect();
  for (const table of TABLES) {
    const have = new Set(existing.tables.get(table.name)?.indexes.map((ix) => ix.name) ?? []);
    for (const column of indexedColumns(table)) {
      const name = `ix_${table.name}_${column}`;
      if (have.has(name)) continue;
      await adapter.db.schema.createIndex(name).on(table.name).column(column).execute();
    }
  }
}

/** Drops every reference table that exists, children first so no foreign key objects. */
export async function dropReferenceSchema(adapter: Adapter): Promise<void> {
  for (const name of [...REFERENCE_TABLES].reverse()) {
    await adapter.db.schema.dropTable(name).ifExists().execute();
  }
}
