/**
 * Wazo Platform call-logd 25.14 (a call-log service, PostgreSQL only): the vendor's own
 * pg_dump baseline, loaded verbatim. UUID-keyed recordings with absolute media paths, and
 * tenancy through the parent: `tenant_uuid` is on call_logd_call_log only, so participants,
 * destinations and recordings are scoped through their foreign key to it. Two tenants with
 * UUID tenant values keep readable provider ids (`tenant:`).
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { cli, NOW } from '../support/harness.js';
import { checkWholeStore, ddl, vendorStore, type VendorStore } from '../support/vendor.js';

const engines = (await testEngines()).filter((e) => e === 'postgres');
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const uuid = (kind: number, n: number) => `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${n.toString(16).padStart(12, '0')}`;
const TENANT = { acme: uuid(0xa, 1), globex: uuid(0xb, 2) } as const;

/** Each provider's periods, in days: call logs (and their participants and destinations), recordings, exports. */
const PERIODS = { acme: { calls: 365, recordings: 90, exports: 30 }, globex: { calls: 182, recordings: 30, exports: 30 } } as const;

function rules(p: keyof typeof PERIODS): string {
  const d = PERIODS[p];
  return `    rules:
      call-logs:
        quote: "Call history is deleted ${d.calls} days after the call."
        table: call_logd_call_log
        clock: date
        after: ${d.calls} days
        action: delete
      participants:
        quote: "Call history is deleted ${d.calls} days after the call."
        table: call_logd_call_log_participant
        clock: call_logd_call_log.date
        after: ${d.calls} days
        action: delete
      destinations:
        quote: "Call history is deleted ${d.calls} days after the call."
        table: call_logd_call_log_destination
        clock: call_logd_call_log.date
        after: ${d.calls} days
        action: delete
      recordings:
        quote: "Call recordings are deleted ${d.recordings} days after they were made."
        table: call_logd_recording
        clock: start_time
        after: ${d.recordings} days
        action: delete
        files: path               # absolute paths, inside media_root
      exports:
        quote: "Exports of call history are deleted after ${d.exports} days."
        table: call_logd_export
        clock: requested_at
        after: ${d.exports} days
        action: delete
        files: path
`;
}

const POLICY = `version: 1
store:
  tenant_column: tenant_uuid       # only call_logd_call_log and call_logd_export carry it
providers:
  acme:
    name: Acme Telecom
    tenant: ${TENANT.acme}
${rules('acme')}  globex:
    name: Globex Voice
    tenant: ${TENANT.globex}
${rules('globex')}`;

/** Call ages in days: every side of both providers' periods. */
const AGES = [10, 45, 120, 250, 400];

