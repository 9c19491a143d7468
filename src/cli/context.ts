/**
 * Resolves what every command needs, once, at the edge: flags over environment over
 * policies.yaml over built-in defaults. Produces a frozen runtime context; commands never
 * read process.env or the clock themselves.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, UsageError, formatProblem, type Problem } from '../errors.js';
import { loadPolicyFile, sortProblems } from '../policy/load.js';
import { liveCheck } from '../policy/live-check.js';
import { qualifiers } from '../plan/fk-graph.js';
import { useDemoKey } from '../daemon/quickstart.js';
import type { Policy } from '../policy/model.js';
import { LETHE_SCHEMA_VERSION, ensureLetheTables, letheTablesVersion } from '../store/lethe-schema.js';
import { openStore, redact, sqliteFile } from '../store/open.js';
import { parseClockValue } from '../store/timestamps.js';
import type { Adapter, SchemaInfo } from '../store/types.js';

export interface GlobalOptions {
  config?: string;
  db?: string;
  mediaRoot?: string;
  now?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface Runtime {
  /** The policy file's, or an empty stand-in for the commands that need none (see OpenOptions.policy). */
  policy: Policy;
  /** False when `policy` is the stand-in: filters cannot be checked against providers and rules. */
  hasPolicy: boolean;
  warnings: Problem[];
  adapter: Adapter;
  schema: SchemaInfo;
  /** The injected now (--now / LETHE_NOW), or null to read the store's clock. */
  now: Date | null;
  json: boolean;
  env: NodeJS.ProcessEnv;
}

export function configPath(g: GlobalOptions, env: NodeJS.ProcessEnv): string {
  return resolve(g.config ?? env.LETHE_CONFIG ?? 'policies.yaml');
}

/** Parses --now / LETHE_NOW strictly; a typo is a usage error, never "now". */
export function injectedNow(g: GlobalOptions, env: NodeJS.ProcessEnv): Date | null {
  const raw = g.now ?? env.LETHE_NOW;
  if (raw === undefined || raw === '') return null;
  const d = parseClockValue(raw, 'iso');
  if (!d) throw new UsageError(`${nowSource(g)}: "${raw}" is not an ISO-8601 instant (e.g. 2026-11-23T03:15:00Z)`);
  return d;
}

/** Which of --now and LETHE_NOW set the injected now, for messages. */
function nowSource(g: GlobalOptions): string {
  return g.now !== undefined ? '--now' : 'LETHE_NOW';
}

/**
 * Time travel is for reading: an injected now later than the store's clock would enforce
 * ahead of time and delete rows that are not due, so `run` and `start` refuse it (plan,
 * explain, report and dry runs take any instant).
 */
export async function refuseFutureNow(rt: Pick<Runtime, 'now' | 'adapter'>, g: GlobalOptions, command: string): Promise<void> {
  if (!rt.now) return;
  const store = await rt.adapter.dbNow();
  if (rt.now.getTime() > store.getTime()) {
    throw new UsageError(
      `${nowSource(g)} ${rt.now.toISOString()} is later than the store's clock (${store.toISOString()}): \`lethe ${command}\` would enforce ahead of time and change rows that are not due yet; use it with plan, explain, report or run --dry-run`,
    );
  }
}

/** The store URL in force: --db, then LETHE_DATABASE_URL, then store.url of the policy. */
export function storeUrl(g: GlobalOptions, env: NodeJS.ProcessEnv, policy: Policy): { url: string; baseDir: string } {
  if (g.db === '') throw new UsageError('--db: the store URL is empty');
  if (g.db) return { url: g.db, baseDir: process.cwd() };
  if (env.LETHE_DATABASE_URL) return { url: env.LETHE_DATABASE_URL, baseDir: process.cwd() };
  if (policy.store.url) return { url: policy.store.url, baseDir: dirname(policy.file) };
  throw new ConfigError('no store: set store.url in policies.yaml, LETHE_DATABASE_URL, or --db');
}

export interface OpenOptions {
  /** Check the policy against the live schema and refuse on errors (default true). */
  check?: boolean;
  /** Create lethe's own tables if missing (default true). */
  ensureTables?: boolean;
  /**
   * A reading command: a SQLite store is opened read-only, and lethe's tables are only
   * created or migrated when they are not already at this build's version.
   */
  readonly?: boolean;
  /**
   * `optional`: with the store named by --db or LETHE_DATABASE_URL and no policy file at
   * the default path, run without one (audit, audit verify, hold list read only lethe's tables).
   */
  policy?: 'required' | 'optional';
  /**
   * `run` and `start`: on SQLite their batches commit at synchronous = NORMAL and are synced
   * where lethe acts on them (Adapter.syncCommits). Every other command commits at FULL, so
   * that a hold it reports placed, or a plan approved, survives a power cut.
   */
  enforces?: boolean;
}

/** What reading lethe's own tables needs when there is no policy file: no providers, no rules. */
function noPolicy(file: string): Policy {
  return Object.freeze({
    file,
    sha256: '',
    store: Object.freeze({ url: null, mediaRoot: null, exportRoot: null, tenantColumn: null, letheSchema: null, clockFormat: 'iso' as const, clockZone: 'UTC' }),
    providers: Object.freeze([]),
    positions: new Map(),
  });
}

