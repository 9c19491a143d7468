import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type RawBuilder } from 'kysely';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceSchema, REFERENCE_TABLES } from '../../db/reference-schema.js';
import { seedReferenceData } from '../../db/seed.js';
import { openSqlite } from '../../src/store/sqlite.js';
import type { Adapter } from '../../src/store/types.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const ACCOUNTS = 200;

let dir: string;
let mediaRoot: string;
let a: Adapter; // seed 42, with media files
let b: Adapter; // seed 42, no media files
let c: Adapter; // seed 7
let countsA: Record<string, number>;
const progress: { table: string; rows: number }[] = [];

async function seeded(file: string, seed: number, media: string | null, onProgress?: (t: string, n: number) => void): Promise<[Adapter, Record<string, number>]> {
  const adapter = openSqlite(join(dir, file));
  await createReferenceSchema(adapter);
  const counts = await seedReferenceData(adapter, { accounts: ACCOUNTS, seed, now: NOW, mediaRoot: media, onProgress });
  return [adapter, counts];
}

async function tableHash(adapter: Adapter, table: string): Promise<string> {
  const rows = await adapter.db.selectFrom(table).selectAll().orderBy('id').execute();
  const h = createHash('sha256');
  for (const r of rows) h.update(JSON.stringify(r)).update('\n');
  return h.digest('hex');
}

/** ISO text of the instant `units` before NOW, in the form the seeder writes (so text order is time order). */
function before(units: Record<string, number>): string {
  return DateTime.fromJSDate(NOW, { zone: 'utc' }).minus(units).toJSDate().toISOString();
}
const NOW_ISO = NOW.toISOString();