describe.each(engines)('Wazo call-logd 25.14 on %s', (engine) => {
  let store: VendorStore;
  const callAge = new Map<number, number>();
  const callTenant = new Map<number, keyof typeof TENANT>();
  const exportAge = new Map<string, number>();
  beforeAll(async () => {
    store = await vendorStore(engine, {
      // The dump assumes the extension Wazo's installer creates.
      before: ['create extension if not exists "uuid-ossp" schema public'],
      ddl: [ddl('wazo', engine, 'baseline-2514.sql')],
      policy: POLICY,
    });
    const db = store.adapter.db;
    const media = (...p: string[]) => join(store.mediaRoot, ...p);
    for (const t of Object.values(TENANT)) await db.insertInto('call_logd_tenant').values({ uuid: t }).execute();
    let id = 1;
    for (const tenant of ['acme', 'globex'] as const) {
      for (const age of AGES) {
        await db
          .insertInto('call_logd_call_log')
          .values({ id, date: ago(age), date_answer: ago(age), date_end: ago(age - 0.01), tenant_uuid: TENANT[tenant], source_name: 'Alice', source_exten: '1001', destination_name: 'Bob', destination_exten: '1002', direction: 'internal' })
          .execute();
        callAge.set(id, age);
        callTenant.set(id, tenant);
        await db.insertInto('call_logd_call_log_participant').values({ uuid: uuid(1, id), call_log_id: id, user_uuid: uuid(2, id), role: 'source', tags: ['sales'] }).execute();
        await db.insertInto('call_logd_call_log_destination').values({ uuid: uuid(3, id), destination_details_key: 'user_name', destination_details_value: 'Bob', call_log_id: id }).execute();
        await db.insertInto('call_logd_recording').values({ uuid: uuid(4, id), start_time: ago(age), end_time: ago(age - 0.01), path: media('tenants', TENANT[tenant], 'monitor', `${uuid(4, id)}.wav`), call_log_id: id }).execute();
        const exportUuid = uuid(5, id);
        await db.insertInto('call_logd_export').values({ uuid: exportUuid, tenant_uuid: TENANT[tenant], user_uuid: uuid(2, id), requested_at: ago(age), status: 'finished', path: media('exports', `${exportUuid}.zip`) }).execute();
        exportAge.set(exportUuid, age);
        id++;
      }
    }
  });
  afterAll(async () => store?.close());

  it('check resolves the tenant through call_logd_call_log for the tables that lack it', () => {
    const r = cli(store, ['check', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/clock column date has no index/);
    expect(r.stdout).toMatch(/files column call_logd_recording\.path has no index: before it unlinks files, every drain reads call_logd_recording[^\n]*\n\s+hint: create index on call_logd_recording\(path\)/);
  });

  it('a UUID that is not a tenant of the column type is refused by check', () => {
    writeFileSync(join(store.dir, 'bad.yaml'), POLICY.replace(`tenant: ${TENANT.globex}`, 'tenant: globex-voice'));
    const r = cli(store, ['--config', 'bad.yaml', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/provider globex's tenant value "globex-voice" cannot be a value of tenant_uuid \(uuid\)/);
    expect(r.stderr).toMatch(/hint: set `tenant:` on the provider to its UUID/);
  });

  it('enforces each tenant’s periods on its own rows only, recordings and exports with their files', async () => {
    const calls = (r: Record<string, unknown>) => Number(r.call_log_id ?? r.id);
    const due = (id: number, what: 'calls' | 'recordings') => callAge.get(id)! > PERIODS[callTenant.get(id)!][what];
    const rel = (r: Record<string, unknown>) => (r.path ? relative(store.mediaRoot, String(r.path)) : null);
    await checkWholeStore(
      store,
      NOW_ISO,
      [
        { table: 'call_logd_call_log', fate: (r) => (due(calls(r), 'calls') ? 'delete' : 'keep'), key: (r) => Number(r.id) },
        { table: 'call_logd_call_log_participant', fate: (r) => (due(calls(r), 'calls') ? 'delete' : 'keep'), key: (r) => r.uuid },
        { table: 'call_logd_call_log_destination', fate: (r) => (due(calls(r), 'calls') ? 'delete' : 'keep'), key: (r) => r.uuid },
        { table: 'call_logd_recording', fate: (r) => (due(calls(r), 'recordings') ? 'delete' : 'keep'), key: (r) => r.uuid, media: rel },
        { table: 'call_logd_export', fate: (r) => (exportAge.get(String(r.uuid))! > 30 ? 'delete' : 'keep'), key: (r) => r.uuid, media: rel },
      ],
      ['call_logd_tenant', 'call_logd_config', 'call_logd_retention'],
    );
  });

  it('explain and hold add take a UUID key', () => {
    const kept = [...callAge].find(([id, age]) => callTenant.get(id) === 'acme' && age === 10)![0];
    const r = cli(store, ['explain', 'call_logd_recording', uuid(4, kept), '--json', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ key: uuid(4, kept), verdict: 'kept: no stage is due yet' });
    expect(cli(store, ['hold', 'add', 'call_logd_recording', 'not-a-uuid', '--reason', 'x']).stderr).toMatch(/"not-a-uuid" is not a row id: call_logd_recording\.uuid is a UUID/);
  });
});
