/**
 * `lethe start`: the daemon. A thin shell around the core: one node-cron job per provider
 * on its schedule and time zone; runs never overlap (a tick that comes while a run is going
 * is skipped and logged); only the holder of the enforcer lease enforces; policies.yaml is
 * re-validated on change or SIGHUP and a bad edit leaves the last good policy in force;
 * SIGTERM/SIGINT stop after the current batch, a second signal forces the exit.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:http';
import { basename, dirname } from 'node:path';
import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { runEnforcement } from '../../jobs/enforce.js';
import { drainFiles } from '../../jobs/drain-files.js';
import { refreshOverdue } from '../../jobs/report.js';
import { refreshRequestsOverdue } from '../../jobs/requests-overdue.js';
import { verifyAudit } from '../../jobs/verify-audit.js';
import { configPath, introspectFor, openRuntime, refuseFutureNow, storeUrl, type GlobalOptions, type Runtime } from '../cli/context.js';
import { redact } from '../store/open.js';
import { ConfigError, StoreError, formatProblem } from '../errors.js';
import { EventBus } from '../events.js';
import { loadHmacKey } from '../exec/anonymise.js';
import type { RunResult } from '../exec/outcomes.js';
import { logEvents } from '../log.js';
import { Lease, leaseTtlMs, newHolderId } from '../lease.js';
import { loadPolicyFile } from '../policy/load.js';
import { liveCheck } from '../policy/live-check.js';
import { needsHmacKey, type Policy } from '../policy/model.js';
import { closeAbandonedRuns, slotClaimed } from '../runs.js';
import { isoUtc } from '../store/timestamps.js';
import { actor } from '../audit/acts.js';
import { guardKeptMessage, guardsInForce, stricterGuards, type GuardKept } from '../audit/guard-floor.js';
import { approvedStages } from '../audit/approvals.js';
import { loadSigner, type Signer } from '../audit/checkpoint.js';
import { overdueByRule } from '../cli/commands/report.js';
import { letheDb } from '../store/lethe-tables.js';
import { startHttp } from './http.js';
import { createMetrics, type Metrics } from './metrics.js';

export interface DaemonOptions {
  global: GlobalOptions;
  env: NodeJS.ProcessEnv;
  log: Logger;
  runNow: boolean;
  port: number;
  host: string;
}

export class Daemon {
  readonly events = new EventBus();
  readonly metrics: Metrics;
  #rt!: Runtime;
  #policy!: Policy;
  #tasks: ScheduledTask[] = [];
  #running: Promise<RunResult | null> | null = null;
  #stopping = false;
  #stopPromise: Promise<void> | null = null;
  #http: Server | null = null;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #leaseTimer: NodeJS.Timeout | null = null;
  #lease!: Lease;
  #signer: Signer | null = null;
  /** Who the daemon's entries name: the OS user it runs as. */
  #by = '';
  /** The policy as the file says, while a stricter guard is kept in force instead (until an approval). */
  #filePolicy: Policy | null = null;
  /** What /readyz says until the store is reached. */
  #connecting: Record<string, unknown> = { store: 'connecting' };
  /** Another process held the lease at the last renewal (logged once as lease:standby). */
  #standby = false;
  /** The file's last edit was rejected: a return to the policy in force is logged as reload:recovered. */
  #reloadFailed = false;
  /** Ends the wait between two attempts to reach the store (stop() calls it). */
  #wake: (() => void) | null = null;

  constructor(private readonly opts: DaemonOptions) {
    this.metrics = createMetrics(this.events);
    logEvents(this.events, opts.log);
  }

  get policy(): Policy {
    return this.#policy;
  }

  /**
   * Starts HTTP, then opens the store (retrying while it cannot be reached), validates the
   * policy, takes the lease if free and starts the schedules. Resolves early, with nothing
   * scheduled, when stop() comes while the store is still being retried.
   */
  async start(): Promise<void> {
    const { log, env } = this.opts;
    // HTTP first, so /healthz answers and /readyz says "not ready" while the store is retried.
    this.#http = await startHttp(this.opts.port, this.opts.host, {
      registry: this.metrics.registry,
      ready: async () => {
        if (!this.#rt || !this.#lease) return { ok: false, detail: this.#connecting };
        try {
          await this.#rt.adapter.dbNow();
          return { ok: !this.#stopping, detail: { policy_sha256: this.#policy.sha256, leader: this.#lease.token !== null } };
        } catch (err) {
          return { ok: false, detail: { error: (err as Error).message } };
        }
      },
      ui: () => (this.#rt ? { adapter: this.#rt.adapter, current: () => ({ policy: this.#policy, schema: this.#rt.schema }), now: this.#rt.now, signer: this.#signer, token: env.LETHE_UI_TOKEN || null, log } : null),
    });
    const addr = this.#http.address();
    log.info({ event: 'http', port: typeof addr === 'object' && addr ? addr.port : this.opts.port }, 'serving /healthz, /readyz, /metrics and the web view at /ui');
    if (!env.LETHE_UI_TOKEN) log.warn({ event: 'ui:open', host: this.opts.host }, 'the web view at /ui is unauthenticated: anyone who can reach this port can read the audit log; set LETHE_UI_TOKEN, or bind to loopback with --host 127.0.0.1');

    const rt = await this.#connect();
    if (!rt) return;
    this.#connecting = { store: 'starting' };
    this.#rt = rt;
    await refuseFutureNow(this.#rt, this.opts.global, 'start');
    this.#policy = this.#rt.policy;
    for (const w of this.#rt.warnings) log.warn({ event: 'policy:warning', problem: formatProblem(w) }, 'policy warning');
    if (needsHmacKey(this.#policy)) loadHmacKey(env);
    this.#signer = loadSigner(env);
    this.#by = actor(undefined, env);
    // A restart does not loosen the guards the chain last recorded either.
    this.#keepStricter(await guardsInForce(this.#rt.adapter, this.#policy, this.#rt.now ?? (await this.#rt.adapter.dbNow())), this.#policy, 'start');

    this.#lease = new Lease(this.#rt.adapter, newHolderId(), leaseTtlMs(env));
    await this.#renewLease();
    this.#leaseTimer = setInterval(() => void this.#renewLease(), Math.max(500, Math.floor(this.#lease.ttlMs / 3)));

    // Runs a killed process left open, and files it left queued: their rows are already gone and audited.
    if (this.#lease.token !== null) await closeAbandonedRuns(this.#rt.adapter, isoUtc(new Date()));
    if (this.#lease.token !== null) await drainFiles(this.#rt.adapter, this.#policy, this.#rt.schema, this.events, isoUtc(this.#rt.now ?? (await this.#rt.adapter.dbNow())));

    this.metrics.chainOk.set((await verifyAudit(this.#rt.adapter, log)).ok ? 1 : 0);
    await this.#restoreMetrics();
    if (this.#stopping) return;
    this.#schedule();
    this.#watch();
    log.info({ event: 'started', policy: this.#policy.file, policy_sha256: this.#policy.sha256, store: this.#rt.adapter.description, providers: this.#policy.providers.map((p) => ({ id: p.id, schedule: p.schedule, timezone: p.timezone })) }, 'lethe started');
    if (this.opts.runNow) void this.#runOnce(null, null);
  }

  /**
   * Opens the runtime. A store that cannot be reached at all is retried with doubling delays
   * (LETHE_RETRY_INITIAL_MS, default 1 s, up to LETHE_RETRY_MAX_MS, default 30 s), each
   * failure a warn line; anything else (a bad policy, a schema the policy does not match)
   * throws at once. Resolves null when stop() comes first.
   */
  async #connect(): Promise<Runtime | null> {
    const { log, env, global: g } = this.opts;
    const { initialMs, maxMs } = retryDelays(env);
    let delay = initialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const rt = await openRuntime(g, env, { enforces: true });
        if (this.#stopping) {
          await rt.adapter.close().catch(() => undefined);
          return null;
        }
        if (attempt > 1) log.info({ event: 'store:reached', attempt }, 'the store answers; starting');
        return rt;
      } catch (err) {
        if (this.#stopping) return null;
        if (!(err instanceof StoreError && err.unreachable)) throw err;
        const store = maskedStoreUrl(g, env);
        this.#connecting = { store: 'unreachable', attempts: attempt, error: err.message };
        log.warn({ event: 'store:unreachable', attempt, retry_in_ms: delay, store, error: err.message }, `cannot reach the store; retrying in ${delay} ms (lethe stays up, not ready)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
        if (this.#stopping) return null;
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  /**
   * After a restart, sets the series an alert watches from the store, so they exist
   * before the first run (which may be a day away): the last run that finished ok per
   * provider (a run for all providers counts for each), the overdue rows per rule as
   * `lethe report` computes them, and the data-subject requests past their deadline per
   * provider.
   */
  async #restoreMetrics(): Promise<void> {
    const rt = this.#rt;
    const policy = this.#policy;
    try {
      for (const p of policy.providers) {
        const last = await letheDb(rt.adapter)
          .selectFrom('lethe_runs')
          .select('finished_at')
          .where((eb) => eb.or([eb('provider', '=', p.id), eb('provider', 'is', null)]))
          .where('status', '=', 'ok')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        const at = last?.finished_at as unknown;
        const ms = at instanceof Date ? at.getTime() : at ? Date.parse(String(at)) : NaN;
        if (Number.isFinite(ms)) this.metrics.lastSuccess.set({ provider: p.id }, ms / 1000);
      }
      for (const r of await overdueByRule({ adapter: rt.adapter, schema: rt.schema, policy, now: rt.now })) this.metrics.overdue.set({ provider: r.provider, rule: r.rule }, r.overdue);
    } catch (err) {
      this.opts.log.warn({ event: 'metrics:error', error: (err as Error).message }, 'could not restore lethe_last_success_timestamp_seconds and lethe_overdue_rows from the store; they appear after the first run');
    }
    try {
      await refreshRequestsOverdue(rt.adapter, policy, this.metrics.requestsOverdue, rt.now ?? (await rt.adapter.dbNow()));
    } catch (err) {
      this.opts.log.warn({ event: 'metrics:error', error: (err as Error).message }, 'could not restore lethe_requests_overdue from the store; it appears after the first run');
    }
  }

  async #renewLease(): Promise<void> {
    try {
      const had = this.#lease.token !== null;
      const r = await this.#lease.acquire();
      this.metrics.leader.set(r.ok ? 1 : 0);
      if (r.ok && !had) this.opts.log.info({ event: 'lease:acquired', holder: this.#lease.holder, token: r.token }, 'this process is now the enforcer');
      if (!r.ok && had) this.opts.log.warn({ event: 'lease:lost', holder: r.holder }, 'the enforcer lease passed to another process');
      if (!r.ok && !had && !this.#standby) this.opts.log.info({ event: 'lease:standby', holder: r.holder }, 'another process holds the enforcer lease: this one is a standby, and takes over if that one stops or dies');
      this.#standby = !r.ok;
    } catch (err) {
      this.opts.log.error({ event: 'lease:error', error: (err as Error).message }, 'could not renew the enforcer lease');
    }
  }

  #schedule(): void {
    for (const t of this.#tasks) void t.destroy();
    this.#tasks = this.#policy.providers.map((p) =>
      schedule(p.schedule, (ctx) => this.#tick(p.id, ctx.date), { timezone: p.timezone, name: `lethe:${p.id}` }),
    );
  }

  #tick(provider: string, at: Date): void {
    if (this.#stopping) return;
    const tick = new Date(Math.floor(at.getTime() / 1000) * 1000);
    void this.#runOnce(provider, `${provider}@${isoUtc(tick)}`);
  }

  #skip(provider: string | null, reason: 'overlap' | 'not_leader' | 'slot_taken', detail: string, slot: string | null): void {
    this.events.emit('tick:skipped', { provider: provider ?? 'all', reason });
    this.opts.log[reason === 'overlap' ? 'warn' : 'info']({ event: 'tick:skipped', provider, slot, reason, detail }, `run skipped: ${detail}`);
  }

  /** One run (one provider, or all with null), unless another is going. */
  async #runOnce(provider: string | null, slot: string | null): Promise<RunResult | null> {
    if (this.#stopping) return null;
    if (this.#running) {
      this.#skip(provider, 'overlap', 'a run is still going; runs never overlap', slot);
      return null;
    }
    if (this.#lease.token === null) {
      this.#skip(provider, 'not_leader', 'another process holds the enforcer lease', slot);
      return null;
    }
    const rt = this.#rt;
    const work = (async () => {
      await this.#approvedGuards();
      const policy = this.#policy; // a reload during the run does not change the run's policy
      if (slot && (await slotClaimed(rt.adapter, slot))) {
        this.#skip(provider, 'slot_taken', 'this slot already ran', slot);
        return null;
      }
      const schema = await introspectFor(rt.adapter, policy);
      const result = await runEnforcement(rt.adapter, policy, schema, {
        trigger: 'schedule',
        filter: provider ? { provider } : {},
        now: rt.now,
        env: this.opts.env,
        events: this.events,
        shouldStop: () => this.#stopping || this.#lease.token === null,
        fence: this.#lease,
        slot,
        by: this.#by,
        signer: this.#signer,
      });
      await refreshOverdue(rt.adapter, policy, schema, this.metrics.overdue, provider, result.now).catch((err: Error) =>
        this.opts.log.warn({ event: 'metrics:error', error: err.message }, 'could not refresh overdue rows'),
      );
      // At the run's now, after the run (which may have carried requests out).
      if (result.now) {
        await refreshRequestsOverdue(rt.adapter, policy, this.metrics.requestsOverdue, new Date(result.now)).catch((err: Error) =>
          this.opts.log.warn({ event: 'metrics:error', error: err.message }, 'could not refresh overdue requests'),
        );
      }
      return result;
    })();
    this.#running = work;
    try {
      return await work;
    } catch (err) {
      this.opts.log.error({ event: 'run:error', error: (err as Error).message }, 'run failed to start');
      return null;
    } finally {
      this.#running = null;
    }
  }

  #watch(): void {
    const file = this.#policy.file;
    // Editors replace files by rename, which ends a watch on the file itself: watch its folder.
    try {
      this.#watcher = watch(dirname(file), (_event, name) => {
        if (name && name.toString() !== basename(file)) return;
        if (this.#debounce) clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => void this.reload('watch'), 300);
      });
    } catch (err) {
      this.opts.log.warn({ event: 'watch:error', error: (err as Error).message }, 'cannot watch policies.yaml; reload with SIGHUP');
    }
  }

  /** Re-validates policies.yaml against the live schema; keeps the last good policy on any problem. */
  async reload(trigger: 'watch' | 'sighup'): Promise<boolean> {
    // Before the store is reached there is nothing to reload: the policy is read when it is.
    if (this.#stopping || !this.#rt || !this.#policy) return false;
    const { log, env } = this.opts;
    const file = this.#policy.file;
    try {
      const { policy: loaded, warnings } = loadPolicyFile(file);
      if (loaded.sha256 === this.#policy.sha256) {
        // The file is back to the policy in force (an editor's undo of a rejected edit): say so
        // once, so whoever watched reload:failed knows the file and the daemon agree again.
        if (this.#reloadFailed) log.info({ event: 'reload:recovered', trigger, file, policy_sha256: loaded.sha256 }, 'policies.yaml is back to the last good policy, which is in force again');
        this.#reloadFailed = false;
        return true;
      }
      const { policy, kept } = stricterGuards(Object.freeze({ ...loaded, store: this.#policy.store }), this.#policy);
      const problems = liveCheck(policy, await introspectFor(this.#rt.adapter, policy)).filter((p) => p.severity === 'error');
      if (problems.length) throw new ConfigError(`${file}: ${problems.length} problem(s) against the store`, problems);
      if (needsHmacKey(policy)) loadHmacKey(env);
      if (loaded.store.url !== this.#policy.store.url) log.warn({ event: 'reload:store' }, 'store.url changed: restart lethe to switch stores; the running store stays');
      this.#keepStricter({ policy, kept }, Object.freeze({ ...loaded, store: this.#policy.store }), 'reload');
      this.#schedule();
      for (const w of warnings) log.warn({ event: 'policy:warning', problem: formatProblem(w) }, 'policy warning');
      this.#reloadFailed = false;
      this.events.emit('reload:ok', { file, sha256: policy.sha256 });
      log.info({ event: 'reload:ok', trigger, policy_sha256: policy.sha256, providers: policy.providers.map((p) => ({ id: p.id, schedule: p.schedule, timezone: p.timezone })) }, 'policy reloaded and rescheduled');
      return true;
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map((p) => ({ file: p.file, line: p.line, col: p.col, path: p.path, message: p.message, hint: p.hint })) : [];
      this.#reloadFailed = true;
      this.events.emit('reload:failed', { file, message: (err as Error).message });
      log.error({ event: 'reload:failed', trigger, file, problems, error: (err as Error).message }, 'policies.yaml edit rejected; the last good policy stays in force');
      return false;
    }
  }

  /** Runs `chosen.policy`; while it keeps guards stricter than the file's, remembers the file's for an approval to restore. */
  #keepStricter(chosen: { policy: Policy; kept: GuardKept[] }, file: Policy, trigger: 'start' | 'reload'): void {
    this.#policy = chosen.policy;
    this.#filePolicy = chosen.kept.length ? file : null;
    for (const k of chosen.kept) this.opts.log.warn({ event: 'reload:guard-kept', trigger, provider: k.provider, file: k.file, in_force: k.inForce }, guardKeptMessage(k));
  }

  /** Once a plan saved under the edited policy is approved, the file's guards apply. */
  async #approvedGuards(): Promise<void> {
    const file = this.#filePolicy;
    if (!file) return;
    try {
      const now = this.#rt.now ?? (await this.#rt.adapter.dbNow());
      if ((await approvedStages(this.#rt.adapter, this.#rt.adapter.db, file.sha256, now)).length === 0) return;
      this.#policy = file;
      this.#filePolicy = null;
      this.opts.log.info({ event: 'reload:guard-approved', policy_sha256: file.sha256 }, "a plan under the edited policy was approved: its guards now apply");
    } catch (err) {
      this.opts.log.warn({ event: 'reload:guard-check-failed', error: (err as Error).message }, 'could not read approvals; the stricter guard stays');
    }
  }

  /**
   * Stops scheduling, lets the current batch finish (the run ends as interrupted), then
   * closes HTTP, gives up the lease and closes the store. Safe to call more than once.
   */
  stop(reason: string): Promise<void> {
    this.#stopPromise ??= (async () => {
      this.#stopping = true;
      this.#wake?.();
      this.opts.log.info({ event: 'stopping', reason }, 'stopping: the current batch finishes, then lethe exits');
      for (const t of this.#tasks) await t.destroy();
      this.#tasks = [];
      this.#watcher?.close();
      if (this.#debounce) clearTimeout(this.#debounce);
      if (this.#leaseTimer) clearInterval(this.#leaseTimer);
      if (this.#running) await this.#running;
      await new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve()));
      this.#http?.closeAllConnections?.();
      await this.#lease?.release().catch(() => undefined);
      await this.#rt?.adapter.close().catch(() => undefined);
      this.opts.log.info({ event: 'stopped' }, 'lethe stopped');
    })();
    return this.#stopPromise;
  }
}

/** The delays between attempts to reach the store at start: LETHE_RETRY_INITIAL_MS (1 s), doubling up to LETHE_RETRY_MAX_MS (30 s). */
export function retryDelays(env: NodeJS.ProcessEnv): { initialMs: number; maxMs: number } {
  const read = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name}: "${raw}" is not a positive whole number of milliseconds`);
    return n;
  };
  const initialMs = read('LETHE_RETRY_INITIAL_MS', 1_000);
  return { initialMs, maxMs: Math.max(initialMs, read('LETHE_RETRY_MAX_MS', 30_000)) };
}

/** The store URL in force with its password masked, for the retry lines; null if it cannot be told. */
function maskedStoreUrl(g: GlobalOptions, env: NodeJS.ProcessEnv): string | null {
  try {
    return redact(storeUrl(g, env, loadPolicyFile(configPath(g, env)).policy).url);
  } catch {
    return null;
  }
}
