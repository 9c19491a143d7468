/**
 * Prometheus metrics (prom-client), fed by core events. Its own registry, so tests and
 * embedders can run several daemons in one process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isRowAction } from '../audit/chain.js';
import type { EventBus } from '../events.js';
import { VERSION } from '../version.js';

export interface Metrics {
  registry: Registry;
  overdue: Gauge<'provider' | 'rule'>;
  requestsOverdue: Gauge<'provider'>;
  lastSuccess: Gauge<'provider'>;
  reloadFailures: Counter;
  leader: Gauge;
  chainOk: Gauge;
}

/** Creates the registry and subscribes its series to `events`. */
export function createMetrics(events: EventBus): Metrics {
  const registry = new Registry();
  // The default metrics are named process_… and nodejs_…: prefixed once, lethe_process_cpu_seconds_total.
  collectDefaultMetrics({ register: registry, prefix: 'lethe_' });
  const changed = new Counter({ name: 'lethe_rows_changed_total', help: 'Rows changed, by provider, rule and action (delete, anonymise, set, file).', labelNames: ['provider', 'rule', 'action'], registers: [registry] });
  const duration = new Histogram({ name: 'lethe_run_duration_seconds', help: 'Duration of enforcement runs.', labelNames: ['provider', 'status'], buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600], registers: [registry] });
  const lastSuccess = new Gauge({ name: 'lethe_last_success_timestamp_seconds', help: 'Unix time of the last run that finished ok, per provider.', labelNames: ['provider'], registers: [registry] });
  const overdue = new Gauge({ name: 'lethe_overdue_rows', help: 'Rows due now and not yet changed, per rule (read at start, then after each run).', labelNames: ['provider', 'rule'], registers: [registry] });
  const requestsOverdue = new Gauge({ name: 'lethe_requests_overdue', help: 'Data-subject requests past their deadline and not done (open or conflict), per provider (read at start, then after each run).', labelNames: ['provider'], registers: [registry] });
  const held = new Gauge({ name: 'lethe_held_rows', help: 'Due rows protected by a hold in the last run, per rule.', labelNames: ['provider', 'rule'], registers: [registry] });
  const blocked = new Gauge({ name: 'lethe_blocked_rows', help: 'Due rows whose delete was blocked by referencing rows in the last run, per rule.', labelNames: ['provider', 'rule'], registers: [registry] });
  const guarded = new Counter({ name: 'lethe_guarded_stages_total', help: 'Stages the mass-change guard stopped.', labelNames: ['provider', 'rule'], registers: [registry] });
  const runs = new Counter({ name: 'lethe_runs_total', help: 'Runs by provider and final status.', labelNames: ['provider', 'status'], registers: [registry] });
  const reloadFailures = new Counter({ name: 'lethe_policy_reload_failures_total', help: 'Edits of policies.yaml that failed validation (the last good policy stays in force).', registers: [registry] });
  const skipped = new Counter({ name: 'lethe_ticks_skipped_total', help: 'Scheduled ticks skipped (a run was still going, or not the leader).', labelNames: ['provider', 'reason'], registers: [registry] });
  const leader = new Gauge({ name: 'lethe_leader', help: '1 while this process holds the enforcer lease.', registers: [registry] });
  new Gauge({ name: 'lethe_build_info', help: 'Always 1; the labels say which lethe and Node.js are running.', labelNames: ['version', 'node'], registers: [registry] }).set({ version: VERSION, node: process.version }, 1);
  const chainOk = new Gauge({ name: 'lethe_audit_chain_ok', help: '1 when the audit chain verified at start, 0 when it did not.', registers: [registry] });

  events.on('purge', (e) => {
    if (isRowAction(e.action)) changed.inc({ provider: e.provider, rule: e.rule, action: e.action }, e.row_count);
  });
  events.on('stage:guarded', (e) => guarded.inc({ provider: e.provider, rule: e.rule }));
  events.on('stage:end', (e) => {
    held.set({ provider: e.provider, rule: e.rule }, e.held);
    blocked.set({ provider: e.provider, rule: e.rule }, e.blocked);
  });
  events.on('run:end', (r) => {
    const providers = [...new Set(r.stages.map((s) => s.provider))];
    for (const p of providers.length ? providers : ['all']) {
      duration.observe({ provider: p, status: r.status }, r.durationMs / 1000);
      runs.inc({ provider: p, status: r.status });
      if (r.status === 'ok' || r.status === 'dry_run') lastSuccess.set({ provider: p }, Date.parse(r.finishedAt) / 1000);
    }
  });
  events.on('reload:failed', () => reloadFailures.inc());
  events.on('tick:skipped', (e) => skipped.inc({ provider: e.provider, reason: e.reason }));
  return { registry, overdue, requestsOverdue, lastSuccess, reloadFailures, leader, chainOk };
}
