/**
 * Files that must survive a power cut once lethe has said they exist: export archives and
 * signed audit checkpoints. Written beside their final name, fsynced, renamed, and the
 * rename fsynced in its folder, so a reader finds the whole file or none.
 */
import { closeSync, constants, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `text` to `tmp` and renames it to `file`, both on disk when this returns. */
export function writeFileDurably(tmp: string, file: string, text: string, mode = 0o644): void {
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  syncFolder(dirname(file));
}

/** fsyncs a folder so a rename in it survives a crash (best effort: not every platform allows it). */
export function syncFolder(dir: string): void {
  try {
    const d = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Not supported here.
  }
}
