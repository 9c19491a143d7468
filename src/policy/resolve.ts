/**
 * Turns a shape-valid PolicyInput into the frozen Policy model: applies defaults, parses
 * periods, classifies each rule (enforce, retain, unspecified) and checks what zod cannot
 * see — stage order, markers, cron expressions, time zones. Collects every problem.
 */
import { dirname, resolve as resolvePath } from 'node:path';
import { IANAZone } from 'luxon';
import { validateDetailed } from 'node-cron';
import type { Problem } from '../errors.js';
import type { ClockFormat } from '../store/types.js';
import { parsePeriod, type Period } from './duration.js';
import type { ActionInput, PolicyInput, RuleInput } from './input-schema.js';
import {
  BUILTIN_DEFAULTS,
  type Action,
  type ClockRef,
  type ColumnRef,
  type FilesTemplate,
  type Filter,
  type Guard,
  type InstructionBounds,
  type Policy,
  type Position,
  type ProviderPolicy,
  type RequestTerms,
  type Rule,
  type Stage,
  type Throttle,
} from './model.js';
import { periodMillisUpperBound } from './period-math.js';
import { positionOf, problem } from './positions.js';

interface Context {
  file: string;
  sha256: string;
  positions: ReadonlyMap<string, Position>;
}

/** Resolves defaults and meaning; returns the frozen policy and every problem found. */
export function resolvePolicy(input: PolicyInput, ctx: Context): { policy: Policy; problems: Problem[] } {
  const problems: Problem[] = [];
  // A path ending in '^' points at the key itself (the rule's name), not at its value.
  const report = (path: (string | number)[], message: string, hint?: string, severity: Problem['severity'] = 'error') => {
    const atKey = path[path.length - 1] === '^';
    const p = atKey ? path.slice(0, -1) : path;
    const pos = (atKey ? undefined : ctx.positions.get(`${p.join('.')}.=`)) ?? positionOf(ctx.positions, p);
    problems.push(problem(ctx.file, pos, p.join('.'), message, hint, severity));
  };

  const d = input.defaults ?? {};
  const clockFormat: ClockFormat = input.store?.clock_format ?? BUILTIN_DEFAULTS.clockFormat;
  const clockZone = input.store?.clock_zone ?? BUILTIN_DEFAULTS.clockZone;
  if (input.store?.clock_zone) checkZone(input.store.clock_zone, ['store', 'clock_zone'], report);
  const defaults = {
    schedule: d.schedule ?? BUILTIN_DEFAULTS.schedule,
    timezone: d.timezone ?? BUILTIN_DEFAULTS.timezone,
    batchSize: d.batch_size ?? BUILTIN_DEFAULTS.batchSize,
    guard: mergeGuard(BUILTIN_DEFAULTS.guard, d.guard),
    maxRunTimeMs: d.max_run_time ? runTime(d.max_run_time, ['defaults', 'max_run_time'], report) : null,
  };
  checkCron(defaults.schedule, ['defaults', 'schedule'], report);
  checkZone(defaults.timezone, ['defaults', 'timezone'], report);

  // Store-wide, the throttle may sit under store: or beside the other defaults; in both it would be ambiguous.
  if (input.store?.throttle !== undefined && input.defaults?.throttle !== undefined) {
    report(['defaults', 'throttle'], 'throttle is set under store: and under defaults:', 'keep one of them: both set the store-wide throttle');
  }
  const storeThrottle = input.defaults?.throttle ?? input.store?.throttle;

  const providers: ProviderPolicy[] = [];
  for (const [pid, p] of Object.entries(input.providers)) {
    const base = ['providers', pid];
    const schedule = p.schedule ?? defaults.schedule;
    const timezone = p.timezone ?? defaults.timezone;
    if (p.schedule) checkCron(p.schedule, [...base, 'schedule'], report);
    if (p.timezone) checkZone(p.timezone, [...base, 'timezone'], report);
    const batchSize = p.batch_size ?? defaults.batchSize;
    const rules: Rule[] = [];
    for (const [rid, r] of Object.entries(p.rules)) {
      const rule = resolveRule(pid, rid, r, { batchSize, clockFormat, clockZone }, [...base, 'rules', rid], report, ctx.positions);
      if (rule) rules.push(rule);
    }
    if (Object.keys(p.rules).length === 0) report([...base, 'rules'], `provider "${pid}" has no rules`, undefined, 'warning');
    providers.push({
      id: pid,
      name: p.name,
      tenant: p.tenant ?? pid,
      source: p.source ?? null,
      schedule,
      timezone,
      batchSize,
      guard: mergeGuard(defaults.guard, p.guard),
      maxRunTimeMs: p.max_run_time ? runTime(p.max_run_time, [...base, 'max_run_time'], report) : defaults.maxRunTimeMs,
      throttle: throttle(p.throttle ?? storeThrottle),
      requests: p.requests ? requestTerms(p.requests, [...base, 'requests'], report) : null,
      rules,
    });
  }

  const dir = dirname(ctx.file);
  const policy: Policy = {
    file: ctx.file,
    sha256: ctx.sha256,
    store: {
      url: input.store?.url ?? null,
      mediaRoot: input.store?.media_root ? resolvePath(dir, input.store.media_root) : null,
      exportRoot: input.store?.export_root ? resolvePath(dir, input.store.export_root) : null,
      tenantColumn: input.store?.tenant_column ?? null,
      letheSchema: input.store?.lethe_schema ?? null,
      clockFormat,
      clockZone,
    },
    providers,
    positions: ctx.positions,
  };
  return { policy: deepFreeze(policy), problems };
}

