/**
 * /ui/chain: the audit chain recomputed now and, when the daemon signs checkpoints into a
 * folder, checked against every checkpoint there with the public key of its own signing key.
 * The store alone cannot show a removed tail or a rewritten chain; the checkpoints can.
 */
import { createPublicKey } from 'node:crypto';
import { basename } from 'node:path';
import { verifyChain, type VerifyResult } from '../../audit/chain.js';
import { verifyWithCheckpoints, type CheckpointVerifyResult } from '../../audit/checkpoint.js';
import { LetheError } from '../../errors.js';
import { shortHash, tableOf } from '../cells.js';
import type { PageContent, UiView } from '../context.js';
import { html, type Html } from '../html.js';

export interface ChainStatus {
  chain: VerifyResult;
  /** null without a signing key or without a checkpoint folder (see `note`). */
  checkpoints: CheckpointVerifyResult['checkpoints'] | null;
  /** Why there are no checkpoints to check, or why they could not be read. */
  note: string | null;
}

/** The chain's verification, against the checkpoints when there is a folder of them (one pass over the chain either way). */
export async function chainStatus(view: UiView): Promise<ChainStatus> {
  const signer = view.signer;
  if (signer?.dir) {
    try {
      const r = await verifyWithCheckpoints(view.adapter, signer.dir, createPublicKey(signer.privateKey));
      return { chain: r.chain, checkpoints: r.checkpoints, note: null };
    } catch (err) {
      // A folder that went missing or unreadable since start: say so, and still verify the chain.
      if (!(err instanceof LetheError)) throw err;
      const { hashes: _h, ...chain } = await verifyChain(view.adapter);
      return { chain, checkpoints: null, note: err.message };
    }
  }
  const { hashes: _h, ...chain } = await verifyChain(view.adapter);
  const note = signer
    ? `checkpoints are signed (key ${signer.keyId}) and written to the log only: set LETHE_CHECKPOINT_DIR to keep them as files this page can check`
    : 'no signing key (LETHE_SIGNING_KEY_FILE): no checkpoints are written, so a removed tail or a rewritten chain cannot be detected from the store alone';
  return { chain, checkpoints: null, note };
}

/** One line: does the chain verify, how long is it, where is its head. */
export function chainLine(c: VerifyResult): Html {
  return c.ok
    ? html`<span class="ok" id="chain-ok">verifies</span>: ${c.checked} entries, head seq ${c.last.seq}, hash ${shortHash(c.last.hash)}`
    : html`<span class="bad" id="chain-broken">does not verify</span> at seq ${c.firstBad}: ${c.reason} (${c.checked} entries before it verify)`;
}

/** One line: how the checkpoints compare with the chain. */
export function checkpointLine(s: ChainStatus): Html {
  const cp = s.checkpoints;
  if (!cp) return html`<span class="warn">not checked</span>: ${s.note}`;
  const ok = cp.problems.length === 0;
  return html`<span class="${ok ? 'ok' : 'bad'}" id="checkpoints-${ok ? 'ok' : 'bad'}">${ok ? 'match' : `${cp.problems.length} problem(s)`}</span>: ${cp.found} found, ${cp.matched} signed by the daemon's key and matching the chain${cp.latest ? html`; latest seq ${cp.latest.seq} at ${cp.latest.at}` : ''}`;
}

export async function chainPage(view: UiView): Promise<PageContent> {
  const s = await chainStatus(view);
  const cp = s.checkpoints;
  const details = cp
    ? html`<table id="checkpoints"><tbody>
<tr><th>folder</th><td><code>${view.signer?.dir ?? ''}</code></td></tr>
<tr><th>signing key</th><td><code>${view.signer?.keyId ?? ''}</code></td></tr>
<tr><th>found</th><td class="num" id="cp-found">${cp.found}</td></tr>
<tr><th>matched</th><td class="num" id="cp-matched">${cp.matched}</td></tr>
<tr><th>latest</th><td id="cp-latest">${cp.latest ? `seq ${cp.latest.seq} at ${cp.latest.at} (${basename(cp.latest.file)})` : 'none'}</td></tr>
</tbody></table>
<h2>Problems</h2>
${tableOf({ id: 'cp-problems', headers: ['file', 'problem'], rows: cp.problems.map((p) => html`<tr><td><code>${basename(p.file)}</code></td><td>${p.problem}</td></tr>`), empty: 'None.' })}`
    : '';
  return {
    title: 'Chain',
    body: html`<h1>Audit chain</h1>
<p id="chain-status"><strong>Chain:</strong> ${chainLine(s.chain)}</p>
<p class="meta">Recomputed just now: each entry's hash covers its fields and the previous entry's hash, the head row must match the last entry, and each finished run's changes must be accounted for by its entries.</p>
<h2>Signed checkpoints</h2>
<p id="checkpoint-status">${checkpointLine(s)}</p>
${details}`,
  };
}
