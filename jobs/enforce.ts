/**
 * The enforce job: one enforcement pass. Reads `now` once, claims the run, finishes any
 * files an earlier crash left queued, plans, executes every stage in order, and records
 * the outcome. A dry run does all of it inside one transaction that is rolled back, so it
 * counts exactly what a real run would change. Returns a RunResult; never throws.
 */
import { performance } from 'node:perf_hooks';
import { safeErrorMessage } from '../src/errors.js';
import { EventBus } from '../src/events.js';
import { loadHmacKey } from '../src/exec/anonymise.js';
import { executeStage, type ExecContext, type TxRunner } from '../src/exec/executor.js';
import type { DrainResult } from '../src/exec/files.js';
import { drainFiles } from './drain-files.js';
import { carryOutRequests } from '../src/exec/requests.js';
import { emptyTotals, startOutcome, type RunResult, type StageOutcome } from '../src/exec/outcomes.js';
import { needsHmacKey, type Policy } from '../src/policy/model.js';
import { planRun, type PlanFilter, type StageTask } from '../src/plan/planner.js';
import { activeInstructions } from '../src/exec/instructions.js';
import { sampleClock, type ClockVerdict } from '../src/clock/health.js';
import { claimRun, finishRun } from '../src/runs.js';
import { actor, recordAct, recordPolicyLoad } from '../src/audit/acts.js';
import { approvedStages } from '../src/audit/approvals.js';
import { writeCheckpoint, type Signer } from '../src/audit/checkpoint.js';
import { isoUtc } from '../src/store/timestamps.js';
import type { Adapter, SchemaInfo } from '../src/store/types.js';

export interface EnforceOptions {
  trigger: 'schedule' | 'cli';
  filter?: PlanFilter;
  dryRun?: boolean;
  force?: boolean;
  /** Overrides the store's clock (--now, LETHE_NOW). */
  now?: Date | null;
  env?: NodeJS.ProcessEnv;
  events?: EventBus;
  /** External stop request (SIGTERM); checked between batches. */
  shouldStop?: () => boolean;
  /** Wall-clock source for timings and max_run_time only; never for due decisions. */
  clock?: () => number;
  fence?: ExecContext['fence'];
  /** The scheduled slot (provider@tick) this run fills; claimed uniquely. */
  slot?: string | null;
  /** Who runs it and why: recorded with a forced run. */
  by?: string;
  reason?: string | null;
  /** Signs a checkpoint of the chain after the run (not after a dry run). */
  signer?: Signer | null;
}

class DryRunRollback extends Error {}

