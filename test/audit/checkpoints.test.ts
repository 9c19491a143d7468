/**
 * Signed checkpoints (DESIGN 12), through bin/lethe on every engine. Each tampering the
 * issue measured is done here as an attacker with write access to the store would do it:
 * a removed tail with the head moved back, a chain rewritten with recomputed hashes, and
 * everything deleted. The store alone cannot show the careful versions of these (the test
 * shows `audit verify` passing); the checkpoints written after each run catch every one, and
 * reject a checkpoint signed by another key.
 */
import { createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entryHash, rowToEntry } from '../../src/audit/chain.js';
import { cli, type TempStore, tempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { seedPipcall } from '../scenarios/fixtures.js';
import { Fixture, NOW_ISO } from '../scenarios/support.js';

const engines = await testEngines();
const EARLIER = '2026-10-01T00:00:00.000Z';
const TABLES = ['lethe_audit', 'lethe_audit_head', 'lethe_runs'] as const;

function keyPair(dir: string, name: string): { privateFile: string; publicFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateFile = join(dir, `${name}.pem`);
  const publicFile = join(dir, `${name}.pub.pem`);
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateFile, publicFile };
}

type Snapshot = Record<(typeof TABLES)[number], Record<string, unknown>[]>;

async function snapshot(db: Kysely<any>): Promise<Snapshot> {
  const out = {} as Snapshot;
  for (const t of TABLES) out[t] = await db.selectFrom(t).selectAll().execute();
  return out;
}

async function restore(db: Kysely<any>, s: Snapshot): Promise<void> {
  for (const t of TABLES) {
    await db.deleteFrom(t).execute();
    for (const row of s[t]) await db.insertInto(t).values(row).execute();
  }
}

