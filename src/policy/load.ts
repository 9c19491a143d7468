/**
 * Loads policies.yaml: YAML with positions (core schema, unique keys, an alias limit), then
 * the shape (zod), then the meaning (resolve.ts). Every problem found is reported at once,
 * each with file:line:column, the path inside the YAML and a hint. Nothing past this file
 * sees unvalidated input.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type Problem } from '../errors.js';
import { closest } from './duration.js';
import { POLICY_KEYS, PolicyInput, ProviderInput, RuleInput } from './input-schema.js';
import type { Policy, Position } from './model.js';
import { resolvePolicy } from './resolve.js';
import { positionOf, problem } from './positions.js';

/** Larger files are refused before parsing: a policy is a page of rules, not a data set. */
const MAX_BYTES = 1024 * 1024;
/** Aliases expanded per document; YAML bombs multiply aliases to exhaust memory. */
const MAX_ALIASES = 50;

export interface LoadResult {
  policy: Policy;
  warnings: Problem[];
}

/** Reads, parses and validates a policy file; throws ConfigError listing every problem. */
export function loadPolicyFile(file: string): LoadResult {
  const abs = resolvePath(file);
  let bytes: Buffer;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_BYTES) {
      throw new ConfigError('policy file too large', [
        problem(abs, { line: 1, col: 1 }, '', `the file is ${st.size} bytes; the limit is ${MAX_BYTES}`),
      ]);
    }
    bytes = readFileSync(abs);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read policy file ${abs}: ${(err as Error).message}`, [
      problem(abs, { line: 1, col: 1 }, '', `cannot read the file: ${(err as Error).message}`, 'check --config or LETHE_CONFIG'),
    ]);
  }
  return loadPolicyText(bytes.toString('utf8'), abs, createHash('sha256').update(bytes).digest('hex'));
}

/** Parses and validates policy text as if read from `file`. */
export function loadPolicyText(text: string, file: string, sha256 = createHash('sha256').update(text).digest('hex')): LoadResult {
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined): Position => {
    if (offset === undefined) return { line: 1, col: 1 };
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };

  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    throw new ConfigError('policy file is empty', [
      problem(file, { line: 1, col: 1 }, '', 'the policy file is empty', 'start from the shipped policies.yaml: version: 1, store:, providers:'),
    ]);
  }

  const doc = parseDocument(text, { lineCounter, schema: 'core', uniqueKeys: true, prettyErrors: false, strict: true });
  const problems: Problem[] = [];
  for (const e of doc.errors) {
    problems.push(problem(file, at(e.pos[0]), '', e.message.split('\n')[0]!, yamlHint(e.code)));
  }
  if (problems.length) throw new ConfigError(`${file}: invalid YAML`, problems);

  const positions = new Map<string, Position>();
  collectPositions(doc.contents as YamlNode | null, [], positions, at);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML`, [
      problem(file, firstAlias(doc.contents as YamlNode | null, at), '', (err as Error).message, 'aliases are limited; write the values out instead of nesting aliases'),
    ]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`${file}: not a policy`, [
      problem(file, { line: 1, col: 1 }, '', 'the top level must be a mapping with version, store and providers'),
    ]);
  }

  const parsed = PolicyInput.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...zodProblems(file, issue, positions));
    // Shape errors must not hide the rest: resolve the parts that are well-formed, so their
    // problems (and, in the CLI, the live-schema ones) are reported in the same pass.
    const { policy: partial, problems: semantic } = resolvePolicy(wellFormedPart(data as Record<string, unknown>), { file, sha256, positions });
    problems.push(...semantic.filter((p) => p.severity === 'error'));
    throw new ConfigError(`${file}: ${problems.length} problem(s)`, sortProblems(problems), { partial });
  }

  const { policy, problems: semantic } = resolvePolicy(parsed.data, { file, sha256, positions });
  const errors = semantic.filter((p) => p.severity === 'error');
  if (errors.length) throw new ConfigError(`${file}: ${errors.length} problem(s)`, errors, { partial: policy });
  return { policy, warnings: semantic.filter((p) => p.severity === 'warning') };
}

/** Problems in file order. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The providers and rules of `data` that pass the shape check on their own (for reporting only). */
function wellFormedPart(data: Record<string, unknown>): PolicyInput {
  const ok = <T>(schema: { safeParse: (v: unknown) => { success: boolean; data?: T } }, v: unknown): T | undefined => {
    const r = schema.safeParse(v);
    return r.success ? r.data : undefined;
  };
  const providers: PolicyInput['providers'] = {};
  const rawProviders = (data.providers && typeof data.providers === 'object' ? data.providers : {}) as Record<string, unknown>;
  for (const [id, raw] of Object.entries(rawProviders)) {
    if (!raw || typeof raw !== 'object') continue;
    const { rules, ...rest } = raw as Record<string, unknown>;
    const head = ok(ProviderInput.omit({ rules: true }), rest);
    if (!head) continue;
    const good: Record<string, RuleInput> = {};
    for (const [rid, rule] of Object.entries((rules && typeof rules === 'object' ? rules : {}) as Record<string, unknown>)) {
      const r = ok<RuleInput>(RuleInput, rule);
      if (r) good[rid] = r;
    }
    providers[id] = { ...head, rules: good } as PolicyInput['providers'][string];
  }
  const store = ok(PolicyInput.shape.store, data.store);
  const defaults = ok(PolicyInput.shape.defaults, data.defaults);
  return { version: 1, ...(store ? { store } : {}), ...(defaults ? { defaults } : {}), providers };
}

