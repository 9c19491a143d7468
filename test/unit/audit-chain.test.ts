/**
 * The audit log's hash chain: canonical JSON, entry hashes, and a vector computed outside
 * lethe (the literal canonical text below, hashed with node:crypto, and the hex digests
 * computed independently with Python's hashlib).
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalPart } from '../../src/exec/row-key.js';
import type { ColumnInfo } from '../../src/store/types.js';
import { GENESIS_HASH, appendAudit, canonicalJson, entryHash, verifyChain, type AuditBody } from '../../src/audit/chain.js';
import { tempStore, type TempStore } from '../support/harness.js';

type Body = AuditBody;
const SHA = 'f'.repeat(64);

/** Fields deliberately in a scrambled order. */
const ENTRY_1: Body = {
  table_name: 'calls',
  seq: 1,
  rule: 'service-data-calls',
  keys: [3, 17, 'ab-9'],
  run_id: 7,
  provider: 'loopup',
  stage: 1,
  policy_sha256: SHA,
  action: 'delete',
  row_count: 3,
  cutoff: '2025-11-23T03:15:00.000Z',
  at: '2026-11-23T03:15:01.000Z',
};
const CANON_1 =
  '{"action":"delete","at":"2026-11-23T03:15:01.000Z","cutoff":"2025-11-23T03:15:00.000Z","keys":[3,17,"ab-9"],' +
  `"policy_sha256":"${SHA}","provider":"loopup","row_count":3,"rule":"service-data-calls","run_id":7,"seq":1,"stage":1,"table_name":"calls"}`;
const HASH_1 = 'e83da4390ab97392ca9ef0ef6467cb2375f33a6f8d9a02f43e202a452b3820d9';

const ENTRY_2: Body = {
  seq: 2,
  run_id: 7,
  at: '2026-11-23T03:15:02.000Z',
  provider: 'loopup',
  rule: 'recordings',
  stage: 2,
  table_name: 'recordings',
  action: 'file',
  cutoff: null,
  row_count: 0,
  keys: [],
  policy_sha256: SHA,
};
const HASH_2 = '05e965f78574985a1f1fda2445a00dda4d3aac71e40e682c3d7dd07bb748a6f1';

describe('canonicalJson', () => {
  it('writes the fields with sorted keys, whatever order they came in', () => {
    expect(canonicalJson(ENTRY_1)).toBe(CANON_1);
    const keys = Object.keys(JSON.parse(canonicalJson(ENTRY_1)) as object);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(['action', 'at', 'cutoff', 'keys', 'policy_sha256', 'provider', 'row_count', 'rule', 'run_id', 'seq', 'stage', 'table_name']);
  });

  it('leaves out prev_hash, hash and anything else not in the entry', () => {
    const withExtras = { ...ENTRY_1, prev_hash: 'x'.repeat(64), hash: 'y'.repeat(64), name: 'Alice' } as Body;
    expect(canonicalJson(withExtras)).toBe(CANON_1);
  });

  it('keeps null cutoffs and empty key lists as JSON null and []', () => {
    expect(canonicalJson(ENTRY_2)).toContain('"cutoff":null,"keys":[],');
  });
});

describe('entryHash', () => {
  it('is sha256(prev_hash + canonical JSON), hex', () => {
    expect(entryHash(GENESIS_HASH, ENTRY_1)).toBe(createHash('sha256').update(GENESIS_HASH + CANON_1).digest('hex'));
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('matches known vectors for a two-entry chain', () => {
    expect(entryHash(GENESIS_HASH, ENTRY_1)).toBe(HASH_1);
    expect(entryHash(HASH_1, ENTRY_2)).toBe(HASH_2);
  });

  it('changes with any field and with the previous hash', () => {
    expect(entryHash(GENESIS_HASH, { ...ENTRY_1, keys: [3, 17, 'ab-8'] })).not.toBe(HASH_1);
    expect(entryHash(GENESIS_HASH, { ...ENTRY_1, row_count: 2 })).not.toBe(HASH_1);
    expect(entryHash('1'.repeat(64), ENTRY_1)).not.toBe(HASH_1);
  });
});

describe('canonical key parts', () => {
  const column = (kind: ColumnInfo['kind']): ColumnInfo => ({ name: 'k', dataType: kind, kind, zoned: false, maxLength: null, nullable: false });
  it('keeps safe integers of integer columns as numbers and larger ones as text', () => {
    const int = column('integer');
    expect(canonicalPart(42, int)).toBe(42);
    expect(canonicalPart(42n, int)).toBe(42);
    expect(canonicalPart('42', int)).toBe(42);
    expect(canonicalPart('-7', int)).toBe(-7);
    expect(canonicalPart(9007199254740993n, int)).toBe('9007199254740993');
    expect(canonicalPart('9007199254740993', int)).toBe('9007199254740993');
  });
  it('keeps text keys as text, digits included: "0042" is not 42', () => {
    const text = column('text');
    expect(canonicalPart('0042', text)).toBe('0042');
    expect(canonicalPart('42', text)).toBe('42');
    expect(canonicalPart('ab-9', text)).toBe('ab-9');
    expect(canonicalPart('5B8E7B5E-0000-4000-8000-000000000001', column('uuid'))).toBe('5B8E7B5E-0000-4000-8000-000000000001');
  });
});

describe('the chain in a real store', () => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  it('appendAudit links entries to the head; verifyChain accepts it and names the first edited entry', async () => {
    store = await tempStore();
    const s = store;
    const draft = { run_id: 7, provider: 'loopup', policy_sha256: SHA } as const;
    const written = await s.adapter.transaction(async (tx) => [
      await appendAudit(s.adapter, tx, { ...draft, at: ENTRY_1.at, rule: ENTRY_1.rule, stage: 1, table_name: 'calls', action: 'delete', cutoff: ENTRY_1.cutoff, keys: [3, 17, 'ab-9'] }),
      await appendAudit(s.adapter, tx, { ...draft, at: ENTRY_2.at, rule: 'recordings', stage: 2, table_name: 'recordings', action: 'file', cutoff: null, keys: [] }),
    ]);
    expect(written.map((e) => [e.seq, e.prev_hash, e.hash])).toEqual([
      [1, GENESIS_HASH, HASH_1],
      [2, HASH_1, HASH_2],
    ]);
    expect(await verifyChain(s.adapter)).toMatchObject({ ok: true, checked: 2, firstBad: null, reason: null });

    await sql`update lethe_audit set keys = '[3,17]' where seq = 1`.execute(s.adapter.db);
    const r = await verifyChain(s.adapter);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toBe(1);
  });

  it('verifyChain catches a removed tail through the head row', async () => {
    store = await tempStore();
    const s = store;
    await s.adapter.transaction(async (tx) => {
      for (const at of ['2026-11-23T03:15:01.000Z', '2026-11-23T03:15:02.000Z', '2026-11-23T03:15:03.000Z']) {
        await appendAudit(s.adapter, tx, { run_id: 1, at, provider: 'loop', rule: 'r', stage: 1, table_name: 'calls', action: 'delete', cutoff: null, keys: [1], policy_sha256: SHA });
      }
    });
    await sql`delete from lethe_audit where seq = 3`.execute(s.adapter.db);
    const r = await verifyChain(s.adapter);
    expect(r).toMatchObject({ ok: false, checked: 2, firstBad: 3 });
  });
});
