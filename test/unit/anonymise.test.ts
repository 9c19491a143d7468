/** The anonymisation strategies and the HMAC key loader. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { MIN_HMAC_KEY_BYTES, anonymiseValue, emailDomain, loadHmacKey, phonePrefix, truncateIp, truncateToMonth, type AnonymiseContext } from '../../src/exec/anonymise.js';
import { REDACTED } from '../../src/exec/sql-fragments.js';
import { TEST_HMAC_KEY } from '../support/harness.js';

const KEY = Buffer.from(TEST_HMAC_KEY, 'utf8');
const ctx: AnonymiseContext = { hmacKey: KEY, encodeTimestamp: (d) => d.toISOString() };

/** RFC 5952 text of an IPv6 address, by the WHATWG URL serialiser (independent of lethe's code). */
const canonical6 = (ip: string) => new URL(`http://[${ip}]/`).hostname.slice(1, -1);

describe('phone_prefix', () => {
  it.each([
    ['+447700900123', '+44'],
    ['+44 7700 900123', '+44'],
    ['+44 (0) 7700 900123', '+44'],
    ['+14155552671', '+1'],
    ['+1 415 555 2671', '+1'],
    ['+61 2 9876 5432', '+61'],
    ['+61412345678', '+61'],
    ['00447700900123', '+44'],
    ['0044 7700 900123', '+44'],
    ['  +447700900123  ', '+44'],
  ])('%j → %j', (input, expected) => {
    expect(phonePrefix(input)).toBe(expected);
    expect(anonymiseValue('phone_prefix', input, ctx)).toBe(expected);
  });

  it.each([['garbage'], [''], ['07700900123'], ['12345'], ['+'], ['call me']])('%j (no country code to keep) → null', (input) => {
    expect(phonePrefix(input)).toBeNull();
  });

  it('is idempotent: a prefix stays the same prefix', () => {
    for (const p of ['+44', '+1', '+61']) expect(phonePrefix(p)).toBe(p);
    for (const n of ['+447700900123', '+14155552671', '+61412345678', '0044 7700 900123']) {
      const once = phonePrefix(n)!;
      expect(phonePrefix(once)).toBe(once);
    }
  });
});

describe('ip_truncate', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['10.1.2.3', '10.1.2.0'],
    ['198.51.100.0', '198.51.100.0'],
    [' 192.0.2.255 ', '192.0.2.0'],
  ])('IPv4 %j → its /24 %j', (input, expected) => {
    expect(truncateIp(input)).toBe(expected);
    expect(anonymiseValue('ip_truncate', input, ctx)).toBe(expected);
  });

  it.each([
    ['2001:db8:abcd:12:1:2:3:4', '2001:db8:abcd::'],
    ['2001:DB8:ABCD:0012:0001:0002:0003:0004', '2001:db8:abcd::'],
    ['2001:db8::1', '2001:db8::'],
    ['2001:0db8:0000::1', '2001:db8::'],
    ['::1', '::'],
    ['::', '::'],
    ['fe80::1ff:fe23:4567:890a', 'fe80::'],
  ])('IPv6 %j → its /48 %j (compared as addresses)', (input, expected) => {
    const out = truncateIp(input);
    expect(out).not.toBeNull();
    expect(isIP(out!)).toBe(6);
    expect(canonical6(out!)).toBe(expected);
    // Idempotent: truncating again changes nothing.
    expect(canonical6(truncateIp(out!)!)).toBe(expected);
  });

  it('keeps the first three groups exactly as the documented form shows', () => {
    expect(truncateIp('2001:db8:abcd:12:1:2:3:4')).toBe('2001:db8:abcd::');
  });

  it('an IPv4-mapped IPv6 address loses its host part: /48 of the v6 form, or /24 of the v4 it carries', () => {
    for (const input of ['::ffff:192.0.2.128', '::FFFF:192.0.2.128', '0:0:0:0:0:ffff:c000:280']) {
      const out = truncateIp(input);
      expect(out, input).not.toBeNull();
      expect(isIP(out!), input).toBe(6);
      expect(['::', '::ffff:c000:200'], input).toContain(canonical6(out!));
    }
  });

  it.each([['not-an-ip'], ['256.1.1.1'], ['1.2.3'], ['2001:db8::g'], ['']])('%j → null', (input) => {
    expect(truncateIp(input)).toBeNull();
  });
});

