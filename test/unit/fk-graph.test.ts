/** The foreign-key graph, on the reference schema introspected from a real migrated SQLite store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestorPaths, childFirstOrder, findPath, referencingKeys } from '../../src/plan/fk-graph.js';
import type { SchemaInfo } from '../../src/store/types.js';
import { tempStore, type TempStore } from '../support/harness.js';

let store: TempStore;
let schema: SchemaInfo;

beforeAll(async () => {
  store = await tempStore();
  schema = await store.adapter.introspect();
});
afterAll(async () => store?.close());

const hops = (r: ReturnType<typeof findPath>) => {
  if (!r.ok) throw new Error(`no path: ${r.reason}`);
  return r.path.map((h) => `${h.fromTable}.${h.columns.join('+')}->${h.toTable}.${h.refColumns.join('+')}`);
};

describe('findPath', () => {
  it('conference_participants → accounts goes via conferences', () => {
    expect(hops(findPath(schema, 'conference_participants', 'accounts'))).toEqual([
      'conference_participants.conference_id->conferences.id',
      'conferences.account_id->accounts.id',
    ]);
  });

  it('takes the direct key when there is one, even if longer chains exist', () => {
    // recordings → calls → accounts also exists; the one-hop key wins.
    expect(hops(findPath(schema, 'recordings', 'accounts'))).toEqual(['recordings.account_id->accounts.id']);
    expect(hops(findPath(schema, 'contacts', 'accounts'))).toEqual(['contacts.account_id->accounts.id']);
  });

  it('a table reaches itself by the empty path', () => {
    expect(findPath(schema, 'calls', 'calls')).toEqual({ ok: true, path: [] });
  });

  it('reports no path from a table without foreign keys to accounts', () => {
    expect(findPath(schema, 'trial_signups', 'accounts')).toEqual({ ok: false, reason: 'none', alternatives: [] });
    // Keys point from child to parent only: a parent does not reach its children.
    expect(findPath(schema, 'accounts', 'calls')).toMatchObject({ ok: false, reason: 'none' });
  });

  it('reports two equally short paths as ambiguous rather than guessing', () => {
    const r = findPath(schema, 'recordings', 'users');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('ambiguous');
    expect(r.alternatives.map((a) => a.map((h) => `${h.fromTable}.${h.columns.join('+')}`).join(' ')).sort()).toEqual([
      'recordings.call_id calls.user_id',
      'recordings.conference_id conferences.host_user_id',
    ]);
  });
});

describe('childFirstOrder', () => {
  it('puts recordings before calls before accounts, and every child before its parents', () => {
    const order = childFirstOrder(schema);
    const at = (t: string) => {
      const i = order.indexOf(t);
      expect(i, t).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('recordings')).toBeLessThan(at('calls'));
    expect(at('calls')).toBeLessThan(at('accounts'));
    expect(at('conference_participants')).toBeLessThan(at('conferences'));
    expect(at('accounts')).toBeLessThan(at('providers'));
    for (const t of schema.tables.values()) {
      for (const fk of t.foreignKeys) {
        if (fk.refTable !== t.name) expect(at(t.name), `${t.name} → ${fk.refTable}`).toBeLessThan(at(fk.refTable));
      }
    }
    expect(new Set(order).size).toBe(schema.tables.size);
  });
});

describe('referencingKeys', () => {
  it("referencingKeys('accounts') includes calls.account_id and only keys that point at accounts", () => {
    const keys = referencingKeys(schema, 'accounts');
    expect(keys).toContainEqual({ table: 'calls', columns: ['account_id'], refTable: 'accounts', refColumns: ['id'] });
    expect(keys.every((k) => k.refTable === 'accounts')).toBe(true);
    expect(keys.map((k) => `${k.table}.${k.columns[0]}`).sort()).toEqual([
      'calls.account_id',
      'conferences.account_id',
      'contacts.account_id',
      'debug_logs.account_id',
      'push_registrations.account_id',
      'recordings.account_id',
      'sales_documents.account_id',
      'support_tickets.account_id',
      'users.account_id',
      'voicemail_greetings.account_id',
      'voicemails.account_id',
    ]);
  });

  it('a table nothing references has no referencing keys', () => {
    expect(referencingKeys(schema, 'trial_signups')).toEqual([]);
    expect(referencingKeys(schema, 'recordings')).toEqual([]);
  });
});

describe('ancestorPaths', () => {
  it('lists every upward chain, each ending at a distinct row a hold could be on', () => {
    const ends = ancestorPaths(schema, 'conference_participants').map((p) => p.map((h) => h.toTable).join('>'));
    expect(ends).toContain('conferences');
    expect(ends).toContain('conferences>accounts');
    expect(ends).toContain('conferences>users>accounts');
    expect(ends).not.toContain('conference_participants');
  });
});
