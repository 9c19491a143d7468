/**
 * The report job: after each run, recounts what is still due per rule and publishes it
 * as the lethe_overdue_rows gauge.
 */
import type { Gauge } from 'prom-client';
import { countDue } from '../src/exec/counts.js';
import type { Policy } from '../src/policy/model.js';
import { planRun } from '../src/plan/planner.js';
import { activeInstructions } from '../src/exec/instructions.js';
import type { Adapter, SchemaInfo } from '../src/store/types.js';

/** Sets overdue rows per rule of `provider` (all providers when null) as of `nowIso`. */
export async function refreshOverdue(adapter: Adapter, policy: Policy, schema: SchemaInfo, gauge: Gauge<'provider' | 'rule'>, provider: string | null, nowIso: string): Promise<void> {
  if (!nowIso) return;
  const now = new Date(nowIso);
  const plan = planRun(policy, now, schema, provider ? { provider } : {}, await activeInstructions(adapter, adapter.db, now));
  for (const pp of plan.providers) {
    const perRule = new Map<string, number>();
    for (const task of pp.tasks) {
      const due = await countDue(adapter, task);
      perRule.set(task.rule.id, (perRule.get(task.rule.id) ?? 0) + due);
    }
    for (const [rule, n] of perRule) gauge.set({ provider: pp.provider.id, rule }, n);
  }
}
