/**
 * Shared media: two rows may name one file. Before the drain unlinks a file, it asks every
 * table whose rules have `files:` whether a row still names it; such a file is kept (and
 * counted as shared) until the last row naming it is deleted. The rows being deleted are
 * gone by then (their batch committed), so any row found is one that stays.
 */
import { sql } from 'kysely';
import { findTable } from '../plan/fk-graph.js';
import type { FilesTemplate, Policy } from '../policy/model.js';
import type { Adapter, SchemaInfo } from '../store/types.js';
import { confine, renderPath } from './files.js';
import { col, T } from './sql-fragments.js';

/** Values per IN list when probing a files column. */
const CHUNK = 500;

/** The check the drain calls, or undefined when the policy names no files. */
export function sharedFileCheck(adapter: Adapter, policy: Policy, schema: SchemaInfo): ((abs: readonly string[]) => Promise<ReadonlySet<string>>) | undefined {
  const mediaRoot = policy.store.mediaRoot;
  if (!mediaRoot) return undefined;
  const targets = new Map<string, { table: string; template: FilesTemplate }>();
  for (const p of policy.providers) {
    for (const r of p.rules) {
      if (r.kind !== 'enforce' || !r.files) continue;
      const table = findTable(schema, r.table)?.name;
      if (table) targets.set(`${table}\u0000${r.files.text}`, { table, template: r.files });
    }
  }
  if (targets.size === 0) return undefined;
  return async (abs) => {
    const wanted = new Set(abs);
    const found = new Set<string>();
    if (wanted.size === 0) return found;
    for (const { table, template } of targets.values()) {
      const probe = probeColumn(template, [...wanted], mediaRoot);
      const cols = sql.join(template.columns.map((c, i) => sql`${col(T, c)} as ${sql.id(`__f${i}`)}`));
      const check = (rows: Record<string, unknown>[]) => {
        for (const r of rows) {
          const p = renderPath(template, (c) => r[`__f${template.columns.indexOf(c)}`]);
          const c = p === null ? null : confine(mediaRoot, p);
          if (c?.ok && wanted.has(c.abs)) found.add(c.abs);
        }
      };
      if (!probe) {
        // No column the path can be looked up by (probedColumn): read the table.
        check((await sql<Record<string, unknown>>`select ${cols} from ${sql.table(table)} as ${sql.id(T)}`.execute(adapter.db)).rows);
        continue;
      }
      for (let i = 0; i < probe.values.length; i += CHUNK) {
        const values = probe.values.slice(i, i + CHUNK);
        check((await sql<Record<string, unknown>>`select ${cols} from ${sql.table(table)} as ${sql.id(T)} where ${col(T, probe.column)} in (${sql.join(values)})`.execute(adapter.db)).rows);
      }
    }
    return found;
  };
}

/**
 * The column a path can be looked up by, and the values to look for: the whole path (as
 * stored relative or absolute) for a one-column template, else the text after the last
 * literal for a template ending in a column (`{record_path}/{record_name}` → the file name).
 */
function probeColumn(template: FilesTemplate, abs: readonly string[], mediaRoot: string): { column: string; values: string[] } | null {
  const column = probedColumn(template);
  if (column === null) return null;
  const parts = template.parts;
  if (parts.length === 1) {
    const values = abs.flatMap((a) => {
      const c = confine(mediaRoot, a);
      return c.ok ? [c.rel, a] : [a];
    });
    return { column, values: [...new Set(values)] };
  }
  const before = parts[parts.length - 2] as { literal: string };
  return { column, values: [...new Set(abs.map((a) => a.slice(a.lastIndexOf(before.literal) + before.literal.length)))] };
}

/** The column the drain looks a path up by (see probeColumn); null where it reads the whole table. */
export function probedColumn(template: FilesTemplate): string | null {
  const parts = template.parts;
  const last = parts[parts.length - 1]!;
  if (!('column' in last)) return null;
  if (parts.length === 1) return last.column;
  const before = parts[parts.length - 2]!;
  return 'literal' in before && before.literal !== '' ? last.column : null;
}
