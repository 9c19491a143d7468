/**
 * Child probes where the key query does not lock its rows (PostgreSQL; executor.ts,
 * StageSql.childProbes and childSafety): a delete batch whose key range no child row
 * references deletes without testing every row, because the store refuses to delete a
 * referenced row (ReferenceGuard). The batches must still delete and audit exactly the due
 * rows, and leave every row a child row references: one referenced before the probe, and
 * one a child row comes to reference after it (the store refuses, the batch runs again
 * testing every row). Where a foreign key would cascade, or its trigger is off, the store
 * would not refuse, so the key query locks the rows, and the batches probe under the lock.
 * ReferenceGuard.enforced is checked on both servers, foreign key kind by kind.
 */
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import type { EngineName } from '../../src/store/types.js';
import { statementsOf } from '../support/statements.js';
import { testEngines } from '../support/engines.js';
import { callsPolicy, CLOCK_TYPE } from '../support/calls.js';
import { cli, daysBefore, enforce, ts } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';
import { writeMidBatch } from '../support/pg-race.js';

const engines = await testEngines();

const CALLS_DELETE = /^delete from "calls" as "t" where /s;
/**
 * An ordered delete (executor.ts, orderedBatch): one statement for a window of calls no note
 * references, here (ids dense) a window of a batch's ids without the limit.
 */
