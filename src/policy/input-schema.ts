/**
 * The shape of policies.yaml as written by people: the single definition both the loader
 * validates with and `policies.schema.json` is generated from. Semantic checks that need
 * more than shape (periods, stage order, the live schema) happen after, in resolve.ts and
 * live-check.ts.
 */
import { z } from 'zod';

/** Plain SQL identifiers only: names are matched against the live schema, never quoted from input. */
export const Identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'must be a plain identifier (letters, digits, underscore)' });

const ClockRef = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/, {
    error: 'must be a column of the table, or table.column reached through foreign keys',
  })
  .describe('A column of the rule\'s table (`terminated_at`), or `table.column` of a table it reaches by foreign keys (`accounts.terminated_at`).');

const PeriodText = z
  .union([z.string().min(1), z.literal(0)])
  .describe('`84 months`, `P84M`, `60 days`, `at once`, `unspecified` (documented, not enforced), or `forever` (retain only).');

const ClockFormat = z.enum(['iso', 'epoch_s', 'epoch_ms']).describe('How clock values are stored: ISO-8601 text (or a native timestamp), or seconds / milliseconds since the epoch.');

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const STRATEGIES = ['redact', 'hmac', 'phone_prefix', 'ip_truncate', 'month', 'email_domain'] as const;
const Strategy = z
  .enum(STRATEGIES)
  .nullable()
  .describe('null (YAML null) clears the column; redact, hmac, phone_prefix, ip_truncate, month or email_domain transform it.');

const Action = z
  .union([
    z.literal('delete').describe('Delete the row (and its `files`), children first.'),
    z.literal('retain').describe('A keep obligation: while it covers a row, no other rule may change the row.'),
    z.strictObject({ anonymise: z.record(Identifier, Strategy) }).describe('Overwrite personal columns.'),
    z.strictObject({ set: z.record(Identifier, Scalar) }).describe('Restrict: set columns to fixed values, e.g. downloadable: 0.'),
  ])
  .describe('delete | retain | {anonymise: {column: strategy}} | {set: {column: value}}');

const Stage = z.strictObject({
  after: PeriodText,
  action: Action,
  marker: Identifier.optional().describe('A column set to the run time when this stage is done; rows with it set are not processed again.'),
});

const Guard = z.strictObject({
  max_fraction: z.number().gt(0).lte(1).optional(),
  min_rows: z.int().min(0).optional(),
});

const Cron = z.string().min(1).describe('A node-cron expression (5 or 6 fields).');
const RunTime = z.string().min(1).describe('The longest a run may go on, e.g. `30 minutes`; it stops after its current batch and the next tick resumes.');

export const RuleInput = z.strictObject({
  quote: z.string().trim().min(1, { error: 'the quote is empty: copy the sentence of the policy this rule enforces' }).describe('The sentence of the policy this rule enforces, verbatim.'),
  category: z.string().optional(),
  table: Identifier,
  clock: ClockRef.optional(),
  clock_format: ClockFormat.optional(),
  after: PeriodText.optional(),
  action: Action.optional(),
  marker: Identifier.optional(),
  stages: z.array(Stage).min(1).optional(),
  where: z
    .record(Identifier, z.union([Scalar, z.array(Scalar).min(1)]))
    .optional()
    .describe('Equality filters, ANDed; a value may be null or a list.'),
  files: Identifier.optional().describe('A column holding a media path under store.media_root; the file is deleted with the row.'),
  batch_size: z.int().min(1).max(10_000).optional(),
});

export const ProviderInput = z.strictObject({
  name: z.string().min(1),
  source: z.string().optional(),
  schedule: Cron.optional(),
  timezone: z.string().min(1).optional(),
  batch_size: z.int().min(1).max(10_000).optional(),
  guard: Guard.optional(),
  max_run_time: RunTime.optional(),
  rules: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'rule ids are lower-case kebab-case' }), RuleInput),
});

export const PolicyInput = z.strictObject({
  version: z.literal(1),
  store: z
    .strictObject({
      url: z.string().min(1).optional(),
      media_root: z.string().min(1).optional(),
      tenant_column: Identifier.optional(),
      clock_format: ClockFormat.optional(),
    })
    .optional(),
  defaults: z
    .strictObject({
      schedule: Cron.optional(),
      timezone: z.string().min(1).optional(),
      batch_size: z.int().min(1).max(10_000).optional(),
      guard: Guard.optional(),
      max_run_time: RunTime.optional(),
    })
    .optional(),
  providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'provider ids are lower-case' }), ProviderInput),
});

export type PolicyInput = z.infer<typeof PolicyInput>;
export type RuleInput = z.infer<typeof RuleInput>;
export type ActionInput = z.infer<typeof Action>;

/** The JSON Schema editors validate policies.yaml with. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PolicyInput, { target: 'draft-2020-12' }),
    $id: 'https://lethe.invalid/policies.schema.json',
    title: 'lethe policies.yaml',
  };
}
