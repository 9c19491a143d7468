/** `lethe export <table> <key>`: one customer's rows and media to an archive, audited (DESIGN 9). */
import { actor, recordAct } from '../../audit/acts.js';
import { UsageError } from '../../errors.js';
import { discardExport, exportSubject, requireExportRoot } from '../../exec/export.js';
import { RowKey } from '../../exec/row-key.js';
import { findTable } from '../../plan/fk-graph.js';
import { keyColumnsOf } from '../../plan/planner.js';
import { isoUtc } from '../../store/timestamps.js';
import type { Runtime } from '../context.js';
import { byFlag } from './hold.js';

export async function exportCommand(rt: Runtime, tableName: string, id: string, f: { by?: string; reason?: string }): Promise<number> {
  // Refused before anything is read or written.
  requireExportRoot(rt.policy);
  const t = findTable(rt.schema, tableName);
  if (!t || t.name.split('.').pop()!.startsWith('lethe_')) throw new UsageError(`export: no table "${tableName}" in the store`);
  const keyColumns = keyColumnsOf(rt.policy, rt.schema, t.name);
  if (!keyColumns) throw new UsageError(`export: ${t.name} has no primary key and no rule gives it a \`key\`, so its rows cannot be named`);
  const key = new RowKey(t.name, keyColumns, rt.adapter);
  const wanted = key.parseInput(id, 'export');
  if (f.reason !== undefined && !f.reason.trim()) throw new UsageError('export: --reason is empty');
  const by = actor(byFlag(f.by, 'export'), rt.env);
  const now = rt.now ?? (await rt.adapter.dbNow());

  const result = await exportSubject(rt.adapter, rt.policy, rt.schema, rt.adapter.db, t.name, wanted, { now });
  let seq: number;
  try {
    // The archive's sha256 goes into the chain: whoever holds the file can show it is the one exported.
    const entry = await recordAct(rt.adapter, {
      action: 'export',
      at: isoUtc(now),
      by,
      reason: f.reason?.trim() ?? null,
      policySha256: rt.policy.sha256,
      table: t.name,
      keys: [wanted],
      detail: { path: result.path, sha256: result.sha256, rows: result.rows, files: result.files },
    });
    seq = entry.seq;
  } catch (err) {
    // No archive without its audit entry.
    discardExport(result.path);
    throw err;
  }
  const missing = result.missingFiles.length;
  if (rt.json) {
    process.stdout.write(JSON.stringify({ table: t.name, key: wanted, path: result.path, sha256: result.sha256, rows: result.rows, files: result.files, missing_files: missing, by, audit_seq: seq }) + '\n');
  } else {
    const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
    process.stdout.write(`exported ${t.name} ${key.describe(wanted)}: ${rows} row(s) in ${Object.keys(result.rows).length} table(s), ${result.files} file(s)\n${result.path}\nsha256 ${result.sha256}\n`);
  }
  // Media paths can hold numbers: only the count goes to the terminal; the manifest lists them.
  if (missing) process.stderr.write(`lethe: export: ${missing} media file(s) named by the rows were not on disk (listed in the archive's manifest.json)\n`);
  return 0;
}