type Report = (path: (string | number)[], message: string, hint?: string, severity?: Problem['severity']) => void;

/** Longer periods than this are typos, and beyond them calendar arithmetic stops being meaningful. */
const MAX_PERIOD_MS = 1000 * 366 * 86_400_000;

/** Parses a period and refuses ones longer than 1000 years. */
function period(input: unknown, path: (string | number)[], report: Report): Period | null {
  const parsed = parsePeriod(input);
  if (!parsed.ok) {
    report(path, parsed.message, parsed.hint);
    return null;
  }
  if (parsed.period.kind === 'duration' && periodMillisUpperBound(parsed.period) > MAX_PERIOD_MS) {
    report(path, `the period "${parsed.period.text}" is longer than 1000 years`, 'check the number; write "forever" for a retain rule that never ends');
    return null;
  }
  return parsed.period;
}

function resolveRule(
  provider: string,
  id: string,
  r: RuleInput,
  inherited: { batchSize: number; clockFormat: ClockFormat; clockZone: string },
  path: string[],
  report: Report,
  positions: ReadonlyMap<string, Position>,
): Rule | null {
  const base = {
    provider,
    id,
    quote: r.quote ? r.quote.trim().replace(/\s+/g, ' ') : null,
    note: r.note?.trim() ? r.note.trim().replace(/\s+/g, ' ') : null,
    category: r.category ?? null,
    table: r.table,
    where: resolveWhere(r.where),
    key: r.key === undefined ? null : Array.isArray(r.key) ? r.key : [r.key],
    tenantColumn: r.tenant_column ? columnRef(r.tenant_column, r.table) : null,
    path: path.join('.'),
    position: positionOf(positions, path),
  };
  if (!base.quote) report([...path, '^'], `rule ${provider}/${id} has no quote`, 'add `quote:` with the sentence of the policy this rule enforces', 'warning');
  if (base.key && new Set(base.key).size !== base.key.length) report([...path, 'key'], 'a key column is listed twice');
  if (r.clock_zone) checkZone(r.clock_zone, [...path, 'clock_zone'], report);
  const spec = { format: r.clock_format ?? inherited.clockFormat, zone: r.clock_zone ?? inherited.clockZone };
  const clock: ClockRef | null = r.clock ? { ...columnRef(r.clock, r.table), ...spec } : null;
  const files = r.files === undefined ? null : filesTemplate(r.files, [...path, 'files'], report);
  if (r.files !== undefined && !files) return null;

  if (r.stages && (r.after !== undefined || r.action !== undefined)) {
    report([...path, 'stages'], 'a rule has either `after` and `action`, or `stages`, not both', 'move `after` and `action` into a stage');
    return null;
  }

  // Unspecified: documented and reported, never enforced.
  if (r.after !== undefined) {
    const after = period(r.after, [...path, 'after'], report);
    if (!after) return null;
    const parsed = { period: after };
    if (parsed.period.kind === 'unspecified' || r.action === 'retain') {
      if (r.instructions !== undefined) report([...path, 'instructions'], 'only a rule that changes rows takes customer instructions', 'remove `instructions:`; a hold keeps rows a retain or unspecified rule does not');
      if (r.export_before !== undefined) report([...path, 'export_before'], '`export_before` is for a rule that deletes', 'remove it');
    }
    if (parsed.period.kind === 'unspecified') {
      if (r.stages) report([...path, 'stages'], 'an `unspecified` rule has no stages');
      return { ...base, kind: 'unspecified', clock, intendedAction: r.action ? actionKind(r.action) : null };
    }
    if (r.action === 'retain') {
      if (parsed.period.kind !== 'forever' && !clock) {
        report([...path, 'clock'], 'a retain rule with a period needs a clock', 'add `clock:`, or use `after: forever`');
        return null;
      }
      if (r.files) report([...path, 'files'], 'a retain rule deletes no files', 'remove `files:`');
      return { ...base, kind: 'retain', clock, after: parsed.period };
    }
    if (parsed.period.kind === 'forever') {
      report([...path, 'after'], '`forever` is only for retain rules', 'use action: retain, or give a period');
      return null;
    }
    if (r.action === undefined) {
      report([...path, 'action'], 'missing required key "action"', 'delete, {anonymise: …}, {set: …} or retain');
      return null;
    }
    return enforce(base, clock, [{ after: parsed.period, action: r.action, marker: r.marker, exportBefore: r.export_before }], [path], r, files, inherited, path, report);
  }

  if (r.action === 'retain') {
    report([...path, 'after'], 'a retain rule needs `after` (a period, or forever)');
    return null;
  }
  if (!r.stages) {
    report(path, 'a rule needs `after` and `action`, or `stages`', 'add e.g. `after: 12 months` and `action: delete`');
    return null;
  }
  if (r.export_before !== undefined) report([...path, 'export_before'], '`export_before` belongs to the delete stage that exports', 'move it into the stage');
  const stages: { after: Period; action: ActionInput; marker: string | undefined; exportBefore: boolean | undefined }[] = [];
  const stagePaths: string[][] = [];
  r.stages.forEach((s, i) => {
    const sp = [...path, 'stages', String(i)];
    const after = period(s.after, [...sp, 'after'], report);
    if (!after) return;
    const parsed = { period: after };
    if (parsed.period.kind !== 'duration') {
      return report([...sp, 'after'], `a stage's period must be a duration, not "${parsed.period.text}"`, 'unspecified and forever apply to whole rules');
    }
    if (s.action === 'retain') return report([...sp, 'action'], 'retain is a rule of its own, not a stage', 'write a separate rule with action: retain');
    stages.push({ after: parsed.period, action: s.action, marker: s.marker ?? r.marker, exportBefore: s.export_before });
    stagePaths.push(sp);
  });
  if (stages.length !== r.stages.length) return null;
  return enforce(base, clock, stages, stagePaths, r, files, inherited, path, report);
}