const ORDERED = /^delete from "calls" where "calls"\."id" > \$\d+ and "calls"\."id" <= \$\d+ and .* returning /s;
const TESTS_EVERY_ROW = /not exists \(select 1 from "notes"/;

/** calls(id, started_at) and notes(call_id → calls, `fk` after the reference): calls 1..1000 due, 1001..1100 not. */
async function store(engine: EngineName, fk: string): Promise<VendorStore> {
  const s = await vendorStore(engine, {
    ddl: [
      `create table calls (id integer primary key, started_at ${CLOCK_TYPE[engine]})`,
      'create index calls_started_at on calls (started_at)',
      `create table notes (id integer primary key, call_id integer, constraint notes_call foreign key (call_id) references calls (id) ${fk})`,
      'create index notes_call_id on notes (call_id)',
    ],
    policy: callsPolicy({ batch_size: '250', throttle: 'off' }),
  });
  await ensureLetheTables(s.adapter);
  const rows = Array.from({ length: 1100 }, (_, i) => ({ id: i + 1, started_at: ts(s, daysBefore(i < 1000 ? 400 : 10)) }));
  for (let i = 0; i < rows.length; i += 500) await s.adapter.db.insertInto('calls').values(rows.slice(i, i + 500)).execute();
  return s;
}

/** The `id` column of a query's rows, as numbers. */
const ids = async (db: Kysely<any>, q: RawBuilder<{ id: unknown }>) => (await q.execute(db)).rows.map((r) => Number(r.id));

/** The keys of every delete entry of the chain, in order. */
function auditedKeys(s: VendorStore): number[] {
  const entries = JSON.parse(cli(s, ['audit', '--format', 'json']).stdout) as { action: string; keys: unknown[] }[];
  return entries.filter((e) => e.action === 'delete').flatMap((e) => e.keys).map(Number).sort((a, b) => a - b);
}

const allBut = (...kept: number[]) => Array.from({ length: 1000 }, (_, i) => i + 1).filter((id) => !kept.includes(id));

/** A note on call `callId`, inserted while the second batch deletes it (writeMidBatch): its probe cannot see the note, and its delete waits for it. */
const noteWhileDeleting = (s: VendorStore, callId: number) => writeMidBatch(s, 'insert into notes (id, call_id) values (1, $1)', [callId]);

describe.runIf(engines.includes('postgres'))('child probes on postgres', () => {
  let s: VendorStore | undefined;
  afterEach(async () => s?.close());

  /**
   * A run over calls 1..1000 (due) with a note on call `kept`, added before the run, or while
   * the run deletes it (noteWhileDeleting). Whatever the path, the call and its note stay,
   * the call is counted blocked, and the audit names every other due call. Returns the
   * statements the run sent.
   */
  async function runKeeping(fk: string, kept: number, note: 'before' | 'racing') {
    s = await store('postgres', fk);
    const race = note === 'racing' ? noteWhileDeleting(s, kept) : null;
    if (!race) await s.adapter.db.insertInto('notes').values({ id: 1, call_id: kept }).execute();
    const { result, statements } = await statementsOf(() => enforce(s!, race ? { fence: race.fence } : {}));
    await race?.committed();
    expect(result.stages[0]).toMatchObject({ status: 'done', due: 1000, changed: 999, blocked: 1 });
    expect(await ids(s.adapter.db, sql`select id from calls where id <= 1000`)).toEqual([kept]);
    expect(await ids(s.adapter.db, sql`select call_id as id from notes`)).toEqual([kept]);
    expect(auditedKeys(s)).toEqual(allBut(kept));
    expect(cli(s, ['audit', 'verify'])).toMatchObject({ code: 0 });
    return statements;
  }

  /** Which of the run's deletes of calls test every row for a note. */
  const testsEveryRow = (statements: readonly CompiledQuery[]) => statements.filter((q) => CALLS_DELETE.test(q.sql)).map((q) => TESTS_EVERY_ROW.test(q.sql));

  it('delete batches whose range no note references without testing every row, and leave the call a note references', async () => {
    const statements = await runKeeping('on delete restrict', 777, 'before');
    // Windows of 250 ids (the ids are dense: a batch's worth), each probed for notes. Batches
    // 1 to 3 are ordered deletes. Batch 4's window (751..1000) holds call 777, so it goes by
    // key, testing every row.
    expect(statements.filter((q) => ORDERED.test(q.sql))).toHaveLength(3);
    expect(testsEveryRow(statements)).toEqual([true]);
  });

  it('leave a call a note comes to reference after the probe: the store refuses, and the batch runs again testing every row', async () => {
    const statements = await runKeeping('on delete no action', 300, 'racing');
    // No note at the start, so no window is probed. Batch 1 is an ordered delete; batch 2's
    // was refused (its note came while it waited), ran again by key testing every row, and
    // so do batches 3 and 4.
    expect(statements.filter((q) => ORDERED.test(q.sql))).toHaveLength(2);
    expect(testsEveryRow(statements)).toEqual([true, true, true]);
  });

  it('end a dry run whose delete the store refuses with a stage that failed, saying why, and change nothing', async () => {
    s = await store('postgres', 'on delete no action');
    const race = noteWhileDeleting(s, 300);
    const result = await enforce(s, { fence: race.fence, dryRun: true });
    await race.committed();
    expect(result.stages[0]).toMatchObject({ status: 'failed', error: 'a row of calls came to be referenced while the batch ran; the batch was rolled back' });
    expect(await ids(s.adapter.db, sql`select count(*)::int as id from calls`)).toEqual([1100]);
    expect(auditedKeys(s)).toEqual([]);
  });

  it.each(['on delete cascade', 'on delete set null'])('leave a call a note comes to reference while the batch deletes it, and the note, where the key is %s', async (fk) => {
    await runKeeping(fk, 300, 'racing');
  });

  it('lock the calls where a foreign key would cascade, and probe under the lock', async () => {
    const statements = await runKeeping('on delete cascade', 777, 'before');
    // Batches 1 to 3 by range alone; batch 4 (calls 751..1000) holds call 777.
    expect(testsEveryRow(statements)).toEqual([false, false, false, true]);
    const keyQueries = statements.filter((q) => /^select "t"\."id" as "__k0" from "calls"/.test(q.sql));
    expect(keyQueries.length).toBeGreaterThanOrEqual(4);
    expect(keyQueries.every((q) => / for update of t$/.test(q.sql))).toBe(true);
  });
});

describe.each(engines.filter((e) => e !== 'sqlite'))('ReferenceGuard.enforced on %s', (engine) => {
  let s: VendorStore | undefined;
  afterEach(async () => s?.close());

  const enforced = async (fk: string, after: readonly string[] = []) => {
    s = await store(engine, fk);
    for (const stmt of after) await sql.raw(stmt).execute(s.adapter.db);
    const r = await s.adapter.referenceGuard!.enforced(s.adapter.db, 'calls');
    await s.close();
    s = undefined;
    return r;
  };

  it('holds where every foreign key refuses the delete', async () => {
    expect(await enforced('on delete restrict')).toBe(true);
    expect(await enforced('on delete no action')).toBe(true);
    expect(await enforced('')).toBe(true);
  });

  it('does not hold where a foreign key would change the child row', async () => {
    expect(await enforced('on delete cascade')).toBe(false);
    expect(await enforced('on delete set null')).toBe(false);
  });

  it.runIf(engine === 'postgres')('does not hold where the check waits for the commit, or its trigger is off, on postgres', async () => {
    expect(await enforced('deferrable initially deferred')).toBe(false);
    expect(await enforced('', ['alter table calls disable trigger all'])).toBe(false);
    expect(await enforced('', ['alter table calls disable trigger all', 'alter table calls enable trigger all'])).toBe(true);
  });
});
