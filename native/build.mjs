#!/usr/bin/env node
/**
 * Builds native/lethe_clock.c into dist/native/lethe_clock.so: the SQLite extension that
 * gives lethe_clock_form in C (see the C file). `npm run build` runs it, and so `npm ci`.
 * Where there is no C compiler, or the build fails, it says so on stderr and exits 0: lethe
 * then registers the JavaScript function, which gives the same answers more slowly.
 * LETHE_NATIVE=0 skips it; CC names the compiler (default cc).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'native', 'lethe_clock.c');
const out = join(root, 'dist', 'native', 'lethe_clock.so');

function skip(why) {
  rmSync(out, { force: true });
  process.stderr.write(`lethe: the SQLite clock extension was not built (${why}); lethe uses its JavaScript clock function instead\n`);
  process.exit(0);
}

if (process.env.LETHE_NATIVE === '0') skip('LETHE_NATIVE=0');
if (process.platform === 'win32') skip('not built on Windows');
// The headers of the SQLite that better-sqlite3 compiles in: the extension is built against the library that loads it.
let headers;
try {
  headers = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
} catch {
  skip('better-sqlite3 is not installed');
}
if (!existsSync(join(headers, 'sqlite3ext.h'))) skip(`no sqlite3ext.h in ${headers}`);
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const cc = process.env.CC || 'cc';
const r = spawnSync(cc, ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', '-I', headers, source, '-o', tmp], { encoding: 'utf8' });
if (r.error || r.status !== 0) {
  rmSync(tmp, { force: true });
  skip(r.error ? `${cc}: ${r.error.message}` : `${cc} exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(0, 3).join(' ')}`);
}
renameSync(tmp, out);
