/**
 * Statements compiled once and run with new values. Kysely compiles a query from its node
 * tree every time it runs it, and a stage repeats the same few statements batch after batch
 * (the fence, the holds, the audit insert and the head move). With these compiled once, and
 * SQLite's clock check once a stage (SqliteAdapter.clockBefore), Kysely's own time in a
 * profiled SQLite run over 1M due rows fell from 481-522 ms to 182-214 ms. A statement is
 * built once with Slots where its values go, and each run puts its values in their place
 * among the compiled parameters.
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult, type RawBuilder } from 'kysely';

/** Where the i-th value of a run goes. Only ever a bound parameter, never SQL text. */
export class Slot {
  constructor(readonly i: number) {}
}

type Build<R> = (slot: (i: number) => Slot) => Compilable<R> | RawBuilder<R>;

export class Prepared<R> {
  readonly #compiled: CompiledQuery<R>;
  /** Per compiled parameter: the index of the value that replaces it, or -1 for a fixed one. */
  readonly #slots: number[];

  /** `db` compiles a raw statement (sql``); a query builder carries its own. */
  constructor(db: Kysely<any>, build: Build<R>) {
    const slots: Slot[] = [];
    const q = build((i) => (slots[i] ??= new Slot(i)));
    // A builder's compile() takes no argument, a RawBuilder's the executor to compile with.
    this.#compiled = (q as { compile(db: Kysely<any>): CompiledQuery<R> }).compile(db);
    this.#slots = this.#compiled.parameters.map((p) => (p instanceof Slot ? p.i : -1));
    for (const s of slots) if (s && !this.#slots.includes(s.i)) throw new Error(`prepared statement: value ${s.i} is not a bound parameter of ${this.#compiled.sql}`);
  }

  /** Runs the statement on `db` (or a transaction) with `values` in its slots. */
  execute(db: Kysely<any>, values: readonly unknown[] = []): Promise<QueryResult<R>> {
    const fixed = this.#compiled.parameters;
    const parameters = this.#slots.map((s, i) => (s < 0 ? fixed[i] : values[s]));
    return db.executeQuery(CompiledQuery.raw(this.#compiled.sql, parameters) as CompiledQuery<R>);
  }
}

/**
 * The statement named `name` for `owner` (an adapter: its dialect and lethe's schema are
 * compiled in), built on first use.
 */
export function preparedFor<R>(owner: { db: Kysely<any> }, name: string, build: Build<R>): Prepared<R> {
  let byName = cache.get(owner);
  if (!byName) cache.set(owner, (byName = new Map()));
  let p = byName.get(name) as Prepared<R> | undefined;
  if (!p) byName.set(name, (p = new Prepared(owner.db, build)));
  return p;
}

const cache = new WeakMap<object, Map<string, Prepared<unknown>>>();