function enforce(
  base: Omit<Extract<Rule, { kind: 'enforce' }>, 'kind' | 'clock' | 'stages' | 'files' | 'batchSize' | 'instructions'>,
  clock: ClockRef | null,
  raw: { after: Period; action: ActionInput; marker: string | undefined; exportBefore: boolean | undefined }[],
  stagePaths: string[][],
  r: RuleInput,
  files: FilesTemplate | null,
  inherited: { batchSize: number },
  path: string[],
  report: Report,
): Rule | null {
  if (!clock) {
    report([...path, 'clock'], 'an enforced rule needs a clock', 'e.g. `clock: terminated_at` or `clock: accounts.terminated_at`');
    return null;
  }
  let ok = true;
  const stages: Stage[] = raw.map((s, i) => {
    const action = resolveAction(s.action as Exclude<ActionInput, 'retain'>);
    const sp = stagePaths[i] ?? path;
    if (action.kind === 'anonymise') {
      if (action.columns.length === 0) {
        report([...sp, 'action'], 'anonymise names no columns', 'e.g. {anonymise: {email: hmac, name: null}}');
        ok = false;
      }
    }
    if (action.kind === 'set' && action.values.length === 0) {
      report([...sp, 'action'], 'set names no columns');
      ok = false;
    }
    if (s.marker && action.kind === 'delete') {
      report([...sp, 'marker'], 'a delete stage leaves no row to mark', 'remove the marker', 'warning');
    }
    if (s.exportBefore && action.kind !== 'delete') {
      report([...sp, 'export_before'], '`export_before` is for a delete stage: only a delete loses the rows', 'remove it, or make the stage delete');
      ok = false;
    }
    return { index: i + 1, after: s.after as Stage['after'], action, marker: action.kind === 'delete' ? null : (s.marker ?? null), exportBefore: s.exportBefore === true };
  });
  for (let i = 1; i < stages.length; i++) {
    if (periodMillisUpperBound(stages[i]!.after) <= periodMillisUpperBound(stages[i - 1]!.after)) {
      report([...(stagePaths[i] ?? path), 'after'], 'stages must come in order of increasing period', 'list the shortest period first');
      ok = false;
    }
    if (stages[i - 1]!.action.kind === 'delete') {
      report([...(stagePaths[i] ?? path), 'action'], 'no stage can follow a delete', 'make the delete the last stage');
      ok = false;
    }
  }
  if (files && !stages.some((s) => s.action.kind === 'delete')) {
    report([...path, 'files'], '`files` are deleted with their row, but no stage deletes', 'remove `files:` or add a delete stage', 'warning');
  }
  const instructions = r.instructions === undefined ? null : instructionBounds(r.instructions, stages, [...path, 'instructions'], report);
  if (r.instructions !== undefined && !instructions) ok = false;
  if (!ok) return null;
  return { ...base, kind: 'enforce', clock, stages, files, batchSize: r.batch_size ?? inherited.batchSize, instructions };
}

