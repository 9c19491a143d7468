/**
 * The clock part of `lethe check` (and the counts `report` shows): for every clock column a
 * rule reads, the sample verdict (an error: the stage would refuse) and the census of values
 * that are not valid clocks (a warning naming the first row: those rows are never due).
 */
import type { Problem } from '../errors.js';
import { findPath, findTable } from '../plan/fk-graph.js';
import { keyColumnsOf } from '../plan/planner.js';
import type { Policy, Rule } from '../policy/model.js';
import { positionOf, problem } from '../policy/positions.js';
import type { Adapter, SchemaInfo } from '../store/types.js';
import { censusClock, sampleClock } from './health.js';

/** Every clock problem of the policy's rules, one sample and one census per clock column. */
export async function checkClocks(adapter: Adapter, policy: Policy, schema: SchemaInfo, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  const done = new Map<string, { verdict: string | null; hint: string; census: string | null }>();
  for (const provider of policy.providers) {
    for (const rule of provider.rules) {
      const found = clockOf(rule, schema);
      if (!found) continue;
      const { table, column } = found;
      const spec = { format: rule.clock!.format, zone: rule.clock!.zone };
      const k = `${table.name}\u0000${column.name}\u0000${spec.format}\u0000${spec.zone}`;
      let r = done.get(k);
      if (!r) {
        const sample = await sampleClock(adapter, table, column, spec, now);
        const census = await censusClock(adapter, table, keyColumnsOf(policy, schema, table.name), column, spec);
        const first = census.first ? ` (first: ${table.name} row ${typeof census.first.key === 'object' ? JSON.stringify(census.first.key) : census.first.key}, a value shaped like ${census.first.shape})` : '';
        r = {
          verdict: sample.verdict?.message ?? null,
          hint: sample.verdict?.hint ?? '',
          census: census.invalid ? `${census.invalid} value(s) of ${table.name}.${column.name} are not valid ${spec.format === 'iso' ? 'ISO-8601 clocks' : `${spec.format} clocks`}${first}; those rows are never due` : null,
        };
        done.set(k, r);
      }
      const pos = policy.positions.get(`${rule.path}.clock.=`) ?? positionOf(policy.positions, `${rule.path}.clock`.split('.'));
      if (r.verdict) problems.push(problem(policy.file, pos, `${rule.path}.clock`, r.verdict, r.hint, 'error'));
      if (r.census) problems.push(problem(policy.file, pos, `${rule.path}.clock`, r.census, 'fix or clear those values; the rest of the table is enforced as usual', 'warning'));
    }
  }
  return problems;
}

function clockOf(rule: Rule, schema: SchemaInfo) {
  if (!rule.clock || rule.kind === 'unspecified') return null;
  const table = findTable(schema, rule.clock.table);
  const column = table?.columns.get(rule.clock.column);
  if (!table || !column || !findPath(schema, rule.table, table.name).ok) return null;
  return { table, column };
}
