// A stand-in for the application: until SIGTERM, moves rows of `table` out of due by setting
// `column` to `value`, one committed UPDATE at a time, and prints the id of every row it
// really changed (affected rows = 1), after the commit. It chases lethe: every few updates it
// reads the lowest id still holding an old value and works just ahead of it, in the rows the
// current batch is likely to have selected.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const o = JSON.parse(process.argv[2]);
let stop = false;
process.on('SIGTERM', () => (stop = true));
let low = o.from;
let n = 0;
const next = () => low + ((n++ * 7919) % (o.window ?? 200));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (o.engine === 'sqlite') {
  const Database = require('better-sqlite3');
  const db = new Database(o.url.replace(/^sqlite:/, ''));
  db.pragma('busy_timeout = 5000');
  const st = db.prepare(`update ${o.table} set ${o.column} = ? where id = ?`);
  const lowest = db.prepare(`select min(id) as m from ${o.table} where ${o.column} <> ?`);
  while (!stop) {
    if (n % 10 === 0) low = lowest.get(o.value)?.m ?? low;
    const id = next();
    if (st.run(o.value, id).changes === 1) process.stdout.write(`${id}\n`);
    await sleep(0);
  }
  db.close();
} else if (o.engine === 'postgres') {
  const pg = require('pg');
  const c = new pg.Client({ connectionString: o.url });
  await c.connect();
  while (!stop) {
    if (n % 10 === 0) low = (await c.query(`select min(id) as m from ${o.table} where ${o.column} <> $1`, [o.value])).rows[0]?.m ?? low;
    const id = next();
    const r = await c.query(`update ${o.table} set ${o.column} = $1 where id = $2`, [o.value, id]);
    if (r.rowCount === 1) process.stdout.write(`${id}\n`);
  }
  await c.end();
} else {
  const mysql = require('mysql2/promise');
  const c = await mysql.createConnection({ uri: o.url, timezone: 'Z' });
  while (!stop) {
    if (n % 10 === 0) low = (await c.query(`select min(id) as m from ${o.table} where ${o.column} <> ?`, [o.value]))[0][0]?.m ?? low;
    const id = next();
    const [r] = await c.query(`update ${o.table} set ${o.column} = ? where id = ?`, [o.value, id]);
    if (r.affectedRows === 1) process.stdout.write(`${id}\n`);
  }
  await c.end();
}
