/** `lethe run` and `lethe plan`: one enforcement pass now, or what it would find due. */
import { UsageError } from '../../errors.js';
import { EventBus } from '../../events.js';
import { countStage, guardOutcome } from '../../exec/counts.js';
import { activeHolds } from '../../exec/holds.js';
import { activeInstructions } from '../../exec/instructions.js';
import { plannedDrops, type PartitionDrop } from '../../exec/partitions.js';
import type { RunResult } from '../../exec/outcomes.js';
import { closest } from '../../policy/duration.js';
import { needsHmacKey, type Policy } from '../../policy/model.js';
import { loadHmacKey } from '../../exec/anonymise.js';
import { planRun, type PlanFilter } from '../../plan/planner.js';
import { createLogger, logEvents } from '../../log.js';
import { isoUtc } from '../../store/timestamps.js';
import { runEnforcement } from '../../../jobs/enforce.js';
import { withLease, type Lease } from '../../lease.js';
import { actor } from '../../audit/acts.js';
import { approvedStages, savePlan, type PlannedStage } from '../../audit/approvals.js';
import { guardKeptMessage, guardsInForce } from '../../audit/guard-floor.js';
import { loadSigner } from '../../audit/checkpoint.js';
import { savedPlanLine } from './approve.js';
import { byFlag } from './hold.js';
import { requestRunLine } from './request.js';
import { snakeJson, table, type SnakeJson } from '../format.js';
import type { Runtime } from '../context.js';

