/** The requests section of `lethe report` as text: per provider its deadline and counts, then every overdue request (keys only). */
import { RowKey } from '../exec/row-key.js';
import type { ProviderRequests } from '../requests/status.js';
import { table } from './format.js';

/** Renders the section that follows the rules table; "no request is overdue." when none is. */
export function requestsText(requests: readonly ProviderRequests[]): string {
  const perProvider = table(
    ['provider', 'deadline', 'open', 'conflict', 'overdue'],
    requests.map((r) => [r.provider, r.respond_within ?? 'not stated', r.open, r.conflict, r.overdue]),
  );
  const late = requests.flatMap((r) => r.overdue_requests);
  const listed = late.length
    ? `overdue requests (past their deadline and not done):\n` +
      table(
        ['id', 'provider', 'kind', 'table', 'key', 'received_at', 'due_at', 'status', 'days_overdue'],
        late.map((r) => [r.id, r.provider, r.kind, r.table, RowKey.encode(r.key), r.received_at, r.due_at, r.status, r.days_overdue]),
      )
    : 'no request is overdue.\n';
  return `\ndata-subject requests ("deadline" is the provider's requests.respond_within after receipt; "conflict" ones were stopped by holds or keep obligations):\n${perProvider}${listed}`;
}
