/**
 * lethe's error classes. Few, each with a stable `code`; the CLI maps them to exit codes:
 * ConfigError and UsageError exit 2, everything else exits 1.
 */

export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_SCHEMA'
  | 'E_STORE'
  | 'E_AUDIT'
  | 'E_LEASE'
  | 'E_INTERNAL';

export class LetheError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One located problem in policies.yaml or against the live schema. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  /** Path inside the YAML, e.g. providers.pipcall.rules.call-data.after */
  path: string;
  message: string;
  hint?: string;
  severity: 'error' | 'warning';
}

/** Formats a problem the way compilers do: `file:line:col: error: message (path) hint`. */
export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  const path = p.path ? ` [${p.path}]` : '';
  const hint = p.hint ? `\n    hint: ${p.hint}` : '';
  return `${where}: ${p.severity}: ${p.message}${path}${hint}`;
}

/** A policy or configuration that cannot be used. Carries every problem found, not just the first. */
export class ConfigError extends LetheError {
  readonly problems: readonly Problem[];
  /** The well-formed part of a rejected policy, so later checks can still report their problems. */
  readonly partial: unknown;
  constructor(message: string, problems: readonly Problem[] = [], options?: { cause?: unknown; partial?: unknown }) {
    super('E_CONFIG', problems.length ? `${message}\n${problems.map(formatProblem).join('\n')}` : message, options);
    this.problems = problems;
    this.partial = options?.partial;
  }
}

/** Bad command-line arguments. */
export class UsageError extends LetheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }
}

/** The store could not be reached or answered with an error. */
export class StoreError extends LetheError {
  /** True when no connection could be made at all (the daemon retries these at start). */
  readonly unreachable: boolean;
  constructor(message: string, options?: { cause?: unknown; unreachable?: boolean }) {
    super('E_STORE', message, options);
    this.unreachable = options?.unreachable ?? false;
  }
}

/** The exit code a given error maps to: 2 for usage and configuration errors, 1 otherwise. */
export function exitCodeFor(err: unknown): 1 | 2 {
  if (err instanceof LetheError && (err.code === 'E_USAGE' || err.code === 'E_CONFIG' || err.code === 'E_SCHEMA')) {
    return 2;
  }
  return 1;
}

/**
 * A message for an error that may have come from the database, safe to log, print and
 * store: a driver's message can quote row values (a trigger's text, a constraint's detail),
 * so it is reduced to the error's code, constraint and table. lethe's own errors keep
 * their messages, which never hold row values.
 */
export function safeErrorMessage(adapter: { safeError(err: unknown): { code: string; constraint: string | null; table: string | null } | null }, err: unknown): string {
  if (err instanceof LetheError) return err.message;
  const db = adapter.safeError(err);
  if (db) return `database error ${db.code}${db.constraint ? ` (constraint ${db.constraint})` : ''}${db.table ? ` on ${db.table}` : ''}`;
  if (err instanceof Error && !(err as { sql?: unknown }).sql) return err.message;
  return 'database error (no details: its message may hold row values)';
}
