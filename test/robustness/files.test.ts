/**
 * Media files: a path that resolves outside media_root is refused (the row still goes and is
 * audited, the file stays, the queue entry is kept as `refused`); a missing file counts as
 * done; an entry a crash left queued is finished, and audited, by the next run.
 */
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/chain.js';
import { sql } from 'kysely';
import { daysBefore, enforce, tempStore, ts, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { NOW_ISO, auditRows, auditedKeys, cli, count, ids, logLines, rows, sorted } from './helpers.js';

const engines = await testEngines();

const POLICY = `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
  tenant_column: provider_id
defaults:
  timezone: UTC
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme Telecom
    rules:
      voicemails:
        quote: "Voicemails are deleted one year after they were recorded."
        table: voicemails
        clock: recorded_at
        files: media_path
        after: 1 year
        action: delete
`;

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

async function base(store: TempStore): Promise<void> {
  await store.adapter.db.insertInto('providers').values({ id: 'acme', name: 'Acme Telecom' }).execute();
  await store.adapter.db.insertInto('accounts').values({ id: 1, provider_id: 'acme', name: 'Holder', created_at: ts(store, daysBefore(3000)) }).execute();
}

/** A voicemail row of account 1, recorded `ageDays` before NOW (timestamps bound as the engine wants). */
function voicemail(store: TempStore, id: number, path: string, ageDays = 400): Record<string, unknown> {
  return { id, provider_id: 'acme', account_id: 1, caller_number: '+447700900001', media_path: path, recorded_at: ts(store, daysBefore(ageDays)) };
}

async function voicemails(store: TempStore, vms: Record<string, unknown>[]): Promise<void> {
  await store.adapter.db.insertInto('voicemails').values(vms).execute();
}

function touch(file: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'RIFF');
}