describe('month', () => {
  it('a plain date keeps its form: YYYY-MM-DD → YYYY-MM-01', () => {
    expect(truncateToMonth('1984-07-19', ctx)).toBe('1984-07-01');
    expect(truncateToMonth('2024-02-29', ctx)).toBe('2024-02-01');
    expect(anonymiseValue('month', '1984-07-19', ctx)).toBe('1984-07-01');
  });

  it('an ISO instant becomes the first instant of its month, in UTC', () => {
    expect(truncateToMonth('2024-03-15T10:20:30Z', ctx)).toBe('2024-03-01T00:00:00.000Z');
    expect(truncateToMonth('2024-12-31T23:59:59.999Z', ctx)).toBe('2024-12-01T00:00:00.000Z');
    expect(truncateToMonth('2024-03-15 10:20:30', ctx)).toBe('2024-03-01T00:00:00.000Z');
  });

  it('a Date is encoded for the engine through the context', () => {
    const seen: Date[] = [];
    const c: AnonymiseContext = { hmacKey: null, encodeTimestamp: (d) => (seen.push(d), `enc:${d.toISOString()}`) };
    expect(truncateToMonth(new Date('2024-03-15T10:20:30Z'), c)).toBe('enc:2024-03-01T00:00:00.000Z');
    expect(truncateToMonth(new Date('2023-01-01T00:00:00Z'), c)).toBe('enc:2023-01-01T00:00:00.000Z');
    expect(seen.map((d) => d.toISOString())).toEqual(['2024-03-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z']);
  });

  it('text that is not a date becomes null', () => {
    expect(truncateToMonth('yesterday', ctx)).toBeNull();
    expect(truncateToMonth('19/07/1984', ctx)).toBeNull();
  });

  // The module's contract: "a value a strategy cannot read becomes NULL rather than being kept".
  it('an impossible month (2024-13-01) becomes null', () => {
    expect(truncateToMonth('2024-13-01', ctx)).toBeNull();
  });

  // Documented as "First instant of the value's month (UTC)", and that is what a Date gets.
  it('an instant with an offset is truncated to its UTC month', () => {
    const text = '2024-03-01T00:30:00+02:00'; // = 2024-02-29T22:30:00Z
    expect(truncateToMonth(text, ctx)).toBe(truncateToMonth(new Date(text), ctx));
    expect(truncateToMonth(text, ctx)).toBe('2024-02-01T00:00:00.000Z');
  });
});

describe('email_domain, redact, null', () => {
  it.each([
    ['Alice@Example.COM', 'example.com'],
    ['bob@mail.example.co.uk', 'mail.example.co.uk'],
    [' carol@Example.org ', 'example.org'],
    ['example.com', 'example.com'],
    ['odd@x.com@y.org', 'y.org'],
  ])('%j → %j', (input, expected) => {
    expect(emailDomain(input)).toBe(expected);
    expect(anonymiseValue('email_domain', input, ctx)).toBe(expected);
  });

  it.each([['no-at-sign'], ['x@localhost'], ['a@b'], ['bob@'], ['']])('%j → null', (input) => {
    expect(emailDomain(input)).toBeNull();
  });

  it('redact writes the fixed text; null clears; a NULL value stays NULL under every strategy', () => {
    expect(REDACTED).toBe('[redacted]');
    expect(anonymiseValue('redact', 'Alice Example', ctx)).toBe('[redacted]');
    expect(anonymiseValue(null, 'Alice Example', ctx)).toBeNull();
    for (const s of ['redact', 'hmac', 'phone_prefix', 'ip_truncate', 'month', 'email_domain'] as const) {
      expect(anonymiseValue(s, null, ctx), s).toBeNull();
      expect(anonymiseValue(s, undefined, ctx), s).toBeNull();
    }
  });
});

