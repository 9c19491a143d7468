/**
 * One clock reader, one due date (DESIGN §10–11): a property test over clock values. Random
 * valid and invalid ISO text, naive and zoned native timestamps, DATEs and epoch numbers,
 * with instants around DST changes and month ends, are stored on every engine; at several
 * `now`s around those instants, the rows the run deletes, the count plan reports and the
 * verdict explain's function gives (on the value as the store returns it) must all agree.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDue } from '../../src/clock/due.js';
import { ensureLetheTables } from '../../src/store/lethe-schema.js';
import { readClock } from '../../src/clock/read.js';
import { countStage } from '../../src/exec/counts.js';
import { clockValue, T } from '../../src/exec/sql-fragments.js';
import { planRun } from '../../src/plan/planner.js';
import type { EnforceRule } from '../../src/policy/model.js';
import { testEngines } from '../support/engines.js';
import { rng } from '../support/rng.js';
import { enforce, policyFromText } from '../support/harness.js';
import { vendorStore, type VendorStore } from '../support/vendor.js';

const engines = await testEngines();
const PROVIDER_ZONE = 'America/New_York';
const CLOCK_ZONE = 'Europe/London';

/** Instants the periods below make boundaries of: DST changes in both zones, month ends, leap days, a summer day (London's wall time an hour ahead of UTC). */
const PIVOTS = ['2024-02-29T12:00:00Z', '2025-01-31T23:30:00Z', '2025-03-09T07:00:00Z', '2025-03-30T01:00:00Z', '2025-10-26T01:00:00Z', '2025-11-02T06:00:00Z', '2025-12-31T23:59:59Z', '2025-06-15T12:00:00Z'].map((s) => Date.parse(s));
const NOWS = ['2025-03-01T00:00:00Z', '2025-03-10T06:30:00.500Z', '2025-03-31T00:30:00Z', '2025-04-30T23:00:00Z', '2025-11-02T07:30:00Z', '2026-01-31T12:00:00Z', '2025-06-16T12:00:00.500Z'].map((s) => new Date(s));

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Text forms of an instant: every valid one, and two of the invalid ones (so the column as a whole stays a clock column). */
function textForms(ms: number, r: () => number): string[] {
  const d = new Date(ms);
  const Y = pad(d.getUTCFullYear(), 4);
  const M = pad(d.getUTCMonth() + 1);
  const D = pad(d.getUTCDate());
  const h = pad(d.getUTCHours());
  const m = pad(d.getUTCMinutes());
  const s = pad(d.getUTCSeconds());
  const frac = String(Math.floor(r() * 1e9)).padStart(9, '0').slice(0, 1 + Math.floor(r() * 9));
  const valid = [
    `${Y}-${M}-${D}T${h}:${m}:${s}Z`,
    `${Y}-${M}-${D} ${h}:${m}:${s}.${frac}`,
    `${Y}-${M}-${D}T${h}:${m}`,
    `${Y}-${M}-${D} ${h}:${m}:${s}`,
    `${Y}-${M}-${D}T${h}:${m}:${s}`,
    `${Y}-${M}-${D}T${h}:${m}:${s}.${frac.padEnd(6, '0').slice(0, 6)}+00:00`,
    `${Y}-${M}-${D}`,
    `${Y}-${M}-${D}T${h}:${m}:${s}+0100`,
    `${Y}-${M}-${D}T${h}:${m}:${s}-05:00`,
    `${Y}-${M}-${D}T${h}:${m}:${s}+01`,
  ];
  const invalid = [
    `${Y}-${M}-${D}T${h}:${m}:${s} +01:00`,
    `${Y}-${Number(M)}-${Number(D)}`,
    `${Y}-02-30`,
    `${Y}-${M}-${D}T24:00:00Z`,
    `${Y}-${M}-${D} 24:00:00`,
    `${Y}-13-${D} ${h}:${m}:${s}`,
    `${Y}-02-30 ${h}:${m}:${s}`,
    `${Y}/${M}/${D}`,
    ` ${Y}-${M}-${D}`,
    `0000-${M}-${D}`,
    `${Y}-${M}-${D}t${h}:${m}:${s}z`,
  ];
  const pick = () => invalid[Math.floor(r() * invalid.length)]!;
  return [...valid, pick(), pick()];
}

interface Row {
  id: number;
  t_text: string | null;
  t_naive: string | null;
  t_zoned: string | null;
  t_date: string | null;
  t_epoch: number | null;
}

function generate(): Row[] {
  const r = rng(20261201);
  const rows: Row[] = [];
  let id = 1;
  for (const pivot of PIVOTS) {
    for (let k = 0; k < 12; k++) {
      // Around the pivot, then shifted by the periods so they land near the cutoffs of the NOWS.
      const ms = pivot + Math.round((r() - 0.5) * 6 * 3_600_000) - (r() < 0.5 ? 0 : 30 * 86_400_000);
      const iso = new Date(ms).toISOString();
      for (const text of textForms(ms, r)) {
        rows.push({ id: id++, t_text: text, t_naive: iso.slice(0, 23).replace('T', ' '), t_zoned: iso, t_date: iso.slice(0, 10), t_epoch: Math.floor(ms / 1000) });
      }
    }
  }
  rows.push({ id: id++, t_text: null, t_naive: null, t_zoned: null, t_date: null, t_epoch: null });
  return rows;
}

