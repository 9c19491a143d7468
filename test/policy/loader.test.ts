/**
 * Unit tests of the policy loader (loadPolicyText → zod shape → resolvePolicy): built-in
 * defaults, overrides, period forms, rule kinds, freezing, and source positions.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadPolicyFile, loadPolicyText } from '../../src/policy/load.js';
import type { EnforceRule, Policy, ProviderPolicy, RetainRule, Rule, UnspecifiedRule } from '../../src/policy/model.js';
import { cutoffFor } from '../../src/policy/period-math.js';
import { NOW, SHIPPED_POLICY, loadPolicy, policyFromText } from '../support/harness.js';

const FILE = '/virtual/policies.yaml';

const MINIMAL = `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
providers:
  pipcall:
    name: PiPcall (Assuract Limited)
    rules:
      call-data:
        quote: "Call Data and Call History Data is deleted 84 months after an account is terminated …"
        table: calls
        clock: accounts.terminated_at
        after: 84 months
        action: delete
`;

function provider(policy: Policy, id: string): ProviderPolicy {
  const p = policy.providers.find((x) => x.id === id);
  if (!p) throw new Error(`no provider ${id}`);
  return p;
}
function rule(policy: Policy, pid: string, rid: string): Rule {
  const r = provider(policy, pid).rules.find((x) => x.id === rid);
  if (!r) throw new Error(`no rule ${pid}/${rid}`);
  return r;
}
function enforceRule(policy: Policy, pid: string, rid: string): EnforceRule {
  const r = rule(policy, pid, rid);
  if (r.kind !== 'enforce') throw new Error(`${pid}/${rid} is ${r.kind}`);
  return r;
}
/** The problems of a policy that must not load. */
function problemsOf(text: string) {
  try {
    loadPolicyText(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loaded without a problem');
}

/** A one-rule policy with `after` (and optionally extra rule lines). */
function withAfter(after: string, extra = ''): string {
  return MINIMAL.replace('        after: 84 months\n', `        after: ${after}\n${extra}`);
}

describe('defaults', () => {
  it('applies the built-in defaults when policies.yaml has no defaults section', () => {
    const policy = policyFromText(MINIMAL);
    const p = provider(policy, 'pipcall');
    expect(p.schedule).toBe('15 3 * * *');
    expect(p.timezone).toBe('UTC');
    expect(p.batchSize).toBe(1000);
    expect(p.guard).toEqual({ maxFraction: 0.25, minRows: 1000 });
    expect(p.maxRunTimeMs).toBeNull();
    expect(p.source).toBeNull();
    // Without store.tenant_column the store is single-tenant (DESIGN §10).
    expect(policy.store.tenantColumn).toBeNull();
    expect(policy.store.clockFormat).toBe('iso');
    expect(policy.store.clockZone).toBe('UTC');
    const r = enforceRule(policy, 'pipcall', 'call-data');
    expect(r.batchSize).toBe(1000);
    expect(r.clock).toEqual({ table: 'accounts', column: 'terminated_at', format: 'iso', zone: 'UTC', text: 'accounts.terminated_at' });
    expect(r.category).toBeNull();
    expect(r.where).toEqual([]);
    expect(r.files).toBeNull();
  });

  it('a defaults section replaces the built-ins, a provider overrides the defaults, a rule overrides the batch size', () => {
    const text = `version: 1
store:
  url: sqlite:data/telecom.db
  clock_format: epoch_ms
defaults:
  schedule: "0 1 * * *"
  timezone: Europe/London
  batch_size: 500
  guard: { max_fraction: 0.1 }
  max_run_time: 30 minutes
providers:
  ringu:
    name: ring-u
    schedule: "*/5 * * * *"
    timezone: America/New_York
    batch_size: 200
    guard: { min_rows: 50 }
    max_run_time: PT2H
    rules:
      push-expired:
        quote: "erased immediately when the push instance expires"
        table: push_registrations
        clock: expires_at
        clock_format: iso
        after: at once
        action: delete
        batch_size: 20
  loop:
    name: Loop
    rules:
      customer-data-calls:
        quote: "All data will be destroyed … at the end of an agreement plus upto 6 months"
        table: calls
        clock: accounts.contract_ends_at
        after: 6 months
        action: delete
`;
    const policy = policyFromText(text);
    const ringu = provider(policy, 'ringu');
    expect(ringu).toMatchObject({ schedule: '*/5 * * * *', timezone: 'America/New_York', batchSize: 200, maxRunTimeMs: 2 * 3_600_000 });
    expect(ringu.guard).toEqual({ maxFraction: 0.1, minRows: 50 });
    const loop = provider(policy, 'loop');
    expect(loop).toMatchObject({ schedule: '0 1 * * *', timezone: 'Europe/London', batchSize: 500, maxRunTimeMs: 30 * 60_000 });
    expect(loop.guard).toEqual({ maxFraction: 0.1, minRows: 1000 });
    expect(enforceRule(policy, 'ringu', 'push-expired').batchSize).toBe(20);
    expect(enforceRule(policy, 'ringu', 'push-expired').clock.format).toBe('iso');
    expect(enforceRule(policy, 'loop', 'customer-data-calls').batchSize).toBe(500);
    expect(enforceRule(policy, 'loop', 'customer-data-calls').clock.format).toBe('epoch_ms');
  });

  it('resolves media_root against the policy file’s folder and keeps the store url as written', () => {
    const policy = loadPolicyText(MINIMAL, '/etc/lethe/policies.yaml').policy;
    expect(policy.store.mediaRoot).toBe('/etc/lethe/data/media');
    expect(policy.store.url).toBe('sqlite:data/telecom.db');
    expect(policy.file).toBe('/etc/lethe/policies.yaml');
  });

  it('records the sha256 of the policy text', () => {
    expect(policyFromText(MINIMAL).sha256).toBe(createHash('sha256').update(MINIMAL).digest('hex'));
  });
});

describe('periods', () => {
  it('`after: P84M` is the same period as `84 months`', () => {
    const iso = enforceRule(policyFromText(withAfter('P84M')), 'pipcall', 'call-data').stages[0]!.after;
    const words = enforceRule(policyFromText(MINIMAL), 'pipcall', 'call-data').stages[0]!.after;
    expect(iso.units).toEqual({ months: 84 });
    expect(words.units).toEqual({ months: 84 });
    expect(cutoffFor(NOW, iso, 'Europe/London').toISOString()).toBe('2019-11-23T03:15:00.000Z');
    expect(cutoffFor(NOW, iso, 'Europe/London')).toEqual(cutoffFor(NOW, words, 'Europe/London'));
  });

  it('`at once` (and `0`) is a zero period: the cutoff is now', () => {
    for (const after of ['at once', '0']) {
      const s = enforceRule(policyFromText(withAfter(after)), 'pipcall', 'call-data').stages[0]!;
      expect(s.after.kind).toBe('duration');
      expect(s.after.units).toEqual({});
      expect(cutoffFor(NOW, s.after, 'Europe/London').getTime()).toBe(NOW.getTime());
    }
  });

  it('an unspecified rule is kind "unspecified": documented, keeps its intended action, has no stages', () => {
    const text = MINIMAL.replace('        clock: accounts.terminated_at\n        after: 84 months\n', '        after: unspecified\n');
    const r = rule(policyFromText(text), 'pipcall', 'call-data') as UnspecifiedRule;
    expect(r.kind).toBe('unspecified');
    expect(r.intendedAction).toBe('delete');
    expect(r.clock).toBeNull();
    expect('stages' in r).toBe(false);
  });

  it('`after: forever` with `action: retain` is a retain rule with no clock', () => {
    const text = MINIMAL.replace(
      '        table: calls\n        clock: accounts.terminated_at\n        after: 84 months\n        action: delete\n',
      '        table: sales_documents\n        after: forever\n        action: retain\n',
    );
    const r = rule(policyFromText(text), 'pipcall', 'call-data') as RetainRule;
    expect(r.kind).toBe('retain');
    expect(r.clock).toBeNull();
    expect(r.after).toEqual({ kind: 'forever', text: 'forever' });
  });

  it('stages keep their order, inherit the rule’s marker, and a delete stage carries no marker', () => {
    const text = MINIMAL.replace(
      '        table: calls\n        clock: accounts.terminated_at\n        after: 84 months\n        action: delete\n',
      `        table: accounts
        clock: terminated_at
        marker: anonymised_at
        stages:
          - after: 12 months
            action: { anonymise: { name: null, email: hmac, phone: phone_prefix } }
          - after: 84 months
            action: delete
`,
    );
    const r = enforceRule(policyFromText(text), 'pipcall', 'call-data');
    expect(r.stages.map((s) => [s.index, s.after.units, s.action.kind, s.marker])).toEqual([
      [1, { months: 12 }, 'anonymise', 'anonymised_at'],
      [2, { months: 84 }, 'delete', null],
    ]);
    expect(r.stages[0]!.action).toEqual({
      kind: 'anonymise',
      columns: [
        { column: 'name', strategy: null },
        { column: 'email', strategy: 'hmac' },
        { column: 'phone', strategy: 'phone_prefix' },
      ],
    });
  });
});

describe('the loaded policy', () => {
  it('is frozen all the way down: assignment throws in strict mode', () => {
    const policy = policyFromText(MINIMAL);
    const r = enforceRule(policy, 'pipcall', 'call-data');
    expect(Object.isFrozen(policy)).toBe(true);
    expect(() => {
      (policy as { file: string }).file = '/elsewhere.yaml';
    }).toThrow(TypeError);
    expect(() => {
      (policy.store as { url: string | null }).url = 'sqlite:/tmp/other.db';
    }).toThrow(TypeError);
    expect(() => {
      (policy.providers as ProviderPolicy[]).push(policy.providers[0]!);
    }).toThrow(TypeError);
    expect(() => {
      (provider(policy, 'pipcall') as { timezone: string }).timezone = 'Pacific/Kiritimati';
    }).toThrow(TypeError);
    expect(() => {
      (r.stages[0]!.after.units as { months?: number }).months = 1;
    }).toThrow(TypeError);
    expect(() => {
      (provider(policy, 'pipcall').guard as { maxFraction: number }).maxFraction = 1;
    }).toThrow(TypeError);
    expect(r.stages[0]!.after.units).toEqual({ months: 84 });
    expect(provider(policy, 'pipcall').guard.maxFraction).toBe(0.25);
  });

  it('positions point at the rule’s line, and at the line of each value', () => {
    const policy = policyFromText(MINIMAL);
    const r = enforceRule(policy, 'pipcall', 'call-data');
    expect(r.path).toBe('providers.pipcall.rules.call-data');
    expect(r.position).toEqual({ line: 9, col: 7 }); // "      call-data:"
    expect(policy.positions.get('providers.pipcall.rules.call-data.after')).toEqual({ line: 13, col: 9 });
    expect(policy.positions.get('providers.pipcall.rules.call-data.after.=')).toEqual({ line: 13, col: 16 });
    expect(policy.positions.get('providers.pipcall.rules.call-data.table.=')).toEqual({ line: 11, col: 16 });
  });

  it('positions of a later rule after comments and blank lines', () => {
    const text = MINIMAL + `
      # PiPcall's contact data goes a month after termination.

      contact-data:
        quote: "Contact Data and Transferred Contact Data is deleted 1 month after an account is terminated."
        table: contacts
        clock: accounts.terminated_at
        after: 1 month
        action: delete
`;
    const r = enforceRule(policyFromText(text), 'pipcall', 'contact-data');
    expect(r.position).toEqual({ line: 18, col: 7 });
  });

  it('normalises whitespace in a quote folded over several lines', () => {
    const text = MINIMAL.replace(
      '        quote: "Call Data and Call History Data is deleted 84 months after an account is terminated …"\n',
      '        quote: >\n          Call Data and Call History Data is deleted\n          84 months after   an account is terminated.\n',
    );
    expect(rule(policyFromText(text), 'pipcall', 'call-data').quote).toBe('Call Data and Call History Data is deleted 84 months after an account is terminated.');
  });

  it('returns warnings separately from errors (files on a rule that never deletes)', () => {
    const text = MINIMAL.replace('        action: delete\n', '        action: { set: { direction: archived } }\n        files: media_path\n');
    const { policy, warnings } = loadPolicyText(text, FILE);
    expect(policy.providers).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ severity: 'warning', line: 15, path: 'providers.pipcall.rules.call-data.files' });
  });

  it('a stage after a delete, or a period that does not grow, is an error at that stage', () => {
    const text = MINIMAL.replace(
      '        after: 84 months\n        action: delete\n',
      '        stages:\n          - after: 12 months\n            action: delete\n          - after: 84 months\n            action: { set: { direction: archived } }\n',
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 17, path: 'providers.pipcall.rules.call-data.stages.1.action', message: 'no stage can follow a delete' });
  });

  // The hints list what the schema takes at that place, the keys added with later features included.
  it.each([
    ['a rule', (t: string) => t.replace('        action: delete\n', '        action: delete\n        exprt_before: true\n'), 'providers.pipcall.rules.call-data.exprt_before', 'did you mean "export_before"?'],
    ['a stage', (t: string) => t.replace('        after: 84 months\n        action: delete\n', '        stages:\n          - after: 84 months\n            action: delete\n            export_befor: true\n'), 'providers.pipcall.rules.call-data.stages.0.export_befor', 'did you mean "export_before"?'],
    ['a rule’s instructions', (t: string) => t.replace('        action: delete\n', '        action: delete\n        instructions: { longst: 10 years }\n'), 'providers.pipcall.rules.call-data.instructions.longst', 'did you mean "longest"?'],
    ['a provider’s requests', (t: string) => t.replace('    rules:\n', '    requests: { respond_withn: 30 days }\n    rules:\n'), 'providers.pipcall.requests.respond_withn', 'did you mean "respond_within"?'],
    ['the store', (t: string) => t.replace('  media_root: data/media\n', '  media_root: data/media\n  export_rot: data/exports\n'), 'store.export_rot', 'did you mean "export_root"?'],
    ['defaults.throttle', (t: string) => t.replace('providers:\n', 'defaults:\n  throttle: { max_hld: 20 ms }\nproviders:\n'), 'defaults.throttle.max_hld', 'did you mean "max_hold"?'],
  ])('an unknown key in %s gets a hint from the keys it takes', (_where, edit, path, hint) => {
    // (A mapping with only a misspelt key also lacks the key it meant, where that is required.)
    expect(problemsOf(edit(MINIMAL)).find((p) => p.path === path)).toMatchObject({ message: expect.stringMatching(/^unknown key/), hint });
  });
});

