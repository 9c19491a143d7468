/**
 * Who may read the web view. With LETHE_UI_TOKEN set, a request needs `Authorization:
 * Bearer <token>` or the session cookie the login form sets; without it the view is open,
 * and the daemon says so when it starts.
 *
 * The cookie never holds the token: it holds an expiry and an HMAC of that expiry keyed by
 * the token. Any replica with the same token accepts it (nothing is kept in memory), a
 * changed token ends every session, and a stolen cookie lapses on its own.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'lethe_ui';
/** How long a login lasts. */
export const SESSION_MS = 12 * 3600 * 1000;

/**
 * Whether `given` is the token. Both are hashed to one length first, so timingSafeEqual
 * applies and the time taken says nothing about how much of the token was right.
 */
export function isToken(token: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(token), digest(given));
}

function mac(token: string, expires: number): string {
  return createHmac('sha256', token).update(`lethe-ui-session-v1 ${expires}`).digest('base64url');
}

/** The Set-Cookie value of a session that ends SESSION_MS after `nowMs` (wall time: a session lasts real hours, whatever --now pretends). */
export function sessionCookie(token: string, nowMs: number): string {
  const expires = nowMs + SESSION_MS;
  // No `Secure`: lethe serves plain HTTP (put TLS in front), and browsers drop Secure cookies over it.
  return `${COOKIE}=${expires}.${mac(token, expires)}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`;
}

export function clearedCookie(): string {
  return `${COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** Whether a cookie value is a session of this token that has not ended at `nowMs`. */
export function isSession(token: string, value: string, nowMs: number): boolean {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires <= nowMs) return false;
  // Same length by the pattern above, so timingSafeEqual applies.
  return timingSafeEqual(Buffer.from(m[2]!), Buffer.from(mac(token, expires)));
}

/** The value of cookie `name` in a Cookie header, if any. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

/** Whether the request carries the token (bearer header) or a live session cookie. */
export function authorized(req: IncomingMessage, token: string, nowMs: number): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (bearer && isToken(token, bearer[1]!)) return true;
  const cookie = cookieValue(req.headers.cookie, COOKIE);
  return cookie !== null && isSession(token, cookie, nowMs);
}
