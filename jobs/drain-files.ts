/**
 * The drain job: unlinks media files whose rows were deleted but whose unlink did not
 * happen (a crash between commit and unlink). Runs at daemon start and before each run.
 */
import type { EventBus } from '../src/events.js';
import { drainFileQueue, type DrainResult } from '../src/exec/files.js';
import { sharedFileCheck } from '../src/exec/shared-files.js';
import type { Policy } from '../src/policy/model.js';
import type { Adapter, SchemaInfo } from '../src/store/types.js';

/** Drains the outbox (all of it, or one run's files), announcing file entries, refusals and errors as events. */
export async function drainFiles(adapter: Adapter, policy: Policy, schema: SchemaInfo, events: EventBus, at: string, runId?: number): Promise<DrainResult> {
  const stillNamed = sharedFileCheck(adapter, policy, schema);
  const r = await drainFileQueue(adapter, {
    mediaRoot: policy.store.mediaRoot,
    at,
    policySha256: policy.sha256,
    onAudit: (e) => events.emit('purge', e),
    ...(stillNamed ? { stillNamed } : {}),
    ...(runId !== undefined ? { runId } : {}),
  });
  for (const refused of r.refused) events.emit('file:refused', refused);
  for (const e of r.errors) events.emit('file:error', e);
  if (r.missing) events.emit('file:missing', { count: r.missing });
  if (r.shared) events.emit('file:shared', { count: r.shared });
  return r;
}
