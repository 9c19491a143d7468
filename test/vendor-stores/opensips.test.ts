/**
 * OpenSIPS 4.0.1 (SIP proxy): `acc` and `missed_calls` from scripts/{mysql,postgres,sqlite},
 * loaded verbatim. CHAR columns of 64 and 32 characters take hmac pseudonyms that fit them,
 * without a marker column; a second run recognises its pseudonyms and changes nothing.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPseudonym } from '../../src/exec/anonymise.js';
import { testEngines } from '../support/engines.js';
import { cli, NOW, TEST_HMAC_KEY } from '../support/harness.js';
import { checkWholeStore, ddl, vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;
/** A DATETIME as OpenSIPS writes it on a UTC host. */
const utc = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString().slice(0, 19).replace('T', ' ');

const POLICY = `version: 1
providers:
  sip:
    name: Example SIP Trunking Ltd
    rules:
      accounting:
        quote: "Accounting records are pseudonymised after 30 days and deleted after 12 months."
        table: acc
        clock: time
        stages:
          - after: 30 days
            # sip_reason stands in for a narrow personal column: its pseudonym must fit 32 characters.
            action: { anonymise: { callid: hmac, from_tag: hmac, to_tag: hmac, sip_reason: hmac } }
          - after: 12 months
            action: delete
      missed:
        quote: "Missed-call records are deleted after 90 days."
        table: missed_calls
        clock: time
        after: 90 days
        action: delete
`;

const AGES = [3, 20, 60, 200, 500];

describe.each(engines)('OpenSIPS 4.0.1 on %s', (engine) => {
  let store: VendorStore;
  const ageOf = new Map<string, number>();
  beforeAll(async () => {
    store = await vendorStore(engine, { ddl: [ddl('opensips', engine, 'standard-create.sql'), ddl('opensips', engine, 'acc-create.sql')], policy: POLICY });
    let id = 1;
    for (const age of AGES) {
      for (const table of ['acc', 'missed_calls']) {
        await store.adapter.db
          .insertInto(table)
          .values({ id, method: 'INVITE', from_tag: `ft${id}`, to_tag: `tt${id}`, callid: `c${id}@192.0.2.1`, sip_code: '486', sip_reason: 'Busy Here', time: utc(age) })
          .execute();
        ageOf.set(`${table}:${id}`, age);
        id++;
      }
    }
  });
  afterAll(async () => store?.close());

  it('pseudonymises into CHAR(64) and CHAR(32) without a marker, deletes at 12 months, and a rerun changes nothing', async () => {
    const age = (table: string, r: Record<string, unknown>) => ageOf.get(`${table}:${Number(r.id)}`)!;
    const fits = (width: number) => (after: unknown) => {
      const v = String(after).trimEnd();
      expect(v).toHaveLength(width);
      expect(isPseudonym(v, Buffer.from(TEST_HMAC_KEY), { width, tagged: true })).toBe(true);
    };
    await checkWholeStore(store, NOW_ISO, [
      {
        table: 'acc',
        fate: (r) => (age('acc', r) > 365 ? 'delete' : age('acc', r) > 30 ? { anonymise: ['callid', 'from_tag', 'to_tag', 'sip_reason'] } : 'keep'),
        key: (r) => Number(r.id),
        anonymised: { callid: fits(64), from_tag: fits(64), to_tag: fits(64), sip_reason: fits(32) },
      },
      { table: 'missed_calls', fate: (r) => (age('missed_calls', r) > 90 ? 'delete' : 'keep'), key: (r) => Number(r.id) },
    ], ['version']);
  });

  it('check refuses hmac into a column too narrow for a pseudonym (CHAR(16))', () => {
    writeFileSync(`${store.dir}/narrow.yaml`, POLICY.replace('sip_reason: hmac', 'method: hmac'));
    const r = cli(store, ['--config', 'narrow.yaml', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/acc\.method holds 16 characters; a pseudonym needs at least 24/);
  });
});
