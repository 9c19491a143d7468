/** `lethe audit` (read and filter the log) and `lethe audit verify` (recompute the chain). */
import { UsageError } from '../../errors.js';
import { rowToEntry, verifyChain } from '../../audit/chain.js';
import type { KeyValue } from '../../exec/row-key.js';
import { letheDb } from '../../store/lethe-tables.js';
import { parseClockValue } from '../../store/timestamps.js';
import { csv, table } from '../format.js';
import { checkFilter } from './run.js';
import type { Runtime } from '../context.js';

export interface AuditFlags {
  provider?: string;
  rule?: string;
  since?: string;
  until?: string;
  run?: string;
  format?: string;
}

const HEADERS = ['seq', 'run_id', 'at', 'provider', 'rule', 'stage', 'table_name', 'action', 'cutoff', 'row_count', 'keys', 'policy_sha256', 'prev_hash', 'hash'] as const;

export async function auditCommand(rt: Runtime, f: AuditFlags): Promise<number> {
  // An unknown provider or rule is a typo (exit 2, with a suggestion), as it is for plan and run.
  checkFilter(rt, { provider: f.provider, rule: f.rule });
  // --json means JSON, whatever --format says.
  const format = rt.json ? 'json' : (f.format ?? 'table');
  if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format: "${format}" is not one of table, json, csv`);
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
  const entries = (await q.execute()).map(rowToEntry);

  if (format === 'json') process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
  else if (format === 'csv') process.stdout.write(csv(HEADERS, entries.map((e) => HEADERS.map((h) => (h === 'keys' ? JSON.stringify(e.keys) : e[h])))));
  else {
    const short = entries.map((e) => [e.seq, e.run_id, e.at, e.provider, e.rule, e.stage, e.table_name, e.action, e.cutoff, e.row_count, abbreviateKeys(e.keys), e.hash.slice(0, 12)]);
    process.stdout.write(table(['seq', 'run', 'at', 'provider', 'rule', 'stage', 'table', 'action', 'cutoff', 'rows', 'keys', 'hash'], short));
  }
  return 0;
}

function abbreviateKeys(keys: readonly KeyValue[]): string {
  const show = (k: KeyValue) => (Array.isArray(k) ? JSON.stringify(k) : String(k));
  return keys.length <= 6 ? keys.map(show).join(',') : `${keys.slice(0, 5).map(show).join(',')},… (${keys.length})`;
}

export async function auditVerifyCommand(rt: Runtime): Promise<number> {
  const r = await verifyChain(rt.adapter);
  if (rt.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else if (r.ok) process.stdout.write(`audit chain verifies: ${r.checked} entries\n`);
  else process.stdout.write(`audit chain broken at seq ${r.firstBad}: ${r.reason} (${r.checked} entries before it verify)\n`);
  return r.ok ? 0 : 1;
}
