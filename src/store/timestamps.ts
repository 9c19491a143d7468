/** Engine-neutral helpers for the instants lethe reads from and writes to clock columns. */
import { instantOf, readClock } from '../clock/read.js';
import type { ClockFormat } from './types.js';

/** `2024-03-01T00:00:00.000Z`: the one text form lethe writes and hashes. */
export function isoUtc(at: Date): string {
  return at.toISOString();
}

/**
 * Parses an instant given on the command line or read from lethe's own tables, with the one
 * clock reader (src/clock/read.ts): text without an offset is UTC. Returns null for anything
 * that is not a valid clock, including impossible dates (2026-02-30).
 */
export function parseClockValue(value: unknown, format: ClockFormat = 'iso'): Date | null {
  return instantOf(readClock(value, { format, zone: 'UTC' }), 'UTC');
}
