/**
 * pino JSON logs, and the bridge from core events to log lines. Log lines carry keys,
 * counts, rule ids and cutoffs — never the personal values of a row.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { EventBus, LetheEvents } from './events.js';

export type { Logger };

/**
 * A logger writing to `fd` (1 = stdout, 2 = stderr): JSON lines, or human-readable lines
 * when LOG_PRETTY=1 (or LOG_PRETTY unset and the stream is a terminal). LOG_PRETTY=0
 * forces JSON on a terminal.
 */
export function createLogger(opts: { fd?: 1 | 2; level?: string } = {}): Logger {
  const fd = opts.fd ?? 1;
  const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const wantPretty = process.env.LOG_PRETTY === '1' || (process.env.LOG_PRETTY === undefined && tty === true);
  const options = { level: opts.level ?? process.env.LOG_LEVEL ?? 'info', base: { app: 'lethe' }, timestamp: pino.stdTimeFunctions.isoTime };
  // Pretty lines are for a person watching a terminal: one line per event (a purge of
  // thousands of rows must not print thousands of lines, burying the one guard error), with
  // the key list cut short. The JSON lines keep every key: they are the audit's log copy.
  const stream = wantPretty
    ? pretty({ destination: fd, sync: true, colorize: tty === true, ignore: 'pid,hostname,app', translateTime: 'SYS:standard', singleLine: true, errorLikeObjectKeys: ['err'], customPrettifiers: { keys: (v: unknown) => abbreviateKeys(v) } })
    : pino.destination({ fd, sync: true });
  return pino(options, stream);
}

/** A key list for a pretty log line: the first `shown` keys, then an ellipsis and the count, e.g. `1, 2, 3, 4, 5, … (4,474)`. */
export function abbreviateKeys(keys: unknown, shown = 5): string {
  if (!Array.isArray(keys)) return typeof keys === 'string' ? keys : JSON.stringify(keys);
  if (keys.length === 0) return 'none';
  const one = (k: unknown) => (typeof k === 'number' || typeof k === 'string' ? String(k) : JSON.stringify(k));
  const head = keys.slice(0, shown).map(one).join(', ');
  return keys.length <= shown ? head : `${head}, … (${keys.length.toLocaleString('en-US')})`;
}

/** Logs the core's events: run:start, purge (one per audit entry the run writes, its policy and force entries included), guarded stages, run:end. */
export function logEvents(events: EventBus, log: Logger): void {
  events.on('run:start', (e) => log.info({ event: 'run:start', run_id: e.runId, trigger: e.trigger, now: e.now, provider: e.provider, dry_run: e.dryRun }, 'run started'));
  events.on('purge', (e) =>
    log.info(
      { event: 'purge', seq: e.seq, run_id: e.run_id, at: e.at, provider: e.provider, rule: e.rule, stage: e.stage, table_name: e.table_name, action: e.action, cutoff: e.cutoff, row_count: e.row_count, keys: e.keys, policy_sha256: e.policy_sha256, hash: e.hash, ...(e.by ? { by: e.by } : {}), ...(e.reason ? { reason: e.reason } : {}) },
      'purge',
    ),
  );
  events.on('batch', (e) => log.debug({ event: 'batch', ...e }, 'batch'));
  events.on('stage:guarded', (e) =>
    log.error({ event: 'guarded', run_id: e.runId, provider: e.provider, rule: e.rule, stage: e.stage, table: e.table, due: e.guard?.due, total: e.guard?.total }, 'stage not run: the guard stopped a mass change (review it with lethe plan --save, then lethe approve)'),
  );
  events.on('stage:refused', (e) => log.error({ event: 'stage:refused', run_id: e.runId, provider: e.provider, rule: e.rule, stage: e.stage, table: e.table, error: e.error }, 'stage refused: its clock column does not hold what the rule says; nothing was changed'));
  events.on('stage:end', (e) => {
    if (e.status === 'failed') log.error({ event: 'stage:failed', run_id: e.runId, provider: e.provider, rule: e.rule, stage: e.stage, error: e.error }, 'stage failed');
  });
  events.on('file:refused', (e) => log.error({ event: 'file:refused', table: e.table, row_key: e.rowKey, reason: e.reason }, 'file not deleted: refused'));
  events.on('file:missing', (e) => log.warn({ event: 'file:missing', count: e.count }, 'files of deleted rows were already gone (check media_root if this is unexpected)'));
  events.on('file:shared', (e) => log.info({ event: 'file:shared', count: e.count }, 'files kept: rows that stay still name them'));
  events.on('file:error', (e) => log.error({ event: 'file:error', error: e.message }, 'file not deleted: unlink failed; it stays queued for the next drain'));
  // Requests name their row by key only; kept and deleted rows are counted per table.
  const requestFields = (e: LetheEvents['request:done']) => ({ run_id: e.runId, request_id: e.id, provider: e.provider, kind: e.kind, table: e.table, key: e.key, status: e.status, deleted: e.deleted, ...(e.export ? { export: { path: e.export.path, sha256: e.export.sha256 } } : {}), dry_run: e.dryRun });
  events.on('request:done', (e) => log.info({ event: 'request:done', ...requestFields(e) }, 'data-subject request carried out'));
  events.on('request:conflict', (e) =>
    log.warn({ event: 'request:conflict', ...requestFields(e), kept: Object.fromEntries(Object.entries(e.kept).map(([t, k]) => [t, { held: k.held, retained: k.retained, referenced: k.referenced }])) }, 'erasure request not complete: held, retained or still referenced rows were kept; it is retried next run'),
  );
  events.on('request:failed', (e) => log.error({ event: 'request:failed', ...requestFields(e), error: e.error }, 'data-subject request not carried out this run; it stays open'));
  events.on('run:end', (r) =>
    log[r.status === 'failed' ? 'error' : 'info'](
      { event: 'run:end', run_id: r.runId, status: r.status, now: r.now, due: r.due, changed: r.changed, held: r.held, blocked: r.blocked, guarded: r.guarded, files: r.files, duration_ms: Math.round(r.durationMs), error: r.error },
      'run finished',
    ),
  );
  events.on('checkpoint', (c) => log.info({ event: 'checkpoint', seq: c.seq, hash: c.hash, at: c.at, run_id: c.run_id, key_id: c.key_id, signature: c.signature, file: c.file }, 'audit checkpoint signed'));
  events.on('checkpoint:failed', (e) => log.error({ event: 'checkpoint:failed', run_id: e.runId, error: e.message }, 'audit checkpoint not written'));
  events.on('listener:error', (e) => log.warn({ event: 'listener:error', failed_event: e.event, message: e.message }, 'an event listener failed'));
}
