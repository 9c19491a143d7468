/** policies.schema.json ships beside policies.yaml; it must be what the loader's definition generates. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../src/policy/input-schema.js';
import { ROOT } from '../support/harness.js';

describe('policies.schema.json', () => {
  it('equals the JSON Schema generated from the zod definition (run `npm run schema` after changing it)', () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'policies.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(policyJsonSchema())));
  });

  it('is referenced from the first line of the shipped policies.yaml', () => {
    expect(readFileSync(join(ROOT, 'policies.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./policies.schema.json');
  });

  it('lists every rule field and the action forms editors complete', () => {
    const s = policyJsonSchema() as { properties: { providers: { additionalProperties: { properties: { rules: { additionalProperties: { properties: Record<string, unknown> } } } } } } };
    const rule = s.properties.providers.additionalProperties.properties.rules.additionalProperties.properties;
    expect(Object.keys(rule).sort()).toEqual(['action', 'after', 'batch_size', 'category', 'clock', 'clock_format', 'clock_zone', 'export_before', 'files', 'instructions', 'key', 'marker', 'note', 'quote', 'stages', 'tenant_column', 'where', 'table'].sort());
  });
});
