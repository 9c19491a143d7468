/**
 * The throttle (DESIGN §3): how many rows a stage's next batch takes, and when it pauses so
 * that the application's waiting writers get in.
 *
 * A writer waiting on SQLite's one write lock sleeps in its busy handler (1, 2, 5 … 25 ms
 * apart early on, then 50 and 100) and tries again; the few microseconds between lethe's
 * commit and its next BEGIN IMMEDIATE are gaps it almost never hits. To that writer, batches
 * run back to back hold the lock as one. So `max_hold` bounds the batches run since the last
 * pause, not each batch alone: batches are sized to fit in it, follow one another while they
 * fit, and `pause` comes when the next would not. At `batch_size` 1000, a pause after every
 * batch made the bench's 300 batches sleep 7.5 s of a 10.5 s run, on a table whose raw DELETE
 * takes 0.4 s, without keeping any writer waiting less.
 */
import type { Policy } from '../policy/model.js';

/** The lock-hold budget when the policy names none. */
export const DEFAULT_MAX_HOLD_MS = 50;

/** Rows in a throttled stage's first batch (or batch_size, if smaller). */
export const FIRST_THROTTLED_BATCH = 100;

/**
 * The share of max_hold a throttled batch aims at. A writer waiting on SQLite's lock retries
 * at growing intervals (up to 25 ms apart early on, then 50 and 100), so it can wait a hold
 * and an interval more. On the bench (batch_size 10,000, a writer every 10 ms), batches sized
 * to the whole budget and a first batch of batch_size made it wait 59 and 112 ms at worst in
 * two runs; a first batch of 100 rows and holds aimed at 0.7-0.9 of it, 54-82 ms in six.
 */
const HOLD_AIM = 0.8;

/**
 * The next batch's size: in proportion to the last one's rows per millisecond, so that it
 * holds its locks for HOLD_AIM of the budget; at most four times the last size, never above
 * batch_size, never below one row.
 */
export function nextBatchSize(size: number, ms: number, maxHoldMs: number, batchSize: number): number {
  if (!Number.isFinite(maxHoldMs)) return batchSize;
  const aimed = ms > 0 ? Math.floor((size * maxHoldMs * HOLD_AIM) / ms) : Infinity;
  return Math.max(1, Math.min(batchSize, size * 4, aimed));
}

/**
 * A batch at most HALF the size of an earlier one over the aim that took at least NO_FASTER
 * of its time shows that its rows are not what takes the time (Throttle.#sized).
 */
const HALF = 0.5;
const NO_FASTER = 0.75;
/** How many of the batches over the aim are kept to compare with. */
const OVER_KEPT = 8;
/** At most this many batches at the floor between two tries of twice its size. */
const PROBE_WAIT_MAX = 8;

/** A stage's throttle in force, and where its batches stand against it. */
export class Throttle {
  readonly maxHoldMs: number;
  readonly pauseMs: number;
  #size: number;
  /** When the first batch since the last pause started (performance.now()); null after a pause. */
  #since: number | null = null;
  /** Whether a batch has ended since the last pause (an empty last selection is no batch). */
  #held = false;
  /** The batches since the last one that held its locks no longer than aimed: their sizes and times. */
  #over: { rows: number; ms: number }[] = [];
  /** The fewest rows a batch takes: raised where smaller batches proved no shorter (#sized). */
  #floor = 1;
  /** The shortest time a batch of the floor's size took: other work only ever adds to a batch's time. */
  #floorMs = Infinity;
  /** Whether the batch under way is one of twice the floor's size, tried (#sized). */
  #probing = false;
  /** Batches at the floor to run, after the next one, before twice its size is tried again. */
  #wait = 0;
  /** Batches at the floor between the next try of twice its size that takes longer and the try after it. */
  #nextWait = 1;

  /** `off` (and a dry run, one transaction anyway) runs full batches back to back. */
  constructor(setting: Policy['providers'][number]['throttle'], defaultPauseMs: number, readonly batchSize: number, dryRun: boolean) {
    const off = setting === 'off' || dryRun;
    this.maxHoldMs = off ? Infinity : (setting.maxHoldMs ?? DEFAULT_MAX_HOLD_MS);
    this.pauseMs = off ? 0 : (setting.pauseMs ?? defaultPauseMs);
    // Throttled, the first batch is small: it measures what a row costs before one holds the lock long.
    this.#size = off ? batchSize : Math.min(batchSize, FIRST_THROTTLED_BATCH);
  }

