/**
 * MediaUnlinker holds a drain page's folders open between files. A folder it holds that is
 * moved out of media_root (and replaced by a symlink to the outside) after its first file
 * went must not lead the next unlink there; files in other folders, and a symlink's own
 * target, stay untouched too.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaUnlinker } from '../../src/exec/files.js';

describe('MediaUnlinker', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const setUp = () => {
    dir = mkdtempSync(join(os.tmpdir(), 'lethe-unlinker-'));
    const root = join(dir, 'media');
    for (const rel of ['a/1.wav', 'a/2.wav', 'a/3.wav', 'b/c/4.wav']) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), 'RIFF');
    }
    return root;
  };

  it('unlinks files of one folder through the folder it holds, and says which were missing', () => {
    const root = setUp();
    const u = new MediaUnlinker(root);
    try {
      expect(['a/1.wav', 'a/2.wav', 'b/c/4.wav', 'a/9.wav', 'x/1.wav'].map((rel) => u.unlink(rel))).toEqual(['removed', 'removed', 'removed', 'missing', 'missing']);
    } finally {
      u.close();
    }
    expect(['a/1.wav', 'a/2.wav', 'a/3.wav', 'b/c/4.wav'].map((rel) => existsSync(join(root, rel)))).toEqual([false, false, true, false]);
  });

  it('refuses a held folder moved outside media_root, and the symlink left in its place', () => {
    const root = setUp();
    const outside = join(dir, 'outside');
    const u = new MediaUnlinker(root);
    try {
      expect(u.unlink('a/1.wav')).toBe('removed');
      // The attacker moves the held folder out and leaves a symlink to it.
      renameSync(join(root, 'a'), outside);
      symlinkSync(outside, join(root, 'a'));
      expect(u.unlink('a/2.wav')).toEqual({ refused: 'its folder was moved outside media_root' });
    } finally {
      u.close();
    }
    expect(existsSync(join(outside, '2.wav'))).toBe(true);
    // A new unlinker opens the folder afresh and finds the symlink.
    const again = new MediaUnlinker(root);
    try {
      expect(again.unlink('a/3.wav')).toEqual({ refused: 'a symlink leads outside media_root (a is not a plain folder)' });
    } finally {
      again.close();
    }
    expect(existsSync(join(outside, '3.wav'))).toBe(true);
  });
});