describe.each(engines)('media files on %s', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
    store = undefined;
  });

  // PostgreSQL text cannot hold a NUL byte (the server rejects the value: "invalid byte
  // sequence for encoding UTF8: 0x00"), so the NUL-byte path of voicemail 8 cannot exist in a
  // PostgreSQL store: there it is shown to be rejected, and the expectations leave it out.
  const nul = engine !== 'postgres';
  it('refuses paths that resolve outside media_root; deletes and audits the rows; counts a missing file as missing, not removed', async () => {
    store = await tempStore(POLICY, engine);
    const { dir, mediaRoot } = store;
    // Files outside media_root that a careless unlink would hit. The absolute-path case uses a
    // file of the temp folder rather than /etc/passwd, so a regression cannot damage the host.
    const outside = join(dir, 'outside.wav');
    const absOutside = join(dir, 'abs-outside.wav');
    const secret = join(dir, 'outside-dir', 'secret.wav');
    const sibling = join(dir, 'data', 'media-evil', 'x.wav'); // shares media_root's name as a prefix
    const linkTarget = join(dir, 'outside-target.wav');
    for (const f of [outside, absOutside, secret, sibling, linkTarget]) touch(f);
    touch(join(mediaRoot, 'acme', '1.wav'));
    touch(join(mediaRoot, 'acme', 'recent.wav'));
    symlinkSync(join(dir, 'outside-dir'), join(mediaRoot, 'link')); // a folder inside media_root leading out
    symlinkSync(linkTarget, join(mediaRoot, 'filelink.wav')); // a file link: unlinking it removes the link only

    await base(store);
    await voicemails(store, [
      voicemail(store, 1, 'acme/1.wav'), // removed
      voicemail(store, 2, '../../outside.wav'), // refused
      voicemail(store, 3, absOutside), // refused
      voicemail(store, 4, 'link/secret.wav'), // refused (symlinked folder)
      voicemail(store, 5, '../media-evil/x.wav'), // refused (sibling with a common prefix)
      voicemail(store, 6, 'acme/missing.wav'), // missing: counts as done
      voicemail(store, 7, 'filelink.wav'), // removed (the link, not its target)
      voicemail(store, 9, 'acme/recent.wav', 10), // not due: untouched
    ]);
    if (nul) await voicemails(store, [voicemail(store, 8, 'acme/evil\0.wav')]); // refused (NUL byte)
    else await expect(voicemails(store, [voicemail(store, 8, 'acme/evil\0.wav')])).rejects.toThrow(/0x00/);

    const run = await cli(['--json', 'run', '--now', NOW_ISO], dir, store.env);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const r = JSON.parse(run.stdout) as { status: string; due: number; changed: number; files: Record<string, number> };
    expect([r.status, r.due, r.changed]).toEqual(nul ? ['ok', 8, 8] : ['ok', 7, 7]);
    expect(r.files).toEqual({ removed: 2, missing: 1, shared: 0, refused: nul ? 5 : 4, errors: 0 });

    // Reported at error level, one line per refused file (with --json the log goes to stderr).
    const refusedLines = logLines(run.stderr).filter((l) => l.event === 'file:refused');
    expect(refusedLines.map((l) => [l.level, l.table, l.row_key]).sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      [50, 'voicemails', 2],
      [50, 'voicemails', 3],
      [50, 'voicemails', 4],
      [50, 'voicemails', 5],
      ...(nul ? [[50, 'voicemails', 8]] : []),
    ]);

    // Outside files are untouched; inside ones are gone; the link went, its target stayed.
    for (const f of [outside, absOutside, secret, sibling, linkTarget]) expect(existsSync(f), f).toBe(true);
    expect(exists(join(mediaRoot, 'acme', '1.wav'))).toBe(false);
    expect(exists(join(mediaRoot, 'filelink.wav'))).toBe(false);
    expect(exists(join(mediaRoot, 'acme', 'recent.wav'))).toBe(true);

    const db = store.adapter.db;
    expect(await ids(db, 'voicemails')).toEqual([9]);
    expect(sorted((await auditedKeys(db, 'delete')).get('voicemails')!)).toEqual(nul ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2, 3, 4, 5, 6, 7]);
    // One `file` entry for what was removed; none for the missing file (nothing was removed) or the refused.
    expect(sorted((await auditedKeys(db, 'file')).get('voicemails')!)).toEqual([1, 7]);
    const queue = (await rows(db, sql`select row_key, path, status, note from lethe_file_queue order by row_key`)) as { row_key: string; path: string; status: string; note: string }[];
    expect(queue.map((q) => [Number(q.row_key), q.path, q.status])).toEqual([
      [2, '../../outside.wav', 'refused'],
      [3, absOutside, 'refused'],
      [4, 'link/secret.wav', 'refused'],
      [5, '../media-evil/x.wav', 'refused'],
      ...(nul ? [[8, 'acme/evil\0.wav', 'refused']] : []),
    ]);
    expect(queue[0]!.note).toMatch(/outside media_root/);
    expect(queue[1]!.note).toMatch(/an absolute path outside media_root/);
    expect(queue[2]!.note).toMatch(/symlink leads outside media_root/);
    if (nul) expect(queue[4]!.note).toBe('path contains a NUL byte');

    // Refused entries are not retried: the next run is a no-op for files too.
    const again = await enforce(store);
    expect([again.status, again.changed]).toEqual(['ok', 0]);
    expect(again.files).toEqual({ removed: 0, missing: 0, shared: 0, refused: 0, errors: 0 });
    expect(await count(db, sql`select count(*) as n from lethe_file_queue where status = 'refused'`)).toBe(nul ? 5 : 4);
    expect((await verifyChain(store.adapter)).ok).toBe(true);
  });

  it('finishes a queued entry a crash left behind, and audits it as a file entry of the crashed run', async () => {
    store = await tempStore(POLICY, engine);
    const left = join(store.mediaRoot, 'acme', '7.wav');
    touch(left);
    const db = store.adapter.db;
    await base(store);
    // The crashed run: claimed, deleted voicemails 7 and 8 in a committed batch, queued their
    // files, and died before unlinking 7 (8 was unlinked, but the bookkeeping did not commit).
    // Its id comes from the store (1 in a fresh store), as a real claim's does: an explicit id
    // would leave PostgreSQL's sequence behind, and the next claim would collide with it.
    await db.insertInto('lethe_runs').values({ trigger: 'cli', now: NOW_ISO, status: 'running', started_at: NOW_ISO, policy_sha256: 'x' }).execute();
    expect(await rows(db, sql`select id from lethe_runs`)).toEqual([{ id: 1 }]);
    const q = (rowId: number, path: string) => ({ run_id: 1, provider: 'acme', rule: 'voicemails', stage: 1, table_name: 'voicemails', row_key: String(rowId), path, status: 'queued', queued_at: NOW_ISO });
    await db.insertInto('lethe_file_queue').values([q(7, 'acme/7.wav'), q(8, 'acme/8.wav')]).execute();

    // A dry run changes nothing, files included. (--force: a dry run without it deadlocks in the
    // guard's count, see guard.test.ts.)
    const dry = await enforce(store, { dryRun: true, force: true });
    expect(dry.status).toBe('dry_run');
    expect(dry.files).toEqual({ removed: 0, missing: 0, shared: 0, refused: 0, errors: 0 });
    expect(existsSync(left)).toBe(true);

    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.changed).toBe(0);
    expect(r.files).toEqual({ removed: 1, missing: 1, shared: 0, refused: 0, errors: 0 });
    expect(existsSync(left)).toBe(false);

    expect(await count(db, sql`select count(*) as n from lethe_file_queue`)).toBe(0);
    const entries = await auditRows(db);
    expect(entries.map((e) => ({ seq: e.seq, run_id: e.run_id, rule: e.rule, stage: e.stage, table: e.table_name, action: e.action, keys: e.keys }))).toEqual([
      // The finishing run records the policy it loaded; then it drains the crashed run's queue.
      { seq: 1, run_id: 3, rule: '', stage: 0, table: '', action: 'policy', keys: [] },
      // 8 was already gone: counted as missing and warned about, but not audited as removed by this drain.
      { seq: 2, run_id: 1, rule: 'voicemails', stage: 1, table: 'voicemails', action: 'file', keys: [7] },
    ]);
    expect(await rows(db, sql`select id, status from lethe_runs order by id`)).toEqual([
      { id: 1, status: 'interrupted' },
      { id: 2, status: 'dry_run' },
      { id: 3, status: 'ok' },
    ]);
    expect(await verifyChain(store.adapter)).toMatchObject({ ok: true, checked: 2 });
  });

  // DESIGN §4: "Every audit entry is also a pino JSON line ("event":"purge") on stdout." The
  // `file` entries drainFileQueue (src/exec/files.ts) appends are never emitted on the EventBus
  // (it has no `events` parameter), so src/log.ts never logs them: the log misses every file entry.
  it('logs every audit entry, file entries included, as an "event":"purge" line', async () => {
    store = await tempStore(POLICY, engine);
    touch(join(store.mediaRoot, 'acme', '1.wav'));
    await base(store);
    await voicemails(store, [voicemail(store, 1, 'acme/1.wav')]);
    const run = await cli(['run', '--now', NOW_ISO], store.dir, store.env);
    expect(run.code, run.stderr).toBe(0);
    const audit = (await auditRows(store.adapter.db)).map((e) => [e.seq, e.action]);
    // The run records the policy it loaded first (DESIGN 12), then its changes.
    expect(audit).toEqual([
      [1, 'policy'],
      [2, 'delete'],
      [3, 'file'],
    ]);
    const purgeLines = logLines(run.stdout).filter((l) => l.event === 'purge');
    expect(purgeLines.map((l) => [l.seq, l.action])).toEqual(audit);
  });

  // DESIGN §3: "A path that resolves outside media_root is refused". `..hidden.wav` is a file
  // name inside media_root, but confine() in src/exec/files.ts tests `rel.startsWith('..')`,
  // which also matches a first path segment that merely begins with two dots.
  it('removes a file inside media_root whose name starts with two dots (..hidden.wav)', async () => {
    store = await tempStore(POLICY, engine);
    const file = join(store.mediaRoot, '..hidden.wav');
    touch(file);
    await base(store);
    await voicemails(store, [voicemail(store, 1, '..hidden.wav')]);
    const r = await enforce(store);
    expect(r.changed).toBe(1);
    expect(r.files).toEqual({ removed: 1, missing: 0, shared: 0, refused: 0, errors: 0 });
    expect(existsSync(file)).toBe(false);
  });
});
