/**
 * Customer instructions (DESIGN 9; `lethe instruct`). An instruction is a customer's word
 * about their data: it is placed on one row under a rule that takes instructions, and it
 * moves the schedule of every rule of that provider that takes them, on the row and on every
 * row that reaches it through foreign keys (as a hold does). Three kinds:
 *
 * - `after P`: the rule's outcome (its last stage) comes P after the clock instead;
 * - `keep_until T`: nothing changes the rows before T; after T the schedule applies again;
 * - `erase_now`: the rule's outcome is due now, whatever the clock says.
 *
 * Each rule's `instructions` bounds apply at every run: no instruction brings the outcome
 * before `shortest` after the clock, and none keeps a row once the clock is `longest` old
 * (the law's delete then applies, with the rule's own stages). Where several instructions
 * reach one row (one on an account, another on one of its calls), keeping wins: the row is
 * due only when every one of them says so. A newer instruction on the same row replaces the
 * older one. Holds and retain rules still win over every instruction.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { cutoffOf } from '../clock/read.js';
import type { EnforceRule, InstructionBounds } from '../policy/model.js';
import { parsePeriod, type Period } from '../policy/duration.js';
import { cutoffFor } from '../policy/period-math.js';
import type { StageTask } from '../plan/planner.js';
import { letheDb } from '../store/lethe-tables.js';
import { isoUtc } from '../store/timestamps.js';
import type { Adapter } from '../store/types.js';
import { heldPredicate, type HeldKeys } from './holds.js';
import { RowKey, type KeyValue } from './row-key.js';

export type InstructionKind = 'after' | 'keep_until' | 'erase_now';

export interface Instruction {
  id: number;
  provider: string;
  rule: string;
  table: string;
  key: KeyValue;
  kind: InstructionKind;
  /** `after`: the period as written. */
  period: string | null;
  /** `keep_until`: canonical ISO UTC. */
  keepUntil: string | null;
  placedAt: string;
  placedBy: string;
  reason: string | null;
}

type Duration = Extract<Period, { kind: 'duration' }>;

/** The instructions in force at `now`, per provider: not replaced, and (keep_until) not yet past. */
export type ActiveInstructions = ReadonlyMap<string, readonly Instruction[]>;

export async function activeInstructions(adapter: Adapter, db: Kysely<any>, now: Date): Promise<ActiveInstructions> {
  const nowText = isoUtc(now);
  const rows = await letheDb(adapter, db).selectFrom('lethe_instructions').selectAll().where('replaced_at', 'is', null).orderBy('id').execute();
  const out = new Map<string, Instruction[]>();
  for (const r of rows) {
    const ins = instructionOf(r);
    if (!ins || (ins.kind === 'keep_until' && (ins.keepUntil === null || ins.keepUntil <= nowText))) continue;
    out.set(ins.provider, [...(out.get(ins.provider) ?? []), ins]);
  }
  return out;
}

/** A row of lethe_instructions; null for one this build cannot read (it then moves nothing). */
export function instructionOf(r: Record<string, unknown>): Instruction | null {
  const key = RowKey.decode(r.row_key);
  const kind = String(r.kind);
  if (key === null || !['after', 'keep_until', 'erase_now'].includes(kind)) return null;
  return {
    id: Number(r.id),
    provider: String(r.provider),
    rule: String(r.rule),
    table: String(r.table_name),
    key,
    kind: kind as InstructionKind,
    period: r.period === null || r.period === undefined ? null : String(r.period),
    keepUntil: r.keep_until === null || r.keep_until === undefined ? null : String(r.keep_until),
    placedAt: String(r.placed_at),
    placedBy: String(r.placed_by),
    reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
  };
}

/** What an instruction asks, for messages: `erase now`, `outcome 24 months after the clock`, `keep until …`. */
export function describeInstruction(i: Pick<Instruction, 'kind' | 'period' | 'keepUntil'>): string {
  return i.kind === 'erase_now' ? 'erase now' : i.kind === 'after' ? `outcome ${i.period} after the clock` : `keep until ${i.keepUntil}`;
}

/** The instructions that can move a rule's rows: its provider's, when the rule takes instructions. */
export function instructionsFor(rule: EnforceRule, all: ActiveInstructions | undefined): readonly Instruction[] {
  if (!all || !rule.instructions) return [];
  return all.get(rule.provider) ?? [];
}

/** What an instruction makes of a rule's outcome at `now`, within the rule's bounds. */
/** `before`: due when the clock is before `cutoff`, which is now − `period` (the asked period within the rule's shortest). */
type Effect = { kind: 'keep' } | { kind: 'now' } | { kind: 'before'; cutoff: Date; period: Duration };