describe('files', () => {
  it('loadPolicyFile of a missing file is a ConfigError naming the absolute path', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'lethe-loader-')), 'nope.yaml');
    expect(() => loadPolicyFile(missing)).toThrow(ConfigError);
    try {
      loadPolicyFile(missing);
    } catch (err) {
      expect((err as ConfigError).problems[0]).toMatchObject({ file: missing, line: 1, col: 1 });
      expect((err as ConfigError).message).toContain(missing);
    }
  });

  it('refuses a file larger than 1 MiB before parsing it', () => {
    const big = join(mkdtempSync(join(tmpdir(), 'lethe-loader-')), 'policies.yaml');
    writeFileSync(big, MINIMAL + `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(() => loadPolicyFile(big)).toThrow(/too large/);
  });

  it('the shipped policies.yaml loads with the five fixed providers and the seed schedules’ rule kinds', () => {
    const policy = loadPolicy(SHIPPED_POLICY);
    expect(policy.providers.map((p) => p.id).sort()).toEqual(['cloudcall', 'loop', 'loopup', 'pipcall', 'ringu']);
    // CloudCall states no period: every rule is documented, none enforced.
    const cloudcall = provider(policy, 'cloudcall');
    expect(cloudcall.rules.length).toBeGreaterThan(0);
    expect(cloudcall.rules.filter((r) => r.kind !== 'unspecified')).toEqual([]);
    // Loop's sales documents are retained.
    const retains = provider(policy, 'loop').rules.filter((r): r is RetainRule => r.kind === 'retain');
    expect(retains.map((r) => [r.table, r.after.kind])).toEqual([['sales_documents', 'forever']]);
    // Every rule quotes its policy.
    for (const p of policy.providers) for (const r of p.rules) expect(r.quote?.length, `${p.id}/${r.id}`).toBeGreaterThan(20);
  });
});
