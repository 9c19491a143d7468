/** Source positions in policies.yaml, and the Problem records built from them. */
import type { Problem } from '../errors.js';
import type { Position } from './model.js';

/** The position of a YAML path, or of its nearest ancestor that exists. */
export function positionOf(positions: ReadonlyMap<string, Position>, path: readonly (string | number)[]): Position {
  for (let n = path.length; n >= 0; n--) {
    const hit = positions.get(path.slice(0, n).join('.'));
    if (hit) return hit;
  }
  return { line: 1, col: 1 };
}

/** A located problem. */
export function problem(file: string, pos: Position, path: string, message: string, hint?: string, severity: Problem['severity'] = 'error'): Problem {
  return { file, line: pos.line, col: pos.col, path, message, ...(hint ? { hint } : {}), severity };
}

