/**
 * Asterisk 23.4.1 (PBX): the CDR table (no primary key) and the ODBC voicemail storage table
 * (composite primary key (dir, msgnum), epoch-second clock, audio in a BLOB), from
 * contrib/realtime/{mysql,postgresql}, loaded verbatim — as Asterisk is deployed, CDRs and
 * voicemail in databases of their own (`table: voicemail.voicemail_messages`). Asterisk
 * ships no SQLite DDL for these tables.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { cli, NOW } from '../support/harness.js';
import { checkWholeStore, ddl, vendorStore, type VendorStore } from '../support/vendor.js';

const engines = (await testEngines()).filter((e) => e !== 'sqlite');
const ZONE = 'America/New_York';
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;
const local = (daysAgo: number) => DateTime.fromMillis(NOW.getTime() - daysAgo * DAY, { zone: ZONE }).toFormat('yyyy-LL-dd HH:mm:ss');
const epochS = (daysAgo: number) => Math.floor((NOW.getTime() - daysAgo * DAY) / 1000);

const policy = (vm: string) => `version: 1
store:
  clock_zone: ${ZONE}          # Asterisk writes CDR times in the server's local time
defaults:
  timezone: ${ZONE}
providers:
  pbx:
    name: Example Hosted PBX Inc.
    rules:
      cdr:
        quote: "Call detail records are stripped of caller details after 90 days and deleted after 12 months."
        table: cdr
        key: [uniqueid, sequence]     # cdr has no primary key
        clock: start
        stages:
          - after: 90 days
            action: { anonymise: { clid: redact, src: null, dst: null, lastdata: null } }
          - after: 12 months
            action: delete
      voicemail:
        quote: "Voicemail messages are deleted 30 days after they were left."
        table: ${vm}
        clock: origtime
        clock_format: epoch_s
        after: 30 days
        action: delete
`;

/** [uniqueid, sequence, age in days]; two legs share a key, one old and one new. */
const CDRS: [string, number, number][] = [
  ['1700000001.1', 1, 10],
  ['1700000002.2', 1, 100],
  ['1700000003.3', 1, 200],
  ['1700000004.4', 1, 400],
  ['1700000005.5', 2, 400],
  ['1700000005.5', 2, 10],
];
const INBOX = '/var/spool/asterisk/voicemail/default/1234/INBOX';
/** [dir, msgnum, age in days] */
const MESSAGES: [string, number, number][] = [
  [INBOX, 0, 5],
  [INBOX, 1, 20],
  [INBOX, 2, 40],
  [INBOX, 3, 100],
  ['/var/spool/asterisk/voicemail/default/5678/Old', 0, 45],
];

describe.each(engines)('Asterisk 23.4.1 on %s', (engine) => {
  let store: VendorStore;
  const files = engine === 'postgres' ? ['postgresql_cdr.sql', 'postgresql_voicemail.sql'] : ['mysql_cdr.sql', 'mysql_voicemail.sql'];
  beforeAll(async () => {
    store = await vendorStore(engine, {
      ddl: [ddl('asterisk', engine, files[0]!)],
      groups: [{ schema: 'voicemail', ddl: [ddl('asterisk', engine, files[1]!)] }],
      policy: '',
    });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(store.policyFile, policy(store.t('voicemail_messages', 'voicemail')));
    const db = store.adapter.db;
    for (const [uniqueid, sequence, age] of CDRS) {
      await db
        .insertInto('cdr')
        .values({ accountcode: 'acme', src: '+12125550100', dst: '+12125550199', dcontext: 'from-internal', clid: '"Alice" <+12125550100>', channel: 'PJSIP/alice-0001', lastapp: 'Dial', lastdata: 'PJSIP/bob,30', userfield: `age:${age}`, start: local(age), answer: local(age), end: local(age - 0.001), duration: 90, billsec: 85, disposition: 'ANSWERED', amaflags: 'DOCUMENTATION', uniqueid, linkedid: uniqueid, sequence })
        .execute();
    }
    for (const [dir, msgnum, age] of MESSAGES) {
      await db
        .insertInto(store.t('voicemail_messages', 'voicemail'))
        .values({ dir, msgnum, context: 'default', callerid: '"Bob" <+12125550199>', origtime: epochS(age), duration: 12, recording: Buffer.from(`RIFF-${dir}-${msgnum}`), flag: '', category: '', mailboxuser: '1234', mailboxcontext: 'default', msg_id: `${1700000000 + msgnum}-00000001` })
        .execute();
    }
  });
  afterAll(async () => store?.close());

  it('check names what the operator must know: a non-unique, unindexed key and unindexed clocks', () => {
    const r = cli(store, ['check', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no unique index covers \(uniqueid, sequence\) on cdr/);
    expect(r.stdout).toMatch(/no index starts with \(uniqueid, sequence\) on cdr: every batch reads the whole table[^\n]*\n\s+hint: create index on cdr \(uniqueid, sequence\)/);
    expect(r.stdout).toMatch(/clock column start has no index/);
  });

  it('a hold and explain take the composite key as a JSON array', () => {
    const vm = store.t('voicemail_messages', 'voicemail');
    const hold = cli(store, ['hold', 'add', vm, JSON.stringify([INBOX, 2]), '--reason', 'complaint #4411', '--json', '--now', NOW_ISO]);
    expect(hold.code, hold.stderr).toBe(0);
    expect(JSON.parse(hold.stdout)).toMatchObject({ table: vm, key: [INBOX, 2] });
    const ex = cli(store, ['explain', vm, JSON.stringify([INBOX, 2]), '--json', '--now', NOW_ISO]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ key: [INBOX, 2], verdict: `held: protected by a hold on ${vm} ${JSON.stringify([INBOX, 2])}` });
    const bad = cli(store, ['explain', vm, '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/keyed by \(dir, msgnum\): give the key as a JSON array of 2 values/);
  });

  it('enforces exactly the due rows; a leg sharing its key with a due one is kept; the held message stays', async () => {
    // Each leg's age is in its userfield, which no rule touches.
    const ageOfCdr = (r: Record<string, unknown>) => Number(String(r.userfield).slice(4));
    await checkWholeStore(store, NOW_ISO, [
      {
        table: 'cdr',
        fate: (r) => (ageOfCdr(r) > 365 ? 'delete' : ageOfCdr(r) > 90 ? { anonymise: ['clid', 'src', 'dst', 'lastdata'] } : 'keep'),
        key: (r) => [r.uniqueid, Number(r.sequence)],
        anonymised: { clid: (a) => expect(a).toBe('[redacted]'), src: (a) => expect(a).toBeNull(), dst: (a) => expect(a).toBeNull(), lastdata: (a) => expect(a).toBeNull() },
      },
      {
        table: store.t('voicemail_messages', 'voicemail'),
        fate: (r) => (r.dir === INBOX && Number(r.msgnum) === 2 ? 'keep' : MESSAGES.find(([d, n]) => d === r.dir && n === Number(r.msgnum))![2] > 30 ? 'delete' : 'keep'),
        key: (r) => [r.dir, Number(r.msgnum)],
      },
    ]);
  });
});