export function effectOf(ins: Instruction, bounds: InstructionBounds, now: Date, zone: string): Effect {
  if (ins.kind === 'keep_until') return { kind: 'keep' };
  const shortest = bounds.shortest;
  const floor = isZero(shortest) ? null : cutoffFor(now, shortest, zone);
  if (ins.kind === 'erase_now') return floor ? { kind: 'before', cutoff: floor, period: shortest } : { kind: 'now' };
  const p = parsePeriod(ins.period);
  if (!p.ok || p.period.kind !== 'duration') return { kind: 'keep' };
  const asked = cutoffFor(now, p.period, zone);
  // Shorter than the rule allows: the shortest it allows (the later of the two cutoffs).
  return floor && floor < asked ? { kind: 'before', cutoff: floor, period: shortest } : { kind: 'before', cutoff: asked, period: p.period };
}

function isZero(d: Duration): boolean {
  return Object.values(d.units).every((v) => !v);
}

/**
 * The due condition of a task whose rule takes instructions, given the rule's own condition
 * (`normalDue`, on the clock expression `clock`). Rows no instruction reaches keep the rule's
 * schedule. Rows one reaches: the last stage is due when every instruction reaching the row
 * says so (keeping wins), or once the clock is past the rule's `longest`; earlier stages are
 * skipped unless `longest` has passed (the instruction set when the outcome comes).
 * Returns normalDue unchanged when no instruction can reach the task's rows.
 */
export function instructedDue(adapter: Adapter, task: StageTask, clock: RawBuilder<unknown>, normalDue: RawBuilder<unknown>): RawBuilder<unknown> {
  const bounds = task.rule.instructions;
  const c = coverage(adapter, task);
  if (!bounds || !c) return normalDue;
  const zone = task.provider.timezone;
  const before = (at: Date) => adapter.clockBefore(clock, task.clock.column, task.clock.spec, cutoffOf(at, task.clock.spec.zone).at);
  const lawExpired = bounds.longest ? sql`(${before(cutoffFor(c.now, bounds.longest, zone))} and ${normalDue})` : sql`1 = 0`;
  let instructed: RawBuilder<unknown> = lawExpired;
  if (task.stage.index === task.rule.stages.length) {
    const each = c.groups.map(({ pred, effect }) => {
      const says = effect.kind === 'keep' ? sql`1 = 0` : effect.kind === 'now' ? sql`1 = 1` : before(effect.cutoff);
      return sql`(not ${pred} or ${says})`;
    });
    instructed = sql`(${lawExpired} or (${sql.join(each, sql` and `)}))`;
  }
  return sql`((not ${c.any} and ${normalDue}) or (${c.any} and ${instructed}))`;
}

/** A predicate on alias t true for the task's rows some instruction reaches (plan counts them); null when none can. */
export function instructedRows(adapter: Adapter, task: StageTask): RawBuilder<unknown> | null {
  return coverage(adapter, task)?.any ?? null;
}

/**
 * The instructions reaching the task's rows, one coverage predicate per distinct effect
 * (however many customers share it), and their union. Null when none can reach them.
 */
function coverage(adapter: Adapter, task: StageTask): { now: Date; groups: { pred: RawBuilder<unknown>; effect: Effect }[]; any: RawBuilder<unknown> } | null {
  const bounds = task.rule.instructions;
  if (!bounds || !task.instructed || task.instructed.list.length === 0) return null;
  const now = task.instructed.now;
  const byEffect = new Map<string, { effect: Effect; keys: Map<string, KeyValue[]> }>();
  for (const ins of task.instructed.list) {
    const effect = effectOf(ins, bounds, now, task.provider.timezone);
    const id = effect.kind === 'before' ? `before ${effect.cutoff.toISOString()}` : effect.kind;
    const g = byEffect.get(id) ?? { effect, keys: new Map<string, KeyValue[]>() };
    g.keys.set(ins.table, [...(g.keys.get(ins.table) ?? []), ins.key]);
    byEffect.set(id, g);
  }
  const groups: { pred: RawBuilder<unknown>; effect: Effect }[] = [];
  for (const g of byEffect.values()) {
    const pred = heldPredicate(adapter, task, g.keys as HeldKeys);
    if (pred) groups.push({ pred, effect: g.effect });
  }
  if (groups.length === 0) return null;
  return { now, groups, any: sql`(${sql.join(groups.map((c) => c.pred), sql` or `)})` };
}
