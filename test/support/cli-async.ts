/**
 * Helpers for CLI and store-state tests that need more than harness.ts gives:
 * - runCliAsync: bin/lethe as a child process without blocking the worker;
 * - runCliBatch: many invocations of the compiled CLI in one child process (see cli-batch.mjs);
 * - dumpStore: every row of every table (reference and lethe_*) plus the schema, in a
 *   stable order, so "nothing changed" can be asserted by deep equality;
 * - lineOf: the 1-based line of a unique needle in a fixture, so each test names the exact
 *   line it expects a problem on without counting by hand.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, ROOT, TEST_HMAC_KEY, type CliResult } from './harness.js';

export function runCliAsync(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : -2), stdout, stderr });
    });
  });
}

export interface StoreDump {
  schema: unknown[];
  tables: Record<string, unknown[]>;
}

/** A full, ordered dump of the SQLite file: schema objects and every row of every table. */
export function dumpStore(dbFile: string): StoreDump {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const schema = db.prepare(`select type, name, tbl_name, sql from sqlite_schema order by type, name`).all();
    const names = (db.prepare(`select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name`).all() as { name: string }[]).map((r) => r.name);
    const tables: Record<string, unknown[]> = {};
    for (const name of names) {
      const rows = db.prepare(`select * from "${name.replace(/"/g, '""')}"`).all();
      tables[name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return { schema, tables };
  } finally {
    db.close();
  }
}

/** The 1-based line of `needle` in `text`; throws unless it occurs on exactly one line. */
export function lineOf(text: string, needle: string): number {
  const hits = text.split('\n').flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`fixture: "${needle}" is on ${hits.length} lines (${hits.join(', ')}), expected exactly one`);
  return hits[0]!;
}

/** The 1-based column where `needle` starts on its (unique) line. */
export function colOf(text: string, needle: string): number {
  const line = text.split('\n')[lineOf(text, needle) - 1]!;
  return line.indexOf(needle) + 1;
}

export interface BatchCall {
  id: string;
  cwd: string;
  args: string[];
  timeoutMs?: number;
}

/**
 * Runs many CLI invocations through test/support/cli-batch.mjs: one child process that calls
 * dist's `main()` (what bin/lethe runs) once per invocation and records exit code, stdout
 * and stderr. Results are keyed by call id.
 */
export async function runCliBatch(calls: BatchCall[], env: Record<string, string> = {}): Promise<Map<string, CliResult>> {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-batch-'));
  const specFile = join(dir, 'spec.json');
  const outFile = join(dir, 'results.json');
  writeFileSync(specFile, JSON.stringify({ root: ROOT, calls }));
  const child = await new Promise<CliResult>((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'test', 'support', 'cli-batch.mjs'), specFile, outFile], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', LETHE_HMAC_KEY: TEST_HMAC_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  if (child.code !== 0) throw new Error(`cli-batch failed (${child.code}):\n${child.stderr}`);
  const rows = JSON.parse(readFileSync(outFile, 'utf8')) as (CliResult & { id: string })[];
  return new Map(rows.map(({ id, ...r }) => [id, r]));
}
