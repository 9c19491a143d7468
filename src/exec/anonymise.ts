/**
 * Anonymisation strategies, computed in Node so every engine writes the same values.
 * Each maps a column's current value to its anonymised form; NULL stays NULL; a value a
 * strategy cannot read becomes NULL rather than being kept.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { ConfigError } from '../errors.js';
import type { Strategy } from '../policy/model.js';
import { REDACTED } from './sql-fragments.js';
import { parseClockValue } from '../store/timestamps.js';

export const MIN_HMAC_KEY_BYTES = 32;

/** Reads the HMAC key from LETHE_HMAC_KEY or LETHE_HMAC_KEY_FILE; refuses a short or missing key. */
export function loadHmacKey(env: NodeJS.ProcessEnv): Buffer {
  let key: Buffer | undefined;
  if (env.LETHE_HMAC_KEY) key = Buffer.from(env.LETHE_HMAC_KEY, 'utf8');
  else if (env.LETHE_HMAC_KEY_FILE) {
    try {
      // A trailing newline from `echo > file` or a Kubernetes secret is not part of the key.
      key = Buffer.from(readFileSync(env.LETHE_HMAC_KEY_FILE, 'utf8').replace(/\r?\n$/, ''), 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read LETHE_HMAC_KEY_FILE ${env.LETHE_HMAC_KEY_FILE}: ${(err as Error).message}`, [], { cause: err });
    }
  }
  if (!key) {
    throw new ConfigError('a rule anonymises with hmac but no key is set: set LETHE_HMAC_KEY or LETHE_HMAC_KEY_FILE (at least 32 bytes)');
  }
  if (key.length < MIN_HMAC_KEY_BYTES) {
    throw new ConfigError(`the HMAC key is ${key.length} bytes; at least ${MIN_HMAC_KEY_BYTES} are required (e.g. openssl rand -hex 32)`);
  }
  return key;
}

export interface AnonymiseContext {
  hmacKey: Buffer | null;
  /** Encodes a Date for the column's engine type (for `month` on native timestamps). */
  encodeTimestamp: (d: Date) => unknown;
  /** How `hmac` writes into this column (default: 64 hex characters, untagged). */
  pseudonym?: PseudonymForm;
}

/**
 * How an `hmac` pseudonym is written into a column.
 *
 * - With a marker, the pseudonym is the hex HMAC-SHA-256 of the value's UTF-8 text, cut to
 *   the column's width when that is under 64 characters.
 * - Without a marker nothing records that a row is done, so the pseudonym must be
 *   recognisable: its last 8 hex characters are a keyed check of the rest (the first
 *   8 hex characters of HMAC(key, "lethe-pseudonym:" + rest)). A value whose check verifies
 *   is a pseudonym already and is left as it is, so a rerun never hashes a pseudonym again.
 *   The chance that a real value verifies by accident is 1 in 2^32.
 */
export interface PseudonymForm {
  /** Characters written: 64, or the column's width when narrower. */
  readonly width: number;
  readonly tagged: boolean;
}

/** The narrowest columns a pseudonym is written into (64 bits of HMAC, plus the check when tagged). */
export const MIN_PSEUDONYM_WIDTH = { untagged: 16, tagged: 24 } as const;

/** The pseudonym form for a column: tagged unless a marker records which rows are done. */
export function pseudonymFor(column: { maxLength: number | null }, hasMarker: boolean): PseudonymForm {
  return { width: Math.min(64, column.maxLength ?? 64), tagged: !hasMarker };
}

const TAG = 8;

function hexHmac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** The pseudonym of `value`; a tagged pseudonym maps to itself. */
export function pseudonym(value: string, key: Buffer, form: PseudonymForm): string {
  if (!form.tagged) return hexHmac(key, value).slice(0, form.width);
  if (isPseudonym(value, key, form)) return value;
  const body = hexHmac(key, value).slice(0, form.width - TAG);
  return body + hexHmac(key, `lethe-pseudonym:${body}`).slice(0, TAG);
}

/** Whether `value` is a tagged pseudonym written with `key`. */
export function isPseudonym(value: string, key: Buffer, form: PseudonymForm): boolean {
  if (value.length !== form.width || !/^[0-9a-f]+$/.test(value)) return false;
  const body = value.slice(0, -TAG);
  return hexHmac(key, `lethe-pseudonym:${body}`).slice(0, TAG) === value.slice(-TAG);
}

/** The anonymised form of `value` under `strategy`. */
export function anonymiseValue(strategy: Strategy, value: unknown, ctx: AnonymiseContext): unknown {
  if (strategy === null || value === null || value === undefined) return null;
  switch (strategy) {
    case 'redact':
      return REDACTED;
    case 'hmac': {
      if (!ctx.hmacKey) throw new ConfigError('hmac needs LETHE_HMAC_KEY or LETHE_HMAC_KEY_FILE');
      return pseudonym(String(value), ctx.hmacKey, ctx.pseudonym ?? { width: 64, tagged: false });
    }
    case 'phone_prefix':
      return phonePrefix(String(value));
    case 'ip_truncate':
      return truncateIp(String(value));
    case 'month':
      return truncateToMonth(value, ctx);
    case 'email_domain':
      return emailDomain(String(value));
  }
}

/** `+447700900123` → `+44`. Only the E.164 country calling code survives. */
export function phonePrefix(raw: string): string | null {
  const s = raw.trim();
  if (/^\+\d{1,3}$/.test(s)) return s; // already a prefix: idempotent
  const parsed = parsePhoneNumberFromString(s.startsWith('00') ? `+${s.slice(2)}` : s);
  return parsed?.countryCallingCode ? `+${parsed.countryCallingCode}` : null;
}

/** IPv4 to its /24 (`203.0.113.77` → `203.0.113.0`), IPv6 to its /48 (`2001:db8:1::`). */
export function truncateIp(raw: string): string | null {
  const s = raw.trim();
  const kind = isIP(s);
  if (kind === 4) return s.split('.').slice(0, 3).concat('0').join('.');
  if (kind === 6) {
    const groups = expandIpv6(s);
    if (!groups) return null;
    return compressIpv6([...groups.slice(0, 3), '0', '0', '0', '0', '0']);
  }
  return null;
}

function expandIpv6(s: string): string[] | null {
  let addr = s.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    addr = addr.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = addr.includes('::') ? 8 - h.length - t.length : 0;
  const groups = [...h, ...Array(fill).fill('0'), ...t];
  return groups.length === 8 ? groups.map((g) => g.padStart(4, '0')) : null;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of zero groups as `::`. */
function compressIpv6(groups: string[]): string {
  const g = groups.map((x) => x.replace(/^0+(?=.)/, '').toLowerCase());
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return g.join(':');
  return `${g.slice(0, best.at).join(':')}::${g.slice(best.at + best.len).join(':')}`;
}

/** First instant of the value's UTC month; a plain date `1984-07-19` becomes `1984-07-01`. Unreadable → NULL. */
export function truncateToMonth(value: unknown, ctx: AnonymiseContext): unknown {
  const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : ctx.encodeTimestamp(monthStart(value));
  const s = String(value).trim();
  const d = parseClockValue(s, 'iso');
  if (!d) return null;
  // A date without a time stays a date: its month is the one written, not a UTC instant's.
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s.slice(0, 7)}-01`;
  return monthStart(d).toISOString();
}

/** `Alice@Example.COM` → `example.com`. A bare domain stays as it is. */
export function emailDomain(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  const at = s.lastIndexOf('@');
  const domain = at >= 0 ? s.slice(at + 1) : s;
  return /^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain) ? domain : null;
}
