/**
 * DESIGN §11, findings 7, 9, 10 and 11 of the safety issue:
 * - a database error whose text holds a row's values (a trigger's message) never reaches a
 *   log line, --json, stderr or lethe_runs: only its code, constraint and table do;
 * - --now / LETHE_NOW later than the store's clock is refused for `run` and `start`;
 * - a policy of 5,000 rules on one table checks in seconds, in bounded memory;
 * - a run killed with SIGKILL gets its real totals (from its audit entries) when the next
 *   run starts.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { BIN, NOW, TEST_HMAC_KEY } from '../support/harness.js';
import { cliStore, type CliStore } from '../support/safety.js';

const engines = await testEngines();
const NOW_ISO = NOW.toISOString();
const DAY = 86_400_000;
const FUTURE = '2099-01-01T00:00:00Z';

const policy = (batch = 1000) => `version: 1
store:
  tenant_column: provider_id
defaults:
  batch_size: ${batch}
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  acme:
    name: Acme
    rules:
      trials:
        quote: "Free-trial sign-ups are deleted after 30 days."
        table: trial_signups
        clock: started_at
        after: 30 days
        action: delete
`;

/** A trigger that refuses to delete VIP sign-ups, quoting the row's e-mail address in its message. */
const TRIGGER: Record<string, string[]> = {
  sqlite: [`create trigger keep_vip before delete on trial_signups when old.email like 'vip%' begin select raise(abort, 'cannot delete ' || old.email); end`],
  postgres: [
    `create function keep_vip() returns trigger language plpgsql as $$ begin if old.email like 'vip%' then raise exception 'cannot delete %', old.email; end if; return old; end $$`,
    'create trigger keep_vip before delete on trial_signups for each row execute function keep_vip()',
  ],
  mysql: [`create trigger keep_vip before delete on trial_signups for each row begin if old.email like 'vip%' then set @m = concat('cannot delete ', old.email); signal sqlstate '45000' set message_text = @m; end if; end`],
};

async function trials(store: CliStore, n: number, email: (id: number) => string, ageDays = 60): Promise<void> {
  await store.db.insertInto('providers').values({ id: 'acme', name: 'Acme' }).execute().catch(() => undefined);
  const started = store.engine === 'sqlite' ? new Date(NOW.getTime() - ageDays * DAY).toISOString() : new Date(NOW.getTime() - ageDays * DAY);
  for (let i = 0; i < n; i += 1000) {
    await store.db
      .insertInto('trial_signups')
      .values(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ id: i + j + 1, provider_id: 'acme', email: email(i + j + 1), phone: null, started_at: started })))
      .execute();
  }
}

