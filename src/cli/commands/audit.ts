/**
 * `lethe audit` (read and filter the log, find a row's entries, a subject's erasure record)
 * and `lethe audit verify` (recompute the chain, and check it against signed checkpoints).
 */
import { UsageError } from '../../errors.js';
import { rowToEntry, verifyChain, type AuditEntry } from '../../audit/chain.js';
import { loadPublicKey, verifyWithCheckpoints } from '../../audit/checkpoint.js';
import { containsText, namesRow, parseRowRef, parseSubject, subjectDocument, type SubjectDocument } from '../../audit/subject.js';
import { subjectHtml } from '../../audit/subject-html.js';
import { RowKey, type KeyValue } from '../../exec/row-key.js';
import { letheDb } from '../../store/lethe-tables.js';
import { parseClockValue } from '../../store/timestamps.js';
import { csv, outputFormat, table } from '../format.js';
import { checkFilter } from './run.js';
import type { Runtime } from '../context.js';

export interface AuditFlags {
  provider?: string;
  rule?: string;
  since?: string;
  until?: string;
  run?: string;
  format?: string;
  table?: string;
  key?: string;
  subject?: string;
}

const HEADERS = ['seq', 'run_id', 'at', 'provider', 'rule', 'stage', 'table_name', 'action', 'cutoff', 'row_count', 'keys', 'by', 'reason', 'policy_sha256', 'prev_hash', 'hash'] as const;

