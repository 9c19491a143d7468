/**
 * A run killed with SIGKILL mid-run, several times, then finished, ends exactly where one
 * uninterrupted run ends: every disappeared row audited once, no orphans, no media left for
 * deleted rows, a verifying chain, the killed runs marked interrupted, and a no-op rerun.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_TABLES } from '../../db/reference-schema.js';
import { SHIPPED_POLICY, tempStore } from '../support/harness.js';
import {
  NOW_ISO,
  auditedKeys,
  cli,
  count,
  danglingReferences,
  ids,
  openDb,
  pollUntil,
  sorted,
  startCli,
  type Db,
} from './helpers.js';

const MEDIA_TABLES = ['recordings', 'voicemails', 'voicemail_greetings'] as const;

/** The shipped policy with batches of 10 and the guard off, so one run is many small transactions. */
function smallBatchPolicy(): string {
  const shipped = readFileSync(SHIPPED_POLICY, 'utf8');
  const text = shipped
    .replace('  batch_size: 1000\n', '  batch_size: 10\n')
    .replace('  guard: { max_fraction: 0.25, min_rows: 1000 }\n', '  guard: { max_fraction: 1, min_rows: 0 }\n');
  // The test is only meaningful if both edits landed.
  expect(text).not.toBe(shipped);
  expect(text).toContain('  batch_size: 10\n');
  expect(text).toContain('  guard: { max_fraction: 1, min_rows: 0 }\n');
  return text;
}

interface Snapshot {
  ids: Map<string, number[]>;
  media: Map<string, Map<number, string>>;
}

function snapshot(db: Db): Snapshot {
  const media = new Map<string, Map<number, string>>();
  for (const t of MEDIA_TABLES) {
    const rows = db.prepare(`select id, media_path from ${t} order by id`).all() as { id: number; media_path: string }[];
    media.set(t, new Map(rows.map((r) => [Number(r.id), r.media_path])));
  }
  return { ids: new Map(REFERENCE_TABLES.map((t) => [t, ids(db, t)])), media };
}

function tableDump(db: Db, table: string): unknown[] {
  return db.prepare(`select * from "${table}" order by 1`).all();
}

