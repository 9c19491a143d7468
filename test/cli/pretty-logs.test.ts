/**
 * Pretty logs (LOG_PRETTY=1, the default on a terminal) for a person watching `npm start` or
 * `lethe run`: one line per event, key lists cut short, so the one guard error is on the first
 * screen instead of line 1,447 (issue 11, item 3). Through bin/lethe on a seeded SQLite store.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_POLICY } from '../support/harness.js';
import { runLethe } from '../support/daemon.js';
import { NOW_ISO, seedTemplate, storeFromTemplate } from '../support/daemon-stores.js';

let template = '';
const dirs: string[] = [];
beforeAll(async () => {
  template = await seedTemplate(300);
}, 60_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (template) rmSync(template.replace(/\/telecom\.db$/, ''), { recursive: true, force: true });
});

describe('LOG_PRETTY=1', () => {
  it('lethe run prints one line per event, with purge keys abbreviated; the guard error is on the first screen', async () => {
    const s = storeFromTemplate(template, readFileSync(SHIPPED_POLICY, 'utf8'));
    dirs.push(s.dir);
    const r = await runLethe(['--now', NOW_ISO, 'run'], { cwd: s.dir, env: { LOG_PRETTY: '1' } });
    expect(r.code, r.stderr).toBe(1); // the shipped guard stops a mass change on the seeded store
    const lines = r.stdout.split('\n');
    const isEvent = (l: string) => /^\[\d{4}-\d\d-\d\d [\d:.]+ [+-]\d{4}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /.test(l);
    const last = lines.findLastIndex(isEvent);
    const logPart = lines.slice(0, last + 1);
    // Every line of the log part is an event of its own: no continuation lines, no key per line.
    expect(logPart.filter((l) => !isEvent(l)), 'lines of the log that are not an event line').toEqual([]);
    const purges = logPart.filter((l) => l.includes(' INFO: purge '));
    expect(purges.length).toBeGreaterThan(3);
    const big = purges.find((l) => /"row_count":(\d{2,})/.test(l));
    expect(big, 'a purge of many rows').toBeDefined();
    const count = Number(/"row_count":(\d+)/.exec(big!)![1]);
    expect(big).toMatch(new RegExp(`"keys":"(\\d+, ){5}… \\(${count.toLocaleString('en-US')}\\)"`));
    const guard = logPart.findIndex((l) => l.includes('ERROR: stage not run: the guard stopped a mass change'));
    expect(guard, 'the guard error line').toBeGreaterThanOrEqual(0);
    expect(guard, 'the guard error line number').toBeLessThan(40);
  });
});
