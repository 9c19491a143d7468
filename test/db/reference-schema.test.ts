import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceIndexes, createReferenceSchema, dropReferenceSchema, REFERENCE_TABLES } from '../../db/reference-schema.js';
import { openSqlite } from '../../src/store/sqlite.js';
import type { Adapter, SchemaInfo } from '../../src/store/types.js';

// Transcribed by hand from DESIGN section 7, so a typo in the schema declaration shows up
// here instead of being checked against itself. `→t` is a required foreign key, `→t?` an optional one.
const DESIGN = `
providers(id, name)
accounts(id, provider_id, name, email, phone, employer, date_of_birth, username, password_hash, created_at, terminated_at, contract_ends_at, anonymised_at)
users(id, provider_id, account_id→accounts, name, email, phone, created_at, anonymised_at)
contacts(id, provider_id, account_id→accounts, user_id→users?, first_name, last_name, company, email, phone, source, created_at)
calls(id, provider_id, account_id→accounts, user_id→users?, direction, local_number, remote_number, started_at, ended_at, duration_s)
conferences(id, provider_id, account_id→accounts, host_user_id→users?, title, started_at, ended_at)
conference_participants(id, provider_id, conference_id→conferences, name, cli, joined_at, left_at)
recordings(id, provider_id, account_id→accounts, call_id→calls?, conference_id→conferences?, media_path, size_bytes, recorded_at, downloadable)
voicemail_greetings(id, provider_id, account_id→accounts, user_id→users?, media_path, created_at)
voicemails(id, provider_id, account_id→accounts, user_id→users?, caller_number, media_path, recorded_at, saved)
support_tickets(id, provider_id, account_id→accounts, subject, body, contact_email, contact_phone, created_at, closed_at)
trial_signups(id, provider_id, email, phone, started_at)
push_registrations(id, provider_id, account_id→accounts, user_id→users?, sip_uri, device_token, registered_at, expires_at, disabled_at)
referrals(id, provider_id, referrer_user_id→users?, friend_name, friend_email, message, sent_at, unsubscribed_at, anonymised_at)
web_visits(id, provider_id, ip_address, path, user_agent, visited_at, anonymised_at)
prospects(id, provider_id, name, company, email, phone, created_at, last_contact_at)
debug_logs(id, provider_id, account_id→accounts, user_id→users?, content, uploaded_at)
sales_documents(id, provider_id, account_id→accounts?, title, body, created_at)
`;

interface ExpectedFk {
  column: string;
  refTable: string;
  nullable: boolean;
}

interface ExpectedTable {
  columns: string[];
  fks: ExpectedFk[];
}

function parseDesign(): Map<string, ExpectedTable> {
  const out = new Map<string, ExpectedTable>();
  for (const line of DESIGN.trim().split('\n')) {
    const m = /^(\w+)\((.*)\)$/.exec(line.trim());
    if (!m) throw new Error(`bad design line ${line}`);
    const [, table, body] = m as unknown as [string, string, string];
    const columns: string[] = [];
    const fks: ExpectedFk[] = [];
    for (const part of body.split(',').map((s) => s.trim())) {
      const [column, ref] = part.split('→') as [string, string | undefined];
      columns.push(column);
      if (ref) fks.push({ column, refTable: ref.replace('?', ''), nullable: ref.endsWith('?') });
    }
    // Every table but providers is scoped to a provider.
    if (table !== 'providers') fks.push({ column: 'provider_id', refTable: 'providers', nullable: false });
    out.set(table, { columns, fks });
  }
  return out;
}

const EXPECTED = parseDesign();
const isTimestamp = (column: string): boolean => column.endsWith('_at');

let dir: string;
let adapter: Adapter;
let schema: SchemaInfo;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lethe-schema-'));
  adapter = openSqlite(join(dir, 'ref.db'));
  await createReferenceSchema(adapter);
  schema = await adapter.introspect();
});

