/**
 * A bare `calls(id, started_at)` table under one delete rule ("deleted after 12 months"), for
 * tests of how a stage's batches walk, lock and delete it: the policy with the provider's
 * batch settings, and rows of which the first `due` are 400 days old and the rest 10 days.
 */
import type { EngineName } from '../../src/store/types.js';
import type { TempStore } from './harness.js';
import { daysBefore, ts } from './harness.js';

/**
 * The policy: `settings` are provider-level lines (batch_size, throttle, guard, …), one
 * `key: value` each, the guard off (max_fraction 1) unless one is given; `store` lines go
 * under `store:` (tenant_column, …).
 */
export function callsPolicy(settings: Record<string, string>, store: Record<string, string> = {}): string {
  const lines = Object.entries(settings).map(([k, v]) => `    ${k}: ${v}\n`);
  const storeLines = Object.entries(store).map(([k, v]) => `  ${k}: ${v}\n`);
  return `version: 1
${storeLines.length ? `store:\n${storeLines.join('')}` : ''}providers:
  acme:
    name: Acme Telecom
${lines.join('')}${settings.guard ? '' : '    guard: { max_fraction: 1 }\n'}    rules:
      calls:
        quote: "Call records are deleted after 12 months."
        table: calls
        clock: started_at
        after: 12 months
        action: delete
`;
}

/** The clock column's type in a bare calls table, per engine. */
export const CLOCK_TYPE: Record<EngineName, string> = { sqlite: 'text', postgres: 'timestamptz', mysql: 'datetime(3)' };

/** Inserts calls 1..rows; calls 1..due are due. */
export async function fillCalls(store: TempStore, rows: number, due: number): Promise<void> {
  for (let i = 0; i < rows; i += 500) {
    const batch = Array.from({ length: Math.min(500, rows - i) }, (_, j) => ({ id: i + j + 1, started_at: ts(store, daysBefore(i + j + 1 <= due ? 400 : 10)) }));
    await store.adapter.db.insertInto('calls').values(batch).execute();
  }
}