describe.each(engines)('signed checkpoints on %s', (engine) => {
  let store: TempStore;
  let env: Record<string, string>;
  let keys: { privateFile: string; publicFile: string };
  let dir: string;
  let intact: Snapshot;
  const verifyArgs = () => ['audit', 'verify', '--checkpoints', dir, '--public-key', keys.publicFile];

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    const fx = new Fixture(store);
    await fx.providers();
    await seedPipcall(fx);
    keys = keyPair(store.dir, 'signing');
    dir = join(store.dir, 'checkpoints');
    mkdirSync(dir);
    env = { LETHE_SIGNING_KEY_FILE: keys.privateFile, LETHE_CHECKPOINT_DIR: dir };
    for (const now of [EARLIER, NOW_ISO, NOW_ISO]) {
      const r = cli(store, ['run', '--now', now], env);
      expect(r.code, r.stderr).toBe(0);
    }
    intact = await snapshot(store.adapter.db);
  });
  afterAll(async () => store?.close());
  afterEach(async () => restore(store.adapter.db, intact));

  const files = () => readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  const checkpoint = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as { seq: number; hash: string; at: string; signature: string; key_id: string; run_id: number };

  it('every run writes a checkpoint file and a log line, even a run that changes nothing; its signature checks without lethe', async () => {
    expect(files()).toHaveLength(3);
    const [first, second, third] = files().map(checkpoint);
    expect(first!.seq).toBeGreaterThan(0);
    expect(second!.seq).toBeGreaterThan(first!.seq);
    // The third run changed nothing: the same head, signed again.
    expect([third!.seq, third!.hash]).toEqual([second!.seq, second!.hash]);
    const head = await store.adapter.db.selectFrom('lethe_audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
    expect([Number(head.seq), head.hash]).toEqual([third!.seq, third!.hash]);
    // The payload is documented text: an auditor can check it with any Ed25519 tool.
    const pub = readFileSync(keys.publicFile, 'utf8');
    for (const c of [first!, second!, third!]) {
      expect(verify(null, Buffer.from(`lethe-checkpoint-v1 seq=${c.seq} hash=${c.hash} at=${c.at}`), pub, Buffer.from(c.signature, 'base64'))).toBe(true);
    }
    // With --json the result is on stdout and the log lines on stderr.
    const log = cli(store, ['--json', 'run', '--now', NOW_ISO], { ...env, LOG_PRETTY: '0' });
    expect(JSON.parse(log.stdout)).toMatchObject({ checkpoint: { seq: third!.seq, hash: third!.hash } });
    const line = log.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'checkpoint');
    expect(line).toMatchObject({ seq: third!.seq, hash: third!.hash, key_id: third!.key_id });
    expect(files()).toHaveLength(4);
  });

  it('verify with the checkpoints passes on the intact chain', () => {
    const r = cli(store, [...verifyArgs(), '--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, chain: { ok: true }, checkpoints: { problems: [] } });
  });

  it('a removed tail with the head moved back: caught by the checkpoints (and, when the run rows were left, by the store)', async () => {
    const db = store.adapter.db;
    const first = checkpoint(files()[0]!);
    const keep = first.seq;
    const kept = rowToEntry((await db.selectFrom('lethe_audit').selectAll().where('seq', '=', keep).executeTakeFirstOrThrow()) as Record<string, unknown>);
    await db.deleteFrom('lethe_audit').where('seq', '>', keep).execute();
    await db.updateTable('lethe_audit_head').set({ seq: keep, hash: kept.hash }).execute();
    // A naive attacker leaves the runs' totals: the store alone sees rows changed that no entry records.
    const naive = cli(store, ['audit', 'verify']);
    expect(naive.code).toBe(1);
    expect(naive.stdout).toMatch(/changed \d+ rows but the chain records \d+ of them: entries were removed/);
    // A careful one removes the later runs too: the store alone is satisfied.
    await db.deleteFrom('lethe_runs').where('id', '>', kept.run_id).execute();
    expect(cli(store, ['audit', 'verify']).code).toBe(0);
    const r = cli(store, verifyArgs());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`but the chain now ends at seq ${keep}: entries were removed`));
  });

  it('a chain rewritten with recomputed hashes (which row an entry deleted): verify passes, the checkpoints do not', async () => {
    const db = store.adapter.db;
    const entries = (await db.selectFrom('lethe_audit').selectAll().orderBy('seq').execute()).map((r) => rowToEntry(r as Record<string, unknown>));
    const victim = entries.find((e) => e.action === 'delete')!;
    let prev = victim.prev_hash;
    for (const e of entries.filter((x) => x.seq >= victim.seq)) {
      const body = { ...e, prev_hash: undefined, hash: undefined };
      // The same number of rows (the runs' totals still add up), but another row named.
      if (e.seq === victim.seq) body.keys = [999_999, ...e.keys.slice(1)];
      const { prev_hash: _p, hash: _h, ...fields } = body;
      const hash = entryHash(prev, fields);
      await db.updateTable('lethe_audit').set({ keys: JSON.stringify(fields.keys), row_count: fields.row_count, refs: fields.refs ? JSON.stringify(fields.refs) : null, prev_hash: prev, hash }).where('seq', '=', e.seq).execute();
      prev = hash;
    }
    await db.updateTable('lethe_audit_head').set({ hash: prev }).execute();
    expect(cli(store, ['audit', 'verify']).code).toBe(0);
    const r = cli(store, verifyArgs());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/differs from the one signed at .*: the chain was rewritten/);
  });

  it('everything deleted: the store alone sees the missing head; reset to an empty chain, only the checkpoints see it', async () => {
    const db = store.adapter.db;
    await db.deleteFrom('lethe_audit').execute();
    await db.deleteFrom('lethe_audit_head').execute();
    const gone = cli(store, ['audit', 'verify']);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toMatch(/head row \(lethe_audit_head\) is missing/);
    // Commands do not recreate the head over the hole: a run fails rather than restart the chain.
    expect(cli(store, ['run', '--now', NOW_ISO], env).code).toBe(1);
    expect(await db.selectFrom('lethe_audit_head').selectAll().execute()).toEqual([]);
    await db.insertInto('lethe_audit_head').values({ id: 1, seq: 0, hash: '0'.repeat(64) }).execute();
    await db.deleteFrom('lethe_runs').execute();
    const empty = cli(store, ['audit', 'verify']);
    expect([empty.code, empty.stdout]).toEqual([0, expect.stringMatching(/verifies: 0 entries/)]);
    const r = cli(store, verifyArgs());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/the chain now ends at seq 0: entries were removed/);
  });

  it('a checkpoint signed by another key is rejected, and so is every checkpoint under the wrong public key', () => {
    const other = keyPair(store.dir, 'other');
    const copy = join(store.dir, 'checkpoints-copy');
    cpSync(dir, copy, { recursive: true });
    const real = checkpoint(files()[files().length - 1]!);
    const forged = { ...real, seq: real.seq + 5, signature: sign(null, Buffer.from(`lethe-checkpoint-v1 seq=${real.seq + 5} hash=${real.hash} at=${real.at}`), createPrivateKey(readFileSync(other.privateFile, 'utf8'))).toString('base64') };
    writeFileSync(join(copy, 'lethe-checkpoint-forged.json'), JSON.stringify(forged));
    const r = cli(store, ['audit', 'verify', '--checkpoints', copy, '--public-key', keys.publicFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/lethe-checkpoint-forged\.json: not signed by the given public key/);
    const wrong = cli(store, ['audit', 'verify', '--checkpoints', dir, '--public-key', other.publicFile, '--json']);
    expect(wrong.code).toBe(1);
    const doc = JSON.parse(wrong.stdout) as { checkpoints: { found: number; matched: number; problems: unknown[] } };
    expect(doc.checkpoints.matched).toBe(0);
    expect(doc.checkpoints.problems).toHaveLength(doc.checkpoints.found);
  });

  it('refuses checkpoint settings that cannot work, before changing anything (exit 2)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const cases: [Record<string, string>, RegExp][] = [
      [{ LETHE_CHECKPOINT_DIR: dir }, /LETHE_CHECKPOINT_DIR is set .* but no signing key is/],
      [{ LETHE_SIGNING_KEY: rsa }, /LETHE_SIGNING_KEY: the key is rsa, not Ed25519/],
      [{ LETHE_SIGNING_KEY: 'not a key' }, /LETHE_SIGNING_KEY: not a PEM private key/],
      [{ LETHE_SIGNING_KEY_FILE: keys.privateFile, LETHE_CHECKPOINT_DIR: join(store.dir, 'nowhere') }, /LETHE_CHECKPOINT_DIR: .*nowhere is not an existing folder/],
    ];
    for (const [e, message] of cases) {
      const r = cli(store, ['run', '--now', NOW_ISO], e);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(cli(store, ['audit', 'verify', '--checkpoints', dir]).stderr).toMatch(/--checkpoints and --public-key go together/);
    expect(cli(store, ['audit', 'verify', '--checkpoints', dir, '--public-key', join(store.dir, 'none.pem')]).stderr).toMatch(/--public-key: cannot read/);
  });
});
