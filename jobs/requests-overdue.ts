/**
 * The requests half of the report job: at start and after each run, publishes the
 * data-subject requests past their deadline per provider as the lethe_requests_overdue gauge.
 */
import type { Gauge } from 'prom-client';
import type { Policy } from '../src/policy/model.js';
import { overdueRequestCounts } from '../src/requests/status.js';
import type { Adapter } from '../src/store/types.js';

/**
 * Sets overdue requests per provider as of `now`, for every provider at once (a request's
 * deadline does not depend on which provider ran). A provider that left the policy and has
 * no request left drops out of the series.
 */
export async function refreshRequestsOverdue(adapter: Adapter, policy: Policy, gauge: Gauge<'provider'>, now: Date): Promise<void> {
  const counts = await overdueRequestCounts(adapter, policy, now);
  // Read first, then replace the series in one synchronous step: a scrape never sees them half set.
  gauge.reset();
  for (const [provider, n] of counts) gauge.set({ provider }, n);
}
