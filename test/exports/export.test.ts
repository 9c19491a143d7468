/**
 * Return before destroy (DESIGN 9), through bin/lethe on every engine. `lethe export
 * accounts 401` writes a zip holding exactly the Loop account's rows (the account and every
 * row that references it, directly or through other rows: compared with the store itself)
 * and its media files byte for byte, as a 0600 file under the export root, and audits its
 * sha256; nothing personal reaches the terminal or the audit. Without an export root it
 * exits 2 and writes nothing. A delete stage with `export_before: true` archives each batch's
 * rows before deleting them, and its audit entries name archives holding exactly those rows.
 * Archives are read with yauzl, a real zip reader.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { cli, tempStore, type TempStore } from '../support/harness.js';
import { testEngines } from '../support/engines.js';
import { seedLoop } from '../scenarios/fixtures.js';
import { csvCell, jsonSafe } from '../../src/exec/export.js';
import { Fixture, NOW_ISO, call, dumpAll, diffDumps, normaliseRow, referencing, referral, schemaOf, type Dump, type Row } from '../scenarios/support.js';

const engines = await testEngines();

/** Every entry of a zip, by name, read with yauzl. */
async function readZip(file: string): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))));
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  zip.close();
  return out;
}

/** RFC 4180: fields, quoted fields with doubled quotes and line breaks, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || record.length) records.push([...record, field]);
  return records;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Manifest {
  table: string;
  key?: unknown;
  keys: unknown[];
  rows: Record<string, number>;
  media: { path: string; sha256: string; bytes: number }[];
  missing_files: string[];
}

interface AuditRow {
  seq: number;
  action: string;
  table_name: string;
  keys: unknown[];
  by: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

/** The archive's rows of `table`, from its JSON, normalised as the store's dump is. */
async function archivedRows(store: TempStore, entries: Map<string, Buffer>, table: string): Promise<Row[]> {
  const t = (await schemaOf(store)).tables.get(table);
  return (JSON.parse(entries.get(`${table}.json`)!.toString('utf8')) as Row[]).map((r) => normaliseRow(r, t));
}

describe('archive values', () => {
  it('CSV fields are quoted as RFC 4180 says, and read back as written', () => {
    const fields = ['plain', 'a,b', 'say "hi"', 'two\r\nlines', 'lf\nonly', '', null];
    const line = fields.map(csvCell).join(',') + '\r\n';
    expect(line).toBe('plain,"a,b","say ""hi""","two\r\nlines","lf\nonly",,\r\n');
    expect(parseCsv(line)).toEqual([fields.map((f) => f ?? '')]);
  });

  it('values are JSON-safe: instants as ISO UTC, bytes as base64, big integers as text', () => {
    expect(jsonSafe(new Date('2026-11-23T03:15:00.000Z'))).toBe('2026-11-23T03:15:00.000Z');
    expect(jsonSafe(Buffer.from([0, 255, 1]))).toBe('AP8B');
    expect(jsonSafe(2n ** 70n)).toBe('1180591620717411303424');
    expect(jsonSafe({ at: new Date(0), n: [1n] })).toEqual({ at: '1970-01-01T00:00:00.000Z', n: ['1'] });
    expect(jsonSafe(undefined)).toBeNull();
  });
});