/**
 * The bounds a rule's customer instructions must stay within. `shortest` defaults to at once
 * (a customer may ask for erasure now), `longest` to no limit; a `longest` shorter than the
 * rule's own last stage would override the policy rather than bound an instruction.
 */
function instructionBounds(input: NonNullable<RuleInput['instructions']>, stages: readonly Stage[], path: string[], report: Report): InstructionBounds | null {
  const given = input === true ? {} : input;
  const shortest = given.shortest === undefined ? ZERO : period(given.shortest, [...path, 'shortest'], report);
  const longest = given.longest === undefined ? null : period(given.longest, [...path, 'longest'], report);
  if (!shortest || (given.longest !== undefined && !longest)) return null;
  if (shortest.kind !== 'duration') {
    report([...path, 'shortest'], `the shortest period an instruction may set must be a duration, not "${shortest.text}"`, 'e.g. "at once" or "30 days"');
    return null;
  }
  if (longest && longest.kind === 'unspecified') {
    report([...path, 'longest'], '`longest` cannot be unspecified', 'give a period, or leave it out (no limit)');
    return null;
  }
  const longestDuration = longest && longest.kind === 'duration' ? longest : null;
  const last = stages[stages.length - 1];
  if (longestDuration && last && periodMillisUpperBound(longestDuration) < periodMillisUpperBound(last.after)) {
    report([...path, 'longest'], `\`longest\` (${longestDuration.text}) is shorter than the rule's own period (${last.after.text})`, 'an instruction may keep a row longer than the rule, up to `longest`');
    return null;
  }
  if (longestDuration && periodMillisUpperBound(shortest) > periodMillisUpperBound(longestDuration)) {
    report([...path, 'shortest'], '`shortest` is longer than `longest`');
    return null;
  }
  return { quote: given.quote ? given.quote.trim().replace(/\s+/g, ' ') : null, shortest, longest: longestDuration };
}

const ZERO: Extract<Period, { kind: 'duration' }> = { kind: 'duration', text: 'at once', units: {} };

function requestTerms(input: NonNullable<PolicyInput['providers'][string]['requests']>, path: string[], report: Report): RequestTerms | null {
  const within = period(input.respond_within, [...path, 'respond_within'], report);
  if (!within) return null;
  if (within.kind === 'forever') {
    report([...path, 'respond_within'], 'a deadline cannot be forever', 'give a period such as "30 days", or `unspecified`');
    return null;
  }
  return { quote: input.quote ? input.quote.trim().replace(/\s+/g, ' ') : null, respondWithin: within.kind === 'duration' ? within : null };
}

