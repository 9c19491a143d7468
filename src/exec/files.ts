/**
 * The file outbox. Paths are queued in lethe_file_queue inside the batch transaction that
 * deletes their rows, and unlinked only after that transaction commits and is on disk
 * (Adapter.syncCommits); a crash in between leaves them queued and the next drain finishes
 * them.
 *
 * Nothing outside media_root is ever unlinked, even while the media tree changes under the
 * drain: a path is checked lexically, then walked from media_root one folder at a time with
 * O_NOFOLLOW, holding each folder open, and the file is unlinked inside the folder held open
 * (through /proc/self/fd), never by re-resolving its path. A folder swapped for a symlink is
 * refused, not followed. A file that a remaining row still names is kept and counted as
 * shared; a file already gone is counted as missing (and not audited: nothing was removed),
 * unless an earlier drain had begun unlinking it and stopped before its bookkeeping.
 */
import { closeSync, constants, existsSync, lstatSync, openSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEntry } from '../audit/chain.js';
import { letheDb } from '../store/lethe-tables.js';
import type { Adapter } from '../store/types.js';
import type { FilesTemplate } from '../policy/model.js';
import { RowKey, type KeyValue } from './row-key.js';

export interface QueuedFile {
  run_id: number;
  provider: string;
  rule: string;
  stage: number;
  table_name: string;
  /** The deleted row's key, canonical JSON. */
  row_key: string;
  path: string;
}

/** Inserts queue rows inside the caller's (batch) transaction. */
export async function queueFiles(adapter: Adapter, tx: Kysely<any>, files: readonly QueuedFile[], queuedAt: string): Promise<void> {
  for (let i = 0; i < files.length; i += 500) {
    await letheDb(adapter, tx)
      .insertInto('lethe_file_queue')
      .values(files.slice(i, i + 500).map((f) => ({ ...f, status: 'queued', queued_at: queuedAt, note: null })))
      .execute();
  }
}