describe('SIGKILL mid-run, several times, then a full run', () => {
  const dirs: string[] = [];
  let killedDir = '';
  let killedDb = '';
  let controlDir = '';
  let controlDb = '';
  let mediaRoot = '';

  beforeAll(async () => {
    const policy = smallBatchPolicy();
    const killed = await tempStore(policy);
    const control = await tempStore(policy);
    // The engine's own connections are not used here: everything goes through bin/lethe.
    await killed.close();
    await control.close();
    dirs.push(killed.dir, control.dir);
    [killedDir, killedDb, controlDir, controlDb, mediaRoot] = [killed.dir, killed.dbFile, control.dir, control.dbFile, killed.mediaRoot];
    const seedArgs = ['db', 'seed', '--accounts', '400', '--seed', '7', '--now', NOW_ISO];
    const [a, b] = await Promise.all([cli(seedArgs, killedDir), cli(seedArgs, controlDir)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // Seeding is deterministic: both stores start identical.
    expect(a.stdout.replace(killedDir, '<dir>')).toBe(b.stdout.replace(controlDir, '<dir>'));
  }, 90_000);

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('converges to the uninterrupted result, with every change audited exactly once', async () => {
    const setup = openDb(killedDb, true);
    const before = snapshot(setup);
    setup.close();
    // Every media row has a file on disk to begin with.
    for (const [t, m] of before.media) {
      expect(m.size, t).toBeGreaterThan(0);
      for (const p of m.values()) expect(existsSync(join(mediaRoot, p)), p).toBe(true);
    }

    // ---- the killed attempts ------------------------------------------------------------
    const ro = openDb(killedDb, true);
    const maxSeq = () => count(ro, 'select coalesce(max(seq), 0) from lethe_audit');
    const queued = () => count(ro, `select count(*) from lethe_file_queue where status = 'queued'`);
    // Growth in audit entries to wait for before the kill; attempts marked `files` also kill
    // early if they catch a committed batch whose files are still queued (the outbox window).
    const attempts = [
      { grow: 1, files: false },
      { grow: 8, files: true },
      { grow: 25, files: false },
      { grow: 40, files: true },
    ];
    const killedRuns: number[] = [];
    let caughtQueued = 0;
    for (const [i, a] of attempts.entries()) {
      const start = maxSeq();
      const run = startCli(['run', '--now', NOW_ISO, '--force'], killedDir);
      await pollUntil(
        () => {
          const grown = maxSeq() - start;
          if (grown >= a.grow) return true;
          if (a.files && grown >= 1 && queued() > 0) {
            caughtQueued++;
            return true;
          }
          return false;
        },
        `attempt ${i + 1} to write ${a.grow} audit entries`,
        { abort: () => (run.hasExited() ? `the run exited before it was killed:\n${run.output().slice(-2000)}` : null) },
      );
      run.child.kill('SIGKILL');
      const res = await run.done;
      expect(res.signal, `attempt ${i + 1} was killed, not finished`).toBe('SIGKILL');
      killedRuns.push(count(ro, 'select max(id) from lethe_runs'));
    }
    expect(new Set(killedRuns).size).toBe(attempts.length);
    const afterKills = snapshot(ro);
    const seqAfterKills = maxSeq();
    ro.close();
    // Each attempt wrote at least one entry before it was killed.
    expect(seqAfterKills).toBeGreaterThanOrEqual(attempts.length);

    // ---- finish, and an uninterrupted control ---------------------------------------------
    const [fin, ctl] = await Promise.all([
      cli(['--json', 'run', '--now', NOW_ISO, '--force'], killedDir),
      cli(['--json', 'run', '--now', NOW_ISO, '--force'], controlDir),
    ]);
    expect(fin.code, fin.stderr.slice(-2000)).toBe(0);
    expect(ctl.code, ctl.stderr.slice(-2000)).toBe(0);
    const finRes = JSON.parse(fin.stdout) as { runId: number; status: string; changed: number; files: { refused: number; errors: number } };
    const ctlRes = JSON.parse(ctl.stdout) as { status: string; changed: number; blocked: number; files: { removed: number; missing: number } };
    expect(finRes.status).toBe('ok');
    expect(ctlRes.status).toBe('ok');
    expect(finRes.files.refused).toBe(0);
    expect(finRes.files.errors).toBe(0);
    expect(ctlRes.changed).toBeGreaterThan(finRes.changed); // the killed attempts did part of the work

    const db = openDb(killedDb);
    const cdb = openDb(controlDb, true);
    try {
      const after = snapshot(db);

      // Same final contents as one uninterrupted run: ids per table, and every column.
      for (const t of REFERENCE_TABLES) {
        expect(after.ids.get(t), `ids of ${t}`).toEqual(ids(cdb, t));
        expect(tableDump(db, t), `contents of ${t}`).toEqual(tableDump(cdb, t));
      }
      // Something was deleted in the tables this test is about.
      for (const t of ['calls', 'conference_participants', 'recordings', 'voicemails', 'voicemail_greetings', 'contacts', 'users']) {
        expect(after.ids.get(t)!.length, t).toBeLessThan(before.ids.get(t)!.length);
      }

      // (a) audit equals deleted, per table; no id audited twice.
      const deletes = auditedKeys(db, 'delete');
      const gone = new Map<string, number[]>();
      for (const t of REFERENCE_TABLES) {
        const left = new Set(after.ids.get(t));
        gone.set(t, before.ids.get(t)!.filter((id) => !left.has(id)));
        const audited = deletes.get(t) ?? [];
        expect(audited.length, `${t}: an id audited twice for delete`).toBe(new Set(audited).size);
        expect(sorted(audited), `${t}: delete audit vs disappeared ids`).toEqual(gone.get(t));
      }
      // The control audited exactly the same deletions.
      const controlDeletes = auditedKeys(cdb, 'delete');
      for (const t of REFERENCE_TABLES) expect(sorted(controlDeletes.get(t) ?? []), t).toEqual(gone.get(t));

      // (b) no orphans.
      expect(db.prepare('pragma foreign_key_check').all()).toEqual([]);
      expect(danglingReferences(db, REFERENCE_TABLES)).toEqual([]);

      // (c) no media left for deleted rows; survivors keep theirs; the outbox is empty; each
      // deleted file is audited exactly once as a `file` entry, even across the kills.
      const files = auditedKeys(db, 'file');
      for (const t of MEDIA_TABLES) {
        const paths = before.media.get(t)!;
        const left = new Set(after.ids.get(t));
        for (const [id, p] of paths) expect(existsSync(join(mediaRoot, p)), `${t} ${id} ${p}`).toBe(left.has(id));
        const fileKeys = files.get(t) ?? [];
        expect(fileKeys.length, `${t}: a file audited twice`).toBe(new Set(fileKeys).size);
        expect(sorted(fileKeys), `${t}: file audit vs deleted media rows`).toEqual(gone.get(t));
      }
      expect(count(db, `select count(*) from lethe_file_queue where status = 'queued'`)).toBe(0);
      expect(count(db, 'select count(*) from lethe_file_queue')).toBe(0);

      // (e) the killed runs are interrupted; the finishing run is ok.
      const runs = db.prepare('select id, status, error from lethe_runs order by id').all() as { id: number; status: string; error: string | null }[];
      expect(runs.map((r) => r.id)).toEqual([...killedRuns, finRes.runId]);
      for (const r of runs.slice(0, -1)) {
        expect(r.status, `run ${r.id}`).toBe('interrupted');
        expect(r.error).toBe('the process ended before the run finished');
      }
      expect(runs.at(-1)!.status).toBe('ok');
      expect(runs.at(-1)!.error).toBeNull();
    } finally {
      db.close();
      cdb.close();
    }

    // (d) the chain verifies.
    const verify = await cli(['audit', 'verify'], killedDir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const db2 = openDb(killedDb, true);
    const entries = count(db2, 'select count(*) from lethe_audit');
    db2.close();
    expect(verify.stdout).toContain(`audit chain verifies: ${entries} entries`);

    // (f) a further run changes nothing.
    const again = await cli(['--json', 'run', '--now', NOW_ISO, '--force'], killedDir);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    const againRes = JSON.parse(again.stdout) as { status: string; changed: number; files: { removed: number; missing: number; refused: number } };
    expect(againRes.status).toBe('ok');
    expect(againRes.changed).toBe(0);
    expect(againRes.files).toEqual({ removed: 0, missing: 0, refused: 0, errors: 0 });
    const db3 = openDb(killedDb, true);
    expect(count(db3, 'select count(*) from lethe_audit')).toBe(entries);
    db3.close();

    // How the kills fell, for the log of this run (not asserted: timing decides it).
    console.info(`sigkill: ${attempts.length} kills, ${seqAfterKills} audit entries before the final run, outbox caught queued ${caughtQueued}x; rows left by kills: ${[...afterKills.ids.values()].reduce((n, l) => n + l.length, 0)}`);
  }, 120_000);
});