describe('hmac', () => {
  it('is hex HMAC-SHA-256 of the value’s text, exactly node:crypto’s createHmac', () => {
    const expected = createHmac('sha256', KEY).update('alice@example.com', 'utf8').digest('hex');
    expect(anonymiseValue('hmac', 'alice@example.com', ctx)).toBe(expected);
    expect(anonymiseValue('hmac', 12345, ctx)).toBe(createHmac('sha256', KEY).update('12345').digest('hex'));
    expect(anonymiseValue('hmac', 'Zoë', ctx)).toBe(createHmac('sha256', KEY).update(Buffer.from('Zoë', 'utf8')).digest('hex'));
  });

  it('matches the RFC 4231 test case 2 vector', () => {
    const c: AnonymiseContext = { hmacKey: Buffer.from('Jefe'), encodeTimestamp: (d) => d };
    expect(anonymiseValue('hmac', 'what do ya want for nothing?', c)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('depends on the key, and refuses to run without one', () => {
    const other: AnonymiseContext = { hmacKey: Buffer.from('another-key-0123456789abcdef0123456789'), encodeTimestamp: (d) => d };
    expect(anonymiseValue('hmac', 'alice@example.com', other)).not.toBe(anonymiseValue('hmac', 'alice@example.com', ctx));
    expect(() => anonymiseValue('hmac', 'alice@example.com', { hmacKey: null, encodeTimestamp: (d) => d })).toThrow(ConfigError);
  });
});

describe('loadHmacKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-hmac-'));
  const file = (name: string, content: string) => {
    const f = join(dir, name);
    writeFileSync(f, content);
    return f;
  };
  const K32 = 'k'.repeat(32);

  it('refuses a missing key', () => {
    expect(MIN_HMAC_KEY_BYTES).toBe(32);
    expect(() => loadHmacKey({})).toThrow(ConfigError);
    expect(() => loadHmacKey({})).toThrow(/LETHE_HMAC_KEY or LETHE_HMAC_KEY_FILE/);
    expect(() => loadHmacKey({ LETHE_HMAC_KEY: '' })).toThrow(ConfigError);
  });

  it('refuses a key shorter than 32 bytes, and counts bytes, not characters', () => {
    expect(() => loadHmacKey({ LETHE_HMAC_KEY: 'k'.repeat(31) })).toThrow(/31 bytes; at least 32/);
    expect(loadHmacKey({ LETHE_HMAC_KEY: K32 })).toEqual(Buffer.from(K32));
    expect(loadHmacKey({ LETHE_HMAC_KEY: 'é'.repeat(16) })).toHaveLength(32); // 16 characters, 32 bytes
    expect(() => loadHmacKey({ LETHE_HMAC_KEY: 'é'.repeat(15) + 'k' })).toThrow(/31 bytes/);
  });

  it('reads LETHE_HMAC_KEY_FILE and strips one trailing newline', () => {
    expect(loadHmacKey({ LETHE_HMAC_KEY_FILE: file('plain', K32) })).toEqual(Buffer.from(K32));
    expect(loadHmacKey({ LETHE_HMAC_KEY_FILE: file('lf', `${K32}\n`) })).toEqual(Buffer.from(K32));
    expect(loadHmacKey({ LETHE_HMAC_KEY_FILE: file('crlf', `${K32}\r\n`) })).toEqual(Buffer.from(K32));
    expect(loadHmacKey({ LETHE_HMAC_KEY_FILE: file('two', `${K32}\n\n`) })).toEqual(Buffer.from(`${K32}\n`));
  });

  it('does not count the stripped newline towards the 32 bytes', () => {
    expect(() => loadHmacKey({ LETHE_HMAC_KEY_FILE: file('short', `${'k'.repeat(31)}\n`) })).toThrow(/31 bytes/);
  });

  it('names an unreadable key file', () => {
    const missing = join(dir, 'no-such-key');
    expect(() => loadHmacKey({ LETHE_HMAC_KEY_FILE: missing })).toThrow(ConfigError);
    expect(() => loadHmacKey({ LETHE_HMAC_KEY_FILE: missing })).toThrow(missing);
  });

  it('LETHE_HMAC_KEY takes precedence over LETHE_HMAC_KEY_FILE', () => {
    const fromFile = 'f'.repeat(40);
    expect(loadHmacKey({ LETHE_HMAC_KEY: K32, LETHE_HMAC_KEY_FILE: file('other', fromFile) })).toEqual(Buffer.from(K32));
    expect(loadHmacKey({ LETHE_HMAC_KEY: '', LETHE_HMAC_KEY_FILE: file('other2', fromFile) })).toEqual(Buffer.from(fromFile));
  });
});
