/**
 * What the web view reads, handed over by the daemon, and the view of it one request sees:
 * the policy in force, a schema that knows its tables, and one `now` for the whole page.
 */
import type { Logger } from 'pino';
import type { Signer } from '../audit/checkpoint.js';
import { introspectFor } from '../cli/context.js';
import { findTable } from '../plan/fk-graph.js';
import type { Policy } from '../policy/model.js';
import type { Adapter, SchemaInfo } from '../store/types.js';
import type { Html } from './html.js';

export interface UiDeps {
  adapter: Adapter;
  /** The policy in force and the schema the daemon read; a reload replaces the policy. */
  current: () => { policy: Policy; schema: SchemaInfo };
  /** --now / LETHE_NOW, or null to read the store's clock. */
  now: Date | null;
  /** The checkpoint signer, whose folder the chain page verifies; null without a signing key. */
  signer: Signer | null;
  /** LETHE_UI_TOKEN; null leaves the view open. */
  token: string | null;
  log?: Logger;
}

export interface UiView {
  adapter: Adapter;
  policy: Policy;
  schema: SchemaInfo;
  /** The instant every part of the page is read at. */
  now: Date;
  /** Whether `now` is the injected one (else the store's clock). */
  injected: boolean;
  signer: Signer | null;
}

/** Builds per-request views; remembers a schema read for a reloaded policy. */
export function viewMaker(deps: UiDeps): () => Promise<UiView> {
  let reread: { sha256: string; schema: Promise<SchemaInfo> } | null = null;
  return async () => {
    const { policy, schema: given } = deps.current();
    let schema = given;
    // The daemon introspects at start; a reload may name a table created since, which that
    // schema lacks. Read it again then, once per policy text.
    const missing = policy.providers.some((p) => p.rules.some((r) => !findTable(given, r.table)));
    if (missing) {
      if (reread?.sha256 !== policy.sha256) reread = { sha256: policy.sha256, schema: introspectFor(deps.adapter, policy) };
      schema = await reread.schema.catch((err: unknown) => {
        reread = null;
        throw err;
      });
    }
    const now = deps.now ?? (await deps.adapter.dbNow());
    return { adapter: deps.adapter, policy, schema, now, injected: deps.now !== null, signer: deps.signer };
  };
}

/** What a page renders: its title and body; the server wraps it in the layout. */
export interface PageContent {
  title: string;
  body: Html;
}
