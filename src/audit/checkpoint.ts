/**
 * Signed checkpoints: anchors of the audit chain outside the store. After each run lethe
 * signs the chain head (seq and hash) and the time with an Ed25519 key and writes the
 * result as a log line and as a file in LETHE_CHECKPOINT_DIR, which in production is a
 * write-once bucket or another host. Someone with write access to the store can rewrite
 * lethe_audit and its head consistently; they cannot rewrite a checkpoint already shipped,
 * nor sign a new one without the key. `audit verify --checkpoints DIR --public-key FILE`
 * checks the chain against every checkpoint: a removed tail, a rewritten chain, and
 * checkpoints signed by another key are all reported.
 *
 * The signed payload is one line of UTF-8 text, so an auditor can check a signature without
 * lethe (see the README):  lethe-checkpoint-v1 seq=<seq> hash=<hash> at=<ISO instant>
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { writeFileDurably } from '../fs-durable.js';
import { letheDb } from '../store/lethe-tables.js';
import type { Adapter } from '../store/types.js';
import { GENESIS_HASH, verifyChain, type VerifyResult } from './chain.js';

export interface Checkpoint {
  lethe_checkpoint: 1;
  seq: number;
  hash: string;
  at: string;
  /** The run after which it was written (not signed: the chain already ties entries to runs). */
  run_id: number | null;
  /** The first 16 hex digits of sha256 of the public key (SPKI DER): which key signed. */
  key_id: string;
  /** Base64 Ed25519 signature of checkpointPayload(). */
  signature: string;
}

