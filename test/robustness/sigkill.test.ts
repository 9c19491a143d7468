/**
 * A run killed with SIGKILL mid-run, several times, then finished, ends exactly where one
 * uninterrupted run ends: every disappeared row audited once, no orphans, no media left for
 * deleted rows, a verifying chain, the killed runs marked interrupted, and a no-op rerun.
 * On every engine: the store is read through a second adapter opened on its URL while the
 * CLI child writes to it.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_TABLES } from '../../db/reference-schema.js';
import { openStore } from '../../src/store/open.js';
import type { Adapter, EngineName } from '../../src/store/types.js';
import { SHIPPED_POLICY, tempStore, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { dumpTable } from '../scenarios/support.js';
import {
  NOW_ISO,
  auditedKeys,
  cli,
 
  count,
  danglingReferences,
  ids,
  pollUntil,
  rows,
  sorted,
  startCli,
  type Db,
} from './helpers.js';

const engines = await testEngines();

/**
 * Accounts seeded per store. MariaDB seeds and runs about three times slower than SQLite and
 * PostgreSQL through the CLI; 200 accounts still give hundreds of 10-row batches, far more
 * than the kills need (they stop after at most 74 audit entries).
 */
const ACCOUNTS: Record<EngineName, number> = { sqlite: 400, postgres: 400, mysql: 200 };

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

async function snapshot(db: Db): Promise<Snapshot> {
  const media = new Map<string, Map<number, string>>();
  for (const t of MEDIA_TABLES) {
    const r = (await rows(db, sql`select id, media_path from ${sql.table(t)} order by id`)) as { id: number; media_path: string }[];
    media.set(t, new Map(r.map((x) => [Number(x.id), x.media_path])));
  }
  const byTable = new Map<string, number[]>();
  for (const t of REFERENCE_TABLES) byTable.set(t, await ids(db, t));
  return { ids: byTable, media };
}

