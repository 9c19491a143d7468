/**
 * Regression: `lethe run --dry-run` used to never finish (Node exit status 13, "unsettled
 * top-level await"): the guard count ran on adapter.db while the dry run's transaction held
 * SQLite's single connection. Fixed in eb0b5b8; this keeps it fixed, through the real binary.
 * Needs `npm run build` first.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempStore } from '../support/harness.js';
import { dumpStore, runCliAsync } from '../support/cli-async.js';

describe('lethe run --dry-run', () => {
  it('counts a due row, reports the dry run, exits 0, and changes nothing but lethe’s run bookkeeping', async () => {
    const store = await tempStore();
    await store.close();
    const db = new Database(store.dbFile);
    db.exec(`insert into providers (id, name) values ('loop', 'Loop');
             insert into accounts (id, provider_id, name, contract_ends_at) values (1, 'loop', 'Lee Lo', '2025-01-01T00:00:00Z');
             insert into calls (id, provider_id, account_id, started_at) values (1, 'loop', 1, '2024-06-01T00:00:00Z');`);
    db.close();
    const before = dumpStore(store.dbFile);
    const r = await runCliAsync(['--config', store.policyFile, '--json', 'run', '--dry-run', '--now', '2026-11-23T03:15:00Z', '--provider', 'loop'], { cwd: store.dir, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; dry_run: boolean; changed: number; stages: { rule: string; due: number }[] };
    expect(result.status).toBe('dry_run');
    expect(result.dry_run).toBe(true);
    expect(result.stages.find((s) => s.rule === 'customer-data-calls')?.due).toBe(1);
    const after = dumpStore(store.dbFile);
    expect(after.tables.lethe_runs).toHaveLength(1);
    expect(String(after.tables.lethe_runs![0])).toContain('"status":"dry_run"');
    // Everything but lethe's own bookkeeping (the run record, the enforcer lease) is untouched.
    const data = (t: Record<string, unknown[]>) => Object.fromEntries(Object.entries(t).filter(([name]) => name !== 'lethe_runs' && name !== 'lethe_lease'));
    expect(data(after.tables)).toEqual(data(before.tables));
    expect(after.tables.calls).toHaveLength(1);
    expect(after.tables.lethe_audit).toEqual([]);
  });
});
