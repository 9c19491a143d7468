/**
 * Media files: a path that resolves outside media_root is refused (the row still goes and is
 * audited, the file stays, the queue entry is kept as `refused`); a missing file counts as
 * done; an entry a crash left queued is finished, and audited, by the next run.
 */
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/chain.js';
import { daysBefore, enforce, tempStore, type TempStore } from '../support/harness.js';
import { NOW_ISO, auditRows, auditedKeys, cli, ids, logLines, openDb, sorted, type Db } from './helpers.js';

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

function base(db: Db): void {
  db.prepare(`insert into providers (id, name) values ('acme', 'Acme Telecom')`).run();
  db.prepare(`insert into accounts (id, provider_id, name, created_at) values (1, 'acme', 'Holder', ?)`).run(daysBefore(3000));
}

function voicemail(db: Db, id: number, path: string, ageDays = 400): void {
  db.prepare(`insert into voicemails (id, provider_id, account_id, caller_number, media_path, recorded_at) values (?, 'acme', 1, '+447700900001', ?, ?)`).run(
    id,
    path,
    daysBefore(ageDays),
  );
}

function touch(file: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'RIFF');
}

describe('media files', () => {
  let store: TempStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (store) rmSync(store.dir, { recursive: true, force: true });
    store = undefined;
  });

  it('refuses paths that resolve outside media_root; deletes and audits the rows; counts a missing file as done', async () => {
    store = await tempStore(POLICY);
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

    const db = openDb(store.dbFile);
    try {
      db.transaction(() => {
        base(db);
        voicemail(db, 1, 'acme/1.wav'); // removed
        voicemail(db, 2, '../../outside.wav'); // refused
        voicemail(db, 3, absOutside); // refused
        voicemail(db, 4, 'link/secret.wav'); // refused (symlinked folder)
        voicemail(db, 5, '../media-evil/x.wav'); // refused (sibling with a common prefix)
        voicemail(db, 6, 'acme/missing.wav'); // missing: counts as done
        voicemail(db, 7, 'filelink.wav'); // removed (the link, not its target)
        voicemail(db, 8, 'acme/evil\0.wav'); // refused (NUL byte)
        voicemail(db, 9, 'acme/recent.wav', 10); // not due: untouched
      })();
    } finally {
      db.close();
    }

    const run = await cli(['--json', 'run', '--now', NOW_ISO], dir);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const r = JSON.parse(run.stdout) as { status: string; due: number; changed: number; files: Record<string, number> };
    expect([r.status, r.due, r.changed]).toEqual(['ok', 8, 8]);
    expect(r.files).toEqual({ removed: 2, missing: 1, refused: 5, errors: 0 });

    // Reported at error level, one line per refused file (with --json the log goes to stderr).
    const refusedLines = logLines(run.stderr).filter((l) => l.event === 'file:refused');
    expect(refusedLines.map((l) => [l.level, l.table, l.row_id]).sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      [50, 'voicemails', 2],
      [50, 'voicemails', 3],
      [50, 'voicemails', 4],
      [50, 'voicemails', 5],
      [50, 'voicemails', 8],
    ]);

    // Outside files are untouched; inside ones are gone; the link went, its target stayed.
    for (const f of [outside, absOutside, secret, sibling, linkTarget]) expect(existsSync(f), f).toBe(true);
    expect(exists(join(mediaRoot, 'acme', '1.wav'))).toBe(false);
    expect(exists(join(mediaRoot, 'filelink.wav'))).toBe(false);
    expect(exists(join(mediaRoot, 'acme', 'recent.wav'))).toBe(true);

    const db2 = openDb(store.dbFile);
    try {
      expect(ids(db2, 'voicemails')).toEqual([9]);
      expect(sorted(auditedKeys(db2, 'delete').get('voicemails')!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // One `file` entry for what was removed or already missing; none for the refused.
      expect(sorted(auditedKeys(db2, 'file').get('voicemails')!)).toEqual([1, 6, 7]);
      const queue = db2.prepare('select row_id, path, status, note from lethe_file_queue order by row_id').all() as { row_id: number; path: string; status: string; note: string }[];
      expect(queue.map((q) => [q.row_id, q.path, q.status])).toEqual([
        [2, '../../outside.wav', 'refused'],
        [3, absOutside, 'refused'],
        [4, 'link/secret.wav', 'refused'],
        [5, '../media-evil/x.wav', 'refused'],
        [8, 'acme/evil\0.wav', 'refused'],
      ]);
      expect(queue[0]!.note).toMatch(/outside media_root/);
      expect(queue[2]!.note).toMatch(/symlink leads outside media_root/);
      expect(queue[4]!.note).toBe('path contains a NUL byte');
    } finally {
      db2.close();
    }

    // Refused entries are not retried: the next run is a no-op for files too.
    const again = await enforce(store);
    expect([again.status, again.changed]).toEqual(['ok', 0]);
    expect(again.files).toEqual({ removed: 0, missing: 0, refused: 0, errors: 0 });
    const db3 = openDb(store.dbFile, true);
    expect((db3.prepare(`select count(*) as n from lethe_file_queue where status = 'refused'`).get() as { n: number }).n).toBe(5);
    db3.close();
    expect((await verifyChain(store.adapter.db)).ok).toBe(true);
  });

  it('finishes a queued entry a crash left behind, and audits it as a file entry of the crashed run', async () => {
    store = await tempStore(POLICY);
    const left = join(store.mediaRoot, 'acme', '7.wav');
    touch(left);
    const db = openDb(store.dbFile);
    try {
      db.transaction(() => {
        base(db);
        // The crashed run: claimed, deleted voicemails 7 and 8 in a committed batch, queued their
        // files, and died before unlinking 7 (8 was unlinked, but the bookkeeping did not commit).
        db.prepare(`insert into lethe_runs (id, trigger, now, status, started_at, policy_sha256) values (1, 'cli', ?, 'running', ?, 'x')`).run(NOW_ISO, NOW_ISO);
        const q = db.prepare(
          `insert into lethe_file_queue (run_id, provider, rule, stage, table_name, row_id, path, status, queued_at) values (1, 'acme', 'voicemails', 1, 'voicemails', ?, ?, 'queued', ?)`,
        );
        q.run(7, 'acme/7.wav', NOW_ISO);
        q.run(8, 'acme/8.wav', NOW_ISO);
      })();
    } finally {
      db.close();
    }

    // A dry run changes nothing, files included. (--force: a dry run without it deadlocks in the
    // guard's count, see guard.test.ts.)
    const dry = await enforce(store, { dryRun: true, force: true });
    expect(dry.status).toBe('dry_run');
    expect(dry.files).toEqual({ removed: 0, missing: 0, refused: 0, errors: 0 });
    expect(existsSync(left)).toBe(true);

    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.changed).toBe(0);
    expect(r.files).toEqual({ removed: 1, missing: 1, refused: 0, errors: 0 });
    expect(existsSync(left)).toBe(false);

    const db2 = openDb(store.dbFile, true);
    try {
      expect((db2.prepare('select count(*) as n from lethe_file_queue').get() as { n: number }).n).toBe(0);
      const entries = auditRows(db2);
      expect(entries.map((e) => ({ seq: e.seq, run_id: e.run_id, rule: e.rule, stage: e.stage, table: e.table_name, action: e.action, keys: e.keys }))).toEqual([
        { seq: 1, run_id: 1, rule: 'voicemails', stage: 1, table: 'voicemails', action: 'file', keys: [7, 8] },
      ]);
      expect(db2.prepare('select id, status from lethe_runs order by id').all()).toEqual([
        { id: 1, status: 'interrupted' },
        { id: 2, status: 'dry_run' },
        { id: 3, status: 'ok' },
      ]);
    } finally {
      db2.close();
    }
    expect(await verifyChain(store.adapter.db)).toMatchObject({ ok: true, checked: 1 });
  });

  // DESIGN §4: "Every audit entry is also a pino JSON line ("event":"purge") on stdout." The
  // `file` entries drainFileQueue (src/exec/files.ts) appends are never emitted on the EventBus
  // (it has no `events` parameter), so src/log.ts never logs them: the log misses every file entry.
  it('logs every audit entry, file entries included, as an "event":"purge" line', async () => {
    store = await tempStore(POLICY);
    touch(join(store.mediaRoot, 'acme', '1.wav'));
    const db = openDb(store.dbFile);
    try {
      base(db);
      voicemail(db, 1, 'acme/1.wav');
    } finally {
      db.close();
    }
    const run = await cli(['run', '--now', NOW_ISO], store.dir);
    expect(run.code, run.stderr).toBe(0);
    const db2 = openDb(store.dbFile, true);
    const audit = auditRows(db2).map((e) => [e.seq, e.action]);
    db2.close();
    expect(audit).toEqual([
      [1, 'delete'],
      [2, 'file'],
    ]);
    const purgeLines = logLines(run.stdout).filter((l) => l.event === 'purge');
    expect(purgeLines.map((l) => [l.seq, l.action])).toEqual(audit);
  });

  // DESIGN §3: "A path that resolves outside media_root is refused". `..hidden.wav` is a file
  // name inside media_root, but confine() in src/exec/files.ts tests `rel.startsWith('..')`,
  // which also matches a first path segment that merely begins with two dots.
  it('removes a file inside media_root whose name starts with two dots (..hidden.wav)', async () => {
    store = await tempStore(POLICY);
    const file = join(store.mediaRoot, '..hidden.wav');
    touch(file);
    const db = openDb(store.dbFile);
    try {
      base(db);
      voicemail(db, 1, '..hidden.wav');
    } finally {
      db.close();
    }
    const r = await enforce(store);
    expect(r.changed).toBe(1);
    expect(r.files).toEqual({ removed: 1, missing: 0, refused: 0, errors: 0 });
    expect(existsSync(file)).toBe(false);
  });
});