export async function auditCommand(rt: Runtime, f: AuditFlags): Promise<number> {
  // An unknown provider or rule is a typo (exit 2, with a suggestion), as it is for plan and run.
  checkFilter(rt, { provider: f.provider, rule: f.rule });
  const format = outputFormat(rt.json, f.format);
  if (f.subject !== undefined) return subjectCommand(rt, f, format);
  if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format: "${format}" is not one of table, json, csv${format === 'html' ? ' (html is for --subject)' : ''}`);
  if (f.key !== undefined && f.table === undefined) throw new UsageError('--key: name its table with --table');
  const row = f.table !== undefined && f.key !== undefined ? parseRowRef(rt.policy, rt.schema, rt.adapter, f.table, f.key, '--key') : null;
  const instant = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const d = parseClockValue(v, 'iso');
    if (!d) throw new UsageError(`--${flag}: "${v}" is not an ISO-8601 instant`);
    return d.toISOString();
  };
  const since = instant('since', f.since);
  const until = instant('until', f.until);
  if (f.run !== undefined && !/^\d+$/.test(f.run)) throw new UsageError(`--run: "${f.run}" is not a run id`);

  let q = letheDb(rt.adapter).selectFrom('lethe_audit').selectAll().orderBy('seq');
  if (f.provider) q = q.where('provider', '=', f.provider);
  if (f.rule) q = q.where('rule', '=', f.rule);
  if (since) q = q.where('at', '>=', since);
  if (until) q = q.where('at', '<', until);
  if (f.run) q = q.where('run_id', '=', Number(f.run));
  if (f.table !== undefined) q = q.where('table_name', '=', row?.table ?? f.table);
  // The key's JSON text narrows the scan in SQL; the exact match is made on the parsed keys.
  if (row) q = q.where(containsText('keys', RowKey.encode(row.key)));
  let entries = (await q.execute()).map(rowToEntry);
  if (row) entries = entries.filter((e) => namesRow(e, row));

  if (format === 'json') process.stdout.write(JSON.stringify(entries.map(entryJson), null, 2) + '\n');
  else if (format === 'csv') process.stdout.write(csv(HEADERS, entries.map((e) => HEADERS.map((h) => (h === 'keys' ? JSON.stringify(e.keys) : e[h])))));
  else {
    // Narrow enough for a terminal: the full record is in --json and --format csv.
    const short = entries.map((e) => [e.seq, e.run_id || null, e.at.slice(0, 19) + 'Z', e.action, e.provider, e.rule, e.table_name, e.row_count, abbreviateKeys(e.keys), e.by, e.hash.slice(0, 12)]);
    process.stdout.write(table(['seq', 'run', 'at', 'action', 'provider', 'rule', 'table', 'rows', 'keys', 'by', 'hash'], short));
  }
  return 0;
}

/** An entry as --json prints it: `refs` only where it was recorded. */
function entryJson(e: AuditEntry): Record<string, unknown> {
  const { refs, detail, ...rest } = e;
  return { ...rest, ...(detail ? { detail } : {}), ...(refs ? { refs } : {}) };
}

/** `audit --subject accounts:42`: the erasure record, as a table, JSON, CSV or a printable HTML document. */
async function subjectCommand(rt: Runtime, f: AuditFlags, format: string): Promise<number> {
  if (!['table', 'json', 'csv', 'html'].includes(format)) throw new UsageError(`--format: "${format}" is not one of table, json, csv, html`);
  if (f.table !== undefined || f.key !== undefined) throw new UsageError('--subject: use it alone, or --table with --key, not both');
  const subject = parseSubject(rt.policy, rt.schema, rt.adapter, f.subject ?? '');
  const now = rt.now ?? (await rt.adapter.dbNow());
  const doc = await subjectDocument(rt.adapter, rt.schema, rt.policy, subject, now.toISOString());
  if (format === 'json') process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else if (format === 'html') process.stdout.write(subjectHtml(doc));
  else if (format === 'csv') process.stdout.write(csv(SUBJECT_HEADERS, subjectRows(doc)));
  else {
    process.stdout.write(`erasure record of ${doc.subject.table} ${JSON.stringify(doc.subject.key)}, generated ${doc.generated_at}\n`);
    process.stdout.write(`row in the store now: ${doc.row_present === null ? 'unknown (table not in the store)' : doc.row_present ? 'yes' : 'no'}; audit chain: ${doc.chain.ok ? `verifies (${doc.chain.entries} entries, head ${doc.chain.head_seq})` : `DOES NOT VERIFY: ${doc.chain.problem}`}\n\n`);
    if (doc.entries.length === 0) process.stdout.write('no audit entry names this row or a row that referenced it\n');
    else process.stdout.write(table(['seq', 'at', 'action', 'provider', 'rule', 'table', 'keys', 'via', 'by', 'hash'], doc.entries.map((e) => [e.seq, e.at, e.action, e.provider, e.rule, e.table, abbreviateKeys(e.keys), e.via, e.by, e.hash.slice(0, 12)])));
  }
  return doc.chain.ok ? 0 : 1;
}

const SUBJECT_HEADERS = ['seq', 'at', 'action', 'provider', 'rule', 'stage', 'table', 'keys', 'via', 'by', 'reason', 'policy_sha256', 'hash'] as const;

function subjectRows(doc: SubjectDocument) {
  return doc.entries.map((e) => [e.seq, e.at, e.action, e.provider, e.rule, e.stage, e.table, JSON.stringify(e.keys), e.via, e.by, e.reason, e.policy_sha256, e.hash]);
}

function abbreviateKeys(keys: readonly KeyValue[]): string {
  const show = (k: KeyValue) => (Array.isArray(k) ? JSON.stringify(k) : String(k));
  return keys.length <= 6 ? keys.map(show).join(',') : `${keys.slice(0, 5).map(show).join(',')},… (${keys.length})`;
}

export async function auditVerifyCommand(rt: Runtime, f: { checkpoints?: string; publicKey?: string }): Promise<number> {
  if ((f.checkpoints === undefined) !== (f.publicKey === undefined)) throw new UsageError('audit verify: --checkpoints and --public-key go together (the folder of checkpoints, and the key that signed them)');
  if (f.checkpoints !== undefined) return verifyCheckpointsCommand(rt, f.checkpoints, f.publicKey!);
  const { hashes: _h, ...r } = await verifyChain(rt.adapter);
  if (rt.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else if (r.ok) process.stdout.write(`audit chain verifies: ${r.checked} entries (head seq ${r.last.seq}); without --checkpoints a removed tail or a rewritten chain can go unseen\n`);
  else process.stdout.write(`audit chain broken at seq ${r.firstBad}: ${r.reason} (${r.checked} entries before it verify)\n`);
  return r.ok ? 0 : 1;
}

async function verifyCheckpointsCommand(rt: Runtime, dir: string, publicKeyFile: string): Promise<number> {
  const r = await verifyWithCheckpoints(rt.adapter, dir, loadPublicKey(publicKeyFile));
  if (rt.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else {
    const c = r.chain;
    process.stdout.write(c.ok ? `audit chain verifies: ${c.checked} entries (head seq ${c.last.seq})\n` : `audit chain broken at seq ${c.firstBad}: ${c.reason} (${c.checked} entries before it verify)\n`);
    const cp = r.checkpoints;
    process.stdout.write(`checkpoints: ${cp.found} found, ${cp.matched} signed by the key and matching the chain${cp.latest ? `; latest seq ${cp.latest.seq} at ${cp.latest.at}` : ''}\n`);
    for (const p of cp.problems) process.stdout.write(`  ${p.file}: ${p.problem}\n`);
    process.stdout.write(r.ok ? 'verified against the checkpoints\n' : 'NOT verified\n');
  }
  return r.ok ? 0 : 1;
}