describe.each(engines)('lethe export on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  let before: Dump;
  const root = () => join(store.dir, 'data', 'exports');

  beforeAll(async () => {
    store = await tempStore(undefined, engine);
    fx = new Fixture(store);
    await fx.providers();
    await seedLoop(fx);
    // Enough calls that the account's are read in several batches, and a row two hops away.
    await fx.insert('calls', Array.from({ length: 1100 }, (_v, i) => call(40_000 + i, 'loop', 401, { user_id: 401 })));
    await fx.insert('referrals', [referral(4401, 'loop', { referrer_user_id: 401 }), referral(4402, 'loop', { referrer_user_id: 402 })]);
    // One media file the rows name is gone: the export lists it as missing.
    unlinkSync(fx.mediaFile('loop/greet/401.wav'));
    before = await dumpAll(store);
  });
  afterAll(async () => store?.close());

  it('export accounts 401: exactly the account’s rows and media, a 0600 file under the export root, its sha256 in the audit', async () => {
    const r = cli(store, ['export', 'accounts', '401', '--by', 'dpo@example.test', '--reason', 'customer asked for a copy', '--json', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { path: string; sha256: string; rows: Record<string, number>; files: number; missing_files: number; audit_seq: number };

    // Where and how it is written.
    expect(out.path.startsWith(root() + '/')).toBe(true);
    expect(out.path).toMatch(/accounts-401-\d{8}T\d{6}Z-[0-9a-f]{8}\.zip$/);
    expect(statSync(out.path).mode & 0o777).toBe(0o600);
    expect(statSync(root()).mode & 0o777).toBe(0o700);
    expect(readdirSync(root()).filter((f) => f.startsWith('.')), 'no temporary or spool file left').toEqual([]);
    const bytes = readFileSync(out.path);
    expect(sha256(bytes)).toBe(out.sha256);

    // Exactly the rows the store says reach account 401, nothing of 402, 403 or the PiPcall twin.
    const expected = referencing(before, 'accounts', 401);
    const entries = await readZip(out.path);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as Manifest;
    expect(manifest.table).toBe('accounts');
    expect(manifest.key).toBe(401);
    const expectedCounts = Object.fromEntries([...expected].map(([t, ids]) => [t, ids.size]));
    expect(manifest.rows).toEqual(expectedCounts);
    expect(out.rows).toEqual(expectedCounts);
    expect(expectedCounts.calls).toBe(1101);
    expect(expectedCounts.referrals).toBe(1);
    expect(Object.keys(expectedCounts).sort()).toEqual(
      ['accounts', 'calls', 'conference_participants', 'conferences', 'contacts', 'debug_logs', 'push_registrations', 'recordings', 'referrals', 'sales_documents', 'support_tickets', 'users', 'voicemail_greetings', 'voicemails'],
    );
    for (const [table, ids] of expected) {
      const rows = await archivedRows(store, entries, table);
      expect(rows.map((x) => Number(x.id)).sort((a, b) => a - b), table).toEqual([...ids].sort((a, b) => a - b));
      // Whole rows, value for value, as the store holds them.
      const stored = before[table]!.filter((x) => ids.has(Number(x.id)));
      expect([...rows].sort((a, b) => Number(a.id) - Number(b.id)), table).toEqual(stored);
      // The CSV says the same: a header, then one record per row.
      const csv = parseCsv(entries.get(`${table}.csv`)!.toString('utf8'));
      expect(csv[0]).toEqual(Object.keys(rows[0]!));
      expect(csv.length - 1, `${table}.csv`).toBe(ids.size);
    }
    const account = parseCsv(entries.get('accounts.csv')!.toString('utf8'));
    expect(account[1]![account[0]!.indexOf('email')]).toBe('customer.401@loop-mail.example');
    for (const name of entries.keys()) expect(name === 'manifest.json' || name.startsWith('media/') || expected.has(name.replace(/\.(json|csv)$/, '')), name).toBe(true);

    // Media: every file the account's rows name that exists, byte for byte; the one removed is listed as missing.
    const media = [...fx.media].filter(([, m]) => expected.get(m.table)?.has(m.id)).map(([p]) => p).sort();
    expect(media).toEqual(['loop/greet/401.wav', 'loop/rec/401.wav', 'loop/vm/401.wav']);
    expect(manifest.missing_files).toEqual(['loop/greet/401.wav']);
    expect(manifest.media.map((m) => m.path)).toEqual(['loop/rec/401.wav', 'loop/vm/401.wav']);
    for (const m of manifest.media) {
      const onDisk = readFileSync(fx.mediaFile(m.path));
      expect(entries.get(`media/${m.path}`)!.equals(onDisk), m.path).toBe(true);
      expect(m.sha256).toBe(sha256(onDisk));
    }
    expect(out.files).toBe(2);
    expect(out.missing_files).toBe(1);

    // The audit entry: who, why, and the archive's sha256.
    const audit = JSON.parse(cli(store, ['audit', '--json']).stdout) as AuditRow[];
    const entry = audit.find((e) => e.action === 'export')!;
    expect(entry.seq).toBe(out.audit_seq);
    expect(entry).toMatchObject({ table_name: 'accounts', keys: [401], by: 'dpo@example.test', reason: 'customer asked for a copy' });
    expect(entry.detail).toEqual({ path: out.path, sha256: sha256(bytes), rows: expectedCounts, files: 2 });
    expect(cli(store, ['audit', 'verify']).code).toBe(0);

    // No personal value on the terminal or in the chain (this run's plain output too).
    const plain = cli(store, ['export', 'accounts', '402', '--now', NOW_ISO]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^exported accounts 402: \d+ row\(s\) in \d+ table\(s\), 3 file\(s\)\n\/.*\.zip\nsha256 [0-9a-f]{64}\n$/);
    const printed = [r.stdout, r.stderr, plain.stdout, plain.stderr, cli(store, ['audit', '--json']).stdout].join('\n');
    const leaked = [...fx.personal].filter((v) => printed.includes(v));
    expect(leaked).toEqual([]);
    expect(fx.personal.has('customer.401@loop-mail.example')).toBe(true);
  });

  it('no export root, an unknown table, a row that does not exist: exit 2, nothing written, nothing audited', async () => {
    const noRoot = readFileSync(store.policyFile, 'utf8').replace(/^\s*export_root:.*$/m, '');
    writeFileSync(join(store.dir, 'no-root.yaml'), noRoot);
    const listing = () => (existsSync(root()) ? readdirSync(root()).sort() : []);
    const exportsBefore = listing();
    const auditBefore = cli(store, ['audit', '--json']).stdout;

    const r = cli(store, ['--config', 'no-root.yaml', 'export', 'accounts', '403']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/store\.export_root.*LETHE_EXPORT_ROOT/);
    // The environment sets one where the file has none.
    const viaEnv = join(store.dir, 'env-exports');
    const e = cli(store, ['--config', 'no-root.yaml', 'export', 'accounts', '403', '--json'], { LETHE_EXPORT_ROOT: viaEnv });
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { path: string }).path.startsWith(viaEnv + '/')).toBe(true);
    const auditWithEnv = cli(store, ['audit', '--json']).stdout;

    const unknown = cli(store, ['export', 'acounts', '403']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no table "acounts"/);
    const missing = cli(store, ['export', 'accounts', '99999']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/accounts has no row 99999/);
    const notAKey = cli(store, ['export', 'accounts', 'x1']);
    expect(notAKey.code).toBe(2);

    expect(listing()).toEqual(exportsBefore);
    expect(cli(store, ['audit', '--json']).stdout).toBe(auditWithEnv);
    expect(JSON.parse(auditWithEnv).length).toBe(JSON.parse(auditBefore).length + 1);
  });
});

