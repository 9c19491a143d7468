/**
 * The shape of policies.yaml as written by people: the single definition both the loader
 * validates with and `policies.schema.json` is generated from. Semantic checks that need
 * more than shape (periods, stage order, the live schema) happen after, in resolve.ts and
 * live-check.ts.
 */
import { z } from 'zod';

/** One SQL name part; names are matched against the live schema as the catalogue spells them, never quoted from input. */
const NAME = '[A-Za-z_][A-Za-z0-9_$]{0,63}';

/** A plain column name (mixed case allowed). */
export const Identifier = z
  .string()
  .regex(new RegExp(`^${NAME}$`), { error: 'must be a plain identifier (letters, digits, underscore)' });

/** A table: `calls`, or `schema.table` (PostgreSQL) / `database.table` (MySQL). */
const TableName = z
  .string()
  .regex(new RegExp(`^${NAME}(\\.${NAME})?$`), { error: 'must be a plain identifier (letters, digits, underscore), or schema.table' })
  .describe('A table of the store: `calls`, or `schema.table` on PostgreSQL and `database.table` on MySQL.');

/** A column reached from the rule's table: `col`, `table.col` or `schema.table.col` (the last dot starts the column). */
const ColumnPath = (what: string) =>
  z.string().regex(new RegExp(`^${NAME}(\\.${NAME}){0,2}$`), {
    error: `must be a column of the table, or table.column reached through foreign keys (${what})`,
  });

const ClockRef = ColumnPath('the clock').describe(
  'A column of the rule\'s table (`terminated_at`), or `table.column` of a table it reaches by foreign keys (`accounts.terminated_at`, `kamailio.acc.time`).',
);

const Zone = z.string().min(1).describe('An IANA time zone; clock values without a zone of their own are read in it (default UTC).');

/** `{col}` placeholders and literal text, e.g. `{record_path}/{record_name}`. */
const FilesTemplate = z
  .string()
  .min(1)
  .describe('A column holding a media path (`media_path`), or a template of columns (`"{record_path}/{record_name}"`); the file is deleted with the row.');

const TenantValue = z.union([z.string().min(1), z.int()]).describe('The value of the tenant column for this provider\'s rows (default: the provider id).');

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

const ExportBefore = z
  .boolean()
  .describe('A delete stage writes the rows it is about to delete (and their media) to an archive under store.export_root first; the archive\'s path and sha256 go into the audit entry.');

/** Customer instructions (`lethe instruct`) a rule accepts, and how far they may move its schedule. */
const Instructions = z
  .union([
    z.literal(true),
    z.strictObject({
      quote: z.string().trim().min(1).optional().describe('The sentence of the policy that lets customers instruct.'),
      shortest: PeriodText.optional().describe('The shortest period an instruction may set (default `at once`: the customer may ask for erasure now).'),
      longest: PeriodText.optional().describe('The longest an instruction may keep a row, measured from the clock (default `forever`); past it the rule applies whatever the instruction says, as the law requires.'),
    }),
  ])
  .describe('The rule accepts per-row customer instructions (`lethe instruct`): true, or the bounds they must stay within.');

const Stage = z.strictObject({
  after: PeriodText,
  action: Action,
  marker: Identifier.optional().describe('A column set to the run time when this stage is done; rows with it set are not processed again.'),
  export_before: ExportBefore.optional(),
});

const Guard = z.strictObject({
  max_fraction: z.number().gt(0).lte(1).optional(),
  min_rows: z.int().min(0).optional(),
});

const Cron = z.string().min(1).describe('A node-cron expression (5 or 6 fields).');
const Millis = z.string().regex(/^\s*\d+\s*(ms|s)\s*$/, { error: 'a duration in ms or s, e.g. "50 ms" or "1 s"' });
const ThrottleLimits = z.strictObject({
  max_hold: Millis.optional().describe('The longest a batch may hold its write locks; batches shrink below batch_size to stay under it (default 50 ms).'),
  pause: Millis.optional().describe('The wait between batches, so waiting writers get in (default 25 ms on SQLite, 0 on PostgreSQL and MySQL).'),
});
const Throttle = z
  .union([z.literal('off').describe('Batches back to back at full batch_size: a maintenance window.'), ThrottleLimits])
  .describe('How politely batches share the store with the application.');
const RunTime = z.string().min(1).describe('The longest a run may go on, e.g. `30 minutes`; it stops after its current batch and the next tick resumes.');