/** Rows of `from` (a table, or a join written out in this file) matching `where`. */
async function count(from: string, where: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.raw(from)} where ${where}`.execute(a.db);
  return Number(rows[0]?.n ?? 0);
}

function walk(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(root, e.name)) : [join(root, e.name)]));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lethe-seed-'));
  mediaRoot = join(dir, 'media');
  [a, countsA] = await seeded('a.db', 42, mediaRoot, (table, rows) => progress.push({ table, rows }));
  [b] = await seeded('b.db', 42, null);
  [c] = await seeded('c.db', 7, null);
});

afterAll(async () => {
  for (const x of [a, b, c]) await x?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('seedReferenceData', () => {
  it('is deterministic: the same seed gives byte-identical tables, another seed different ones', async () => {
    for (const table of REFERENCE_TABLES) {
      expect(await tableHash(b, table), table).toBe(await tableHash(a, table));
    }
    for (const table of ['accounts', 'users', 'calls', 'conferences', 'recordings', 'web_visits']) {
      expect(await tableHash(c, table), table).not.toBe(await tableHash(a, table));
    }
    expect(await tableHash(c, 'providers')).toBe(await tableHash(a, 'providers'));
  });

  it('reports the rows it wrote, per table and through onProgress', async () => {
    for (const table of REFERENCE_TABLES) {
      const actual = Number((await a.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      expect(countsA[table], table).toBe(actual);
      expect(actual, table).toBeGreaterThan(0);
      const reports = progress.filter((p) => p.table === table).map((p) => p.rows);
      expect(reports.at(-1), table).toBe(actual);
      expect(reports, table).toEqual([...reports].sort((x, y) => x - y));
    }
    // More than one flush happened, so chunking was exercised.
    expect(progress.filter((p) => p.table === 'calls').length).toBeGreaterThan(1);
    expect(countsA.accounts).toBe(ACCOUNTS);
    expect(countsA.calls! / ACCOUNTS).toBeGreaterThan(15);
    expect(countsA.calls! / ACCOUNTS).toBeLessThan(25);
  });

  it('writes the five providers with explicit ids from 1', async () => {
    expect(await a.db.selectFrom('providers').selectAll().orderBy('id').execute()).toEqual([
      { id: 'cloudcall', name: 'CloudCall' },
      { id: 'loop', name: 'Loop (The One Point)' },
      { id: 'loopup', name: 'LoopUp' },
      { id: 'pipcall', name: 'PiPcall (Assuract Limited)' },
      { id: 'ringu', name: 'ring-u' },
    ]);
    for (const table of REFERENCE_TABLES.filter((t) => t !== 'providers')) {
      const r = await sql<{ lo: number; hi: number; n: number }>`select min(id) as lo, max(id) as hi, count(*) as n from ${sql.table(table)}`.execute(a.db);
      expect(r.rows[0], table).toEqual({ lo: 1, hi: countsA[table], n: countsA[table] });
    }
    const perProvider = await a.db.selectFrom('accounts').select(['provider_id', (eb) => eb.fn.countAll().as('n')]).groupBy('provider_id').execute();
    expect(perProvider.map((r) => Number(r.n))).toEqual([40, 40, 40, 40, 40]);
  });

  it('satisfies every foreign key, and children belong to the provider of their parent', async () => {
    for (const x of [a, c]) {
      expect((await sql`pragma foreign_key_check`.execute(x.db)).rows).toEqual([]);
    }
    const schema = await a.introspect();
    let checked = 0;
    for (const table of schema.tables.values()) {
      for (const fk of table.foreignKeys) {
        if (fk.refTable === 'providers') continue;
        const { rows } = await sql<{ n: number }>`
          select count(*) as n from ${sql.table(table.name)} ch
          join ${sql.table(fk.refTable)} pa on pa.id = ch.${sql.ref(fk.columns[0]!)}
          where pa.provider_id <> ch.provider_id`.execute(a.db);
        expect(Number(rows[0]?.n), `${table.name}.${fk.columns[0]}`).toBe(0);
        checked += 1;
      }
    }
    expect(checked).toBe(22);
  });

  it('puts accounts on both sides of every account period of DESIGN section 1', async () => {
    const m1 = before({ months: 1 });
    const m12 = before({ months: 12 });
    const m84 = before({ months: 84 });
    const acct = (provider: string, cond: RawBuilder<unknown>) => count('accounts', sql`provider_id = ${provider} and ${cond}`);

    // pipcall: 1 month (contacts, greetings, voicemails), 12 months (account data, support), 84 months (calls, deletion).
    expect(await acct('pipcall', sql`terminated_at is null`)).toBeGreaterThan(0);
    expect(await acct('pipcall', sql`terminated_at >= ${m1}`)).toBeGreaterThan(0);
    expect(await acct('pipcall', sql`terminated_at < ${m1} and terminated_at >= ${m12}`)).toBeGreaterThan(0);
    expect(await acct('pipcall', sql`terminated_at < ${m12} and terminated_at >= ${m84}`)).toBeGreaterThan(0);
    expect(await acct('pipcall', sql`terminated_at < ${m84}`)).toBeGreaterThan(0);

    // loopup: 12 months.
    expect(await acct('loopup', sql`terminated_at < ${m12}`)).toBeGreaterThan(0);
    expect(await acct('loopup', sql`terminated_at >= ${m12}`)).toBeGreaterThan(0);
    expect(await acct('loopup', sql`terminated_at is null`)).toBeGreaterThan(0);

    // loop: 6 months from contract_ends_at, including rows within five weeks either side.
    const m6 = before({ months: 6 });
    const m6early = before({ months: 6, weeks: 5 });
    const m6late = before({ months: 6, weeks: -5 });
    expect(await acct('loop', sql`contract_ends_at < ${m6}`)).toBeGreaterThan(0);
    expect(await acct('loop', sql`contract_ends_at >= ${m6early} and contract_ends_at < ${m6}`)).toBeGreaterThan(0);
    expect(await acct('loop', sql`contract_ends_at >= ${m6} and contract_ends_at < ${m6late}`)).toBeGreaterThan(0);
    expect(await acct('loop', sql`contract_ends_at >= ${m6} and contract_ends_at < ${NOW_ISO}`)).toBeGreaterThan(0);
    expect(await acct('loop', sql`contract_ends_at >= ${NOW_ISO}`)).toBeGreaterThan(0);
    expect(await acct('loop', sql`contract_ends_at is null`)).toBeGreaterThan(0);

    // Active accounts everywhere, and none terminated or created in the future.
    for (const p of ['loopup', 'cloudcall', 'ringu', 'loop', 'pipcall']) {
      expect(await acct(p, sql`terminated_at is null`), p).toBeGreaterThan(0);
    }
    expect(await count('accounts', sql`terminated_at > ${NOW_ISO} or created_at > ${NOW_ISO} or created_at > terminated_at`)).toBe(0);
  });

  it('puts service data on both sides of the row-clock periods', async () => {
    const d60 = before({ days: 60 });
    const d90 = before({ days: 90 });
    const m12 = before({ months: 12 });
    const loopupConfRecordings = (cond: RawBuilder<unknown>) =>
      count('recordings r join conferences c on c.id = r.conference_id', sql`r.provider_id = 'loopup' and ${cond}`);
    expect(await loopupConfRecordings(sql`c.ended_at >= ${d60}`)).toBeGreaterThan(0);
    expect(await loopupConfRecordings(sql`c.ended_at < ${d60} and c.ended_at >= ${d90}`)).toBeGreaterThan(0);
    expect(await loopupConfRecordings(sql`c.ended_at < ${d90}`)).toBeGreaterThan(0);
    expect(await count('conferences', sql`provider_id = 'loopup' and ended_at < ${m12}`)).toBeGreaterThan(0);
    expect(await count('conferences', sql`provider_id = 'loopup' and ended_at >= ${m12}`)).toBeGreaterThan(0);
    expect(await count('conference_participants', sql`provider_id = 'loopup'`)).toBeGreaterThan(0);
    expect(await count('calls', sql`provider_id = 'loopup' and started_at < ${m12}`)).toBeGreaterThan(0);
    expect(await count('calls', sql`provider_id = 'loopup' and started_at >= ${m12}`)).toBeGreaterThan(0);
    expect(await count('calls', sql`user_id is null`)).toBeGreaterThan(0);
    expect(await count('calls', sql`started_at > ${NOW_ISO}`)).toBe(0);

    // ring-u push registrations: expired, disabled, and live ones.
    expect(await count('push_registrations', sql`provider_id = 'ringu' and expires_at < ${NOW_ISO} and disabled_at is null`)).toBeGreaterThan(0);
    expect(await count('push_registrations', sql`provider_id = 'ringu' and disabled_at is not null`)).toBeGreaterThan(0);
    expect(await count('push_registrations', sql`provider_id = 'ringu' and expires_at >= ${NOW_ISO} and disabled_at is null`)).toBeGreaterThan(0);

    // LoopUp referrals, some unsubscribed; nobody else has any.
    expect(await count('referrals', sql`unsubscribed_at is not null`)).toBeGreaterThan(0);
    expect(await count('referrals', sql`unsubscribed_at is null`)).toBeGreaterThan(0);
    expect(await count('referrals', sql`provider_id <> 'loopup'`)).toBe(0);

    // PiPcall free trials on both sides of a year.
    expect(await count('trial_signups', sql`started_at < ${m12}`)).toBeGreaterThan(0);
    expect(await count('trial_signups', sql`started_at >= ${m12}`)).toBeGreaterThan(0);
    expect(await count('trial_signups', sql`provider_id <> 'pipcall'`)).toBe(0);

    expect(await count('prospects', sql`provider_id <> 'cloudcall'`)).toBe(0);
    expect(await count('debug_logs', sql`provider_id <> 'loop'`)).toBe(0);
    expect(await count('sales_documents', sql`provider_id <> 'loop'`)).toBe(0);
    expect(await count('sales_documents', sql`account_id is null`)).toBeGreaterThan(0);

    expect(await count('recordings', sql`call_id is not null`)).toBeGreaterThan(0);
    expect(await count('recordings', sql`conference_id is not null`)).toBeGreaterThan(0);
    expect(await count('recordings', sql`downloadable <> 1`)).toBe(0);
    expect(await count('voicemails', sql`saved = 1`)).toBeGreaterThan(0);
    expect(await count('voicemails', sql`saved = 0`)).toBeGreaterThan(0);
  });

  it('uses only reserved example domains, fiction phone formats and documentation IP ranges', async () => {
    const emails = [
      ['accounts', 'email'], ['users', 'email'], ['contacts', 'email'], ['support_tickets', 'contact_email'],
      ['trial_signups', 'email'], ['referrals', 'friend_email'], ['prospects', 'email'],
    ] as const;
    const seenEmails = new Set<string>();
    for (const [t, col] of emails) {
      for (const r of await a.db.selectFrom(t).select(`${col} as v`).execute()) {
        expect(r.v, `${t}.${col}`).toMatch(/^[a-z]+\.[a-z]+\d+@example\.(com|net|org)$/);
        if (t !== 'support_tickets') {
          expect(seenEmails.has(r.v), r.v).toBe(false);
          seenEmails.add(r.v);
        }
      }
    }
    const phones = [
      ['accounts', 'phone'], ['users', 'phone'], ['contacts', 'phone'], ['calls', 'remote_number'], ['calls', 'local_number'],
      ['conference_participants', 'cli'], ['voicemails', 'caller_number'], ['trial_signups', 'phone'], ['prospects', 'phone'],
    ] as const;
    for (const [t, col] of phones) {
      for (const r of await a.db.selectFrom(t).select(`${col} as v`).execute()) {
        expect(r.v, `${t}.${col}`).toMatch(/^\+(44|1|61)\d{9,10}$/);
      }
    }
    const ips = (await a.db.selectFrom('web_visits').select('ip_address').execute()).map((r) => r.ip_address as string);
    for (const ip of ips) expect(ip).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$|^2001:db8:[0-9a-f]{1,4}:[0-9a-f]{1,4}::[0-9a-f]{1,4}$/);
    expect(ips.some((ip) => ip.includes(':'))).toBe(true);
    expect(ips.some((ip) => ip.includes('.'))).toBe(true);
    const dobs = (await a.db.selectFrom('accounts').select('date_of_birth').where('date_of_birth', 'is not', null).execute()).map((r) => r.date_of_birth);
    expect(dobs.length).toBeGreaterThan(0);
    for (const d of dobs) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('writes one media file per media_path under mediaRoot, and nothing else', async () => {
    const paths: string[] = [];
    for (const t of ['recordings', 'voicemails', 'voicemail_greetings']) {
      for (const r of await a.db.selectFrom(t).select(['media_path', 'provider_id']).execute()) {
        const kind = t === 'voicemail_greetings' ? 'greetings' : t;
        expect(r.media_path).toMatch(new RegExp(`^${r.provider_id}/${kind}/\\d{6,}\\.wav$`));
        paths.push(r.media_path as string);
      }
    }
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      const file = join(mediaRoot, p);
      expect(existsSync(file), p).toBe(true);
      expect(statSync(file).size).toBe(44);
    }
    expect(walk(mediaRoot).length).toBe(paths.length);
  });

  it('refuses to seed a store that already holds data', async () => {
    await expect(seedReferenceData(a, { accounts: 5, seed: 1, now: NOW, mediaRoot: null })).rejects.toMatchObject({ code: 'E_STORE' });
  });

  it('says to create the schema first when it is missing', async () => {
    const bare = openSqlite(join(dir, 'bare.db'));
    try {
      await expect(seedReferenceData(bare, { accounts: 1, seed: 1, now: NOW, mediaRoot: null })).rejects.toMatchObject({
        code: 'E_STORE',
        message: expect.stringMatching(/reference schema/),
      });
    } finally {
      await bare.close();
    }
  });

  it('rejects nonsense options before touching the store', async () => {
    await expect(seedReferenceData(a, { accounts: -1, seed: 1, now: NOW, mediaRoot: null })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(seedReferenceData(a, { accounts: 1, seed: 1.5, now: NOW, mediaRoot: null })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(seedReferenceData(a, { accounts: 1, seed: 1, now: new Date('nope'), mediaRoot: null })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
