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
import { verifyAudit } from '../../jobs/verify-audit.js';
import { introspectFor, openRuntime, refuseFutureNow, type GlobalOptions, type Runtime } from '../cli/context.js';
import { ConfigError, formatProblem } from '../errors.js';
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

  constructor(private readonly opts: DaemonOptions) {
    this.metrics = createMetrics(this.events);
    logEvents(this.events, opts.log);
  }

  get policy(): Policy {
    return this.#policy;
  }

  /** Opens the store, validates the policy, takes the lease if free, starts HTTP and the schedules. */
  async start(): Promise<void> {
    const { log, env } = this.opts;
    this.#rt = await openRuntime(this.opts.global, env);
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

    this.#http = await startHttp(this.opts.port, this.opts.host, {
      registry: this.metrics.registry,
      ready: async () => {
        try {
          await this.#rt.adapter.dbNow();
          return { ok: !this.#stopping, detail: { policy_sha256: this.#policy.sha256, leader: this.#lease.token !== null } };
        } catch (err) {
          return { ok: false, detail: { error: (err as Error).message } };
        }
      },
      ui: { adapter: this.#rt.adapter, current: () => ({ policy: this.#policy, schema: this.#rt.schema }), now: this.#rt.now, signer: this.#signer, token: env.LETHE_UI_TOKEN || null, log },
    });
    const addr = this.#http.address();
    log.info({ event: 'http', port: typeof addr === 'object' && addr ? addr.port : this.opts.port }, 'serving /healthz, /readyz, /metrics and the web view at /ui');
    if (!env.LETHE_UI_TOKEN) log.warn({ event: 'ui:open', host: this.opts.host }, 'the web view at /ui is unauthenticated: anyone who can reach this port can read the audit log; set LETHE_UI_TOKEN, or bind to loopback with --host 127.0.0.1');

    // Runs a killed process left open, and files it left queued: their rows are already gone and audited.
    if (this.#lease.token !== null) await closeAbandonedRuns(this.#rt.adapter, isoUtc(new Date()));
    if (this.#lease.token !== null) await drainFiles(this.#rt.adapter, this.#policy, this.#rt.schema, this.events, isoUtc(this.#rt.now ?? (await this.#rt.adapter.dbNow())));

    this.metrics.chainOk.set((await verifyAudit(this.#rt.adapter, log)).ok ? 1 : 0);
    this.#schedule();
    this.#watch();
    log.info({ event: 'started', policy: this.#policy.file, policy_sha256: this.#policy.sha256, store: this.#rt.adapter.description, providers: this.#policy.providers.map((p) => ({ id: p.id, schedule: p.schedule, timezone: p.timezone })) }, 'lethe started');
    if (this.opts.runNow) void this.#runOnce(null, null);
  }

  async #renewLease(): Promise<void> {
    try {
      const had = this.#lease.token !== null;
      const r = await this.#lease.acquire();
      this.metrics.leader.set(r.ok ? 1 : 0);
      if (r.ok && !had) this.opts.log.info({ event: 'lease:acquired', holder: this.#lease.holder, token: r.token }, 'this process is now the enforcer');
      if (!r.ok && had) this.opts.log.warn({ event: 'lease:lost', holder: r.holder }, 'the enforcer lease passed to another process');
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
        fence: this.#lease.fence,
        slot,
        by: this.#by,
        signer: this.#signer,
      });
      await refreshOverdue(rt.adapter, policy, schema, this.metrics.overdue, provider, result.now).catch((err: Error) =>
        this.opts.log.warn({ event: 'metrics:error', error: err.message }, 'could not refresh overdue rows'),
      );
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
    if (this.#stopping) return false;
    const { log, env } = this.opts;
    const file = this.#policy.file;
    try {
      const { policy: loaded, warnings } = loadPolicyFile(file);
      if (loaded.sha256 === this.#policy.sha256) return true;
      const { policy, kept } = stricterGuards(Object.freeze({ ...loaded, store: this.#policy.store }), this.#policy);
      const problems = liveCheck(policy, await introspectFor(this.#rt.adapter, policy)).filter((p) => p.severity === 'error');
      if (problems.length) throw new ConfigError(`${file}: ${problems.length} problem(s) against the store`, problems);
      if (needsHmacKey(policy)) loadHmacKey(env);
      if (loaded.store.url !== this.#policy.store.url) log.warn({ event: 'reload:store' }, 'store.url changed: restart lethe to switch stores; the running store stays');
      this.#keepStricter({ policy, kept }, Object.freeze({ ...loaded, store: this.#policy.store }), 'reload');
      this.#schedule();
      for (const w of warnings) log.warn({ event: 'policy:warning', problem: formatProblem(w) }, 'policy warning');
      this.events.emit('reload:ok', { file, sha256: policy.sha256 });
      log.info({ event: 'reload:ok', trigger, policy_sha256: policy.sha256, providers: policy.providers.map((p) => ({ id: p.id, schedule: p.schedule, timezone: p.timezone })) }, 'policy reloaded and rescheduled');
      return true;
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map((p) => ({ file: p.file, line: p.line, col: p.col, path: p.path, message: p.message, hint: p.hint })) : [];
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
