/**
 * FreeSWITCH 1.11.2 (softswitch): the CDR tables it publishes — mod_cdr_pg_csv's sample
 * schema (PostgreSQL: serial id, timestamptz, inet), scripts/sql/cdr.sql (MySQL: no primary
 * key, zero-date defaults) and mod_cdr_sqlite's built-in table (SQLite: no primary key, its
 * `%s` table-name placeholder filled with the module's default, `cdr`). Keyless tables are
 * named by the call's uuid, which is not declared unique: rows sharing it are told apart by
 * their old values when anonymised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { cli, NOW } from '../support/harness.js';
import { checkWholeStore, ddl, vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY);
const text = (daysAgo: number) => at(daysAgo).toISOString().slice(0, 19).replace('T', ' ');

const policy = (engine: string) => `version: 1
providers:
  switch:
    name: Example Softswitch SA
    rules:
      cdr:
        quote: "Caller details in call records are reduced after 30 days; records are deleted after 12 months."
        table: cdr
${engine === 'postgres' ? '' : '        key: uuid                  # the table has no primary key\n'}        clock: ${engine === 'mysql' ? 'end_timestamp' : 'end_stamp'}
        stages:
          - after: 30 days
            action:
              anonymise:
                caller_id_name: ${engine === 'mysql' ? 'redact' : 'null'}
                caller_id_number: phone_prefix
${engine === 'postgres' ? '                local_ip_v4: ip_truncate\n' : ''}          - after: 12 months
            action: delete
`;

/** [age in days of the call's end, or null for a zero/absent end; the uuid's index, shared by legs 5 and 6]. */
const CALLS: [number | null, number][] = [
  [5, 1],
  [60, 2],
  [200, 3],
  [400, 4],
  [400, 5],
  [10, 5],
  [null, 6],
];

describe.each(engines)('FreeSWITCH 1.11.2 on %s', (engine) => {
  let store: VendorStore;
  beforeAll(async () => {
    const files =
      engine === 'postgres' ? [ddl('freeswitch', engine, 'create.sql')] : engine === 'mysql' ? [ddl('freeswitch', engine, 'cdr.sql')] : [ddl('freeswitch', engine, 'mod_cdr_sqlite.default_create_sql.sql').replace('%s', 'cdr')];
    store = await vendorStore(engine, { ddl: files, policy: policy(engine) });
    let id = 1;
    for (const [age, leg] of CALLS) {
      const uuid = `6f1c0e2a-0000-4000-8000-${String(leg).padStart(12, '0')}`;
      const base = { caller_id_name: 'Alice Example', caller_id_number: '+442079460000', destination_number: '1001', context: 'default', duration: 60, billsec: 55, hangup_cause: 'NORMAL_CLEARING', uuid };
      const row =
        engine === 'postgres'
          ? { ...base, id: id++, local_ip_v4: '198.51.100.27', start_stamp: at((age ?? 1) + 0.001), end_stamp: at(age ?? -1), answer_stamp: null, accountcode: `age:${age}` }
          : engine === 'mysql'
            ? { ...base, start_timestamp: age === null ? '0000-00-00 00:00:00' : text(age + 0.001), answer_timestamp: '0000-00-00 00:00:00', end_timestamp: age === null ? '0000-00-00 00:00:00' : text(age), accountcode: `age:${age}` }
            : { ...base, start_stamp: age === null ? null : text(age + 0.001), end_stamp: age === null ? null : text(age), account_code: `age:${age}` };
      // Leg 6 on PostgreSQL ends in the future (a call still going): never due.
      await store.adapter.db.insertInto('cdr').values(row).execute();
    }
  });
  afterAll(async () => store?.close());

  it('check passes (naming the key that is not unique where there is no primary key)', () => {
    const r = cli(store, ['check', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    if (engine !== 'postgres') expect(r.stdout).toMatch(/no unique index covers \(uuid\) on cdr/);
  });

  it('reduces caller details at 30 days, deletes at 12 months; zero dates and open calls are never due', async () => {
    const age = (r: Record<string, unknown>) => {
      const a = String(r.accountcode ?? r.account_code).slice(4);
      return a === 'null' ? null : Number(a);
    };
    const cols = engine === 'postgres' ? ['caller_id_name', 'caller_id_number', 'local_ip_v4'] : ['caller_id_name', 'caller_id_number'];
    await checkWholeStore(store, NOW_ISO, [
      {
        table: 'cdr',
        fate: (r) => {
          const a = age(r);
          return a === null ? 'keep' : a > 365 ? 'delete' : a > 30 ? { anonymise: cols } : 'keep';
        },
        key: (r) => (engine === 'postgres' ? Number(r.id) : r.uuid),
        anonymised: {
          caller_id_name: (v) => expect(v).toBe(engine === 'mysql' ? '[redacted]' : null),
          caller_id_number: (v) => expect(v).toBe('+44'),
          local_ip_v4: (v) => expect(v).toBe('198.51.100.0'),
        },
      },
    ]);
  });
});
