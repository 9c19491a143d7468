/**
 * Every folder a test makes with os.tmpdir() (stores, policies, exports, browser profiles) goes
 * into one folder per `vitest run`, removed when the run ends. The suite's stores and the
 * CLI's children left a folder each in /tmp: one full run left 299 of them, 144 MB.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-suite-'));
  // Open as /tmp is: some tests run lethe as another user on a folder made for it in here.
  chmodSync(dir, 0o1777);
  // Read by os.tmpdir() in the test workers and in every process they start.
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
