import { openStore } from '/work/main/dist/src/store/open.js';
import { ensureLetheTables } from '/work/main/dist/src/store/lethe-schema.js';
import { ensureAuditHead } from '/work/main/dist/src/audit/chain.js';
import { loadPolicyText } from '/work/main/dist/src/policy/load.js';
import { runEnforcement } from '/work/main/dist/src/exec/../../jobs/enforce.js';
import { sql } from '/work/main/node_modules/kysely/dist/esm/index.js';
import { rmSync } from 'node:fs';
const engine = process.argv[2] ?? 'sqlite';
const N = Number(process.argv[3] ?? 300000);
const NOW = new Date('2026-11-23T03:15:00.000Z');
const urls = { sqlite: 'sqlite:/tmp/pb/a.db', postgres: 'postgres://postgres@127.0.0.1:5432/test', mysql: 'mysql://root@127.0.0.1:3306/test' };
const mode = process.argv[4] ?? 'both';
const enc = (d) => engine === 'sqlite' ? d.toISOString() : d;
if (engine === 'sqlite' && mode !== 'run') { rmSync('/tmp/pb/a.db', { force: true }); rmSync('/tmp/pb/a.db-wal', { force: true }); }
const a = await openStore(urls[engine], '/tmp/pb');
const ts = engine === 'sqlite' ? 'text' : engine === 'postgres' ? 'timestamptz' : 'datetime(3)';
if (mode !== 'run') {
for (const t of ['ev_a', 'ev_b']) {
  await sql.raw(`drop table if exists ${t}`).execute(a.db);
  await sql.raw(`create table ${t} (id bigint primary key, provider_id varchar(8), who varchar(64), started_at ${ts})`).execute(a.db);
}
await ensureLetheTables(a); await ensureAuditHead(a);
await sql.raw('delete from lethe_audit').execute(a.db); await sql.raw("update lethe_audit_head set seq = 0, hash = '" + '0'.repeat(64) + "'").execute(a.db);

for (const t of ['ev_a', 'ev_b']) {
  for (let i = 0; i < N; i += 5000) {
    const rows = [];
    for (let j = i; j < Math.min(N, i + 5000); j++) rows.push({ id: j + 1, provider_id: "p", who: `u${j}@example.com`, started_at: enc(new Date(NOW.getTime() - ((j * 7919) % 900) * 86400000)) });
    await a.db.insertInto(t).values(rows).execute();
  }
  await sql.raw(`create index ix_${t}_started on ${t} (started_at)`).execute(a.db);
}
if (engine === 'postgres') await sql.raw('analyze').execute(a.db);
}
if (mode === 'seed') { await a.close(); process.exit(0); }
const cutoff = new Date(NOW.getTime() - 600 * 86400000);
const policy = loadPolicyText(`version: 1\nproviders:\n  p:\n    name: P\n    rules:\n      r:\n        quote: x\n        table: ev_a\n        clock: started_at\n        after: 600 days\n        action: delete\n`, '/tmp/pb/p.yaml').policy;
const schema = await a.introspect();
let t0 = performance.now();
const res = await runEnforcement(a, policy, schema, { trigger: 'cli', now: NOW, force: true, env: {} });
const lethe = performance.now() - t0;
t0 = performance.now();
await a.transaction(async (tx) => { await sql`delete from ev_b where started_at < ${enc(cutoff)}`.execute(tx); });
const raw = performance.now() - t0;
console.log(engine, 'rows', N, 'changed', res.changed, res.status, 'lethe', lethe.toFixed(0), 'ms; raw', raw.toFixed(0), 'ms; ratio', (lethe / raw).toFixed(2));
await a.close();