describe.each(engines)('errors, time travel, scale and kills, on %s', (engine) => {
  let store: CliStore | undefined;
  afterEach(async () => store?.close());

  it('a trigger quoting row values: the failure names code and table, never the value', async () => {
    store = await cliStore(engine, policy(), (e) => TRIGGER[e]!);
    await trials(store, 3, (id) => (id === 2 ? 'vip.customer@example.com' : `t${id}@example.com`));
    for (const args of [['run', '--json'], ['run']]) {
      const r = store.cli([...args, '--now', NOW_ISO]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr, `${args.join(' ')} prints no row value`).not.toMatch(/vip\.customer/);
      expect(r.stdout + r.stderr).toMatch(/database error \S+/);
    }
    const runs = await sql<{ error: string | null; stages: string | null }>`select error, stages from lethe_runs`.execute(store.db);
    expect(runs.rows.length).toBe(2);
    for (const row of runs.rows) {
      expect(`${row.error} ${row.stages}`).not.toMatch(/vip\.customer/);
      expect(row.error).toMatch(/acme\/trials stage 1: database error/);
    }
  });

  it('--now or LETHE_NOW later than the store clock is refused for run and start, and allowed for reading', async () => {
    store = await cliStore(engine, policy());
    await trials(store, 5, (id) => `t${id}@example.com`, 1);
    const run = store.cli(['run', '--now', FUTURE]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--now 2099-01-01T00:00:00.000Z is later than the store's clock .*would enforce ahead of time/);
    const env = store.cli(['run'], { LETHE_NOW: FUTURE });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/LETHE_NOW 2099-01-01T00:00:00.000Z is later than the store's clock/);
    const start = store.cli(['start', '--port', '0', '--now', FUTURE]);
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/lethe start` would enforce ahead of time/);
    for (const reading of [['run', '--dry-run'], ['plan'], ['report'], ['explain', 'trial_signups', '1']]) {
      const r = store.cli([...reading, '--now', FUTURE]);
      expect(r.code, `${reading.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(Number((await sql<{ n: unknown }>`select count(*) as n from trial_signups`.execute(store.db)).rows[0]!.n)).toBe(5);
  });

  // 8-18 s in CI runs; once on MariaDB it passed the 60 s default (69.8 s), as if the next run waited
  // out InnoDB's 50 s lock wait on the killed run's connection (see the notes of issue 9).
  it('a run killed with SIGKILL is closed by the next run with the totals its audit entries show', { timeout: 120_000 }, async () => {
    store = await cliStore(engine, policy(100));
    await trials(store, 20_000, (id) => `t${id}@example.com`);
    const child = spawn(process.execPath, [BIN, 'run', '--now', NOW_ISO], { cwd: store.dir, env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...store.env }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const entries = async () => Number((await sql<{ n: unknown }>`select count(*) as n from lethe_audit`.execute(store!.db)).rows[0]!.n);
    for (let i = 0; i < 600 && (await entries()) < 5; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const audited = Number((await sql<{ n: unknown }>`select coalesce(sum(row_count), 0) as n from lethe_audit where run_id = 1`.execute(store.db)).rows[0]!.n);
    expect(audited).toBeGreaterThan(0);
    const next = store.cli(['run', '--json', '--now', NOW_ISO]);
    expect(next.code, next.stderr).toBe(0);
    const first = await sql<{ status: string; changed: unknown }>`select status, changed from lethe_runs where id = 1`.execute(store.db);
    expect({ status: first.rows[0]!.status, changed: Number(first.rows[0]!.changed) }).toEqual({ status: 'interrupted', changed: audited });
    expect(JSON.parse(next.stdout).changed + audited).toBe(20_000);
  });
});

describe('a policy of 5,000 rules on one table', () => {
  it('checks in seconds, within a 512 MB heap', async () => {
    const store = await cliStore('sqlite', policy());
    try {
      const rules = Array.from({ length: 5000 }, (_, i) => {
        const action = i % 3 === 0 ? '{ set: { phone: null } }' : i % 3 === 1 ? '{ anonymise: { email: null } }' : 'retain';
        const where = i % 2 ? `\n        where: { email: e${i % 50} }` : '';
        return `      r${i}:\n        quote: "rule ${i}"\n        table: trial_signups\n        clock: started_at\n        after: ${i + 1} days\n        action: ${action}${where}`;
      });
      writeFileSync(join(store.dir, 'big.yaml'), `version: 1\nstore:\n  tenant_column: provider_id\nproviders:\n  acme:\n    name: Acme\n    rules:\n${rules.join('\n')}\n`);
      const t0 = performance.now();
      const r = store.cli(['--config', 'big.yaml', 'check'], { NODE_OPTIONS: '--max-old-space-size=512' });
      const ms = performance.now() - t0;
      expect(r.code, r.stderr.slice(-1000)).toBe(0);
      expect(r.stdout).toMatch(/5000 rules/);
      // One overlap warning for the table, not one per pair of rules.
      expect(r.stdout.match(/overlap on trial_signups/g)).toHaveLength(1);
      expect(ms).toBeLessThan(30_000);
    } finally {
      await store.close();
    }
  });
});
