/** What a run and each of its stages ended as. A run never throws past the runner; it returns these. */
import type { ActionKind } from '../policy/model.js';
import { isoUtc } from '../store/timestamps.js';
import type { PartitionDrop } from './partitions.js';
import type { RequestOutcome } from './requests.js';

export type StageStatus = 'done' | 'guarded' | 'interrupted' | 'failed' | 'refused';
export type RunStatus = 'ok' | 'failed' | 'interrupted' | 'guarded' | 'dry_run';

export interface Totals {
  due: number;
  changed: number;
  held: number;
  blocked: number;
}

export interface StageOutcome extends Totals {
  provider: string;
  rule: string;
  stage: number;
  table: string;
  action: ActionKind;
  cutoff: string;
  status: StageStatus;
  batches: number;
  longestBatchMs: number;
  /** For guarded stages: the due rows and the provider's rows in the table. */
  guard: { due: number; total: number } | null;
  /** The approved plan that let a stage the guard would stop run. */
  approvedPlan: number | null;
  /** Partitions dropped whole (DESIGN §9); in a dry run, those a run would drop. Absent when none. */
  partitions?: PartitionDrop[];
  error: string | null;
}

export interface RunResult extends Totals {
  runId: number;
  trigger: 'schedule' | 'cli';
  status: RunStatus;
  now: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  stages: StageOutcome[];
  guarded: number;
  files: { removed: number; missing: number; shared: number; refused: number; errors: number };
  /** Data-subject requests the run took up (DESIGN 9), per provider before its stages. Absent when none. */
  requests?: RequestOutcome[];
  /** The signed checkpoint written after the run, when a signing key is set. */
  checkpoint?: { seq: number; hash: string; file: string | null };
  error: string | null;
}

/** A stage's outcome before it has done anything. */
export function startOutcome(task: { provider: { id: string }; rule: { id: string }; stage: { index: number; action: { kind: ActionKind } }; table: { name: string }; cutoff: { at: Date } }): StageOutcome {
  return {
    provider: task.provider.id,
    rule: task.rule.id,
    stage: task.stage.index,
    table: task.table.name,
    action: task.stage.action.kind,
    cutoff: task.cutoff.at.toISOString(),
    status: 'done',
    due: 0,
    changed: 0,
    held: 0,
    blocked: 0,
    batches: 0,
    longestBatchMs: 0,
    guard: null,
    approvedPlan: null,
    error: null,
  };
}

export function emptyTotals(): Totals {
  return { due: 0, changed: 0, held: 0, blocked: 0 };
}

/** The fields of a stage's audit entry that name its run, rule, stage, table and cutoff (a batch's or a dropped partition's). */
export function stageEntryFields(task: { provider: { id: string }; rule: { id: string }; stage: { index: number }; table: { name: string }; cutoff: { at: Date } }, runId: number, now: Date, policySha256: string) {
  return { run_id: runId, at: isoUtc(now), provider: task.provider.id, rule: task.rule.id, stage: task.stage.index, table_name: task.table.name, cutoff: isoUtc(task.cutoff.at), policy_sha256: policySha256 };
}