/** Runs one enforcement pass under `policy` against `schema` (already validated). */
export async function runEnforcement(adapter: Adapter, policy: Policy, schema: SchemaInfo, opts: EnforceOptions): Promise<RunResult> {
  const events = opts.events ?? new EventBus();
  const wall = opts.clock ?? (() => Date.now());
  const t0 = performance.now();
  const startedAt = isoUtc(new Date(wall()));
  const filter = opts.filter ?? {};
  const dryRun = opts.dryRun ?? false;
  const result: RunResult = {
    runId: 0,
    trigger: opts.trigger,
    status: 'ok',
    now: '',
    dryRun,
    startedAt,
    finishedAt: startedAt,
    durationMs: 0,
    stages: [],
    guarded: 0,
    files: { removed: 0, missing: 0, shared: 0, refused: 0, errors: 0 },
    error: null,
    ...emptyTotals(),
  };
  try {
    const now = opts.now ?? (await adapter.dbNow());
    result.now = isoUtc(now);
    const plan = planRun(policy, now, schema, filter, await activeInstructions(adapter, adapter.db, now));
    // Sampled before any batch (and outside a dry run's transaction): a column that cannot be
    // what its rule says refuses its stages, whatever the table's size; --force does not apply.
    const verdicts = await clockVerdicts(adapter, schema, plan.providers.flatMap((pp) => pp.tasks), now);
    const hmacKey = needsHmacKey(policy, filter) ? loadHmacKey(opts.env ?? process.env) : null;

    result.runId = await claimRun(adapter, {
      trigger: opts.trigger,
      slot: opts.slot ?? null,
      provider: filter.provider ?? null,
      rule: filter.rule ?? null,
      now: result.now,
      startedAt,
      policySha256: policy.sha256,
    });
    events.emit('run:start', { runId: result.runId, trigger: opts.trigger, now: result.now, provider: filter.provider ?? null, dryRun });
    const by = opts.by ?? actor(undefined, opts.env ?? process.env);
    if (!dryRun) {
      // The chain says which policy text (and guards) the changes were made under, each time it changes.
      const loaded = await recordPolicyLoad(adapter, policy, by, result.now, result.runId);
      if (loaded) events.emit('purge', loaded);
    }
    if (opts.force && !dryRun) {
      // A forced run is recorded like an approval, before it changes anything.
      const forced = await recordAct(adapter, {
        action: 'force',
        at: result.now,
        by,
        reason: opts.reason ?? null,
        policySha256: policy.sha256,
        runId: result.runId,
        provider: filter.provider ?? '',
        rule: filter.rule ?? '',
        detail: { guard: 'skipped for every stage of this run' },
      });
      events.emit('purge', forced);
    }
    const approvals = await approvedStages(adapter, adapter.db, policy.sha256, now);

    const drain = async (runId?: number) => {
      if (dryRun) return;
      addDrain(result, await drainFiles(adapter, policy, schema, events, result.now, runId));
    };
    // Files an earlier crash left queued go first: their rows are already gone.
    await drain();

    const execute = async (tx: TxRunner, read: TxRunner) => {
      for (const pp of plan.providers) {
        const deadline = pp.provider.maxRunTimeMs ? wall() + pp.provider.maxRunTimeMs : Infinity;
        const ctx: ExecContext = {
          adapter,
          policy,
          runId: result.runId,
          now,
          hmacKey,
          force: opts.force ?? false,
          dryRun,
          tx,
          read,
          afterBatch: () => drain(result.runId),
          shouldStop: () => (opts.shouldStop?.() ?? false) || wall() >= deadline,
          ...(opts.fence ? { fence: opts.fence } : {}),
          approvals,
          events,
          schema,
        };
        // Data-subject requests first: an erasure due by its deadline does not wait for the
        // schedule. A run filtered to one rule is about that rule only.
        if (!filter.rule) {
          for (const r of await carryOutRequests(ctx, pp.provider, schema, by)) {
            (result.requests ??= []).push(r);
            if (r.status === 'failed' && !result.error) result.error = `request ${r.id} (${r.kind} of ${r.table}): ${r.error}`;
          }
        }
        for (const task of pp.tasks) {
          const verdict = verdicts.get(task);
          const outcome = verdict ? refused(task, verdict) : await executeStage(ctx, task);
          record(result, outcome, events);
          if (outcome.status === 'interrupted') return;
        }
      }
    };

    if (dryRun) {
      try {
        await adapter.transaction(async (outer) => {
          await execute((fn) => fn(outer), (fn) => fn(outer));
          throw new DryRunRollback();
        });
      } catch (err) {
        if (!(err instanceof DryRunRollback)) throw err;
      }
    } else {
      await execute((fn) => adapter.transaction(fn), (fn) => fn(adapter.db));
    }
    result.status = statusOf(result);
  } catch (err) {
    result.status = 'failed';
    result.error = safeErrorMessage(adapter, err);
  }
  result.durationMs = performance.now() - t0;
  result.finishedAt = isoUtc(new Date(wall()));
  if (result.runId) {
    try {
      await finishRun(adapter, result);
    } catch (err) {
      result.status = 'failed';
      result.error = `${result.error ?? ''} could not record the run: ${safeErrorMessage(adapter, err)}`.trim();
    }
  }
  // Everything the run committed is on disk before its end is announced (Adapter.syncCommits):
  // a power cut after the run:end line cannot undo entries the log already shipped.
  if (result.runId && !dryRun) await syncRun(adapter, result);
  if (opts.signer && result.runId && !dryRun) await checkpoint(adapter, opts.signer, result, events);
  events.emit('run:end', result);
  return result;
}

