/**
 * The drain job: unlinks media files whose rows were deleted but whose unlink did not
 * happen (a crash between commit and unlink). Runs at daemon start and before each run.
 */
import type { EventBus } from '../src/events.js';
import { drainFileQueue, type DrainResult } from '../src/exec/files.js';
import type { Policy } from '../src/policy/model.js';
import type { Adapter } from '../src/store/types.js';

/** Drains the whole outbox, reporting refused paths as events. */
export async function drainFiles(adapter: Adapter, policy: Policy, events: EventBus, at: string): Promise<DrainResult> {
  const r = await drainFileQueue(adapter, { mediaRoot: policy.store.mediaRoot, at, policySha256: policy.sha256, onAudit: (e) => events.emit('purge', e) });
  for (const refused of r.refused) events.emit('file:refused', refused);
  for (const e of r.errors) events.emit('file:error', e);
  return r;
}