export function checkpointPayload(c: Pick<Checkpoint, 'seq' | 'hash' | 'at'>): string {
  return `lethe-checkpoint-v1 seq=${c.seq} hash=${c.hash} at=${c.at}`;
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export interface Signer {
  privateKey: KeyObject;
  keyId: string;
  /** Where checkpoint files go; null writes the log line only. */
  dir: string | null;
}

/**
 * The signing key and checkpoint folder from the environment, or null when no key is set.
 * A key that is not an Ed25519 private key, a folder that does not exist, and a folder
 * without a key are configuration errors: checkpoints that silently stop are worse than none.
 */
export function loadSigner(env: NodeJS.ProcessEnv): Signer | null {
  const file = env.LETHE_SIGNING_KEY_FILE;
  const text = env.LETHE_SIGNING_KEY;
  const dir = env.LETHE_CHECKPOINT_DIR ? resolve(env.LETHE_CHECKPOINT_DIR) : null;
  if (!file && !text) {
    if (dir) throw new ConfigError(`LETHE_CHECKPOINT_DIR is set (${dir}) but no signing key is: set LETHE_SIGNING_KEY_FILE to an Ed25519 private key (PEM)`);
    return null;
  }
  const source = file ? `LETHE_SIGNING_KEY_FILE (${file})` : 'LETHE_SIGNING_KEY';
  let pem: string;
  try {
    pem = file ? readFileSync(file, 'utf8') : text!;
  } catch (err) {
    throw new ConfigError(`${source}: cannot read the key file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError(`${source}: not a PEM private key (make one with: openssl genpkey -algorithm ed25519 -out signing.pem)`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new ConfigError(`${source}: the key is ${privateKey.asymmetricKeyType}, not Ed25519`);
  if (dir) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new ConfigError(`LETHE_CHECKPOINT_DIR: ${dir} is not an existing folder`);
  }
  return { privateKey, keyId: keyId(createPublicKey(privateKey)), dir };
}

/** Signs the chain's head as it is now and writes the checkpoint file (when a folder is set). Returns the checkpoint and its file. */
export async function writeCheckpoint(adapter: Adapter, signer: Signer, at: string, runId: number | null): Promise<{ checkpoint: Checkpoint; file: string | null }> {
  const head = await letheDb(adapter).selectFrom('lethe_audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head) throw new Error('the audit chain has no head (lethe_audit_head is empty): no checkpoint was written; run lethe audit verify');
  const body = { seq: Number(head.seq), hash: String(head.hash), at };
  const checkpoint: Checkpoint = {
    lethe_checkpoint: 1,
    ...body,
    run_id: runId,
    key_id: signer.keyId,
    signature: sign(null, Buffer.from(checkpointPayload(body)), signer.privateKey).toString('base64'),
  };
  // The head it signs must outlive a power cut: a checkpoint past the store's last entry
  // reads as a removed tail.
  await adapter.syncCommits?.();
  if (!signer.dir) return { checkpoint, file: null };
  const name = `lethe-checkpoint-${String(body.seq).padStart(12, '0')}-${at.replace(/[-:.]/g, '')}.json`;
  const file = join(signer.dir, name);
  // Written beside and renamed: a reader never sees half a checkpoint.
  writeFileDurably(join(signer.dir, `.${name}.${process.pid}.tmp`), file, JSON.stringify(checkpoint, null, 2) + '\n');
  return { checkpoint, file };
}

/** The public key an auditor was given (SPKI PEM; a private key's PEM also works). */
export function loadPublicKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--public-key: cannot read ${resolve(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError(`--public-key: ${resolve(file)} is not a PEM public key (export one with: openssl pkey -in signing.pem -pubout -out signing.pub.pem)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`--public-key: ${resolve(file)} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export interface CheckpointProblem {
  file: string;
  problem: string;
}

export interface CheckpointVerifyResult {
  ok: boolean;
  chain: VerifyResult;
  checkpoints: {
    found: number;
    /** Checkpoints signed by the key and consistent with the chain. */
    matched: number;
    latest: { seq: number; at: string; file: string } | null;
    problems: CheckpointProblem[];
  };
}

/**
 * Verifies the chain against every checkpoint file in `dir`: each must be signed by
 * `publicKey`, and the chain must still hold the entry it signed, with the same hash.
 */
export async function verifyWithCheckpoints(adapter: Adapter, dir: string, publicKey: KeyObject): Promise<CheckpointVerifyResult> {
  const folder = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch (err) {
    throw new UsageError(`--checkpoints: cannot read the folder ${folder} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const expectedKey = keyId(publicKey);
  const problems: CheckpointProblem[] = [];
  const signed: { file: string; c: Checkpoint }[] = [];
  for (const name of names) {
    const file = join(folder, name);
    const c = parseCheckpoint(file);
    if (typeof c === 'string') problems.push({ file, problem: c });
    else if (!verify(null, Buffer.from(checkpointPayload(c)), publicKey, Buffer.from(c.signature, 'base64'))) {
      problems.push({ file, problem: `not signed by the given public key (it names key ${c.key_id}; the given key is ${expectedKey}): a forged or foreign checkpoint` });
    } else signed.push({ file, c });
  }
  if (names.length === 0) problems.push({ file: folder, problem: 'no checkpoint files (*.json) in this folder' });

  const chain = await verifyChain(adapter, { want: new Set(signed.map((s) => s.c.seq)) });
  const { hashes, ...chainResult } = chain;
  let matched = 0;
  for (const { file, c } of signed) {
    if (c.seq > chain.last.seq && chain.ok) {
      problems.push({ file, problem: `signed at ${c.at} with the chain at seq ${c.seq}, but the chain now ends at seq ${chain.last.seq}: entries were removed` });
      continue;
    }
    const now = c.seq === 0 ? GENESIS_HASH : hashes.get(c.seq);
    if (now === undefined) continue; // beyond where a broken chain stopped verifying: the chain's own error says why
    if (now !== c.hash) problems.push({ file, problem: `entry ${c.seq} differs from the one signed at ${c.at}: the chain was rewritten` });
    else matched++;
  }
  const latest = signed.reduce<{ seq: number; at: string; file: string } | null>((m, s) => (!m || s.c.seq > m.seq || (s.c.seq === m.seq && s.c.at > m.at) ? { seq: s.c.seq, at: s.c.at, file: s.file } : m), null);
  return { ok: chain.ok && problems.length === 0, chain: chainResult, checkpoints: { found: names.length, matched, latest, problems } };
}

/** A checkpoint file, or why it is not one. */
function parseCheckpoint(file: string): Checkpoint | string {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return 'not a readable JSON file';
  }
  const c = v as Partial<Checkpoint>;
  const ok =
    c &&
    c.lethe_checkpoint === 1 &&
    Number.isSafeInteger(c.seq) &&
    (c.seq as number) >= 0 &&
    typeof c.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(c.hash) &&
    typeof c.at === 'string' &&
    typeof c.signature === 'string' &&
    typeof c.key_id === 'string';
  return ok ? (c as Checkpoint) : 'not a lethe checkpoint (lethe_checkpoint, seq, hash, at, key_id and signature are required)';
}
