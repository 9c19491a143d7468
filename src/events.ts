/**
 * Typed events the core emits and logs and metrics listen to. A listener that throws is
 * reported through `listener:error` and never breaks the run that emitted the event.
 */
import type { AuditEntry } from './audit/chain.js';
import type { Checkpoint } from './audit/checkpoint.js';
import type { KeyValue } from './exec/row-key.js';
import type { RunResult, StageOutcome } from './exec/outcomes.js';
import type { RequestOutcome } from './exec/requests.js';

export interface LetheEvents {
  'run:start': { runId: number; trigger: string; now: string; provider: string | null; dryRun: boolean };
  /** A committed batch; `pauseMs` is the throttle's pause taken after it (0: the next follows at once). */
  batch: { runId: number; provider: string; rule: string; stage: number; table: string; action: string; selected: number; changed: number; held: number; blocked: number; ms: number; pauseMs: number };
  purge: AuditEntry;
  'stage:end': StageOutcome & { runId: number };
  'stage:guarded': StageOutcome & { runId: number };
  /** A stage whose clock column failed its sample: nothing of it was run. */
  'stage:refused': StageOutcome & { runId: number };
  'file:refused': { path: string; reason: string; table: string; rowKey: KeyValue | null };
  /** Files whose rows were deleted but that were already gone: nothing was removed, nothing audited. */
  'file:missing': { count: number };
  /** Files kept because a remaining row still names them. */
  'file:shared': { count: number };
  /** An unlink that failed for a reason other than the file being gone; it stays queued. */
  'file:error': { path: string; message: string };
  'run:end': RunResult;
  /** A data-subject request carried out in full (or, in a dry run, that would be). */
  'request:done': RequestOutcome & { runId: number; dryRun: boolean };
  /** An erasure request that holds or keep obligations stopped short: recorded as `conflict`, retried next run. */
  'request:conflict': RequestOutcome & { runId: number; dryRun: boolean };
  /** A request that could not be carried out this run (no export root, an error); it keeps its status. */
  'request:failed': RequestOutcome & { runId: number; dryRun: boolean };
  /** A signed checkpoint of the chain's head, written after a run. */
  checkpoint: Checkpoint & { file: string | null };
  'checkpoint:failed': { runId: number; message: string };
  'reload:ok': { file: string; sha256: string };
  'reload:failed': { file: string; message: string };
  'tick:skipped': { provider: string; reason: string };
  'listener:error': { event: string; message: string };
}

type Listener<K extends keyof LetheEvents> = (payload: LetheEvents[K]) => void;

export class EventBus {
  readonly #listeners = new Map<keyof LetheEvents, Listener<any>[]>();

  on<K extends keyof LetheEvents>(event: K, fn: Listener<K>): () => void {
    const list = this.#listeners.get(event) ?? [];
    list.push(fn);
    this.#listeners.set(event, list);
    return () => this.#listeners.set(event, (this.#listeners.get(event) ?? []).filter((f) => f !== fn));
  }

  emit<K extends keyof LetheEvents>(event: K, payload: LetheEvents[K]): void {
    for (const fn of this.#listeners.get(event) ?? []) {
      try {
        fn(payload);
      } catch (err) {
        if (event !== 'listener:error') this.emit('listener:error', { event, message: (err as Error).message });
      }
    }
  }
}
