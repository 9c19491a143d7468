/**
 * On SQLite lethe's batches commit with synchronous = NORMAL: a commit is written to the WAL
 * but not fsynced, so a power cut can undo the last ones. Nothing outside the store may act on
 * such a commit. Checked with strace on real runs of bin/lethe: at each of these moments,
 * every write to the WAL before it has been followed by an fsync or fdatasync of the WAL.
 * - A media file is unlinked: the cut would otherwise bring its row back, unaudited, without
 *   its file.
 * - The run:end log line is written: whatever a log shipper has of a finished run is in the
 *   store after a cut.
 * - A signed checkpoint is renamed into place (its own file fsynced first): it names a head
 *   that must not vanish.
 * - `hold add` and `hold release` answer: a hold reported placed must still be there. Every
 *   command but run and start commits at synchronous = FULL.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, NOW, TEST_HMAC_KEY, tempStore, type TempStore } from '../support/harness.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture } from '../scenarios/support.js';

const strace = spawnSync('strace', ['-V']).status === 0;

interface Traced {
  /** The syscalls of interest, in the order the process made them. */
  calls: { kind: 'wal-write' | 'wal-sync' | 'unlink' | 'checkpoint-sync' | 'checkpoint-rename' | 'run-end-line' | 'stdout'; path: string }[];
}

/** Runs bin/lethe under strace; what it did to the store's WAL, to files and to checkpoint files. */
function traced(store: TempStore, args: string[], env: Record<string, string> = {}): Traced & { code: number | null; stderr: string } {
  const out = join(store.dir, 'strace.txt');
  const r = spawnSync('strace', ['-f', '-y', '-qq', '-s', '200', '-o', out, '-e', 'trace=pwrite64,write,fsync,fdatasync,unlink,unlinkat,rename,renameat,renameat2', process.execPath, BIN, ...args], {
    cwd: store.dir,
    env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...store.env, ...env },
    encoding: 'utf8',
  });
  const wal = `${basename(store.dbFile)}-wal>`;
  const calls: Traced['calls'] = [];
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^\d+\s+(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, name, rest] = m as unknown as [string, string, string];
    if ((name === 'pwrite64' || name === 'write') && firstArg(rest).endsWith(wal)) calls.push({ kind: 'wal-write', path: firstArg(rest) });
    else if ((name === 'fsync' || name === 'fdatasync') && firstArg(rest).endsWith(wal)) calls.push({ kind: 'wal-sync', path: firstArg(rest) });
    else if ((name === 'fsync' || name === 'fdatasync') && firstArg(rest).includes('/.lethe-checkpoint-')) calls.push({ kind: 'checkpoint-sync', path: firstArg(rest) });
    else if (name.startsWith('unlink')) calls.push({ kind: 'unlink', path: rest });
    else if (name === 'write' && /^1</.test(rest) && rest.includes('\\"event\\":\\"run:end\\"')) calls.push({ kind: 'run-end-line', path: 'stdout' });
    else if (name === 'write' && /^1</.test(rest)) calls.push({ kind: 'stdout', path: rest.slice(0, 120) });
    else if (name.startsWith('rename') && rest.includes('lethe-checkpoint-')) calls.push({ kind: 'checkpoint-rename', path: rest });
  }
  return { calls, code: r.status, stderr: r.stderr };
}

/** A syscall's first argument when it is a file descriptor, as strace -y prints it: `5</tmp/x/data/telecom.db-wal>`. */
function firstArg(rest: string): string {
  return /^\d+<[^>]*>/.exec(rest)?.[0] ?? '';
}

/** The calls of `kinds` made while the WAL held writes that no sync had yet covered. */
function unsynced(t: Traced, kinds: Traced['calls'][number]['kind'][], match: (path: string) => boolean): string[] {
  let dirty = false;
  const bad: string[] = [];
  for (const c of t.calls) {
    if (c.kind === 'wal-write') dirty = true;
    else if (c.kind === 'wal-sync') dirty = false;
    else if (kinds.includes(c.kind) && match(c.path) && dirty) bad.push(c.path);
  }
  return bad;
}

