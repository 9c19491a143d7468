/**
 * The quickstart: `npm ci && npm start` on a fresh clone gets a working daemon on the
 * embedded default store. Only the default store (store.url `sqlite:data/telecom.db` in the
 * policy, no --db, no LETHE_DATABASE_URL) is ever created and seeded here — never a store
 * the user named. The demo also gets a generated HMAC key file beside the store, used only
 * for that store and only when no key is configured.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { migrate } from '../cli/commands/db.js';
import type { GlobalOptions } from '../cli/context.js';
import type { Policy } from '../policy/model.js';
import { sqliteFile } from '../store/open.js';
import { openSqlite } from '../store/sqlite.js';
import { seedReferenceData } from '../../db/seed.js';

export const DEFAULT_STORE_URL = 'sqlite:data/telecom.db';
export const DEMO_ACCOUNTS = 500;

/** The default store's file when it is the one in force, else null. */
export function defaultStoreFile(g: GlobalOptions, env: NodeJS.ProcessEnv, policy: Policy): string | null {
  if (g.db || env.LETHE_DATABASE_URL || policy.store.url !== DEFAULT_STORE_URL) return null;
  return sqliteFile(DEFAULT_STORE_URL, dirname(policy.file));
}

/** The demo key file beside the default store. */
export function demoKeyFile(storeFile: string): string {
  return join(dirname(storeFile), 'demo-hmac.key');
}

/**
 * Creates and seeds the default store if it does not exist yet. Returns true when it did.
 * Also points LETHE_HMAC_KEY_FILE at the demo key when the default store is in use and no
 * key is configured.
 */
export async function prepareQuickstart(g: GlobalOptions, env: NodeJS.ProcessEnv, policy: Policy, log: Logger, now: Date | null): Promise<boolean> {
  const file = defaultStoreFile(g, env, policy);
  if (!file) return false;
  let created = false;
  if (!existsSync(file)) {
    log.warn({ event: 'quickstart', store: file }, `quickstart: ${file} does not exist; creating it with the reference schema and seeded demo data (${DEMO_ACCOUNTS} accounts)`);
    const adapter = openSqlite(file);
    try {
      await migrate(adapter);
      const rows = await seedReferenceData(adapter, { accounts: DEMO_ACCOUNTS, seed: 1, now: now ?? (await adapter.dbNow()), mediaRoot: policy.store.mediaRoot });
      log.warn({ event: 'quickstart', store: file, rows }, 'quickstart: demo store seeded; this is synthetic data for trying lethe, not a real store');
    } finally {
      await adapter.close();
    }
    writeFileSync(demoKeyFile(file), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    created = true;
  }
  const key = useDemoKey(g, env, policy);
  if (key) log.warn({ event: 'quickstart', key_file: key }, 'quickstart: using the generated demo HMAC key for the demo store; set LETHE_HMAC_KEY or LETHE_HMAC_KEY_FILE for real data');
  return created;
}

/**
 * Points LETHE_HMAC_KEY_FILE at the demo key when the default (demo) store is in use, no
 * key is configured and the quickstart made one, for the daemon and every CLI command
 * alike. Returns the key file it chose, or null.
 */
export function useDemoKey(g: GlobalOptions, env: NodeJS.ProcessEnv, policy: Policy): string | null {
  const file = defaultStoreFile(g, env, policy);
  if (!file || env.LETHE_HMAC_KEY || env.LETHE_HMAC_KEY_FILE || !existsSync(demoKeyFile(file))) return null;
  env.LETHE_HMAC_KEY_FILE = demoKeyFile(file);
  return env.LETHE_HMAC_KEY_FILE;
}
