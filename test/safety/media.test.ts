/**
 * DESIGN §11, findings 5, 6 and 11 of the safety issue, on media files:
 * - a media folder swapped for a symlink to a folder outside media_root while the run
 *   unlinks: no file outside media_root is ever unlinked (the first release resolved the
 *   folder, then unlinked later by path: 268 of 20,000 outside files went in one run);
 * - two rows naming one file, only one of them due: the file stays while a remaining row
 *   names it, and goes with the last one;
 * - a directory named as a media path is refused, not left queued forever.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { NOW } from '../support/harness.js';
import { cliStore, type CliStore } from '../support/safety.js';

const engines = await testEngines();
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;

const POLICY = `version: 1
store:
  tenant_column: provider_id
defaults:
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme
    rules:
      voicemails:
        quote: "Voicemails are deleted 30 days after they were left."
        table: voicemails
        clock: recorded_at
        after: 30 days
        action: delete
        files: media_path
      greetings:
        quote: "Greetings are deleted 30 days after they were recorded."
        table: voicemail_greetings
        clock: created_at
        after: 30 days
        action: delete
        files: media_path
`;

async function base(store: CliStore): Promise<void> {
  await store.db.insertInto('providers').values({ id: 'acme', name: 'Acme' }).execute();
  await store.db.insertInto('accounts').values({ id: 1, provider_id: 'acme', name: 'Holder', created_at: at(store, 3000) }).execute();
}
const at = (store: CliStore, daysAgo: number): unknown => (store.engine === 'sqlite' ? new Date(NOW.getTime() - daysAgo * DAY).toISOString() : new Date(NOW.getTime() - daysAgo * DAY));
const touch = (file: string) => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'RIFF');
};

describe.each(engines)('media files under attack, on %s', (engine) => {
  let store: CliStore | undefined;
  afterEach(async () => store?.close());

  it('a folder swapped for a symlink during the run never leads an unlink outside media_root', async () => {
    store = await cliStore(engine, POLICY);
    await base(store);
    const FOLDERS = 20;
    const PER = 250;
    const outside = join(store.dir, 'outside');
    const rows = [];
    for (let f = 0; f < FOLDERS; f++) {
      for (let i = 0; i < PER; i++) {
        const rel = `acme/d${f}/${i}.wav`;
        touch(join(store.mediaRoot, rel));
        touch(join(outside, `d${f}`, `${i}.wav`)); // same names, outside media_root
        rows.push({ id: f * PER + i + 1, provider_id: 'acme', account_id: 1, caller_number: '+447700900001', media_path: rel, recorded_at: at(store, 60), saved: 0 });
      }
    }
    for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('voicemails').values(rows.slice(i, i + 500)).execute();
    // The attacker: swaps each folder for a symlink to its twin outside, and back, as fast as it can.
    const swapper = spawn(
      'bash',
      ['-c', `cd '${store.mediaRoot}/acme'; while :; do for f in $(seq 0 ${FOLDERS - 1}); do mv d$f d$f.real 2>/dev/null && ln -s '${outside}'/d$f d$f && rm d$f && mv d$f.real d$f; done; done`],
      { stdio: 'ignore' },
    );
    try {
      const r = store.cli(['run', '--json', '--now', NOW_ISO]);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
    } finally {
      swapper.kill('SIGKILL');
    }
    let left = 0;
    for (let f = 0; f < FOLDERS; f++) left += readdirSync(join(outside, `d${f}`)).length;
    expect(left, 'files outside media_root unlinked').toBe(FOLDERS * PER);
  });

  it('a file two rows name stays until the last of them is deleted, and is counted as shared', async () => {
    store = await cliStore(engine, POLICY);
    await base(store);
    const shared = join(store.mediaRoot, 'acme', 'shared.wav');
    const own = join(store.mediaRoot, 'acme', 'own.wav');
    touch(shared);
    touch(own);
    await store.db
      .insertInto('voicemails')
      .values([
        { id: 1, provider_id: 'acme', account_id: 1, caller_number: '+447700900001', media_path: 'acme/shared.wav', recorded_at: at(store, 60), saved: 0 },
        { id: 2, provider_id: 'acme', account_id: 1, caller_number: '+447700900001', media_path: 'acme/own.wav', recorded_at: at(store, 60), saved: 0 },
      ])
      .execute();
    // A greeting (another table's files: column) names the same file, and is not due.
    await store.db.insertInto('voicemail_greetings').values({ id: 1, provider_id: 'acme', account_id: 1, media_path: join(store.mediaRoot, 'acme', 'shared.wav'), created_at: at(store, 5) }).execute();
    const first = store.cli(['run', '--json', '--now', NOW_ISO]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).files).toMatchObject({ removed: 1, shared: 1 });
    expect(existsSync(shared)).toBe(true);
    expect(existsSync(own)).toBe(false);
    // 40 days later the greeting is due too: the file goes with it.
    const later = new Date(NOW.getTime() + 40 * DAY).toISOString();
    const second = store.cli(['run', '--json', '--dry-run', '--now', later]);
    expect(second.code, second.stderr).toBe(0);
    await store.db.updateTable('voicemail_greetings').set({ created_at: at(store, 60) }).execute();
    const third = store.cli(['run', '--json', '--now', NOW_ISO]);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout).files).toMatchObject({ removed: 1, shared: 0 });
    expect(existsSync(shared)).toBe(false);
  });

  it('a directory named as a media path is refused, and the queue does not keep it', async () => {
    store = await cliStore(engine, POLICY);
    await base(store);
    mkdirSync(join(store.mediaRoot, 'acme', 'folder'), { recursive: true });
    touch(join(store.mediaRoot, 'acme', 'folder', 'inside.wav'));
    await store.db.insertInto('voicemails').values({ id: 1, provider_id: 'acme', account_id: 1, caller_number: '+447700900001', media_path: 'acme/folder', recorded_at: at(store, 60), saved: 0 }).execute();
    const r = store.cli(['run', '--json', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files).toMatchObject({ removed: 0, refused: 1 });
    expect(existsSync(join(store.mediaRoot, 'acme', 'folder', 'inside.wav'))).toBe(true);
    const queued = await store.db.selectFrom('lethe_file_queue').select(['status', 'note']).execute();
    expect(queued).toEqual([{ status: 'refused', note: 'is a directory, not a media file' }]);
    const again = store.cli(['run', '--json', '--now', NOW_ISO]);
    expect(JSON.parse(again.stdout).files).toMatchObject({ refused: 0, errors: 0 });
  });
});
