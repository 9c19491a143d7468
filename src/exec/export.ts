/**
 * Return before destroy (DESIGN 9): one customer's rows and media, written to a zip archive
 * under store.export_root. `exportSubject` exports a row and every row that reaches it
 * through foreign keys (`lethe export`, access requests); `exportRows` exports a set of keys
 * of one table the same way (a delete stage with `export_before: true`, inside its batch).
 *
 * Rows are read in keyset batches and spooled to files in a private folder beside the
 * archive, so memory follows the batch size, not the customer. The zip is written by yazl
 * (streamed, deflate, zip64 past 4 GiB; one small dependency) to a temporary 0600 file that
 * is renamed into place only when complete; its sha256 is taken of the bytes as written.
 *
 * Nothing here puts a row value into a message: errors name tables and keys only, and
 * media paths (which may hold numbers) stay inside the archive.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, fchmodSync, fstatSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readlinkSync, realpathSync, renameSync, rmSync, unlinkSync, existsSync, writeSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { ZipFile } from 'yazl';
import { ConfigError, UsageError } from '../errors.js';
import { syncFolder } from '../fs-durable.js';
import { enforceRules, type FilesTemplate, type Policy } from '../policy/model.js';
import { findTable, isUnique, reachingPaths, type Hop } from '../plan/fk-graph.js';
import { keyColumnsOf } from '../plan/planner.js';
import type { Adapter, ColumnInfo, SchemaInfo, TableInfo } from '../store/types.js';
import { VERSION } from '../version.js';
import { confine, renderPath } from './files.js';
import { KEY_CHUNK, RowKey, type KeyValue } from './row-key.js';
import { pathExists, T } from './sql-fragments.js';

export interface ExportResult {
  /** Absolute path of the archive. */
  path: string;
  /** sha256 (hex) of the archive file's bytes. */
  sha256: string;
  /** Rows written, per table (tables with none are left out). */
  rows: Record<string, number>;
  /** Media files written into the archive. */
  files: number;
  /** Media paths (relative to media_root) that rows name but that were not on disk. */
  missingFiles: string[];
}

/** Rows per read: the unit memory is bounded by. */
export const EXPORT_BATCH = 500;

/** What a set of keys of one table is, for exportRows. */
export interface ExportTarget {
  table: string;
  keyColumns: readonly ColumnInfo[];
  /** Canonical keys (as read from the store); any number, read in chunks. */
  keys: readonly KeyValue[];
}

export interface ExportOptions {
  now: Date;
  /** Leads the file name and is recorded in the manifest (e.g. `request-12`). */
  label?: string;
  /** Parts of the file name after the label and table (a key, a run and stage); made filesystem-safe here. */
  nameParts?: readonly string[];
  /** Extra manifest fields (what asked for the export). */
  about?: Record<string, unknown>;
  /** Rows per read (tests use small ones to cross batch boundaries). */
  batchSize?: number;
}

/**
 * Exports the row `tableName`/`key`, every row reaching it through foreign keys, and their
 * media. Refuses (UsageError) an unknown table or a row that does not exist, and
 * (ConfigError) a policy without an export root.
 */
export async function exportSubject(adapter: Adapter, policy: Policy, schema: SchemaInfo, db: Kysely<any>, tableName: string, key: KeyValue, opts: { now: Date; label?: string }): Promise<ExportResult> {
  requireExportRoot(policy);
  const t = findTable(schema, tableName);
  if (!t || isLetheTable(t.name)) throw new UsageError(`export: no table "${tableName}" in the store`);
  const keyColumns = keyColumnsOf(policy, schema, t.name);
  if (!keyColumns) throw new UsageError(`export: ${t.name} has no primary key and no rule gives it a \`key\`, so its rows cannot be named`);
  const rk = new RowKey(t.name, keyColumns, adapter);
  // The key as the store prints it, so the archive and the audit name the row one way.
  const found = (await sql<Record<string, unknown>>`select ${rk.select(T)} from ${sql.table(t.name)} as ${sql.id(T)} where ${rk.in(T, [key])}`.execute(db)).rows[0];
  if (!found) throw new UsageError(`export: ${t.name} has no row ${rk.describe(key)}`);
  const canonical = rk.fromRow(found);
  return exportRows(adapter, policy, schema, db, { table: t.name, keyColumns, keys: [canonical] }, {
    now: opts.now,
    ...(opts.label !== undefined ? { label: opts.label } : {}),
    nameParts: [rk.describe(canonical)],
    about: { kind: 'subject', key: canonical },
  });
}