  /** Rows the next batch may select. */
  get size(): number {
    return this.#size;
  }

  /** A batch starts (`at`: performance.now()). */
  starting(at: number): void {
    this.#since ??= at;
  }

  /**
   * The batch that started last took `ms` and ended at `at`: sizes the next one, and returns
   * the pause to take before it, 0 while the next still fits in max_hold with those before it.
   */
  ended(ms: number, at: number): number {
    const rows = this.#size;
    this.#size = this.#sized(rows, ms);
    if (this.pauseMs <= 0 || this.#since === null) return 0;
    this.#held = true;
    const next = (ms * this.#size) / rows;
    return at - this.#since + next <= this.maxHoldMs * HOLD_AIM ? 0 : this.#pause();
  }

  /** The stage is done: the pause still owed to writers kept waiting by its last batches (0: none). */
  closing(): number {
    return this.pauseMs > 0 && this.#held ? this.#pause() : 0;
  }

  /**
   * The next batch's size. In proportion to the last one's time (nextBatchSize), except where
   * a batch's time is not in its rows: a key query that reads the whole table, on a table with
   * no index on its key, or from a planner without statistics. There no size fits max_hold,
   * and batches shrunk in proportion went down to one row each, every one holding the lock as
   * long as before: a stage took a batch per row. So the batches stop shrinking at a floor:
   * - once a batch at most half the size of an earlier one over the aim took at least three
   *   quarters of its time, the floor is the largest size that took no longer than about that;
   * - a batch at the floor, whose shortest time there is still over the aim, is followed by one
   *   twice its size. If that took no more than a third longer than the floor's shortest, it is
   *   the floor, and twice it is tried next; if not, twice the floor is tried again after 1, 2,
   *   4, then 8 batches at the floor.
   * Other load on the machine only ever lengthens a batch, so a comparison it spoils is tried
   * again. Where time follows the rows, twice the floor takes twice as long, and the floor
   * stays where proportion put the batches.
   */
  #sized(rows: number, ms: number): number {
    const proportional = nextBatchSize(rows, ms, this.maxHoldMs, this.batchSize);
    if (this.#probing) {
      this.#probing = false;
      if (ms * NO_FASTER > this.#floorMs) {
        this.#wait = this.#nextWait - 1;
        this.#nextWait = Math.min(PROBE_WAIT_MAX, this.#nextWait * 2);
        return Math.max(this.#floor, proportional);
      }
      this.#raise(rows, ms);
      return this.#probe();
    }
    if (rows === this.#floor) this.#floorMs = Math.min(this.#floorMs, ms);
    if (ms <= this.maxHoldMs * HOLD_AIM) {
      this.#over = [];
      return Math.max(this.#floor, proportional);
    }
    // The last few: a proportional shrink halves a batch within a few steps.
    if (this.#over.push({ rows, ms }) > OVER_KEPT) this.#over.shift();
    if (this.#over.some((b) => rows <= b.rows * HALF && ms >= b.ms * NO_FASTER)) {
      const kept = this.#over.filter((b) => b.ms * NO_FASTER <= ms);
      const largest = kept.reduce((a, b) => (b.rows > a.rows ? b : a));
      this.#over = [];
      this.#raise(largest.rows, Math.min(largest.ms, ms));
      return this.#probe();
    }
    // At the floor, and over the aim even at the floor's shortest: twice the floor is tried.
    if (rows > this.#floor || this.#floorMs <= this.maxHoldMs * HOLD_AIM || this.#wait-- > 0) return Math.max(this.#floor, proportional);
    return this.#probe();
  }

  /**
   * The floor is raised to `rows`, which took `ms` at most. Always a raise: no batch is below
   * the floor, and both callers pass twice a batch's size or more.
   */
  #raise(rows: number, ms: number): void {
    this.#floor = rows;
    this.#floorMs = ms;
    this.#nextWait = 1;
  }

  /** Twice the floor is tried next, if batch_size allows. */
  #probe(): number {
    if (this.#floor >= this.batchSize) return this.batchSize;
    this.#probing = true;
    return Math.min(this.batchSize, this.#floor * 2);
  }

  #pause(): number {
    this.#since = null;
    this.#held = false;
    return this.pauseMs;
  }
}