const COLUMNS = [
  { column: 't_text', format: 'iso' },
  { column: 't_naive', format: 'iso' },
  { column: 't_zoned', format: 'iso' },
  { column: 't_date', format: 'iso' },
  { column: 't_epoch', format: 'epoch_s' },
] as const;
const PERIODS = ['1 month', '1 day', '12 months'];

const policy = (column: string, format: string, after: string) => `version: 1
store:
  clock_zone: ${CLOCK_ZONE}
defaults:
  timezone: ${PROVIDER_ZONE}
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  p:
    name: P
    rules:
      r:
        quote: "x"
        table: clocks
        clock: ${column}
        clock_format: ${format}
        after: ${after}
        action: delete
`;

describe.each(engines)('clock values on %s', (engine) => {
  let store: VendorStore;
  const rows = generate();
  beforeAll(async () => {
    const types =
      engine === 'postgres'
        ? ['text', 'timestamp(6) without time zone', 'timestamp(6) with time zone', 'date', 'bigint']
        : engine === 'mysql'
          ? ['varchar(64)', 'datetime(6)', 'timestamp(6) null', 'date', 'bigint']
          : ['text', 'text', 'text', 'text', 'integer'];
    store = await vendorStore(engine, {
      ddl: [`create table clocks (id integer primary key, ${COLUMNS.map((c, i) => `${c.column} ${types[i]}`).join(', ')})`],
      policy: 'version: 1\nproviders: {}\n',
    });
    await ensureLetheTables(store.adapter);
  });
  afterAll(async () => store?.close());

  it('plan, run and explain agree on every value, at every now, for every column kind and period', async () => {
    const disagreements: string[] = [];
    let deleted = 0;
    let kept = 0;
    for (const { column, format } of COLUMNS) {
      for (const after of PERIODS) {
        const pol = policyFromText(policy(column, format, after));
        const rule = pol.providers[0]!.rules[0] as EnforceRule;
        for (const now of NOWS) {
          await sql`delete from clocks`.execute(store.adapter.db);
          // MySQL's TIMESTAMP takes no zone designator in text: bind the instant.
          const bound = engine === 'mysql' ? rows.map((x) => ({ ...x, t_zoned: x.t_zoned === null ? null : new Date(x.t_zoned) })) : rows;
          for (let i = 0; i < bound.length; i += 200) await store.adapter.db.insertInto('clocks').values(bound.slice(i, i + 200)).execute();
          const schema = await store.adapter.introspect();
          const task = planRun(pol, now, schema).providers[0]!.tasks[0]!;
          // explain's function, on each value as the store returns it.
          const raw = await sql<{ id: number; v: unknown }>`select id, ${store.adapter.clockRaw(clockValue(task.clock), task.clock.column, task.clock.spec)} as v from clocks as ${sql.id(T)}`.execute(store.adapter.db);
          const explainDue = new Set(raw.rows.filter((x) => isDue(readClock(x.v, task.clock.spec), now, rule.stages[0]!.after, PROVIDER_ZONE, CLOCK_ZONE)).map((x) => Number(x.id)));
          const planned = (await countStage(store.adapter, task, new Map())).due;
          const res = await enforce(store, { policy: pol, now, force: true });
          const left = new Set((await store.adapter.db.selectFrom('clocks').select('id').execute()).map((x) => Number(x.id)));
          const ranDue = new Set(rows.map((x) => x.id).filter((id) => !left.has(id)));
          deleted += ranDue.size;
          kept += rows.length - ranDue.size;
          const where = `${column} after ${after} at ${now.toISOString()}`;
          if (res.status !== 'ok') disagreements.push(`${where}: run ${res.status} ${res.error}`);
          if (planned !== explainDue.size) disagreements.push(`${where}: plan counts ${planned}, explain finds ${explainDue.size}`);
          for (const id of ranDue) if (!explainDue.has(id)) disagreements.push(`${where}: run deleted ${id} (${JSON.stringify(rows[id - 1])}), explain keeps it`);
          for (const id of explainDue) if (!ranDue.has(id)) disagreements.push(`${where}: explain says ${id} (${JSON.stringify(rows[id - 1])}) is due, run kept it`);
        }
      }
    }
    expect(disagreements.slice(0, 20)).toEqual([]);
    // The values straddle the cutoffs: plenty of both outcomes were compared.
    expect(deleted).toBeGreaterThan(1000);
    expect(kept).toBeGreaterThan(1000);
  }, 300_000);
});