/**
 * Exports the rows of `target.table` with `target.keys`, every row still reaching them, and
 * their media, into one archive. Reads through `db` (a batch's transaction, or the pool).
 */
export async function exportRows(adapter: Adapter, policy: Policy, schema: SchemaInfo, db: Kysely<any>, target: ExportTarget, opts: ExportOptions): Promise<ExportResult> {
  const root = requireExportRoot(policy);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const batch = opts.batchSize ?? EXPORT_BATCH;
  const stamp = opts.now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = [opts.label, target.table, ...(opts.nameParts ?? []), stamp, randomBytes(4).toString('hex')]
    .filter((p): p is string => p !== undefined && p !== '')
    .map(safeName)
    .join('-') + '.zip';
  const finalPath = join(root, name);
  const partial = join(root, `.${name}.partial`);
  // Spooled rows hold personal data too: a private folder beside the archive, removed at the end.
  const spool = mkdtempSync(join(root, '.spool-'));
  let fd: number | null = null;
  try {
    const tables: { table: string; rows: number; columns: string[] }[] = [];
    const media = new Map<string, { table: string; abs: string }>();
    const refused: { table: string; stored: string; reason: string }[] = [];
    const targetKey = new RowKey(target.table, target.keyColumns, adapter);
    for (const { table, paths } of reachingPaths(schema, target.table)) {
      const info = schema.tables.get(table);
      if (!info) continue;
      const pred = (keys: readonly KeyValue[]) => anyOf(paths.map((p) => reaches(adapter, targetKey, p, keys)));
      const templates = filesTemplates(policy, schema, table);
      const w = await spoolTable(adapter, policy, schema, db, info, target.keys, pred, spool, batch, (row) => {
        for (const tpl of templates) {
          const stored = renderPath(tpl, (c) => row[c]);
          if (stored === null) continue;
          const c = policy.store.mediaRoot ? confine(policy.store.mediaRoot, stored) : ({ ok: false, reason: 'no media_root configured' } as const);
          if (!c.ok) refused.push({ table, stored, reason: c.reason });
          else if (!media.has(c.rel)) media.set(c.rel, { table, abs: c.abs });
        }
      });
      if (w.rows > 0) tables.push({ table, rows: w.rows, columns: w.columns });
    }

    fd = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600);
    const zip = new ZipFile();
    const hash = createHash('sha256');
    const zipFailed = new Promise<never>((_resolve, reject) => zip.on('error', reject));
    zipFailed.catch(() => undefined);
    const written = pipeline(zip.outputStream, tee(hash), createWriteStream('', { fd, autoClose: false }));
    written.catch(() => undefined);
    const mtime = opts.now;
    for (const t of tables) {
      zip.addFile(join(spool, `${spoolName(t.table)}.json`), `${entryName(t.table)}.json`, { mtime, mode: 0o600 });
      zip.addFile(join(spool, `${spoolName(t.table)}.csv`), `${entryName(t.table)}.csv`, { mtime, mode: 0o600 });
    }
    const files: { path: string; table: string; bytes: number; sha256: string }[] = [];
    const missing: string[] = [];
    // One media file open at a time: each is read from a descriptor checked to lie under
    // media_root (no symlink out), hashed as yazl streams it in.
    for (const [rel, m] of [...media].sort(([a], [b]) => a.localeCompare(b))) {
      const opened = openMedia(policy.store.mediaRoot!, m.abs);
      if (opened === 'missing') {
        missing.push(rel);
        continue;
      }
      if ('refused' in opened) {
        refused.push({ table: m.table, stored: rel, reason: opened.refused });
        continue;
      }
      const h = createHash('sha256');
      const hasher = tee(h);
      const done = new Promise<void>((resolve, reject) => {
        hasher.on('end', resolve);
        hasher.on('error', reject);
      });
      zip.addReadStream(createReadStream('', { fd: opened.fd, autoClose: true, start: 0 }).pipe(hasher), `media/${rel.split(sep).join('/')}`, { mtime, mode: 0o600, compress: false, size: opened.size });
      await Promise.race([done, zipFailed, written]);
      files.push({ path: rel.split(sep).join('/'), table: m.table, bytes: opened.size, sha256: h.digest('hex') });
    }
    const rows = Object.fromEntries(tables.map((t) => [t.table, t.rows]));
    const manifest = {
      format: 'lethe-export/1',
      lethe: VERSION,
      exported_at: opts.now.toISOString(),
      label: opts.label ?? null,
      policy_sha256: policy.sha256,
      table: target.table,
      key_columns: target.keyColumns.map((c) => c.name),
      keys: target.keys,
      ...(opts.about ?? {}),
      rows,
      tables: tables.map((t) => ({ table: t.table, rows: t.rows, columns: t.columns, json: `${entryName(t.table)}.json`, csv: `${entryName(t.table)}.csv` })),
      tables_searched: reachingPaths(schema, target.table).map((r) => r.table),
      media: files,
      missing_files: missing,
      refused_files: refused,
    };
    zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2) + '\n'), 'manifest.json', { mtime, mode: 0o600 });
    zip.end();
    await Promise.race([written, zipFailed]);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(partial, finalPath);
    syncFolder(root);
    return { path: finalPath, sha256: hash.digest('hex'), rows, files: files.length, missingFiles: missing };
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
}