describe.each(engines)('SIGKILL mid-run, several times, then a full run, on %s', (engine) => {
  const stores: TempStore[] = [];
  let killed: TempStore;
  let control: TempStore;
  let killedDir = '';
  let controlDir = '';
  let mediaRoot = '';

  beforeAll(async () => {
    const policy = smallBatchPolicy();
    killed = await tempStore(policy, engine);
    stores.push(killed);
    control = await tempStore(policy, engine);
    stores.push(control);
    [killedDir, controlDir, mediaRoot] = [killed.dir, control.dir, killed.mediaRoot];
    // The stores are written through bin/lethe only; the harness's adapters are used to read them.
    const seedArgs = ['db', 'seed', '--accounts', String(ACCOUNTS[engine]), '--seed', '7', '--now', NOW_ISO];
    const [a, b] = await Promise.all([cli(seedArgs, killedDir, killed.env), cli(seedArgs, controlDir, control.env)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // Seeding is deterministic: both stores start identical (the output names the store).
    const anon = (out: string, s: TempStore) => out.replaceAll(s.dir, '<dir>').replaceAll(s.url, '<url>');
    expect(anon(a.stdout, killed)).toBe(anon(b.stdout, control));
  }, 90_000);

  afterAll(async () => {
    for (const s of stores) {
      await s.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('converges to the uninterrupted result, with every change audited exactly once', async () => {
    const before = await snapshot(killed.adapter.db);
    // Every media row has a file on disk to begin with.
    for (const [t, m] of before.media) {
      expect(m.size, t).toBeGreaterThan(0);
      for (const p of m.values()) expect(existsSync(join(mediaRoot, p)), p).toBe(true);
    }

    // ---- the killed attempts ------------------------------------------------------------
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
    let afterKills: Snapshot;
    let seqAfterKills: number;
    // A second adapter on the same store, reading it as another process would while the child writes.
    const ro: Adapter = await openStore(killed.url, killedDir);
    try {
      const maxSeq = () => count(ro.db, sql`select coalesce(max(seq), 0) from lethe_audit`);
      const queued = () => count(ro.db, sql`select count(*) from lethe_file_queue where status = 'queued'`);
      for (const [i, a] of attempts.entries()) {
        const start = await maxSeq();
        const run = startCli(['run', '--now', NOW_ISO, '--force'], killedDir, killed.env);
        await pollUntil(
          async () => {
            const grown = (await maxSeq()) - start;
            if (grown >= a.grow) return true;
            if (a.files && grown >= 1 && (await queued()) > 0) {
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
        killedRuns.push(await count(ro.db, sql`select max(id) from lethe_runs`));
      }
      expect(new Set(killedRuns).size).toBe(attempts.length);
      afterKills = await snapshot(ro.db);
      seqAfterKills = await maxSeq();
    } finally {
      await ro.close();
    }
    // Each attempt wrote at least one entry before it was killed.
    expect(seqAfterKills).toBeGreaterThanOrEqual(attempts.length);

    // ---- finish, and an uninterrupted control ---------------------------------------------
    const [fin, ctl] = await Promise.all([
      cli(['--json', 'run', '--now', NOW_ISO, '--force'], killedDir, killed.env),
      cli(['--json', 'run', '--now', NOW_ISO, '--force'], controlDir, control.env),
    ]);
    expect(fin.code, fin.stderr.slice(-2000)).toBe(0);
    expect(ctl.code, ctl.stderr.slice(-2000)).toBe(0);
    const finRes = JSON.parse(fin.stdout) as { run_id: number; status: string; changed: number; files: { refused: number; errors: number } };
    const ctlRes = JSON.parse(ctl.stdout) as { status: string; changed: number; blocked: number; files: { removed: number; missing: number } };
    expect(finRes.status).toBe('ok');
    expect(ctlRes.status).toBe('ok');
    expect(finRes.files.refused).toBe(0);
    expect(finRes.files.errors).toBe(0);
    expect(ctlRes.changed).toBeGreaterThan(finRes.changed); // the killed attempts did part of the work

    const db = killed.adapter.db;
    const cdb = control.adapter.db;
    const after = await snapshot(db);

    // Same final contents as one uninterrupted run: ids per table, and every column.
    for (const t of REFERENCE_TABLES) {
      expect(after.ids.get(t), `ids of ${t}`).toEqual(await ids(cdb, t));
      expect(await dumpTable(killed, t), `contents of ${t}`).toEqual(await dumpTable(control, t));
    }
    // Something was deleted in the tables this test is about.
    for (const t of ['calls', 'conference_participants', 'recordings', 'voicemails', 'voicemail_greetings', 'contacts', 'users']) {
      expect(after.ids.get(t)!.length, t).toBeLessThan(before.ids.get(t)!.length);
    }

    // (a) audit equals deleted, per table; no id audited twice.
    const deletes = await auditedKeys(db, 'delete');
    const gone = new Map<string, number[]>();
    for (const t of REFERENCE_TABLES) {
      const left = new Set(after.ids.get(t));
      gone.set(t, before.ids.get(t)!.filter((id) => !left.has(id)));
      const audited = deletes.get(t) ?? [];
      expect(audited.length, `${t}: an id audited twice for delete`).toBe(new Set(audited).size);
      expect(sorted(audited), `${t}: delete audit vs disappeared ids`).toEqual(gone.get(t));
    }
    // The control audited exactly the same deletions.
    const controlDeletes = await auditedKeys(cdb, 'delete');
    for (const t of REFERENCE_TABLES) expect(sorted(controlDeletes.get(t) ?? []), t).toEqual(gone.get(t));

    // (b) no orphans (SQLite checks its foreign keys itself too; the servers enforce theirs).
    if (engine === 'sqlite') expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([]);
    expect(await danglingReferences(killed.adapter, REFERENCE_TABLES)).toEqual([]);

    // (c) no media left for deleted rows; survivors keep theirs; the outbox is empty; each
    // deleted file is audited exactly once as a `file` entry, even across the kills.
    const files = await auditedKeys(db, 'file');
    for (const t of MEDIA_TABLES) {
      const paths = before.media.get(t)!;
      const left = new Set(after.ids.get(t));
      for (const [id, p] of paths) expect(existsSync(join(mediaRoot, p)), `${t} ${id} ${p}`).toBe(left.has(id));
      const fileKeys = files.get(t) ?? [];
      expect(fileKeys.length, `${t}: a file audited twice`).toBe(new Set(fileKeys).size);
      expect(sorted(fileKeys), `${t}: file audit vs deleted media rows`).toEqual(gone.get(t));
    }
    expect(await count(db, sql`select count(*) from lethe_file_queue where status = 'queued'`)).toBe(0);
    expect(await count(db, sql`select count(*) from lethe_file_queue`)).toBe(0);

    // (e) the killed runs are interrupted; the finishing run is ok.
    const runs = (await rows(db, sql`select id, status, error from lethe_runs order by id`)) as { id: number; status: string; error: string | null }[];
    expect(runs.map((r) => r.id)).toEqual([...killedRuns, finRes.run_id]);
    for (const r of runs.slice(0, -1)) {
      expect(r.status, `run ${r.id}`).toBe('interrupted');
      expect(r.error).toBe('the process ended before the run finished');
    }
    expect(runs.at(-1)!.status).toBe('ok');
    expect(runs.at(-1)!.error).toBeNull();

    // (d) the chain verifies.
    const verify = await cli(['audit', 'verify'], killedDir, killed.env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const entries = await count(db, sql`select count(*) from lethe_audit`);
    expect(verify.stdout).toContain(`audit chain verifies: ${entries} entries`);

    // (f) a further run changes nothing.
    const again = await cli(['--json', 'run', '--now', NOW_ISO, '--force'], killedDir, killed.env);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    const againRes = JSON.parse(again.stdout) as { status: string; changed: number; files: { removed: number; missing: number; refused: number } };
    expect(againRes.status).toBe('ok');
    expect(againRes.changed).toBe(0);
    expect(againRes.files).toEqual({ removed: 0, missing: 0, shared: 0, refused: 0, errors: 0 });
    // Only the record of the forced run itself (DESIGN 12) is added; the policy is unchanged.
    expect(await count(db, sql`select count(*) from lethe_audit`)).toBe(entries + 1);
    expect(await rows(db, sql`select action, row_count from lethe_audit where seq = (select max(seq) from lethe_audit)`)).toEqual([{ action: 'force', row_count: 0 }]);

    // How the kills fell, for the log of this run (not asserted: timing decides it).
    console.info(`sigkill on ${engine}: ${attempts.length} kills, ${seqAfterKills} audit entries before the final run, outbox caught queued ${caughtQueued}x; rows left by kills: ${[...afterKills.ids.values()].reduce((n, l) => n + l.length, 0)}`);
  }, 120_000);
});
