/**
 * The engines the suite runs against, chosen by LETHE_TEST_ENGINES (default: all three).
 * Each test gets its own database on PostgreSQL and MariaDB, dropped afterwards. In CI
 * (CI=true) an unreachable server fails the run; locally it is skipped with a loud line.
 */
import { sql } from 'kysely';
import { openStore } from '../../src/store/open.js';
import type { EngineName } from '../../src/store/types.js';

export const SERVER_URLS = {
  postgres: process.env.LETHE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mysql: process.env.LETHE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
} as const;

const requested = (process.env.LETHE_TEST_ENGINES ?? 'sqlite,postgres,mysql')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as EngineName[];

const reachable = new Map<EngineName, boolean>();

async function probe(engine: EngineName): Promise<boolean> {
  if (engine === 'sqlite') return true;
  const known = reachable.get(engine);
  if (known !== undefined) return known;
  let ok = false;
  try {
    const a = await openStore(SERVER_URLS[engine], process.cwd());
    await a.close();
    ok = true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`CI: the ${engine} server at ${SERVER_URLS[engine]} is unreachable: ${(err as Error).message}`);
    console.warn(`\n*** SKIPPING ${engine.toUpperCase()}: ${SERVER_URLS[engine]} is unreachable (${(err as Error).message}) ***\n`);
  }
  reachable.set(engine, ok);
  return ok;
}

/** The engines to loop the suite over (top-level await in test files). */
export async function testEngines(): Promise<EngineName[]> {
  const out: EngineName[] = [];
  for (const e of requested) if (await probe(e)) out.push(e);
  return out;
}

let counter = 0;

/** Creates an empty database on a server engine and returns its URL and a dropper. */
export async function createDatabase(engine: Exclude<EngineName, 'sqlite'>): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `lethe_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = await openStore(SERVER_URLS[engine], process.cwd());
  try {
    await sql`create database ${sql.id(name)}`.execute(admin.db);
  } finally {
    await admin.close();
  }
  const base = new URL(SERVER_URLS[engine]);
  base.pathname = `/${name}`;
  return {
    url: base.toString(),
    drop: async () => {
      const a = await openStore(SERVER_URLS[engine], process.cwd());
      try {
        await sql`drop database if exists ${sql.id(name)}`.execute(a.db);
      } finally {
        await a.close();
      }
    },
  };
}
