/** `lethe db migrate` and `lethe db seed`: the reference telecom schema and synthetic data. */
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { loadPolicyFile } from '../../policy/load.js';
import { ensureLetheTables } from '../../store/lethe-schema.js';
import { openStore, sqliteFile } from '../../store/open.js';
import { defaultStoreFile } from '../../daemon/quickstart.js';
import type { Adapter } from '../../store/types.js';
import { createReferenceIndexes, createReferenceSchema } from '../../../db/reference-schema.js';
import { seedReferenceData } from '../../../db/seed.js';
import { configPath, injectedNow, type GlobalOptions } from '../context.js';

/** The store and media root for db commands: the policy is optional when --db names the store. */
async function openForDb(g: GlobalOptions, env: NodeJS.ProcessEnv): Promise<{ adapter: Adapter; mediaRoot: string | null }> {
  const file = configPath(g, env);
  const policy = existsSync(file) || !(g.db ?? env.LETHE_DATABASE_URL) ? loadPolicyFile(file).policy : null;
  const url = g.db ?? env.LETHE_DATABASE_URL ?? policy?.store.url;
  if (!url) throw new UsageError('no store: give --db, LETHE_DATABASE_URL or store.url in policies.yaml');
  const baseDir = g.db ?? env.LETHE_DATABASE_URL ? process.cwd() : dirname(policy!.file);
  const media = g.mediaRoot ?? env.LETHE_MEDIA_ROOT;
  // A missing folder is more often a typo than a wish: only the quickstart's data/ is made.
  const dbFile = sqliteFile(url, baseDir);
  const quickstart = policy !== null && defaultStoreFile(g, env, policy) !== null;
  if (dbFile && dbFile !== ':memory:' && !quickstart && !existsSync(dirname(dbFile))) {
    throw new UsageError(`the folder ${dirname(dbFile)} of the SQLite store ${dbFile} does not exist; create it first (mkdir -p), or check --db / LETHE_DATABASE_URL / store.url`);
  }
  return { adapter: await openStore(url, baseDir), mediaRoot: media ? resolve(media) : (policy?.store.mediaRoot ?? null) };
}

/** Creates the reference schema and lethe's tables (idempotent). */
export async function migrate(adapter: Adapter): Promise<void> {
  await createReferenceSchema(adapter);
  await ensureLetheTables(adapter);
}

export async function dbMigrateCommand(g: GlobalOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const { adapter } = await openForDb(g, env);
  try {
    await migrate(adapter);
    process.stdout.write(g.json ? JSON.stringify({ ok: true, store: adapter.description }) + '\n' : `migrated ${adapter.description}\n`);
  } finally {
    await adapter.close();
  }
  return 0;
}

export async function dbSeedCommand(g: GlobalOptions, env: NodeJS.ProcessEnv, f: { accounts?: string; seed?: string; media?: boolean }): Promise<number> {
  const accounts = Number(f.accounts ?? '100');
  const seed = Number(f.seed ?? '1');
  if (!Number.isInteger(accounts) || accounts < 1) throw new UsageError(`--accounts: "${f.accounts}" is not a positive whole number`);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed: "${f.seed}" is not a whole number`);
  const now = injectedNow(g, env);
  const { adapter, mediaRoot } = await openForDb(g, env);
  try {
    // Into a new store, rows go in before the indexes: SQLite seeds about 5x faster that way.
    const fresh = !(await adapter.introspect()).tables.has('accounts');
    if (fresh) {
      await createReferenceSchema(adapter, { indexes: false });
      await ensureLetheTables(adapter);
    } else await migrate(adapter);
    const counts = await seedReferenceData(adapter, {
      accounts,
      seed,
      now: now ?? (await adapter.dbNow()),
      mediaRoot: f.media === false ? null : mediaRoot,
      onAccounts: process.stderr.isTTY ? seedProgress() : undefined,
    } as Parameters<typeof seedReferenceData>[1]);
    if (fresh) await createReferenceIndexes(adapter);
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (g.json) process.stdout.write(JSON.stringify({ ok: true, store: adapter.description, rows: counts }, null, 2) + '\n');
    else {
      const total = Object.values(counts).reduce((a, n) => a + n, 0);
      process.stdout.write(`seeded ${adapter.description}: ${total} rows in ${Object.keys(counts).length} tables (${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')})\n`);
    }
  } finally {
    await adapter.close();
  }
  return 0;
}

/**
 * The seed's progress on a terminal: accounts done of the total, and the time left at the
 * rate so far (accounts dominate the rows; the account-less tables after them are small).
 */
function seedProgress(): (done: number, total: number) => void {
  const started = performance.now();
  return (done, total) => {
    const elapsed = (performance.now() - started) / 1000;
    const left = done < total ? `, about ${Math.ceil((elapsed / done) * (total - done))} s left` : `, ${elapsed.toFixed(1)} s`;
    process.stderr.write(`\rseeding: ${done.toLocaleString('en')} of ${total.toLocaleString('en')} accounts (${Math.floor((100 * done) / total)}%)${left}      `);
  };
}
