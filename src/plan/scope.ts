/**
 * Tenancy: which rows of a table belong to a provider. Without `store.tenant_column` a store
 * is single-tenant and a rule covers every row of its table. With it, a table that carries
 * the column is scoped by it; one that does not is scoped through the foreign-key path to
 * the nearest table that does, or through the rule's own `tenant_column: table.column`.
 * Pure: policy + schema in, a Scope (or why there is none) out.
 */
import type { Policy, ProviderPolicy, Rule } from '../policy/model.js';
import type { ColumnInfo, SchemaInfo } from '../store/types.js';
import { describeHop, findPath, findTable, nearestUp, type Hop } from './fk-graph.js';

export interface Scope {
  /** Foreign keys from the rule's table to the table holding the tenant column (empty: the table itself). */
  readonly path: readonly Hop[];
  readonly column: ColumnInfo;
  /** The provider's tenant value, typed for the column (a number for integer columns). */
  readonly value: string | number;
}

export type ScopeResult =
  | { readonly ok: true; readonly scope: Scope | null }
  | { readonly ok: false; readonly message: string; readonly hint?: string; readonly at: 'tenant_column' | 'table' | 'tenant' };

/** How `rule` of `provider` is scoped to the provider's rows, or why it cannot be. */
export function resolveScope(policy: Policy, provider: ProviderPolicy, rule: Rule, schema: SchemaInfo): ScopeResult {
  const own = rule.tenantColumn;
  const storeColumn = policy.store.tenantColumn;
  if (!own && !storeColumn) return { ok: true, scope: null };

  let path: readonly Hop[];
  let column: ColumnInfo | undefined;
  if (own) {
    const target = findTable(schema, own.table);
    if (!target) return { ok: false, at: 'tenant_column', message: `tenant table "${own.table}" does not exist` };
    column = target.columns.get(own.column);
    if (!column) return { ok: false, at: 'tenant_column', message: `column "${own.column}" does not exist in ${target.name}` };
    const found = findPath(schema, rule.table, target.name);
    if (!found.ok) {
      return {
        ok: false,
        at: 'tenant_column',
        message: found.reason === 'none' ? `no foreign-key path leads from ${rule.table} to ${target.name}` : `${rule.table} reaches ${target.name} by more than one foreign-key path`,
        hint: 'name a column of the table, or of a table its foreign keys reach by one path',
      };
    }
    path = found.path;
  } else {
    const col = storeColumn!;
    const hits = nearestUp(schema, findTable(schema, rule.table)?.name ?? rule.table, (t) => schema.tables.get(t)?.columns.has(col) ?? false);
    if (hits.length === 0) {
      return {
        ok: false,
        at: 'table',
        message: `${rule.table} has no tenant column "${col}" (store.tenant_column), and no foreign-key path leads to a table that has it`,
        hint: `give the rule \`tenant_column: table.column\`, or leave store.tenant_column out for a single-tenant store`,
      };
    }
    const ends = new Set(hits.map((h) => (h.length ? h[h.length - 1]!.toTable : rule.table)));
    if (hits.length > 1) {
      return {
        ok: false,
        at: 'table',
        message: `${rule.table} reaches the tenant column "${col}" by ${hits.length} foreign-key paths (${hits.map((h) => h.map(describeHop).join(', ')).join('; ')})`,
        hint: `choose one with \`tenant_column: ${[...ends][0]}.${col}\` on the rule`,
      };
    }
    path = hits[0]!;
    const end = path.length ? path[path.length - 1]!.toTable : (findTable(schema, rule.table)?.name ?? rule.table);
    column = schema.tables.get(end)!.columns.get(col)!;
  }
  const value = tenantValue(provider.tenant, column);
  if (value === null) {
    return {
      ok: false,
      at: 'tenant',
      message: `provider ${provider.id}'s tenant value ${JSON.stringify(provider.tenant)} cannot be a value of ${column.name} (${column.dataType})`,
      hint: column.kind === 'uuid' ? 'set `tenant:` on the provider to its UUID' : column.kind === 'integer' ? 'set `tenant:` on the provider to its number' : undefined,
    };
  }
  return { ok: true, scope: { path, column, value } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant value typed as the column compares it, or null when it cannot be one of its values. */
function tenantValue(v: string | number, column: ColumnInfo): string | number | null {
  const text = String(v);
  switch (column.kind) {
    case 'integer':
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
    case 'real':
      return Number.isFinite(Number(text)) && text.trim() !== '' ? Number(text) : null;
    case 'uuid':
      return UUID.test(text) ? text.toLowerCase() : null;
    case 'text':
      return column.maxLength !== null && text.length > column.maxLength ? null : text;
    default:
      return text;
  }
}
