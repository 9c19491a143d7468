/**
 * Kamailio 6.1.4 (SIP proxy): the `acc`, `missed_calls` and `location` tables from
 * utils/kamctl/{mysql,postgres,db_sqlite}, loaded verbatim. Single-tenant (no tenant column),
 * naive DATETIME clocks in the server's local time (clock_zone), hmac pseudonyms without a
 * marker column (the vendor tables have none), and, on PostgreSQL, the tables in a
 * mixed-case schema of their own with lethe's tables in another (store.lethe_schema).
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { isPseudonym } from '../../src/exec/anonymise.js';
import { testEngines } from '../support/engines.js';
import { cli, NOW, TEST_HMAC_KEY } from '../support/harness.js';
import { checkWholeStore, ddl, dropMysqlDatabase, vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const ZONE = 'Europe/Berlin';
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;

/** A DATETIME as Kamailio writes it: the server's local wall time, no zone. */
const local = (daysAgo: number) => DateTime.fromMillis(NOW.getTime() - daysAgo * DAY, { zone: ZONE }).toFormat('yyyy-LL-dd HH:mm:ss');

function policy(t: (name: string) => string, letheSchema: string | null): string {
  return `version: 1
store:
  clock_zone: ${ZONE}          # Kamailio writes DATETIME in the server's local time
${letheSchema ? `  lethe_schema: ${letheSchema}\n` : ''}defaults:
  timezone: ${ZONE}
providers:
  voip:
    name: Example VoIP GmbH
    source: Datenschutzerklärung, section 6 "Speicherdauer"
    rules:
      accounting:
        quote: "Accounting records are pseudonymised after 90 days and deleted after 6 months."
        table: ${t('acc')}
        clock: time
        stages:
          - after: 90 days
            action: { anonymise: { callid: hmac, from_tag: hmac, to_tag: hmac } }
          - after: 6 months
            action: delete
      missed-calls:
        quote: "Missed-call records are deleted after 30 days."
        table: ${t('missed_calls')}
        clock: ${t('missed_calls')}.time
        after: 30 days
        action: delete
      registrations:
        quote: "Registration data is deleted when the registration expires."
        table: ${t('location')}
        clock: expires
        after: at once
        action: delete
`;
}

/** Ages in days of the accounting rows (each acc and missed_calls row), and of the registrations' expiry (negative: in the future). */
const AGES = [5, 45, 100, 150, 200, 400];
const EXPIRED = [400, 10, 0.5, -0.5, -30];

describe.each(engines)('Kamailio 6.1.4 on %s', (engine) => {
  let store: VendorStore;
  let t: (name: string) => string;
  const ageById = new Map<string, number>();
  beforeAll(async () => {
    const schema = engine === 'postgres' ? 'Kamailio' : engine === 'mysql' ? 'kamailio' : undefined;
    store = await vendorStore(engine, {
      ddl: [ddl('kamailio', engine, 'standard-create.sql'), ddl('kamailio', engine, 'acc-create.sql'), ddl('kamailio', engine, 'usrloc-create.sql')],
      ...(schema ? { schema } : {}),
      policy: '',
    });
    t = (name) => store.t(name);
    // lethe's own tables in a schema (database) of their own, so Kamailio's stays as shipped.
    const letheSchema = engine === 'postgres' ? 'lethe' : engine === 'mysql' ? `${store.schema}_lethe` : null;
    writeFileSync(store.policyFile, policy(t, letheSchema));
    if (engine === 'mysql') {
      const close = store.close;
      store.close = async () => {
        await close();
        await dropMysqlDatabase(letheSchema!);
      };
    }
    const db = store.adapter.db;
    let id = 1;
    for (const age of AGES) {
      for (const table of ['acc', 'missed_calls']) {
        await db
          .insertInto(t(table))
          .values({ id, method: 'INVITE', from_tag: `ft-${id}`, to_tag: `tt-${id}`, callid: `call-${id}@10.0.0.1`, sip_code: '200', sip_reason: 'OK', time: local(age) })
          .execute();
        ageById.set(`${table}:${id}`, age);
        id++;
      }
    }
    let lid = 1;
    for (const age of EXPIRED) {
      await db
        .insertInto(t('location'))
        .values({ id: lid, ruid: `ruid-${lid}`, username: `alice${lid}`, domain: 'example.org', contact: `sip:alice${lid}@192.0.2.${lid}:5060`, expires: local(age), callid: `reg-${lid}`, user_agent: 'Linphone/5.2' })
        .execute();
      ageById.set(`location:${lid}`, age);
      lid++;
    }
  });
  afterAll(async () => store?.close());

  it('check passes and warns about what an operator should know (no index on acc.time)', () => {
    const r = cli(store, ['check', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/clock column time has no index; each run will scan/);
  });

  it('enforces exactly the due rows: pseudonyms at 90 days, deletes at 6 months, expired registrations at once', async () => {
    const age = (table: string, row: Record<string, unknown>) => ageById.get(`${table}:${Number(row.id)}`)!;
    const pseudonym = (after: unknown, before: unknown) => {
      expect(after).not.toBe(before);
      expect(isPseudonym(String(after), Buffer.from(TEST_HMAC_KEY), { width: 64, tagged: true }), `${String(after)} is a tagged pseudonym`).toBe(true);
    };
    await checkWholeStore(
      store,
      NOW_ISO,
      [
        {
          table: t('acc'),
          fate: (r) => (age('acc', r) > 183 ? 'delete' : age('acc', r) > 90 ? { anonymise: ['callid', 'from_tag', 'to_tag'] } : 'keep'),
          key: (r) => Number(r.id),
          anonymised: { callid: pseudonym, from_tag: pseudonym, to_tag: pseudonym },
        },
        { table: t('missed_calls'), fate: (r) => (age('missed_calls', r) > 30 ? 'delete' : 'keep'), key: (r) => Number(r.id) },
        { table: t('location'), fate: (r) => (age('location', r) > 0 ? 'delete' : 'keep'), key: (r) => Number(r.id) },
      ],
      [t('version')],
    );
  });

  it("keeps lethe's tables out of the vendor schema", async () => {
    const tables = [...(await store.adapter.introspect(store.schema ? [store.schema] : [])).tables.keys()];
    const inVendor = tables.filter((n) => n.includes('lethe_') && (store.schema ? n.startsWith(`${store.schema}.`) : true));
    expect(inVendor).toEqual(engine === 'sqlite' ? expect.arrayContaining(['lethe_audit']) : []);
  });
});

