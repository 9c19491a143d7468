/**
 * DESIGN §10–11, findings 2–4 of the safety issue: clock values that are not what the rule
 * says. Epoch seconds in a column declared epoch_ms (every row "due"), milliseconds under
 * epoch_s (nothing ever due), impossible dates (2026-02-30), and text the engines used to
 * read differently. lethe samples each clock column and refuses a stage whose column cannot
 * be what the rule says, whatever the table's size; single bad values are never due, are
 * named by check, and never stop the rest of the run; every engine gives one answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { NOW } from '../support/harness.js';
import { cliStore, type CliStore } from '../support/safety.js';

const engines = await testEngines();
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;

const ddl = (engine: string) => {
  const int = engine === 'sqlite' ? 'integer' : 'bigint';
  const text = engine === 'mysql' ? 'varchar(40)' : 'text';
  return [`create table events (id ${int} primary key, provider_id varchar(32) not null, at_epoch ${int}, at_text ${text})`, 'create index ix_events_epoch on events (at_epoch)', 'create index ix_events_text on events (at_text)'];
};

const rule = (id: string, clock: string, format?: string) => `      ${id}:
        quote: "Events are deleted after 30 days."
        table: events
        clock: ${clock}
${format ? `        clock_format: ${format}\n` : ''}        after: 30 days
        action: delete
`;
const policy = (rules: string) => `version: 1
defaults:
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme
    rules:
${rules}`;

async function seed(store: CliStore, rows: { id: number; at_epoch?: number | null; at_text?: string | null }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await store.db.insertInto('events').values(rows.slice(i, i + 500).map((r) => ({ provider_id: 'acme', at_epoch: null, at_text: null, ...r }))).execute();
  }
}
const ids = async (store: CliStore) => (await store.db.selectFrom('events').select('id').orderBy('id').execute()).map((r) => Number(r.id));

describe.each(engines)('epoch units that are not what the rule says, on %s', (engine) => {
  let seconds: CliStore;
  let millis: CliStore;
  beforeAll(async () => {
    // 900 rows; half are more than 30 days old. Seconds stored where milliseconds are declared, and the reverse.
    const ages = Array.from({ length: 900 }, (_, i) => (i % 2 ? 45 : 5));
    seconds = await cliStore(engine, policy(rule('events', 'at_epoch', 'epoch_ms')), ddl);
    await seed(seconds, ages.map((a, i) => ({ id: i + 1, at_epoch: Math.floor((NOW.getTime() - a * DAY) / 1000) })));
    millis = await cliStore(engine, policy(rule('events', 'at_epoch', 'epoch_s')), ddl);
    await seed(millis, ages.map((a, i) => ({ id: i + 1, at_epoch: NOW.getTime() - a * DAY })));
  });
  afterAll(async () => {
    await seconds?.close();
    await millis?.close();
  });

  it('epoch seconds under epoch_ms: check exits 2 naming the unit, and run (even forced) deletes nothing', () => {
    const chk = seconds.cli(['check', '--now', NOW_ISO]);
    expect(chk.code, chk.stdout + chk.stderr).toBe(2);
    expect(chk.stderr).toMatch(/clock events\.at_epoch: \d+ of \d+ sampled values read as dates in 1970.* under epoch_ms: they look like epoch seconds/);
    expect(chk.stderr).toMatch(/hint: set clock_format: epoch_s/);
    for (const args of [['run'], ['run', '--force']]) {
      const r = seconds.cli([...args, '--json', '--now', NOW_ISO]);
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', changed: 0, stages: [{ status: 'refused' }] });
    }
    return ids(seconds).then((left) => expect(left).toHaveLength(900));
  });

  it('epoch milliseconds under epoch_s: check exits 2, and nothing is enforced silently', async () => {
    const chk = millis.cli(['check', '--now', NOW_ISO]);
    expect(chk.code, chk.stdout + chk.stderr).toBe(2);
    expect(chk.stderr).toMatch(/they look like epoch milliseconds/);
    const r = millis.cli(['run', '--json', '--now', NOW_ISO]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', stages: [{ status: 'refused' }] });
    expect(await ids(millis)).toHaveLength(900);
  });
});

/** [id, value, due?] — valid values either side of the 30-day cutoff, and values that are not clocks. */
const TEXT: [number, string, boolean][] = [
  [1, new Date(NOW.getTime() - 45 * DAY).toISOString(), true],
  [2, new Date(NOW.getTime() - 5 * DAY).toISOString(), false],
  [3, '2025-01-15', true],
  [4, '2025-05-01T23:00:00+0100', true], // a ±hhmm offset: an instant on every engine
  [5, '2025-05-01T23:00:00+01', true],
  [6, '2025-05-01 23:00', true],
  [7, '2026-02-30', false], // no such day
  [8, '2026-04-31T10:00:00Z', false],
  [9, '0000-01-01', false], // no year 0
  [10, '2025-05-01T23:00:00 +01:00', false], // a space before the offset
  [11, '2025-5-1', false], // one-digit month and day
  [12, 'yesterday', false],
  [13, '2025-13-01', false],
  [14, '2025-05-01T24:00:00Z', false],
  [15, '12', false],
  // In lethe's own form, which SQLite compares as text once it has checked the date is real.
  [16, '2024-02-29T10:00:00.000Z', true], // a leap day
  [17, '2025-02-29T10:00:00.000Z', false], // not a leap year
  [18, '2025-04-31T10:00:00.000Z', false],
  [19, '2025-13-05T10:00:00.000Z', false],
  [20, '2025-00-05T10:00:00.000Z', false],
  [21, '2025-06-00T10:00:00.000Z', false],
];

describe.each(engines)('clock text every engine reads the same way, on %s', (engine) => {
  let store: CliStore;
  beforeAll(async () => {
    store = await cliStore(engine, policy(rule('events', 'at_text')), ddl);
    // Mostly good values, so the column as a whole is a clock column; the bad ones are single values.
    const good = Array.from({ length: 200 }, (_, i) => ({ id: 100 + i, at_text: new Date(NOW.getTime() - (i % 2 ? 45 : 5) * DAY).toISOString() }));
    await seed(store, [...TEXT.map(([id, at_text]) => ({ id, at_text })), ...good]);
  });
  afterAll(async () => store?.close());

  it('check passes and names the rows whose clock is not a clock, without printing their values', () => {
    const chk = store.cli(['check', '--now', NOW_ISO]);
    expect(chk.code, chk.stderr).toBe(0);
    expect(chk.stdout).toMatch(/warning: 14 value\(s\) of events\.at_text are not valid ISO-8601 clocks \(first: events row 7, a value shaped like "9999-99-99"\)/);
    expect(chk.stdout + chk.stderr).not.toMatch(/yesterday/);
    const rep = store.cli(['report', '--json', '--now', NOW_ISO]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout).rules[0]).toMatchObject({ bad_clocks: 14, first_bad_clock: { key: 7, shape: '"9999-99-99"' } });
  });

  it('run deletes exactly the valid due values and keeps every value that is not a clock', async () => {
    const r = store.cli(['run', '--json', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const left = new Set(await ids(store));
    const expectKept = TEXT.filter(([, , due]) => !due).map(([id]) => id);
    const expectGone = TEXT.filter(([, , due]) => due).map(([id]) => id);
    expect(expectKept.filter((id) => !left.has(id)), 'rows that are not due were deleted').toEqual([]);
    expect(expectGone.filter((id) => left.has(id)), 'due rows were kept').toEqual([]);
  });
});