/** The export root, or a ConfigError saying how to set one. */
export function requireExportRoot(policy: Policy): string {
  if (!policy.store.exportRoot) throw new ConfigError('export: no export root is configured: set store.export_root in policies.yaml or LETHE_EXPORT_ROOT');
  return policy.store.exportRoot;
}

/** Removes an archive written for a batch that then failed (its rows were not deleted). */
export function discardExport(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function isLetheTable(name: string): boolean {
  return name.split('.').pop()!.startsWith('lethe_');
}

/** The `files:` templates of every rule on `table`, whatever the provider, once each: the media of its rows. */
export function filesTemplates(policy: Policy, schema: SchemaInfo, table: string): FilesTemplate[] {
  const out = new Map<string, FilesTemplate>();
  for (const r of enforceRules(policy)) if (r.files && (findTable(schema, r.table)?.name ?? r.table) === table) out.set(r.files.text, r.files);
  return [...out.values()];
}

function anyOf(preds: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  return preds.length === 1 ? preds[0]! : sql`(${sql.join(preds, sql` or `)})`;
}

/**
 * True for rows of alias t that reach one of `keys` along `path`. Where the last hop points
 * at the target's key itself, the key is matched on the referencing columns and the last
 * join is dropped: `t.account_id in (…)` is an index lookup on every engine, while a
 * correlated EXISTS into accounts makes MariaDB scan the child table.
 */
function reaches(adapter: Adapter, target: RowKey, path: readonly Hop[], keys: readonly KeyValue[]): RawBuilder<unknown> {
  const chunks = (k: RowKey, alias: string) => {
    const parts: RawBuilder<unknown>[] = [];
    for (let i = 0; i < keys.length; i += KEY_CHUNK) parts.push(k.in(alias, keys.slice(i, i + KEY_CHUNK)));
    return anyOf(parts);
  };
  if (path.length === 0) return chunks(target, T);
  const last = path[path.length - 1]!;
  const cols = target.columns.map((c) => last.columns[last.refColumns.indexOf(c.name)]);
  if (last.refColumns.length === target.columns.length && cols.every((c): c is string => c !== undefined)) {
    const child = new RowKey(last.fromTable, target.columns.map((c, j) => ({ ...c, name: cols[j]! })), adapter);
    return pathExists(path.slice(0, -1), (a) => chunks(child, a));
  }
  return pathExists(path, (a) => chunks(target, a));
}

/**
 * Reads the rows of `info` that `pred(keys)` selects and spools them as `<table>.json` (an
 * array) and `<table>.csv` (RFC 4180). A table with a unique key is read in keyset batches;
 * one without is paged by offset, ordered by its comparable columns.
 */
async function spoolTable(
  adapter: Adapter,
  policy: Policy,
  schema: SchemaInfo,
  db: Kysely<any>,
  info: TableInfo,
  keys: readonly KeyValue[],
  pred: (keys: readonly KeyValue[]) => RawBuilder<unknown>,
  spool: string,
  batch: number,
  onRow: (row: Record<string, unknown>) => void,
): Promise<{ rows: number; columns: string[] }> {
  const keyColumns = keyColumnsOf(policy, schema, info.name);
  const key = keyColumns && isUnique(info, keyColumns.map((c) => c.name)) ? new RowKey(info.name, keyColumns, adapter) : null;
  const where = pred(keys);
  const from = sql`${sql.table(info.name)} as ${sql.id(T)}`;
  const KEY_AS = '__lethe_k';
  let json: number | null = null;
  let csv: number | null = null;
  let columns: string[] = [];
  let rows = 0;
  try {
    let cursor: KeyValue | null = null;
    for (let offset = 0; ; offset += batch) {
      let page: Record<string, unknown>[];
      if (key) {
        const after = cursor === null ? sql`1 = 1` : key.after(T, cursor);
        page = (await sql<Record<string, unknown>>`select ${key.select(T, KEY_AS)}, ${sql.ref(`${T}`)}.* from ${from} where ${where} and ${after} order by ${key.orderBy(T)} limit ${batch}`.execute(db)).rows;
        if (page.length) cursor = key.fromRow(page[page.length - 1]!, KEY_AS);
      } else {
        const order = [...info.columns.values()].filter((c) => c.kind !== 'other' && c.kind !== 'binary').map((c) => sql.ref(`${T}.${c.name}`));
        const orderBy = order.length ? sql` order by ${sql.join(order)}` : sql``;
        page = (await sql<Record<string, unknown>>`select ${sql.ref(`${T}`)}.* from ${from} where ${where}${orderBy} limit ${batch} offset ${offset}`.execute(db)).rows;
      }
      if (page.length === 0) break;
      if (json === null) {
        columns = Object.keys(page[0]!).filter((c) => !c.startsWith(KEY_AS));
        json = openSync(join(spool, `${spoolName(info.name)}.json`), 'wx', 0o600);
        csv = openSync(join(spool, `${spoolName(info.name)}.csv`), 'wx', 0o600);
        writeSync(json, '[');
        writeSync(csv, columns.map(csvCell).join(',') + '\r\n');
      }
      let jsonText = '';
      let csvText = '';
      for (const raw of page) {
        const row: Record<string, unknown> = {};
        for (const c of columns) row[c] = jsonSafe(raw[c]);
        onRow(raw);
        jsonText += (rows === 0 ? '\n' : ',\n') + JSON.stringify(row);
        csvText += columns.map((c) => csvCell(row[c])).join(',') + '\r\n';
        rows++;
      }
      writeSync(json, jsonText);
      writeSync(csv!, csvText);
      if (page.length < batch) break;
    }
    if (json !== null) writeSync(json, '\n]\n');
    return { rows, columns };
  } finally {
    if (json !== null) closeSync(json);
    if (csv !== null) closeSync(csv);
  }
}

/** A value as JSON can hold it: instants as ISO-8601 UTC, bytes as base64, big integers as text. */
export function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A file-name part: letters, digits, dot, underscore and hyphen only, at most 64 characters. */
function safeName(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '_').slice(0, 64);
  return out || '_';
}

/** An archive entry's name for a table (`public.calls` stays readable; no path separators). */
function entryName(table: string): string {
  return table.replace(/[/\\]/g, '_');
}

function spoolName(table: string): string {
  return Buffer.from(table).toString('hex');
}

/** A pass-through stream that feeds a hash. */
function tee(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

const PROC_FD = '/proc/self/fd';

/**
 * Opens a media file for reading only if what is opened lies under media_root: the last
 * component is opened without following a symlink, and the descriptor's real path is checked
 * against the root's (a folder on the way that is a symlink out is refused, not read).
 */
function openMedia(root: string, abs: string): 'missing' | { refused: string } | { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (code === 'ELOOP') return { refused: 'is a symlink' };
    return { refused: `cannot open: ${code ?? 'error'}` };
  }
  try {
    const realRoot = realpathSync(root);
    const held = existsSync(PROC_FD) ? readlinkSync(`${PROC_FD}/${fd}`) : realpathSync(abs);
    if (!held.startsWith(realRoot + sep)) {
      closeSync(fd);
      return { refused: 'a symlink leads outside media_root' };
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return { refused: 'is not a regular file' };
    }
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    return { refused: `cannot check: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