const QUOTE = 'All data will be destroyed or returned to a customer upon request or at the end of an agreement plus upto 6 months unless otherwise instructed.';

/** Loop's calls and recordings, each archived before it is deleted, in batches of 500. */
function exportBeforePolicy(exportRoot: string | null): string {
  return `version: 1
store:
  url: sqlite:data/telecom.db
  media_root: data/media
${exportRoot ? `  export_root: ${exportRoot}\n` : ''}  tenant_column: provider_id
defaults:
  batch_size: 500
  guard: { max_fraction: 1, min_rows: 0 }
providers:
  loop:
    name: Loop
    timezone: Europe/London
    rules:
      recordings:
        quote: "${QUOTE}"
        table: recordings
        clock: accounts.contract_ends_at
        files: media_path
        after: 6 months
        action: delete
        export_before: true
      calls:
        quote: "${QUOTE}"
        table: calls
        clock: accounts.contract_ends_at
        stages:
          - after: 6 months
            action: delete
            export_before: true
`;
}

describe.each(engines)('export_before on %s', (engine) => {
  let store: TempStore;
  let fx: Fixture;
  const root = () => join(store.dir, 'data', 'exports');

  beforeAll(async () => {
    store = await tempStore(exportBeforePolicy('data/exports'), engine);
    fx = new Fixture(store);
    await fx.providers();
    await seedLoop(fx);
    await fx.insert('calls', Array.from({ length: 1100 }, (_v, i) => call(40_000 + i, 'loop', 401, { user_id: 401 })));
  });
  afterAll(async () => store?.close());

  it('check and run refuse export_before without an export root (exit 2), before anything is deleted', () => {
    writeFileSync(join(store.dir, 'no-root.yaml'), exportBeforePolicy(null));
    const check = cli(store, ['--config', 'no-root.yaml', 'check']);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/export_before/);
    expect(check.stderr).toMatch(/no export root is configured/);
    expect(check.stderr).toMatch(/LETHE_EXPORT_ROOT/);
    expect(cli(store, ['--config', 'no-root.yaml', 'run', '--now', NOW_ISO]).code).toBe(2);
    expect(cli(store, ['check']).code).toBe(0);
  });

  it('a dry run writes no archive; the run archives each batch before deleting it, and its entries name the archives', async () => {
    const dry = cli(store, ['run', '--dry-run', '--now', NOW_ISO]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(existsSync(root()) ? readdirSync(root()) : []).toEqual([]);

    const mediaBefore = new Map(fx.presentMedia().map((p) => [p, readFileSync(fx.mediaFile(p))]));
    const before = await dumpAll(store);
    const r = cli(store, ['run', '--now', NOW_ISO]);
    expect(r.code, r.stderr).toBe(0);
    const after = await dumpAll(store);
    const diff = diffDumps(before, after);
    expect(diff.calls!.deleted.length).toBeGreaterThan(1000);
    expect(diff.recordings!.deleted.length).toBeGreaterThan(0);

    const audit = JSON.parse(cli(store, ['audit', '--json']).stdout) as AuditRow[];
    const deletes = audit.filter((e) => e.action === 'delete');
    expect(deletes.filter((e) => e.table_name === 'calls').length, 'several batches of calls').toBeGreaterThan(2);
    const archived = new Map<string, Set<number>>();
    const paths = new Set<string>();
    for (const e of deletes) {
      const x = (e.detail as { export?: { path: string; sha256: string } } | null)?.export;
      expect(x, `entry ${e.seq} names its archive`).toBeDefined();
      expect(x!.path.startsWith(root() + '/')).toBe(true);
      paths.add(x!.path);
      const bytes = readFileSync(x!.path);
      expect(sha256(bytes)).toBe(x!.sha256);
      expect(statSync(x!.path).mode & 0o777).toBe(0o600);
      const entries = await readZip(x!.path);
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as Manifest;
      // Exactly the rows this entry deleted: nothing referenced them any more, so nothing else.
      expect(Object.keys(manifest.rows)).toEqual([e.table_name]);
      const rows = await archivedRows(store, entries, e.table_name);
      const keys = e.keys.map(Number).sort((a, b) => a - b);
      expect(rows.map((x) => Number(x.id)).sort((a, b) => a - b)).toEqual(keys);
      const stored = before[e.table_name]!.filter((x) => keys.includes(Number(x.id)));
      expect([...rows].sort((a, b) => Number(a.id) - Number(b.id))).toEqual(stored);
      const set = archived.get(e.table_name) ?? new Set<number>();
      for (const k of keys) set.add(k);
      archived.set(e.table_name, set);
      // A recording's media goes into its batch's archive, byte for byte as it was before the run.
      for (const m of manifest.media) expect(entries.get(`media/${m.path}`)!.equals(mediaBefore.get(m.path)!), m.path).toBe(true);
      if (e.table_name === 'recordings') expect(manifest.media.map((m) => m.path).sort()).toEqual(rows.map((x) => String(x.media_path)).sort());
    }
    // Every deleted row is in one archive, and every archive is named by an entry.
    expect([...archived.get('calls')!].sort((a, b) => a - b)).toEqual([...diff.calls!.deleted].sort((a, b) => a - b));
    expect([...archived.get('recordings')!].sort((a, b) => a - b)).toEqual([...diff.recordings!.deleted].sort((a, b) => a - b));
    expect(readdirSync(root()).map((f) => join(root(), f)).sort()).toEqual([...paths].sort());
    expect(cli(store, ['audit', 'verify']).code).toBe(0);
    // Four CLI runs and two dumps of the store: 13-20 s alone, 54 s beside the other worker in CI.
  }, 180_000);
});