afterAll(async () => {
  await adapter?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reference schema', () => {
  it('creates exactly the tables and columns of DESIGN section 7', () => {
    expect([...schema.tables.keys()].sort()).toEqual([...EXPECTED.keys()].sort());
    for (const [name, expected] of EXPECTED) {
      const table = schema.tables.get(name)!;
      expect([...table.columns.keys()].sort(), name).toEqual([...expected.columns].sort());
      expect(table.primaryKey, name).toEqual(['id']);
    }
  });

  it('lists the tables parents first', () => {
    expect([...REFERENCE_TABLES].sort()).toEqual([...EXPECTED.keys()].sort());
    for (const [name, expected] of EXPECTED) {
      for (const fk of expected.fks) {
        expect(REFERENCE_TABLES.indexOf(fk.refTable), `${fk.refTable} before ${name}`).toBeLessThan(REFERENCE_TABLES.indexOf(name));
      }
    }
  });

  it('declares exactly the foreign keys of the arrows, nullable only where marked ?', () => {
    for (const [name, expected] of EXPECTED) {
      const table = schema.tables.get(name)!;
      const actual = table.foreignKeys.map((fk) => `${fk.columns.join()}→${fk.refTable}(${fk.refColumns.join()})`).sort();
      const wanted = expected.fks.map((fk) => `${fk.column}→${fk.refTable}(id)`).sort();
      expect(actual, name).toEqual(wanted);
      for (const fk of expected.fks) {
        expect(table.columns.get(fk.column)!.nullable, `${name}.${fk.column} nullable`).toBe(fk.nullable);
      }
    }
  });

  it('never cascades: every foreign key is NO ACTION on delete and update', async () => {
    let seen = 0;
    for (const name of REFERENCE_TABLES) {
      const { rows } = await sql<{ on_delete: string; on_update: string }>`select * from pragma_foreign_key_list(${name})`.execute(adapter.db);
      for (const r of rows) {
        expect(r.on_delete, name).toBe('NO ACTION');
        expect(r.on_update, name).toBe('NO ACTION');
        seen += 1;
      }
    }
    expect(seen).toBe([...EXPECTED.values()].reduce((n, t) => n + t.fks.length, 0));
  });

  it('has a plain ix_<table>_<column> index on every foreign-key, timestamp and media_path column', () => {
    for (const [name, expected] of EXPECTED) {
      const table = schema.tables.get(name)!;
      const wanted = new Set([...expected.fks.map((fk) => fk.column), ...expected.columns.filter(isTimestamp)]);
      for (const column of wanted) {
        const ix = table.indexes.find((i) => i.name === `ix_${name}_${column}`);
        expect(ix?.columns, `ix_${name}_${column}`).toEqual([column]);
      }
    }
    // The drain looks up the files of deleted rows by path in every table that names files.
    for (const name of ['recordings', 'voicemails', 'voicemail_greetings']) {
      expect(schema.tables.get(name)!.indexes.find((i) => i.name === `ix_${name}_media_path`)?.columns, `ix_${name}_media_path`).toEqual(['media_path']);
    }
    // The clocks DESIGN section 1 names, spelled out so a renamed column cannot slip through.
    for (const clock of [
      'accounts.terminated_at', 'accounts.contract_ends_at', 'accounts.created_at', 'conferences.ended_at', 'calls.started_at',
      'recordings.recorded_at', 'voicemails.recorded_at', 'push_registrations.expires_at', 'push_registrations.disabled_at',
      'referrals.unsubscribed_at', 'trial_signups.started_at', 'web_visits.visited_at', 'prospects.last_contact_at',
      'debug_logs.uploaded_at', 'support_tickets.created_at', 'sales_documents.created_at', 'voicemail_greetings.created_at',
    ]) {
      const [t, c] = clock.split('.') as [string, string];
      expect(schema.tables.get(t)!.indexes.some((i) => i.columns.length === 1 && i.columns[0] === c), clock).toBe(true);
    }
  });

  it('defaults downloadable to 1 and saved to 0, and enforces foreign keys without cascading', async () => {
    const db = adapter.db;
    await db.insertInto('providers').values({ id: 'loopup', name: 'LoopUp' }).execute();
    await db.insertInto('accounts').values({ id: 1, provider_id: 'loopup' }).execute();
    await db.insertInto('users').values({ id: 1, provider_id: 'loopup', account_id: 1 }).execute();
    await db.insertInto('recordings').values({ id: 1, provider_id: 'loopup', account_id: 1 }).execute();
    await db.insertInto('voicemails').values({ id: 1, provider_id: 'loopup', account_id: 1 }).execute();
    expect(await db.selectFrom('recordings').select('downloadable').executeTakeFirst()).toEqual({ downloadable: 1 });
    expect(await db.selectFrom('voicemails').select('saved').executeTakeFirst()).toEqual({ saved: 0 });

    await expect(db.insertInto('users').values({ id: 2, provider_id: 'loopup', account_id: 99 }).execute()).rejects.toThrow(/FOREIGN KEY/);
    await expect(db.insertInto('accounts').values({ id: 2, provider_id: 'nobody' }).execute()).rejects.toThrow(/FOREIGN KEY/);
    await expect(db.insertInto('users').values({ id: 3, provider_id: 'loopup', account_id: null }).execute()).rejects.toThrow(/NOT NULL/);
    // A parent with children cannot go, and nothing was deleted along the way.
    await expect(db.deleteFrom('accounts').where('id', '=', 1).execute()).rejects.toThrow(/FOREIGN KEY/);
    expect(await db.selectFrom('users').select('id').execute()).toEqual([{ id: 1 }]);

    for (const t of ['voicemails', 'recordings', 'users', 'accounts', 'providers']) await db.deleteFrom(t).execute();
  });

  it('is idempotent', async () => {
    await createReferenceSchema(adapter);
    const again = await adapter.introspect();
    for (const [name, table] of schema.tables) {
      expect(again.tables.get(name)!.indexes.map((i) => i.name).sort(), name).toEqual(table.indexes.map((i) => i.name).sort());
    }
  });

  it('can create bare tables and add the indexes afterwards, then drop everything', async () => {
    const other = openSqlite(join(dir, 'bare.db'));
    try {
      await createReferenceSchema(other, { indexes: false });
      const bare = await other.introspect();
      expect([...bare.tables.values()].flatMap((t) => t.indexes.filter((i) => i.name.startsWith('ix_')))).toEqual([]);
      await createReferenceIndexes(other);
      const indexed = await other.introspect();
      for (const [name, table] of schema.tables) {
        expect(indexed.tables.get(name)!.indexes.map((i) => i.name).sort(), name).toEqual(table.indexes.map((i) => i.name).sort());
      }
      await dropReferenceSchema(other);
      expect((await other.introspect()).tables.size).toBe(0);
    } finally {
      await other.close();
    }
  });
});