/** Whether a command that can do without a policy runs without one: none at the default path, and the store named elsewhere. */
function policyAbsent(g: GlobalOptions, env: NodeJS.ProcessEnv, opts: OpenOptions): boolean {
  if (opts.policy !== 'optional' || g.config !== undefined || env.LETHE_CONFIG) return false;
  return !existsSync(configPath(g, env)) && Boolean(g.db || env.LETHE_DATABASE_URL);
}

/** `--media-root` / LETHE_MEDIA_ROOT and LETHE_EXPORT_ROOT over the file's folders. */
export function withRootOverrides(loaded: Policy, g: GlobalOptions, env: NodeJS.ProcessEnv): Policy {
  const media = g.mediaRoot ?? env.LETHE_MEDIA_ROOT;
  const exports = env.LETHE_EXPORT_ROOT;
  if (!media && !exports) return loaded;
  return Object.freeze({
    ...loaded,
    store: Object.freeze({ ...loaded.store, ...(media ? { mediaRoot: resolve(media) } : {}), ...(exports ? { exportRoot: resolve(exports) } : {}) }),
  });
}

/** Loads the policy, opens the store, introspects and validates. Throws ConfigError (exit 2) on any policy problem. */
export async function openRuntime(g: GlobalOptions, env: NodeJS.ProcessEnv, opts: OpenOptions = {}): Promise<Runtime> {
  const now = injectedNow(g, env);
  const hasPolicy = !policyAbsent(g, env, opts);
  let result: ReturnType<typeof loadPolicyFile>;
  try {
    result = hasPolicy ? loadPolicyFile(configPath(g, env)) : { policy: noPolicy(configPath(g, env)), warnings: [] };
  } catch (err) {
    if (err instanceof ConfigError && err.partial && (opts.check ?? true)) throw await withLiveProblems(err, err.partial as Policy, g, env);
    throw err;
  }
  const { policy: loaded, warnings } = result;
  const policy = withRootOverrides(loaded, g, env);
  const { url, baseDir } = storeUrl(g, env, policy);
  // After the quickstart, the CLI uses the demo store's generated key as the daemon does.
  useDemoKey(g, env, policy);
  const synchronous = opts.enforces ? ('normal' as const) : ('full' as const);
  let adapter = await openStore(url, baseDir, { mustExist: true, letheSchema: policy.store.letheSchema, readonly: opts.readonly ?? false, synchronous });
  try {
    if ((opts.ensureTables ?? true) && !(opts.readonly && (await letheTablesVersion(adapter)) === LETHE_SCHEMA_VERSION)) {
      // lethe's tables must be created or migrated first, which writes: a SQLite store read
      // so far read-only is opened again for writing (and refused clearly if it cannot be).
      if (opts.readonly && sqliteFile(url, baseDir)) {
        await adapter.close();
        adapter = await openStore(url, baseDir, { mustExist: true, letheSchema: policy.store.letheSchema, synchronous }).catch((err: unknown) => {
          if (err instanceof ConfigError) throw new ConfigError(`lethe's tables in this store are missing or older than this build, and creating or migrating them writes: ${err.message}`, [], { cause: err });
          throw err;
        });
      }
      await ensureLetheTables(adapter);
    }
    const schema = await introspectFor(adapter, policy);
    if (opts.check ?? true) {
      const problems = liveCheck(policy, schema);
      const errors = problems.filter((p) => p.severity === 'error');
      if (errors.length) throw new ConfigError(`${policy.file}: ${errors.length} problem(s) against the store ${redact(url)}`, errors);
      warnings.push(...problems.filter((p) => p.severity === 'warning'));
    }
    return { policy, hasPolicy, warnings, adapter, schema, now, json: g.json ?? false, env };
  } catch (err) {
    await adapter.close();
    throw err;
  }
}

/**
 * Adds the live-schema problems of the well-formed part of a rejected policy, so one run
 * of `lethe check` reports every problem at once. If the store cannot be opened, the
 * original problems stand alone.
 */
async function withLiveProblems(err: ConfigError, partial: Policy, g: GlobalOptions, env: NodeJS.ProcessEnv): Promise<ConfigError> {
  let adapter: Adapter | null = null;
  try {
    const { url, baseDir } = storeUrl(g, env, partial);
    adapter = await openStore(url, baseDir, { mustExist: true, letheSchema: partial.store.letheSchema });
    const live = liveCheck(partial, await introspectFor(adapter, partial)).filter((p) => p.severity === 'error');
    if (live.length === 0) return err;
    const all = sortProblems([...err.problems, ...live]);
    return new ConfigError(`${partial.file}: ${all.length} problem(s)`, all);
  } catch {
    return err;
  } finally {
    await adapter?.close().catch(() => undefined);
  }
}

/** The live schema of the store's default schema and of every schema or database the policy names. */
export function introspectFor(adapter: Adapter, policy: Policy): Promise<SchemaInfo> {
  const names = policy.providers.flatMap((p) => p.rules.flatMap((r) => [r.table, r.clock?.table ?? '', r.tenantColumn?.table ?? '']));
  return adapter.introspect(qualifiers(names.filter(Boolean)));
}

export function printWarnings(warnings: readonly Problem[], stream: NodeJS.WritableStream = process.stderr): void {
  for (const w of warnings) stream.write(formatProblem(w) + '\n');
}