describe.skipIf(!strace)('SQLite: nothing outside the store acts on a commit before it is on disk', () => {
  let opened: TempStore | undefined;
  afterEach(async () => opened?.close());

  /** A SQLite store seeded with the PiPcall fixture, its media files written. */
  async function seeded(): Promise<{ store: TempStore; fx: Fixture }> {
    const store = (opened = await tempStore());
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    return { store, fx };
  }

  it('every media file is unlinked only after the WAL that deleted its row was synced', async () => {
    const { store, fx } = await seeded();
    const media = fx.presentMedia().map((p) => basename(p));
    expect(media.length, 'the fixture writes media files').toBeGreaterThan(0);

    const t = traced(store, ['run', '--now', NOW.toISOString()]);
    expect(t.code, t.stderr.slice(-2000)).toBe(0);
    const isMedia = (path: string) => media.some((m) => path.includes(`/${m}"`) || path.includes(`"${m}"`));
    const unlinks = t.calls.filter((c) => c.kind === 'unlink' && isMedia(c.path));
    expect(unlinks.length, 'the run unlinked media files').toBeGreaterThan(0);
    expect(unlinks.length).toBe(media.length - fx.presentMedia().length);
    expect(t.calls.some((c) => c.kind === 'wal-write'), 'strace saw the WAL written').toBe(true);
    expect(unsynced(t, ['unlink'], isMedia)).toEqual([]);
  });

  it('the run:end log line comes only after everything the run committed is on disk', async () => {
    const { store } = await seeded();
    const t = traced(store, ['run', '--now', NOW.toISOString()]);
    expect(t.code, t.stderr.slice(-2000)).toBe(0);
    expect(t.calls.filter((c) => c.kind === 'run-end-line').length, 'strace saw the run:end line').toBe(1);
    expect(unsynced(t, ['run-end-line'], () => true)).toEqual([]);
  });

  it('hold add and hold release answer only once their commit is on disk', async () => {
    const { store } = await seeded();
    const add = traced(store, ['hold', 'add', 'accounts', '501', '--reason', 'case 7', '--now', NOW.toISOString(), '--json']);
    expect(add.code, add.stderr.slice(-2000)).toBe(0);
    expect(add.calls.some((c) => c.kind === 'wal-write'), 'the hold was written to the WAL').toBe(true);
    expect(add.calls.some((c) => c.kind === 'stdout'), 'hold add answered').toBe(true);
    expect(unsynced(add, ['stdout'], () => true)).toEqual([]);
    const held = await store.adapter.db.selectFrom('lethe_holds').select('id').where('row_key', '=', '501').executeTakeFirstOrThrow();
    const release = traced(store, ['hold', 'release', String(held.id), '--reason', 'case closed', '--now', NOW.toISOString()]);
    expect(release.code, release.stderr.slice(-2000)).toBe(0);
    expect(unsynced(release, ['stdout'], () => true)).toEqual([]);
  });

  it('a signed checkpoint file is written only after the head it signs is on disk', async () => {
    const { store } = await seeded();
    const key = spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519'], { encoding: 'utf8' });
    expect(key.status, key.stderr).toBe(0);
    const env = { LETHE_SIGNING_KEY: key.stdout, LETHE_CHECKPOINT_DIR: join(store.dir, 'checkpoints') };
    mkdirSync(env.LETHE_CHECKPOINT_DIR);
    const t = traced(store, ['run', '--now', NOW.toISOString()], env);
    expect(t.code, t.stderr.slice(-2000)).toBe(0);
    const renames = t.calls.filter((c) => c.kind === 'checkpoint-rename');
    expect(renames.length, 'the run wrote a checkpoint').toBeGreaterThan(0);
    expect(unsynced(t, ['checkpoint-rename'], () => true)).toEqual([]);
    // The file itself is on disk before its name appears.
    const at = t.calls.findIndex((c) => c.kind === 'checkpoint-rename');
    expect(t.calls.slice(0, at).some((c) => c.kind === 'checkpoint-sync'), 'the checkpoint file was fsynced before its rename').toBe(true);
  });
});
