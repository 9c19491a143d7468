/**
 * Batches that read a row's values before they write it, while the application updates
 * the row (PostgreSQL, whose key query does not otherwise lock its rows; executor.ts,
 * readsBeforeWrite): the media path a deleted row names when it goes is the file unlinked,
 * and an anonymised value is derived from the value the row holds when it is rewritten. The application's update
 * (writeMidBatch) lands after the batch read the row's values, and before the write.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { testEngines } from '../support/engines.js';
import { daysBefore, enforce, ts } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';
import { writeMidBatch } from '../support/pg-race.js';

const engines = await testEngines();

const policy = (action: string, files: string) => `version: 1
store:
  media_root: media
providers:
  acme:
    name: Acme Telecom
    throttle: off
    batch_size: 250
    guard: { max_fraction: 1 }
    rules:
      calls:
        quote: "Call records are deleted after 12 months."
        table: calls
        clock: started_at
        after: 12 months
        action: ${action}
${files}`;

/** calls 1..1000, all due, each with caller +4477009001nn and a media file rec/<id>.wav. */
async function store(action: string, files: string): Promise<VendorStore> {
  const s = await vendorStore('postgres', {
    ddl: ['create table calls (id integer primary key, started_at timestamptz, caller text, media_path text)', 'create index calls_started_at on calls (started_at)'],
    policy: policy(action, files),
  });
  await ensureLetheTables(s.adapter);
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, started_at: ts(s, daysBefore(400)), caller: `+44770090${String(i).padStart(4, '0')}`, media_path: `rec/${i + 1}.wav` }));
  for (let i = 0; i < rows.length; i += 500) await s.adapter.db.insertInto('calls').values(rows.slice(i, i + 500)).execute();
  return s;
}

const values = async (db: Kysely<any>, q: string) => (await sql.raw<{ v: unknown }>(q).execute(db)).rows.map((r) => r.v);

describe.runIf(engines.includes('postgres'))('a row the application updates while the batch reads and writes it, on postgres', () => {
  let s: VendorStore | undefined;
  afterEach(async () => s?.close());

  it('a deleted call takes the media file it names when it goes, not the one it named when the batch read it', async () => {
    s = await store('delete', '        files: media_path\n');
    const media = join(s.dir, 'media');
    for (let id = 1; id <= 1000; id++) {
      mkdirSync(join(media, 'rec'), { recursive: true });
      writeFileSync(join(media, 'rec', `${id}.wav`), 'RIFF');
    }
    // The application moves call 300's recording to a new file.
    writeFileSync(join(media, 'rec', '300-moved.wav'), 'RIFF');
    const race = writeMidBatch(s, `update calls set media_path = 'rec/300-moved.wav' where id = 300`);
    const result = await enforce(s, { fence: race.fence });
    await race.committed();
    expect(result.stages[0]).toMatchObject({ status: 'done', changed: 1000 });
    expect(await values(s.adapter.db, 'select count(*)::int as v from calls')).toEqual([0]);
    expect(existsSync(join(media, 'rec', '300-moved.wav'))).toBe(false);
    // No row names the old file any more; it is not lethe's to remove.
    expect(existsSync(join(media, 'rec', '300.wav'))).toBe(true);
    expect(existsSync(join(media, 'rec', '299.wav'))).toBe(false);
  });

  it("an anonymised caller is derived from the value the row holds when it is rewritten, so the application's update is not lost", async () => {
    s = await store('{ anonymise: { caller: phone_prefix } }', '');
    const race = writeMidBatch(s, `update calls set caller = '+15555550123' where id = 300`);
    const result = await enforce(s, { fence: race.fence });
    await race.committed();
    expect(result.stages[0]).toMatchObject({ status: 'done', changed: 1000 });
    expect(await values(s.adapter.db, 'select caller as v from calls where id in (299, 300, 301) order by id')).toEqual(['+44', '+1', '+44']);
  });
});