function resolveAction(a: Exclude<ActionInput, 'retain'>): Action {
  if (a === 'delete') return { kind: 'delete' };
  if ('anonymise' in a) return { kind: 'anonymise', columns: Object.entries(a.anonymise).map(([column, strategy]) => ({ column, strategy })) };
  return { kind: 'set', values: Object.entries(a.set).map(([column, value]) => ({ column, value })) };
}

function actionKind(a: ActionInput): Action['kind'] | 'retain' {
  if (a === 'delete' || a === 'retain') return a;
  return 'anonymise' in a ? 'anonymise' : 'set';
}

/** `col`, `table.col` or `schema.table.col`: the last dot starts the column. */
function columnRef(text: string, table: string): ColumnRef {
  const dot = text.lastIndexOf('.');
  return dot < 0 ? { table, column: text, text } : { table: text.slice(0, dot), column: text.slice(dot + 1), text };
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/;

/** `media_path`, or a template such as `{record_path}/{record_name}`. */
function filesTemplate(text: string, path: string[], report: Report): FilesTemplate | null {
  if (!text.includes('{') && !text.includes('}')) {
    if (COLUMN_NAME.test(text)) return { text, parts: [{ column: text }], columns: [text] };
    report(path, `"${text}" is neither a column name nor a template`, 'name a column (media_path) or write a template of columns ("{record_path}/{record_name}")');
    return null;
  }
  const parts: FilesTemplate['parts'][number][] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push({ literal: text.slice(at, m.index) });
    if (!COLUMN_NAME.test(m[1]!)) {
      report(path, `"{${m[1]}}" in the files template is not a column name`, 'placeholders name columns: {record_path}/{record_name}');
      return null;
    }
    parts.push({ column: m[1]! });
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push({ literal: text.slice(at) });
  const literal = parts.filter((p): p is { literal: string } => 'literal' in p).map((p) => p.literal).join('');
  if (literal.includes('{') || literal.includes('}')) {
    report(path, `unbalanced braces in the files template "${text}"`, 'each column is written {column}');
    return null;
  }
  const columns = [...new Set(parts.flatMap((p) => ('column' in p ? [p.column] : [])))];
  if (columns.length === 0) {
    report(path, `the files template "${text}" names no column`, 'e.g. "{record_path}/{record_name}"');
    return null;
  }
  return { text, parts, columns };
}

function resolveWhere(where: RuleInput['where']): Filter[] {
  return Object.entries(where ?? {}).map(([column, v]) => ({ column, values: Array.isArray(v) ? v : [v] }));
}

function mergeGuard(base: Guard, g: { max_fraction?: number | undefined; min_rows?: number | undefined } | undefined): Guard {
  return { maxFraction: g?.max_fraction ?? base.maxFraction, minRows: g?.min_rows ?? base.minRows };
}

/** `50 ms`, `1 s` → milliseconds. */
const millis = (text: string | undefined): number | null => {
  if (text === undefined) return null;
  const m = /^\s*(\d+)\s*(ms|s)\s*$/.exec(text)!;
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
};

function throttle(t: 'off' | { max_hold?: string | undefined; pause?: string | undefined } | undefined): Throttle {
  if (t === undefined) return { maxHoldMs: null, pauseMs: null };
  if (t === 'off') return 'off';
  return { maxHoldMs: millis(t.max_hold), pauseMs: millis(t.pause) };
}

function runTime(text: string, path: string[], report: Report): number | null {
  const parsed = parsePeriod(text);
  if (!parsed.ok || parsed.period.kind !== 'duration') {
    report(path, parsed.ok ? `"${text}" is not a duration` : parsed.message, 'e.g. "30 minutes" or "PT2H"');
    return null;
  }
  return periodMillisUpperBound(parsed.period);
}

function checkCron(expr: string, path: string[], report: Report): void {
  const v = validateDetailed(expr);
  if (!v.valid) {
    const detail = v.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    report(path, `invalid cron expression "${expr}"${detail ? ` (${detail})` : ''}`, 'five fields: minute hour day-of-month month day-of-week, e.g. "15 3 * * *"');
  }
}

function checkZone(zone: string, path: string[], report: Report): void {
  if (!IANAZone.isValidZone(zone)) report(path, `unknown time zone "${zone}"`, 'an IANA name such as UTC, Europe/London or America/New_York');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Map)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