/** The run's commits made durable where they are not by themselves; a failure fails the run. */
async function syncRun(adapter: Adapter, result: RunResult): Promise<void> {
  try {
    await adapter.syncCommits?.();
  } catch (err) {
    result.status = 'failed';
    result.error = `${result.error ?? ''} the run's commits may not be on disk: ${(err as Error).message}`.trim();
  }
}

/** Every run that could append (not a dry run) signs the chain's head, even when it changed nothing. */
async function checkpoint(adapter: Adapter, signer: Signer, result: RunResult, events: EventBus): Promise<void> {
  try {
    const { checkpoint: c, file } = await writeCheckpoint(adapter, signer, result.finishedAt, result.runId);
    result.checkpoint = { seq: c.seq, hash: c.hash, file };
    events.emit('checkpoint', { ...c, file });
  } catch (err) {
    const message = safeErrorMessage(adapter, err);
    result.status = 'failed';
    result.error = `${result.error ?? ''} no checkpoint was written: ${message}`.trim();
    events.emit('checkpoint:failed', { runId: result.runId, message });
  }
}

/** The clock verdict of every task whose clock column fails its sample, one sample per column. */
async function clockVerdicts(adapter: Adapter, schema: SchemaInfo, tasks: readonly StageTask[], now: Date): Promise<Map<StageTask, ClockVerdict>> {
  const byColumn = new Map<string, ClockVerdict | null>();
  const out = new Map<StageTask, ClockVerdict>();
  for (const task of tasks) {
    const { path, column, spec } = task.clock;
    const tableName = path.length ? path[path.length - 1]!.toTable : task.table.name;
    const k = `${tableName}\u0000${column.name}\u0000${spec.format}\u0000${spec.zone}`;
    if (!byColumn.has(k)) byColumn.set(k, (await sampleClock(adapter, schema.tables.get(tableName)!, column, spec, now)).verdict);
    const v = byColumn.get(k);
    if (v) out.set(task, v);
  }
  return out;
}

function refused(task: StageTask, v: ClockVerdict): StageOutcome {
  return { ...startOutcome(task), status: 'refused', error: `${v.message} (${v.hint})` };
}

function record(result: RunResult, o: StageOutcome, events: EventBus): void {
  result.stages.push(o);
  result.due += o.due;
  result.changed += o.changed;
  result.held += o.held;
  result.blocked += o.blocked;
  if (o.status === 'guarded') {
    result.guarded++;
    events.emit('stage:guarded', { ...o, runId: result.runId });
  }
  if (o.status === 'refused') events.emit('stage:refused', { ...o, runId: result.runId });
  if ((o.status === 'failed' || o.status === 'refused') && !result.error) result.error = `${o.provider}/${o.rule} stage ${o.stage}: ${o.error}`;
  events.emit('stage:end', { ...o, runId: result.runId });
}

function addDrain(result: RunResult, d: DrainResult): void {
  result.files.removed += d.removed;
  result.files.missing += d.missing;
  result.files.shared += d.shared;
  result.files.refused += d.refused.length;
  result.files.errors += d.errors.length;
}

function statusOf(r: RunResult): RunResult['status'] {
  if (r.stages.some((s) => s.status === 'failed' || s.status === 'refused')) return 'failed';
  if (r.stages.some((s) => s.status === 'interrupted')) return 'interrupted';
  if (r.dryRun) return 'dry_run';
  if (r.guarded > 0) return 'guarded';
  return 'ok';
}
