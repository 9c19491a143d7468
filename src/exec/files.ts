/**
 * The file outbox. Paths are queued in lethe_file_queue inside the batch transaction that
 * deletes their rows, and unlinked only after that transaction commits; a crash in between
 * leaves them queued and the next drain finishes them. Unlinking is idempotent (a missing
 * file counts as removed), so a drain interrupted after unlink but before its bookkeeping
 * is simply repeated. A path that resolves outside media_root is refused, never touched.
 */
import { realpathSync, unlinkSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEntry } from '../audit/chain.js';
import type { Adapter } from '../store/types.js';

export interface QueuedFile {
  run_id: number;
  provider: string;
  rule: string;
  stage: number;
  table_name: string;
  row_id: number | string;
  path: string;
}

/** Inserts queue rows inside the caller's (batch) transaction. */
export async function queueFiles(tx: Kysely<any>, files: readonly QueuedFile[], queuedAt: string): Promise<void> {
  for (let i = 0; i < files.length; i += 500) {
    await tx
      .insertInto('lethe_file_queue')
      .values(files.slice(i, i + 500).map((f) => ({ ...f, status: 'queued', queued_at: queuedAt, note: null })))
      .execute();
  }
}

/** Where a stored path points, or why it may not be touched. */
export function confine(mediaRoot: string, stored: string): { ok: true; abs: string } | { ok: false; reason: string } {
  if (stored.includes('\0')) return { ok: false, reason: 'path contains a NUL byte' };
  const root = resolve(mediaRoot);
  const abs = resolve(root, stored);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    // `..hidden.wav` is a name inside the root; only `..` itself or `../…` leads out.
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  };
  if (!inside(abs, root)) return { ok: false, reason: `resolves outside media_root (${abs})` };
  // Symlinked folders could still lead out: compare real paths where they exist.
  try {
    const realRoot = realpathSync(root);
    const realParent = realpathSync(dirname(abs));
    if (realParent !== realRoot && !inside(realParent, realRoot)) return { ok: false, reason: `a symlink leads outside media_root (${realParent})` };
  } catch {
    // The folder is gone, so the file is too; unlink will report ENOENT, which counts as done.
  }
  return { ok: true, abs };
}

export interface DrainResult {
  removed: number;
  missing: number;
  refused: { path: string; reason: string; table: string; rowId: number | string }[];
  errors: { path: string; message: string }[];
}

/**
 * Unlinks queued files and records them: each group of files removed for one
 * (run, rule, stage, table) becomes one `file` audit entry in the same transaction that
 * clears their queue rows. `limit` bounds one call; callers loop until nothing is left.
 */
export async function drainFileQueue(
  adapter: Adapter,
  opts: { mediaRoot: string | null; at: string; policySha256: string; pageSize?: number; runId?: number; onAudit?: (e: AuditEntry) => void },
): Promise<DrainResult> {
  const result: DrainResult = { removed: 0, missing: 0, refused: [], errors: [] };
  let after = 0;
  for (;;) {
    await yieldToEventLoop();
    let q = adapter.db
      .selectFrom('lethe_file_queue')
      .selectAll()
      .where('status', '=', 'queued')
      .where('id', '>', after)
      .orderBy('id')
      .limit(opts.pageSize ?? 1000);
    if (opts.runId !== undefined) q = q.where('run_id', '=', opts.runId);
    const rows = await q.execute();
    if (rows.length === 0) break;
    after = Number(rows[rows.length - 1]!.id);

    const done: Record<string, unknown>[] = [];
    const refused: { id: number; note: string }[] = [];
    for (const row of rows) {
      const path = String(row.path);
      if (!opts.mediaRoot) {
        refused.push({ id: Number(row.id), note: 'no media_root configured' });
        result.refused.push({ path, reason: 'no media_root configured', table: String(row.table_name), rowId: row.row_id as number });
        continue;
      }
      const c = confine(opts.mediaRoot, path);
      if (!c.ok) {
        refused.push({ id: Number(row.id), note: c.reason });
        result.refused.push({ path, reason: c.reason, table: String(row.table_name), rowId: row.row_id as number });
        continue;
      }
      try {
        unlinkSync(c.abs);
        result.removed++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') result.missing++;
        else {
          // Left queued: a permission problem today may be fixed by the next drain.
          result.errors.push({ path, message: (err as Error).message });
          continue;
        }
      }
      done.push(row);
    }

    const written: AuditEntry[] = [];
    await adapter.transaction(async (tx) => {
      for (const r of refused) {
        await tx.updateTable('lethe_file_queue').set({ status: 'refused', note: r.note }).where('id', '=', r.id).execute();
      }
      const groups = new Map<string, Record<string, unknown>[]>();
      for (const row of done) {
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
          keys: g.map((r) => r.row_id as number),
          policy_sha256: opts.policySha256,
        });
        written.push(entry);
        const ids = g.map((r) => Number(r.id));
        for (let i = 0; i < ids.length; i += 500) {
          await tx.deleteFrom('lethe_file_queue').where('id', 'in', ids.slice(i, i + 500)).execute();
        }
      }
    });
    // Announced only after the commit: a log line never claims a file entry that rolled back.
    for (const e of written) opts.onAudit?.(e);
  }
  return result;
}