/** Checks --provider and --rule against the policy; a typo is a usage error with a suggestion. */
export function checkFilter(rt: Runtime, f: PlanFilter): void {
  // Without a policy file (audit with --db only) there is nothing to check the names against.
  if (!rt.hasPolicy) return;
  if (f.provider && !rt.policy.providers.some((p) => p.id === f.provider)) {
    const guess = closest(f.provider, rt.policy.providers.map((p) => p.id));
    throw new UsageError(`--provider: no provider "${f.provider}" in ${rt.policy.file}${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  if (f.rule) {
    const rules = rt.policy.providers.filter((p) => !f.provider || p.id === f.provider).flatMap((p) => p.rules.map((r) => r.id));
    if (!rules.includes(f.rule)) {
      const guess = closest(f.rule, rules);
      throw new UsageError(`--rule: no rule "${f.rule}"${f.provider ? ` for ${f.provider}` : ''}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
  }
}

export interface RunFlags extends PlanFilter {
  dryRun?: boolean;
  force?: boolean;
  by?: string;
  reason?: string;
}

/** A run's result as `lethe run --json` prints it. */
export type RunJson = SnakeJson<RunResult>;

/** Exit status of a run: failures and guard trips are 1, so scripts and cron notice them. */
export function runExitCode(r: RunResult): 0 | 1 {
  return r.status === 'failed' || r.status === 'guarded' ? 1 : 0;
}

export async function runCommand(rt: Runtime, flags: RunFlags): Promise<number> {
  checkFilter(rt, flags);
  // A missing or short key is configuration (exit 2), found before anything is claimed.
  if (needsHmacKey(rt.policy, flags)) loadHmacKey(rt.env);
  if (flags.reason !== undefined && !flags.reason.trim()) throw new UsageError('run: --reason is empty');
  const by = actor(byFlag(flags.by, 'run'), rt.env);
  const signer = flags.dryRun ? null : loadSigner(rt.env);
  const policy = await inForce(rt);
  const events = new EventBus();
  // With --json, stdout carries only the result document; the log lines go to stderr.
  const tty = !rt.json && process.stdout.isTTY === true;
  logEvents(events, createLogger({ fd: rt.json ? 2 : 1, level: tty ? 'warn' : undefined }));
  if (tty) {
    // How far the run is: stages done of the run's total (the number of stages does not depend on now).
    const total = planRun(policy, rt.now ?? new Date(), rt.schema, flags).providers.reduce((a, pp) => a + pp.tasks.length, 0);
    const started = performance.now();
    let n = 0;
    let done = 0;
    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    events.on('batch', (b) => {
      n += b.changed;
      process.stderr.write(`\rstage ${done + 1} of ${total}, ${b.provider}/${b.rule} stage ${b.stage}: ${n} rows changed so far (${elapsed()})`);
    });
    events.on('stage:end', () => {
      done++;
      if (n) process.stderr.write('\n');
      n = 0;
    });
  }
  let stop = false;
  const onSignal = () => {
    if (stop) process.exit(1);
    stop = true;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const enforce = (lease: Lease | null) =>
    runEnforcement(rt.adapter, policy, rt.schema, {
      trigger: 'cli',
      filter: { provider: flags.provider, rule: flags.rule },
      dryRun: flags.dryRun ?? false,
      force: flags.force ?? false,
      by,
      reason: flags.reason?.trim() ?? null,
      signer,
      now: rt.now,
      env: rt.env,
      events,
      shouldStop: () => stop || (lease !== null && lease.token === null),
      ...(lease ? { fence: lease } : {}),
    });
  // A dry run is rolled back, so it changes nothing a running enforcer could race with: it
  // needs no lease, and works while the daemon holds it.
  const result = flags.dryRun ? await enforce(null) : await withLease(rt.adapter, rt.env, enforce);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (rt.json) {
    process.stdout.write(JSON.stringify(snakeJson(result), null, 2) + '\n');
  } else {
    const rows = result.stages.filter((s) => s.due || s.status !== 'done').map((s) => [s.provider, s.rule, s.stage, s.table, s.action, s.status, s.due, s.changed, s.held, s.blocked]);
    process.stdout.write(table(['provider', 'rule', 'stage', 'table', 'action', 'status', 'due', 'changed', 'held', 'blocked'], rows));
    for (const r of result.requests ?? []) process.stdout.write(requestRunLine(r, result.dryRun) + '\n');
    process.stdout.write(
      `run ${result.runId} ${result.status}${result.dryRun ? ' (dry run: nothing was changed)' : ''}: due ${result.due}, changed ${result.changed}, held ${result.held}, blocked ${result.blocked}, guarded stages ${result.guarded}, files removed ${result.files.removed}, missing ${result.files.missing}, shared ${result.files.shared}, refused ${result.files.refused}; now ${result.now}, ${Math.round(result.durationMs)} ms\n`,
    );
    if (result.error) process.stderr.write(`error: ${result.error}\n`);
  }
  return runExitCode(result);
}

/** The file's policy with no guard looser than the chain last recorded, unless a plan under the file is approved (guard-floor.ts); says which. */
async function inForce(rt: Runtime): Promise<Policy> {
  const { policy, kept } = await guardsInForce(rt.adapter, rt.policy, rt.now ?? (await rt.adapter.dbNow()));
  for (const k of kept) process.stderr.write(`lethe: ${guardKeptMessage(k)}\n`);
  return policy;
}

export async function planCommand(rt: Runtime, flags: PlanFilter & { detailedExitcode?: boolean; save?: boolean; by?: string }): Promise<number> {
  checkFilter(rt, flags);
  const now = rt.now ?? (await rt.adapter.dbNow());
  const policy = await inForce(rt);
  const plan = planRun(policy, now, rt.schema, flags, await activeInstructions(rt.adapter, rt.adapter.db, now));
  const holds = await activeHolds(rt.adapter, rt.adapter.db, now);
  // The guard column says what the run would do: an approved plan lets a stage it covers through.
  const approvals = await approvedStages(rt.adapter, rt.adapter.db, policy.sha256, now);
  const rows: Record<string, unknown>[] = [];
  for (const pp of plan.providers) {
    for (const task of pp.tasks) {
      const c = await countStage(rt.adapter, task, holds);
      // Partitions a run would drop whole (DESIGN §9), with their rows and key ranges.
      const partitions = await plannedDrops(rt.adapter, task, rt.adapter.db, holds);
      const g = guardOutcome(task, c, approvals);
      // Rows under customer instructions, for the rules that take them (their due count already follows them).
      const instructed = task.rule.instructions ? { instructed: c.instructed } : {};
      rows.push({ provider: pp.provider.id, rule: task.rule.id, stage: task.stage.index, table: task.table.name, action: task.stage.action.kind, after: task.stage.after.text, cutoff: isoUtc(task.cutoff.at), due: c.due, held: c.held, blocked: c.blocked, total: c.total, guard: g.planId === null ? g.guard : `approved (plan ${g.planId})`, ...instructed, ...(partitions.length ? { partitions } : {}) });
    }
    for (const gap of pp.gaps.filter((r) => !flags.rule || r.id === flags.rule)) rows.push({ provider: pp.provider.id, rule: gap.id, stage: null, table: gap.table, action: 'unspecified', after: 'unspecified', cutoff: null, due: null, held: null, blocked: null, total: null, guard: null });
  }
  let planId: number | null = null;
  if (flags.save) {
    const stages = rows.filter((r) => r.stage !== null).map((r) => ({ provider: r.provider, rule: r.rule, stage: r.stage, table: r.table, action: r.action, due: r.due, guard: r.guard })) as PlannedStage[];
    planId = await savePlan(rt.adapter, { createdAt: isoUtc(await rt.adapter.dbNow()), createdBy: actor(byFlag(flags.by, 'plan'), rt.env), now: isoUtc(now), policySha256: rt.policy.sha256, provider: flags.provider ?? null, rule: flags.rule ?? null, stages });
  }
  if (rt.json) process.stdout.write(JSON.stringify({ now: isoUtc(now), policy_sha256: rt.policy.sha256, ...(planId !== null ? { plan_id: planId } : {}), stages: rows }, null, 2) + '\n');
  else {
    const headers = ['provider', 'rule', 'stage', 'table', 'action', 'after', 'cutoff', 'due', 'held', 'blocked', 'total', 'guard', ...(rows.some((r) => 'instructed' in r) ? ['instructed'] : [])];
    process.stdout.write(table(headers, rows.map((r) => headers.map((h) => (r[h] ?? (h === 'instructed' ? '-' : null)) as string | number | null))));
    for (const r of rows.filter((x) => x.partitions)) {
      for (const p of r.partitions as PartitionDrop[]) process.stdout.write(`${r.provider}/${r.rule}: partition ${p.name} (${p.rows} rows, ${p.clock_range.join(' to ')}) would be dropped whole\n`);
    }
    process.stdout.write(`now ${isoUtc(now)}; nothing was changed. "blocked" counts rows referenced now; children due in the same run are deleted first.\n`);
    if (planId !== null) process.stdout.write(savedPlanLine(planId));
  }
  // Rows a run would act on: due and neither held nor referenced (a run deletes due children
  // first, and those children count here themselves).
  const actionable = rows.reduce((n, r) => n + (typeof r.due === 'number' ? r.due - (r.held as number) - (r.blocked as number) : 0), 0);
  return flags.detailedExitcode && actionable > 0 ? 2 : 0;
}