/** Where the first alias is: the place a YAML bomb starts multiplying. */
function firstAlias(node: YamlNode | null, at: (offset: number | undefined) => Position): Position {
  let found: Position | null = null;
  visit(node, (_key, n) => {
    if (!found && isAlias(n)) found = at(n.range?.[0]);
    return found ? visit.BREAK : undefined;
  });
  return found ?? { line: 1, col: 1 };
}

function collectPositions(
  node: YamlNode | null,
  path: string[],
  out: Map<string, Position>,
  at: (offset: number | undefined) => Position,
): void {
  if (!node) return;
  if (!out.has(path.join('.'))) out.set(path.join('.'), at(node.range?.[0]));
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      const keyNode = item.key as YamlNode | null;
      // Point at the key: "unknown key" and "missing value" problems are about it.
      out.set([...path, key].join('.'), at(keyNode?.range?.[0]));
      out.set([...path, key, '='].join('.'), at((item.value as YamlNode | null)?.range?.[0] ?? keyNode?.range?.[0]));
      collectPositions(item.value as YamlNode | null, [...path, key], out, at);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectPositions(item as YamlNode, [...path, String(i)], out, at));
  } else if (isAlias(node)) {
    // Positions inside an alias belong to its anchor; the alias itself is enough.
  }
}

function zodProblems(file: string, issue: z.core.$ZodIssue, positions: ReadonlyMap<string, Position>, prefix: PropertyKey[] = []): Problem[] {
  const path = [...prefix, ...issue.path].map(String);
  const dotted = path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(path);
    return issue.keys.map((key) => {
      const guess = closest(key, allowed);
      return problem(
        file,
        positionOf(positions, [...path, key]),
        [...path, key].join('.'),
        `unknown key "${key}"`,
        guess ? `did you mean "${guess}"?` : allowed.length ? `allowed here: ${allowed.join(', ')}` : undefined,
      );
    });
  }
  const valuePos = positions.get(`${dotted}.=`) ?? positionOf(positions, path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type' && input === undefined) {
    return [problem(file, positionOf(positions, path.slice(0, -1)), dotted, `missing required key "${path.at(-1)}"`)];
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that matched deepest: {anonymise: {email: sha1}} is an anonymise
    // action with a bad strategy, not a `set` action with an unknown key.
    const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(...branch.map((i) => i.path.length + (i.code === 'unrecognized_keys' || i.code === 'invalid_type' ? 0 : 0.5)));
    const branches = issue.errors.filter((b) => b.length > 0).sort((a, b) => depth(b) - depth(a));
    const best = branches[0];
    if (best && depth(best) >= 1) return best.flatMap((i) => zodProblems(file, i, positions, path));
    const isAction = path.at(-1) === 'action';
    const guess = typeof input === 'string' ? closest(input, ['delete', 'retain']) : undefined;
    return [
      problem(
        file,
        valuePos,
        dotted,
        isAction ? `invalid action ${JSON.stringify(input)}` : `invalid value ${JSON.stringify(input)}`,
        guess ? `did you mean "${guess}"?` : isAction ? 'an action is delete, retain, {anonymise: {column: strategy}} or {set: {column: value}}' : undefined,
      ),
    ];
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map(String);
    const guess = typeof input === 'string' ? closest(input, allowed) : undefined;
    const what = path.includes('anonymise') ? 'unknown anonymise strategy' : 'invalid value';
    return [problem(file, valuePos, dotted, `${what} ${JSON.stringify(input)}`, guess ? `did you mean "${guess}"?` : `one of: ${allowed.join(', ')}`)];
  }
  return [problem(file, valuePos, dotted, issue.message)];
}


/** The keys valid at a path, for "did you mean" hints. */
function allowedKeysAt(path: string[]): readonly string[] {
  const K = POLICY_KEYS;
  const n = path.length;
  const last = path.at(-1);
  if (n === 0) return K.root;
  if (path[0] === 'store') return n === 1 ? K.store : K.throttle;
  if (path[0] === 'defaults') return n === 1 ? K.defaults : last === 'throttle' ? K.throttle : K.guard;
  if (path[0] === 'providers') {
    if (n === 2) return K.provider;
    if (n === 3) return last === 'guard' ? K.guard : last === 'throttle' ? K.throttle : last === 'requests' ? K.requests : [];
    if (n === 4) return K.rule;
    if (last === 'action') return K.action;
    if (n === 5 && last === 'instructions') return K.instructions;
    if (path[4] === 'stages' && n === 6) return K.stage;
  }
  return [];
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping; merge the two entries';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation: nested keys are indented by the same number of spaces';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    default:
      return undefined;
  }
}
