/**
 * The container's entrypoint, run the way the image runs it, without Docker: the final stage
 * of the Dockerfile is read (ENV, USER, ENTRYPOINT, CMD, STOPSIGNAL, HEALTHCHECK), and
 * bin/lethe is started as a non-root user (setpriv to nobody), as PID 1 of its own PID
 * namespace when `unshare` allows it (PID 1 gets only the signals it handles), with the
 * config read-only in a folder that user cannot write and a writable /data-like folder as
 * the store. `lethe db migrate`, `lethe db seed`, then the image's CMD; the HEALTHCHECK
 * command answers; SIGTERM ends it with exit 0 within 10 s.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, SHIPPED_POLICY, TEST_HMAC_KEY } from '../support/harness.js';
import { httpGet, killAll, runLethe, startLethe, until, type LetheProc } from '../support/daemon.js';

const DOCKERFILE = join(ROOT, 'Dockerfile');
const UID = 65534;
const GID = 65534;

interface FinalStage {
  env: Record<string, string>;
  user: string | null;
  workdir: string | null;
  entrypoint: unknown;
  cmd: unknown;
  stopsignal: string | null;
  healthcheck: unknown;
}

/** The instructions of the Dockerfile's last stage (after the last FROM), continuation lines joined. */
function finalStage(text: string): FinalStage {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const lastFrom = logical.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const out: FinalStage = { env: {}, user: null, workdir: null, entrypoint: null, cmd: null, stopsignal: null, healthcheck: null };
  for (const l of logical.slice(lastFrom + 1)) {
    const m = /^(\w+)\s+(.*)$/.exec(l);
    if (!m) continue;
    const [, ins, rest] = m as unknown as [string, string, string];
    const json = (s: string): unknown => {
      try {
        return JSON.parse(s);
      } catch {
        return s; // shell form
      }
    };
    switch (ins.toUpperCase()) {
      case 'ENV':
        for (const kv of rest.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out.env[kv[1]!] = kv[2]!.startsWith('"') ? (JSON.parse(kv[2]!) as string) : kv[2]!;
        break;
      case 'USER':
        out.user = rest.trim();
        break;
      case 'WORKDIR':
        out.workdir = rest.trim();
        break;
      case 'ENTRYPOINT':
        out.entrypoint = json(rest.trim());
        break;
      case 'CMD':
        out.cmd = json(rest.trim());
        break;
      case 'STOPSIGNAL':
        out.stopsignal = rest.trim();
        break;
      case 'HEALTHCHECK': {
        const c = /\bCMD\s+(.*)$/.exec(rest);
        out.healthcheck = c ? json(c[1]!.trim()) : rest;
        break;
      }
    }
  }
  return out;
}

const isRoot = process.getuid?.() === 0;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canSetpriv = isRoot && has('setpriv') && spawnSync('setpriv', [`--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', process.execPath, '-e', '0']).status === 0;
const canRunuser = isRoot && !canSetpriv && has('runuser') && spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0']).status === 0;
// PID 1 of a fresh PID namespace, as in a container; signals are then sent to that process.
const canUnshare = isRoot && has('unshare') && spawnSync('unshare', ['--pid', '--fork', '--kill-child', process.execPath, '-e', '0']).status === 0;

const skipReason = !existsSync(DOCKERFILE)
  ? 'no Dockerfile yet (another engineer is writing it)'
  : isRoot && !canSetpriv && !canRunuser
    ? 'running as root, and neither setpriv nor runuser can switch to a non-root user here'
    : null;
if (skipReason) console.warn(`\n*** SKIPPING test/daemon/container.test.ts: ${skipReason} ***\n`);

/** The argv prefix that runs a command as the unprivileged user (empty when already non-root). */
function asUser(): string[] {
  if (!isRoot) return [];
  if (canSetpriv) return ['setpriv', `--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--'];
  return ['runuser', '-u', 'nobody', '--'];
}

/** The child's pid (its only child) of `pid`, from /proc. */
function onlyChild(pid: number): number | null {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.length === 1 ? kids[0]! : null;
  } catch {
    return null;
  }
}

const dirs: string[] = [];
/** PID-1-in-namespace daemons: a uid change clears unshare's --kill-child, so they are killed by pid. */
const nsPids: { parent: LetheProc; pid: number }[] = [];
afterEach(async () => {
  // While unshare is alive its child is not reaped, so the pid is still that process.
  for (const { parent, pid } of nsPids.splice(0)) {
    if (parent.hasExited()) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skipReason !== null)(`container entrypoint as a non-root user${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('the image runs as non-root with an exec-form entrypoint and SIGTERM as its stop signal', () => {
    const st = finalStage(readFileSync(DOCKERFILE, 'utf8'));
    expect(st.user, 'USER in the final stage').not.toBeNull();
    expect(['root', '0', '0:0', 'root:root']).not.toContain(st.user);
    // Shell form would make /bin/sh PID 1, which does not pass SIGTERM on.
    expect(Array.isArray(st.entrypoint), `ENTRYPOINT ${JSON.stringify(st.entrypoint)} is exec form`).toBe(true);
    expect((st.entrypoint as string[])[0]).toMatch(/(^|\/)lethe$/);
    expect(st.stopsignal ?? 'SIGTERM').toBe('SIGTERM');
    expect(st.env.LETHE_DATABASE_URL, 'the store lives on the /data volume').toMatch(/^sqlite:\/data\//);
    expect(st.env.LETHE_MEDIA_ROOT).toMatch(/^\/data\//);
    expect(st.env.LETHE_CONFIG).toBeDefined();
  });

  it('db migrate, db seed and the image CMD work with a read-only config and a writable /data; HEALTHCHECK passes; SIGTERM exits 0 within 10 s', async () => {
    const st = finalStage(readFileSync(DOCKERFILE, 'utf8'));
    const base = mkdtempSync(join(tmpdir(), 'lethe-container-'));
    dirs.push(base);
    chmodSync(base, 0o755);
    // /etc/lethe: owned by root (or by us), not writable by the user; the policy 0444.
    const etc = join(base, 'etc-lethe');
    mkdirSync(etc);
    const config = join(etc, 'policies.yaml');
    copyFileSync(SHIPPED_POLICY, config);
    chmodSync(config, 0o444);
    chmodSync(etc, 0o555);
    // /data: owned by the user.
    const data = join(base, 'data');
    mkdirSync(data);
    if (isRoot) chownSync(data, UID, GID);

    // The image's environment, with its paths mapped onto the folders above, plus the secret a
    // deployer provides. The HTTP port is the one thing changed: any free port.
    const env: Record<string, string> = {
      ...st.env,
      PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      LETHE_CONFIG: config,
      LETHE_DATABASE_URL: `sqlite:${join(data, 'telecom.db')}`,
      LETHE_MEDIA_ROOT: join(data, 'media'),
      LETHE_HTTP_PORT: '0',
      LETHE_HMAC_KEY: TEST_HMAC_KEY,
    };
    // ENTRYPOINT ["lethe"] is a symlink to /app/bin/lethe: run bin/lethe itself (its shebang finds node on PATH).
    const entry = asUser().concat([BIN]);
    const cwd = ROOT; // WORKDIR /app: not writable by the user
    const opts = { cwd, env, noHmacKey: true, argv0: entry };

    // The user really cannot write the config or its folder.
    if (isRoot) {
      const w = spawnSync(asUser()[0]!, [...asUser().slice(1), process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(join(etc, 'x'))}, 'x')`]);
      expect(w.status, 'the user can write into the config folder').not.toBe(0);
    }

    const migrate = await runLethe(['db', 'migrate'], opts);
    expect(migrate.code, migrate.stdout + migrate.stderr).toBe(0);
    const seed = await runLethe(['db', 'seed', '--accounts', '25'], opts);
    expect(seed.code, seed.stdout + seed.stderr).toBe(0);
    if (isRoot) {
      expect(statSync(join(data, 'telecom.db')).uid).toBe(UID);
      expect(readdirSync(join(data, 'media')).length).toBeGreaterThan(0);
    }

    // The CMD (["start"]), plus --run-now so the user's writes (store and media) are exercised now.
    const cmd = Array.isArray(st.cmd) ? (st.cmd as string[]) : ['start'];
    expect(cmd[0]).toBe('start');
    const argv0 = canUnshare ? ['unshare', '--pid', '--fork', '--kill-child', ...entry] : entry;
    const d = startLethe([...cmd, '--run-now'], { ...opts, argv0 });
    // The process that gets the signal: PID 1 of the namespace (the child of unshare), or the entrypoint.
    const target = canUnshare ? await until(() => onlyChild(d.pid), 'the PID-1 process inside the namespace', { timeoutMs: 5_000 }) : d.pid;
    if (canUnshare) nsPids.push({ parent: d, pid: target });
    const port = await d.port(20_000);
    const started = await d.waitFor((l) => l.event === 'started', '"started"', 20_000);
    expect(started.store).toBe(`sqlite:${join(data, 'telecom.db')}`);
    expect(started.policy).toBe(config);
    expect(d.lines.some((l) => l.event === 'lease:acquired')).toBe(true);
    const end = await d.waitFor((l) => l.event === 'run:end', 'run:end of the --run-now run', 30_000);
    expect(['ok', 'guarded'], JSON.stringify(end)).toContain(end.status);
    expect(Number((end.files as { errors: number }).errors)).toBe(0);

    expect((await httpGet(port, '/healthz')).status).toBe(200);
    expect((await httpGet(port, '/readyz')).status).toBe(200);
    // The image's HEALTHCHECK command, as the same user.
    if (Array.isArray(st.healthcheck)) {
      const [hcCmd, ...hcArgs] = st.healthcheck as string[];
      const hcBin = hcCmd === 'node' ? process.execPath : hcCmd!;
      const hc = spawnSync(asUser()[0] ?? hcBin, [...asUser().slice(1), ...(asUser().length ? [hcBin] : []), ...hcArgs], { env: { ...env, LETHE_HTTP_PORT: String(port) }, timeout: 10_000 });
      expect(hc.status, `HEALTHCHECK ${JSON.stringify(st.healthcheck)}: ${hc.stderr}`).toBe(0);
    }

    if (isRoot) {
      const uidLine = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${target}/status`, 'utf8'));
      expect(uidLine?.slice(1, 3), 'real and effective uid of the daemon').toEqual([String(UID), String(UID)]);
    }
    if (canUnshare) expect(String(d.lines.find((l) => l.event === 'lease:acquired')!.holder), 'the daemon is PID 1 of its namespace').toMatch(/:1:/);
    process.kill(target, 'SIGTERM');
    const t0 = performance.now();
    const exit = await d.exited;
    const took = performance.now() - t0;
    expect(exit.code, d.tail()).toBe(0);
    expect(took, 'SIGTERM to exit (ms)').toBeLessThan(10_000);
    expect(d.lines.some((l) => l.event === 'stopped')).toBe(true);
  });
});