/** A row's media path from its `files:` template; null when a column it needs is NULL or empty. */
export function renderPath(template: FilesTemplate, value: (column: string) => unknown): string | null {
  let path = '';
  for (const p of template.parts) {
    if ('literal' in p) {
      path += p.literal;
      continue;
    }
    const v = value(p.column);
    if (v === null || v === undefined || (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint')) return null;
    const s = String(v);
    if (s === '') return null;
    path += s;
  }
  return path;
}

/** A stored path relative to media_root, or why it may not be touched (lexical: no file system access). */
export function confine(mediaRoot: string, stored: string): { ok: true; rel: string; abs: string } | { ok: false; reason: string } {
  if (stored.includes('\0')) return { ok: false, reason: 'path contains a NUL byte' };
  const root = resolve(mediaRoot);
  const abs = resolve(root, stored);
  const rel = relative(root, abs);
  // `..hidden.wav` is a name inside the root; only `..` itself or `../…` leads out.
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { ok: false, reason: isAbsolute(stored) ? `an absolute path outside media_root (${abs})` : `resolves outside media_root (${abs})` };
  }
  return { ok: true, rel, abs };
}

export type UnlinkOutcome = 'removed' | 'missing' | { refused: string } | { error: string };

const PROC_FD = '/proc/self/fd';
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Folders a MediaUnlinker holds open at most; past it, it closes them all and starts again. */
const HELD_FOLDERS = 256;

/**
 * Unlinks files (paths already confined) under `root` without following any symlink on the
 * way: each folder is opened relative to the one before it, and the file is unlinked in the
 * last folder opened, which must still lie inside the root. Folders stay open for the next
 * files (one page of a drain): opening every folder of every file and resolving the root
 * again (twice) was about ten system calls a file besides its unlink, and 40,000 files in
 * four folders took 2.5-2.8 s, 1.1-1.2 s so. Where /proc is missing (not Linux), falls back
 * to resolving real paths just before each unlink. close() releases the folders.
 */
export class MediaUnlinker {
  readonly #root: string;
  readonly #held = new Map<string, number>();
  #realRoot: string | null = null;
  readonly #proc = existsSync(PROC_FD);

  constructor(root: string) {
    this.#root = root;
  }

  unlink(rel: string): UnlinkOutcome {
    if (!this.#proc) return unlinkByRealPath(this.#root, rel);
    const parts = rel.split(sep).filter((p) => p !== '' && p !== '.');
    const name = parts.pop();
    if (!name) return { refused: 'names media_root itself' };
    const folder = this.#folder(parts);
    if (typeof folder !== 'number') return folder;
    // The folder held open must still be inside the root: a folder moved out after it was
    // opened is not followed there.
    const held = readlinkSync(`${PROC_FD}/${folder}`);
    const realRoot = this.#realRoot!;
    if (held !== realRoot && !held.startsWith(realRoot + sep)) return { refused: 'its folder was moved outside media_root' };
    const target = `${PROC_FD}/${folder}/${name}`;
    let st;
    try {
      st = lstatSync(target);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : { error: `cannot stat: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
    }
    if (st.isDirectory()) return { refused: 'is a directory, not a media file' };
    try {
      // A symlink is unlinked itself; its target is never touched.
      unlinkSync(target);
      return 'removed';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? 'missing' : { error: `unlink failed: ${code ?? 'error'}` };
    }
  }

  close(): void {
    for (const fd of this.#held.values()) closeSync(fd);
    this.#held.clear();
  }

  /** The folder `parts` below the root, opened one step at a time without following symlinks (held), or why not. */
  #folder(parts: readonly string[]): number | Exclude<UnlinkOutcome, 'removed'> {
    if (this.#held.size > HELD_FOLDERS) this.close();
    let fd = this.#held.get('');
    if (fd === undefined) {
      try {
        this.#realRoot = realpathSync(this.#root);
        fd = openSync(this.#realRoot, DIR_FLAGS);
      } catch (err) {
        return { error: `cannot open media_root: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
      }
      this.#held.set('', fd);
    }
    let path = '';
    for (const dir of parts) {
      path += `${sep}${dir}`;
      let next = this.#held.get(path);
      if (next === undefined) {
        try {
          next = openSync(`${PROC_FD}/${fd}/${dir}`, DIR_FLAGS);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return 'missing';
          if (code === 'ELOOP' || code === 'ENOTDIR') return { refused: `a symlink leads outside media_root (${dir} is not a plain folder)` };
          return { error: `cannot open a folder on the path: ${code ?? 'error'}` };
        }
        this.#held.set(path, next);
      }
      fd = next;
    }
    return fd;
  }
}

function unlinkByRealPath(root: string, rel: string): UnlinkOutcome {
  const abs = resolve(root, rel);
  try {
    const realRoot = realpathSync(root);
    const realParent = realpathSync(resolve(abs, '..'));
    if (realParent !== realRoot && !realParent.startsWith(realRoot + sep)) return { refused: 'a symlink leads outside media_root' };
    if (lstatSync(abs).isDirectory()) return { refused: 'is a directory, not a media file' };
    unlinkSync(abs);
    return 'removed';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'missing' : { error: `unlink failed: ${code ?? 'error'}` };
  }
}

export interface DrainResult {
  removed: number;
  missing: number;
  /** Kept because a remaining row still names the file. */
  shared: number;
  refused: { path: string; reason: string; table: string; rowKey: KeyValue | null }[];
  errors: { path: string; message: string }[];
}

export interface DrainOptions {
  mediaRoot: string | null;
  at: string;
  policySha256: string;
  pageSize?: number;
  runId?: number;
  onAudit?: (e: AuditEntry) => void;
  /** Of the given absolute paths, those a row that is not being deleted still names. */
  stillNamed?: (abs: readonly string[]) => Promise<ReadonlySet<string>>;
}

/**
 * Unlinks queued files and records them: each group of files removed for one
 * (run, rule, stage, table) becomes one `file` audit entry in the same transaction that
 * clears their queue rows. Pages through the queue until nothing is left.
 */
export async function drainFileQueue(adapter: Adapter, opts: DrainOptions): Promise<DrainResult> {
  const result: DrainResult = { removed: 0, missing: 0, shared: 0, refused: [], errors: [] };
  if (opts.mediaRoot && !existsSync(opts.mediaRoot)) {
    // A wrong --media-root: every file would look "missing". Leave the queue for a right one.
    result.errors.push({ path: opts.mediaRoot, message: 'media_root does not exist; queued files are kept for the next drain' });
    return result;
  }
  const ldb = letheDb(adapter);
  let after = 0;
  for (;;) {
    await yieldToEventLoop();
    let q = ldb
      .selectFrom('lethe_file_queue')
      .selectAll()
      .where('status', 'in', ['queued', 'unlinking'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(opts.pageSize ?? 1000);
    if (opts.runId !== undefined) q = q.where('run_id', '=', opts.runId);
    const rows = await q.execute();
    if (rows.length === 0) break;
    after = Number(rows[rows.length - 1]!.id);

    const closed: { id: number; status: 'refused' | 'shared'; note: string }[] = [];
    const removed: Record<string, unknown>[] = [];
    const gone: number[] = [];
    const confined = rows.map((row) => ({ row, c: opts.mediaRoot ? confine(opts.mediaRoot, String(row.path)) : null }));
    const named = opts.stillNamed ? await opts.stillNamed(confined.flatMap(({ c }) => (c?.ok ? [c.abs] : []))) : new Set<string>();
    // Marked before the unlinks: a crash after an unlink but before its bookkeeping leaves the
    // row `unlinking`, and the next drain audits its missing file as removed (by that drain),
    // while a `queued` file that is missing was never touched by lethe.
    const toUnlink = confined.filter(({ row, c }) => c?.ok && !named.has(c.abs) && row.status === 'queued').map(({ row }) => Number(row.id));
    for (let i = 0; i < toUnlink.length; i += 500) {
      await ldb.updateTable('lethe_file_queue').set({ status: 'unlinking' }).where('id', 'in', toUnlink.slice(i, i + 500)).execute();
    }
    // A power cut must not undo the commit that deleted a file's row, or the mark, once the
    // file is gone: the row would be back without its file, and the file's loss unaudited.
    if (toUnlink.length) await adapter.syncCommits?.();
    // The page's folders stay open for its files, and are closed before its bookkeeping.
    let unlinker: MediaUnlinker | null = null;
    try {
      for (const { row, c } of confined) {
        const path = String(row.path);
        const refuse = (reason: string) => {
          closed.push({ id: Number(row.id), status: 'refused', note: reason });
          result.refused.push({ path, reason, table: String(row.table_name), rowKey: RowKey.decode(row.row_key) });
        };
        if (!c) {
          refuse('no media_root configured');
          continue;
        }
        if (!c.ok) {
          refuse(c.reason);
          continue;
        }
        if (named.has(c.abs)) {
          closed.push({ id: Number(row.id), status: 'shared', note: 'another row still names this file' });
          result.shared++;
          continue;
        }
        unlinker ??= new MediaUnlinker(opts.mediaRoot!);
        const outcome = unlinker.unlink(c.rel);
        if (outcome === 'removed' || (outcome === 'missing' && row.status === 'unlinking')) {
          result.removed++;
          removed.push(row);
        } else if (outcome === 'missing') {
          result.missing++;
          gone.push(Number(row.id));
        } else if ('refused' in outcome) refuse(outcome.refused);
        // Left queued: a permission problem today may be fixed by the next drain.
        else result.errors.push({ path, message: outcome.error });
      }
    } finally {
      unlinker?.close();
    }

    const written: AuditEntry[] = [];
    await adapter.transaction(async (tx) => {
      const ltx = letheDb(adapter, tx);
      for (const r of closed) await ltx.updateTable('lethe_file_queue').set({ status: r.status, note: r.note }).where('id', '=', r.id).execute();
      const groups = new Map<string, Record<string, unknown>[]>();
      for (const row of removed) {
        const k = [row.run_id, row.provider, row.rule, row.stage, row.table_name].join('\u0000');
        groups.set(k, [...(groups.get(k) ?? []), row]);
      }
      for (const g of groups.values()) {
        const first = g[0]!;
        const entry = await appendAudit(adapter, tx, {
          run_id: Number(first.run_id),
          at: opts.at,
          provider: String(first.provider),
          rule: String(first.rule),
          stage: Number(first.stage),
          table_name: String(first.table_name),
          action: 'file',
          cutoff: null,
          keys: g.map((r) => RowKey.decode(r.row_key)).filter((k): k is KeyValue => k !== null),
          policy_sha256: opts.policySha256,
        });
        written.push(entry);
      }
      const done = [...removed.map((r) => Number(r.id)), ...gone];
      for (let i = 0; i < done.length; i += 500) await ltx.deleteFrom('lethe_file_queue').where('id', 'in', done.slice(i, i + 500)).execute();
    });
    // Announced only after the commit: a log line never claims a file entry that rolled back.
    for (const e of written) opts.onAudit?.(e);
  }
  return result;
}