export const RuleInput = z.strictObject({
  quote: z
    .string()
    .trim()
    .min(1, { error: 'the quote is empty: copy the sentence of the policy this rule enforces' })
    .optional()
    .describe('The sentence of the policy this rule enforces, verbatim. Optional; `lethe check` warns without one.'),
  note: z.string().optional().describe('Why the rule is written this way; printed by explain and report.'),
  category: z.string().optional(),
  table: TableName,
  clock: ClockRef.optional(),
  clock_format: ClockFormat.optional(),
  clock_zone: Zone.optional(),
  key: z
    .union([Identifier, z.array(Identifier).min(1).max(8)])
    .optional()
    .describe('For a table without a primary key: the column (or list of columns) that names a row, normally a unique index.'),
  tenant_column: ColumnPath('the tenant column')
    .optional()
    .describe('Where this rule finds the tenant: a column of the table, or table.column reached through foreign keys.'),
  after: PeriodText.optional(),
  action: Action.optional(),
  marker: Identifier.optional(),
  stages: z.array(Stage).min(1).optional(),
  where: z
    .record(Identifier, z.union([Scalar, z.array(Scalar).min(1)]))
    .optional()
    .describe('Equality filters, ANDed; a value may be null or a list.'),
  files: FilesTemplate.optional(),
  batch_size: z.int().min(1).max(10_000).optional(),
  export_before: ExportBefore.optional(),
  instructions: Instructions.optional(),
});

const Requests = z
  .strictObject({
    quote: z.string().trim().min(1).optional().describe('The sentence of the policy that promises the deadline.'),
    respond_within: PeriodText.describe('How long after a request is received it must be answered (`30 days`), or `unspecified`.'),
  })
  .describe('Data-subject requests (`lethe request add`): the deadline the provider promises.');

export const ProviderInput = z.strictObject({
  name: z.string().min(1),
  tenant: TenantValue.optional(),
  source: z.string().optional(),
  schedule: Cron.optional(),
  timezone: z.string().min(1).optional(),
  batch_size: z.int().min(1).max(10_000).optional(),
  guard: Guard.optional(),
  max_run_time: RunTime.optional(),
  throttle: Throttle.optional(),
  requests: Requests.optional(),
  rules: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'rule ids are lower-case kebab-case' }), RuleInput),
});

const StoreInput = z.strictObject({
  url: z.string().min(1).optional(),
  media_root: z.string().min(1).optional(),
  export_root: z
    .string()
    .min(1)
    .optional()
    .describe('The folder exports (`lethe export`, access requests, `export_before`) are written under, as 0600 files; env LETHE_EXPORT_ROOT overrides. Without it nothing is exported.'),
  tenant_column: Identifier.optional().describe('The column every scoped table carries (or reaches by foreign keys); without it the store is single-tenant and rules are not scoped.'),
  lethe_schema: Identifier.optional().describe("The schema (PostgreSQL) or database (MySQL) lethe's own tables live in, so the product's schema stays untouched."),
  clock_format: ClockFormat.optional(),
  clock_zone: Zone.optional(),
  throttle: Throttle.optional(),
});

const DefaultsInput = z.strictObject({
  schedule: Cron.optional(),
  timezone: z.string().min(1).optional(),
  batch_size: z.int().min(1).max(10_000).optional(),
  guard: Guard.optional(),
  max_run_time: RunTime.optional(),
  throttle: Throttle.optional(),
});

export const PolicyInput = z.strictObject({
  version: z.literal(1),
  store: StoreInput.optional(),
  defaults: DefaultsInput.optional(),
  providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'provider ids are lower-case' }), ProviderInput),
});

export type PolicyInput = z.infer<typeof PolicyInput>;

/** The keys each mapping of policies.yaml takes, for the loader's "did you mean" hints: read from the schemas, so they cannot drift from them. */
export const POLICY_KEYS = {
  root: Object.keys(PolicyInput.shape),
  store: Object.keys(StoreInput.shape),
  defaults: Object.keys(DefaultsInput.shape),
  provider: Object.keys(ProviderInput.shape),
  requests: Object.keys(Requests.shape),
  rule: Object.keys(RuleInput.shape),
  instructions: Object.keys(Instructions.options[1].shape),
  stage: Object.keys(Stage.shape),
  guard: Object.keys(Guard.shape),
  throttle: Object.keys(ThrottleLimits.shape),
  action: ['anonymise', 'set'],
} as const;
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
