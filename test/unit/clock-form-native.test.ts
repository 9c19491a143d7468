/**
 * The C lethe_clock_form (native/lethe_clock.c, built by `npm run build`) gives clockTextForm's
 * answer for every value: both are registered on one real SQLite connection and asked about
 * the same column of values, random digits in every position of every form (so impossible
 * dates and times come up), each one mutated at every position, and values of every other
 * type. The store lethe opens uses it where it was built; CI builds it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TEXT_FORMS, clockTextForm } from '../../src/clock/read.js';
import { NATIVE_CLOCK, openSqlite } from '../../src/store/sqlite.js';
import { rng } from '../support/rng.js';

const built = NATIVE_CLOCK.find((f) => existsSync(f));

/** Text values in and near every form, and a few of every other type. */
function corpus(): unknown[] {
  const r = rng(20261204);
  const digit = () => String(Math.floor(r() * 10));
  const d2 = (hi: number) => String(Math.floor(r() * (hi + 1))) + digit();
  const year = () => (r() < 0.02 ? '0000' : r() < 0.3 ? ['1900', '2000', '2024', '2100', '0004', '9999'][Math.floor(r() * 6)]! : digit() + digit() + digit() + digit());
  const out: unknown[] = [];
  const stray = ['0', '9', '/', ':', '-', 'T', 't', ' ', 'Z', 'z', '+', '.', 'a', '\u0000', 'é', '٣', '２'];
  for (let i = 0; i < 20_000; i++) {
    const form = TEXT_FORMS[i % TEXT_FORMS.length]!;
    const full = `${year()}-${d2(1)}-${r() < 0.3 ? `2${digit()}` : d2(3)}${form.separator}${d2(2)}:${d2(6)}:${d2(6)}.${digit()}${digit()}${digit()}${digit()}${digit()}${digit()}`;
    const s = `${full.slice(0, form.length)}${form.zone}`;
    out.push(s);
    if (i % 10 === 0) {
      // The value with one character replaced at each position, one short and one long, and other zones.
      for (let p = 0; p < s.length; p++) out.push(s.slice(0, p) + stray[Math.floor(r() * stray.length)]! + s.slice(p + 1));
      out.push(s.slice(0, -1), `${s}0`, `${full.slice(0, form.length)}+0000`, `${full.slice(0, form.length)}-00:00`, `${full.slice(0, 10)}Z`, ` ${s}`);
    }
  }
  out.push('', 'Z', '+00:00', '2024-02-29', '2023-02-29', '2000-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', 0, 1709251200, 1.5, -3, Buffer.from('2024-03-01T00:00:00.000Z'), null);
  return out;
}

describe('the C lethe_clock_form', () => {
  it.runIf(process.env.CI === 'true')('is built in CI', () => {
    expect(built, `npm run build left none of ${NATIVE_CLOCK.join(', ')}`).toBeDefined();
  });

  it.runIf(built !== undefined)('gives the reference’s answer for every value', () => {
    const db = new Database(':memory:');
    try {
      db.function('reference_form', { deterministic: true }, (v: unknown) => clockTextForm(v));
      db.loadExtension(built!);
      db.exec('create table v (i integer primary key, x)');
      const insert = db.prepare('insert into v (x) values (?)');
      const values = corpus();
      db.transaction(() => values.forEach((v) => insert.run(v)))();
      const rows = db.prepare('select x, lethe_clock_form(x) as c, reference_form(x) as j from v').all() as { x: unknown; c: number; j: number }[];
      expect(rows.length).toBe(values.length);
      const differ = rows.filter((row) => row.c !== row.j);
      expect(differ.slice(0, 5), `${differ.length} values differ`).toEqual([]);
      // Every form and plenty of refusals came up: the comparison covered them.
      const codes = new Map<number, number>();
      for (const row of rows) codes.set(row.c, (codes.get(row.c) ?? 0) + 1);
      for (let code = 0; code <= TEXT_FORMS.length; code++) expect(codes.get(code) ?? 0, `form ${code}`).toBeGreaterThan(100);
    } finally {
      db.close();
    }
  });

  it.runIf(built !== undefined)('is the one a store lethe opens calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lethe-native-'));
    try {
      const adapter = openSqlite(join(dir, 's.db'));
      try {
        expect((adapter as unknown as { nativeClock: boolean }).nativeClock).toBe(true);
      } finally {
        await adapter.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
