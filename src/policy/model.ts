/**
 * The resolved policy: what every part of lethe past the loader sees. Frozen, fully
 * defaulted, with periods parsed and each rule's source position kept for later checks.
 */
import type { ClockFormat, ClockSpec } from '../store/types.js';
import type { Period } from './duration.js';

export type Strategy = null | 'redact' | 'hmac' | 'phone_prefix' | 'ip_truncate' | 'month' | 'email_domain';
export type Scalar = string | number | boolean | null;

export type Action =
  | { readonly kind: 'delete' }
  | { readonly kind: 'anonymise'; readonly columns: readonly { readonly column: string; readonly strategy: Strategy }[] }
  | { readonly kind: 'set'; readonly values: readonly { readonly column: string; readonly value: Scalar }[] };

export type ActionKind = Action['kind'];

export interface Stage {
  /** 1-based, in the order written. */
  readonly index: number;
  readonly after: Extract<Period, { kind: 'duration' }>;
  readonly action: Action;
  readonly marker: string | null;
  /** A delete stage that exports the rows it is about to delete first (`export_before: true`). */
  readonly exportBefore: boolean;
}

type Duration = Extract<Period, { kind: 'duration' }>;

/**
 * How far customer instructions (`lethe instruct`) may move a rule's schedule: down to
 * `shortest` after the clock, and no later than `longest` after it (null: no limit). An
 * instruction outside them is refused when placed, and the bounds apply again at each run.
 */
export interface InstructionBounds {
  readonly quote: string | null;
  readonly shortest: Duration;
  readonly longest: Duration | null;
}

/** A provider's promise to answer data-subject requests: the deadline after receipt (null: not stated). */
export interface RequestTerms {
  readonly quote: string | null;
  readonly respondWithin: Duration | null;
}

/** A column of the rule's table, or of a table it reaches by foreign keys (`accounts.terminated_at`). */
export interface ColumnRef {
  /** The table holding the column: the rule's own table, or one reached by foreign keys. */
  readonly table: string;
  readonly column: string;
  /** As written, e.g. `accounts.terminated_at`. */
  readonly text: string;
}

export interface ClockRef extends ColumnRef, ClockSpec {}

/** `files:` resolved: literal text and column placeholders, e.g. `{record_path}/{record_name}`. */
export interface FilesTemplate {
  readonly text: string;
  readonly parts: readonly ({ readonly literal: string } | { readonly column: string })[];
  readonly columns: readonly string[];
}

export interface Filter {
  readonly column: string;
  readonly values: readonly Scalar[];
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

interface RuleBase {
  readonly provider: string;
  readonly id: string;
  /** The sentence of the policy the rule enforces; null when the rule gives none (check warns). */
  readonly quote: string | null;
  /** The operator's rationale, printed by explain and report. */
  readonly note: string | null;
  readonly category: string | null;
  readonly table: string;
  readonly where: readonly Filter[];
  /** `key:` for tables without a primary key; null to use the primary key. */
  readonly key: readonly string[] | null;
  /** `tenant_column:` of the rule; null to use store.tenant_column (directly or through foreign keys). */
  readonly tenantColumn: ColumnRef | null;
  /** Path in the YAML, e.g. providers.pipcall.rules.call-data */
  readonly path: string;
  readonly position: Position;
}

/** A rule that changes rows when its stages come due. */
export interface EnforceRule extends RuleBase {
  readonly kind: 'enforce';
  readonly clock: ClockRef;
  readonly stages: readonly Stage[];
  readonly files: FilesTemplate | null;
  readonly batchSize: number;
  /** null: the rule takes no customer instructions. */
  readonly instructions: InstructionBounds | null;
}

/** A keep obligation: blocks every other rule on the rows it covers while it lasts. */
export interface RetainRule extends RuleBase {
  readonly kind: 'retain';
  /** null with `after: forever`. */
  readonly clock: ClockRef | null;
  readonly after: Period;
}

/** A schedule line the policy states without a period: documented and reported, never enforced. */
export interface UnspecifiedRule extends RuleBase {
  readonly kind: 'unspecified';
  readonly clock: ClockRef | null;
  readonly intendedAction: ActionKind | 'retain' | null;
}

export type Rule = EnforceRule | RetainRule | UnspecifiedRule;

export interface Guard {
  readonly maxFraction: number;
  readonly minRows: number;
}

/**
 * How batches share the store with the application: `off` (back to back, full batch_size),
 * or a lock-hold budget and a pause; null fields take the engine's default.
 */
export type Throttle = 'off' | { readonly maxHoldMs: number | null; readonly pauseMs: number | null };

export interface ProviderPolicy {
  readonly id: string;
  readonly name: string;
  /** The tenant column's value for this provider's rows: `tenant:`, else the id. */
  readonly tenant: string | number;
  readonly source: string | null;
  readonly schedule: string;
  readonly timezone: string;
  readonly batchSize: number;
  readonly guard: Guard;
  /** Milliseconds; null for no limit. */
  readonly maxRunTimeMs: number | null;
  readonly throttle: Throttle;
  /** null: the policy states no deadline for requests (`lethe request` still records them). */
  readonly requests: RequestTerms | null;
  readonly rules: readonly Rule[];
}

export interface Policy {
  /** Absolute path of the file it was loaded from. */
  readonly file: string;
  /** sha256 of the file's bytes, recorded with every run and audit entry. */
  readonly sha256: string;
  readonly store: {
    readonly url: string | null;
    /** Absolute (resolved against the policy file's folder). */
    readonly mediaRoot: string | null;
    /** Absolute; where exports are written. null: exporting is refused. */
    readonly exportRoot: string | null;
    /** null: a single-tenant store, rules are not scoped. */
    readonly tenantColumn: string | null;
    /** The schema or database of lethe's own tables; null for the store's default. */
    readonly letheSchema: string | null;
    readonly clockFormat: ClockFormat;
    readonly clockZone: string;
  };
  readonly providers: readonly ProviderPolicy[];
  /** Source positions of every YAML path, for problems found after loading. */
  readonly positions: ReadonlyMap<string, Position>;
}

export const BUILTIN_DEFAULTS = Object.freeze({
  schedule: '15 3 * * *',
  timezone: 'UTC',
  batchSize: 1000,
  guard: Object.freeze({ maxFraction: 0.25, minRows: 1000 }),
  clockFormat: 'iso' as ClockFormat,
  clockZone: 'UTC',
});

/** Every enforce rule of a policy, optionally narrowed to one provider and one rule id. */
export function enforceRules(policy: Policy): EnforceRule[] {
  return policy.providers.flatMap((p) => p.rules.filter((r): r is EnforceRule => r.kind === 'enforce'));
}

/** Whether any anonymise stage (of the rules `filter` selects) needs the HMAC key. */
export function needsHmacKey(policy: Policy, filter: { provider?: string | undefined; rule?: string | undefined } = {}): boolean {
  return enforceRules(policy).some((r) =>
    (!filter.provider || r.provider === filter.provider) &&
    (!filter.rule || r.id === filter.rule) &&
    r.stages.some((s) => s.action.kind === 'anonymise' && s.action.columns.some((c) => c.strategy === 'hmac')),
  );
}
