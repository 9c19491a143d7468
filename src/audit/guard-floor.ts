/**
 * An edit of policies.yaml never loosens a provider's guard on its own (DESIGN 12): field by
 * field, the stricter of the guard in force and the edited one applies (the smaller
 * max_fraction, the smaller min_rows) until a plan saved under the edited policy is approved.
 * The guard in force is the running daemon's, or the one the chain's last `policy` entry
 * recorded, so neither a restart nor a `lethe run` with the edited file loosens it.
 */
import type { Guard, Policy } from '../policy/model.js';
import type { Adapter } from '../store/types.js';
import { lastRecordedPolicy, type RecordedGuards } from './acts.js';
import { approvedStages } from './approvals.js';

export interface GuardKept {
  provider: string;
  file: Guard;
  inForce: Guard;
}

/** `next` with each guard no looser than `inForce`'s; `kept` names the providers whose edit was tightened. */
export function stricterGuards(next: Policy, inForce: Policy | RecordedGuards): { policy: Policy; kept: GuardKept[] } {
  const kept: GuardKept[] = [];
  const guardOf = (id: string): Guard | null => {
    if ('providers' in inForce && Array.isArray(inForce.providers)) return (inForce as Policy).providers.find((o) => o.id === id)?.guard ?? null;
    const g = (inForce as RecordedGuards)[id];
    return g ? { maxFraction: g.max_fraction, minRows: g.min_rows } : null;
  };
  const providers = next.providers.map((p) => {
    const old = guardOf(p.id);
    if (!old) return p;
    const guard = { maxFraction: Math.min(p.guard.maxFraction, old.maxFraction), minRows: Math.min(p.guard.minRows, old.minRows) };
    if (guard.maxFraction === p.guard.maxFraction && guard.minRows === p.guard.minRows) return p;
    kept.push({ provider: p.id, file: p.guard, inForce: guard });
    return Object.freeze({ ...p, guard: Object.freeze(guard) });
  });
  return { policy: Object.freeze({ ...next, providers: Object.freeze(providers) }), kept };
}

/** The file's policy with the guards the chain last recorded kept, unless a plan under the file's policy is approved at `now`. */
export async function guardsInForce(adapter: Adapter, file: Policy, now: Date): Promise<{ policy: Policy; kept: GuardKept[] }> {
  const recorded = await lastRecordedPolicy(adapter);
  const floor = recorded ? stricterGuards(file, recorded.guards) : { policy: file, kept: [] };
  if (floor.kept.length === 0) return floor;
  if ((await approvedStages(adapter, adapter.db, file.sha256, now)).length > 0) return { policy: file, kept: [] };
  return floor;
}

export function guardKeptMessage(k: GuardKept): string {
  return `${k.provider}: policies.yaml loosens the guard (max_fraction ${k.file.maxFraction}, min_rows ${k.file.minRows}); without an approval the guard in force stays (max_fraction ${k.inForce.maxFraction}, min_rows ${k.inForce.minRows}): lethe plan --save, then lethe approve`;
}
