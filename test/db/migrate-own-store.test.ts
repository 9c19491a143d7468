/**
 * `lethe db migrate` and `lethe db seed` pointed at a store that already holds tables of its
 * own under the reference schema's names (a product's `calls`, jambonz's `accounts` and
 * `users`): they refuse with exit 2, naming each such table and the reference columns it
 * lacks, and create nothing. They used to stop with an internal error at the index on
 * calls.provider_id, after creating every reference table the store did not have.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callsPolicy, CLOCK_TYPE } from '../support/calls.js';
import { testEngines } from '../support/engines.js';
import { cli } from '../support/harness.js';
import { ddl, vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();

const tableNames = async (s: VendorStore) => [...(await s.adapter.introspect()).tables.keys()].sort();

describe.each(engines)('db migrate and db seed on a store with tables of its own (%s)', (engine) => {
  let s: VendorStore | undefined;
  afterEach(async () => s?.close());

  it('refuse a calls table that is not the reference one, name it and the columns it lacks, and create nothing', async () => {
    s = await vendorStore(engine, { ddl: [`create table calls (id integer primary key, started_at ${CLOCK_TYPE[engine]})`], policy: callsPolicy({}) });
    const before = await tableNames(s);
    for (const args of [['db', 'migrate'], ['db', 'seed', '--accounts', '2', '--no-media']]) {
      const r = cli(s, args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('table calls lacks provider_id, account_id, user_id, direction, local_number, remote_number, ended_at, duration_s');
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).toMatch(/nothing was changed/i);
    }
    expect(await tableNames(s)).toEqual(before);
  });
});

describe.runIf(engines.includes('mysql'))('db migrate on a jambonz store (mysql)', () => {
  let s: VendorStore | undefined;
  afterEach(async () => s?.close());

  it('refuses, naming jambonz accounts and users, and creates nothing', async () => {
    s = await vendorStore('mysql', { ddl: [ddl('jambonz', 'mysql', 'jambones-sql.sql')], policy: callsPolicy({}) });
    const before = await tableNames(s);
    const r = cli(s, ['db', 'migrate']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/table accounts /);
    expect(r.stderr).toMatch(/table users /);
    expect(await tableNames(s)).toEqual(before);
  });
});
