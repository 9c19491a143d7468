/**
 * The enforcer lease: one row in lethe_lease that lets only one lethe process enforce on a
 * store at a time. It is taken and renewed with plain transactional row updates (no
 * session-level advisory locks, so it survives transaction poolers), timed by the store's
 * own clock so replicas on skewed hosts agree on expiry, and fenced: each take-over bumps
 * the token, and every batch transaction checks that the token is still its holder's, so
 * a paused, stale leader commits nothing after another has taken over.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { lockAuditHead, type AuditHead } from './audit/chain.js';
import { LetheError } from './errors.js';
import { isoUtc } from './store/timestamps.js';
import { letheDb, letheTable } from './store/lethe-tables.js';
import { preparedFor } from './store/prepared.js';
import type { Adapter } from './store/types.js';

const NAME = 'enforcer';

export class LeaseLostError extends LetheError {
  constructor(message: string) {
    super('E_LEASE', message);
  }
}

export type AcquireResult = { ok: true; token: number } | { ok: false; holder: string; expiresAt: string };

/** A holder id naming the host and process, readable in `lethe_lease` and in messages. */
export function newHolderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** What every batch transaction of a fenced run checks first (Lease implements it). */
export interface BatchFence {
  /** Throws LeaseLostError unless this process still holds the enforcer lease. */
  check(tx: Kysely<any>): Promise<void>;
  /** `check`, then the audit chain's head locked for the rest of the transaction (lockAuditHead). */
  checkAndLockHead(tx: Kysely<any>): Promise<AuditHead | null>;
}

/** A batch transaction's first step: the fence where there is one, and the chain's head locked. */
export function fenceAndLockHead(adapter: Adapter, tx: Kysely<any>, fence: BatchFence | undefined): Promise<AuditHead | null> {
  return fence ? fence.checkAndLockHead(tx) : lockAuditHead(adapter, tx);
}

export class Lease implements BatchFence {
  #token: number | null = null;
  constructor(
    private readonly adapter: Adapter,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  get token(): number | null {
    return this.#token;
  }

  /**
   * Takes the lease if it is free, expired or already ours, and extends it by ttl.
   * Returns who holds it otherwise.
   */
  async acquire(): Promise<AcquireResult> {
    const a = this.adapter;
    const res = await a.transaction(async (tx) => {
      const now = await a.dbNow();
      const lock = a.supportsForUpdate ? sql` for update` : sql``;
      const rows = await sql<{ holder: string | null; token: unknown; expires_at: string | null }>`select holder, token, expires_at from ${letheTable(a, 'lethe_lease')} where name = ${NAME}${lock}`.execute(tx);
      const row = rows.rows[0];
      const expires = isoUtc(new Date(now.getTime() + this.ttlMs));
      if (!row) {
        await letheDb(a, tx).insertInto('lethe_lease').values({ name: NAME, holder: this.holder, token: 1, acquired_at: isoUtc(now), expires_at: expires }).execute();
        return { ok: true as const, token: 1 };
      }
      const token = Number(row.token);
      if (row.holder === this.holder && this.#token === token) {
        await letheDb(a, tx).updateTable('lethe_lease').set({ expires_at: expires }).where('name', '=', NAME).where('token', '=', token).execute();
        return { ok: true as const, token };
      }
      if (row.holder === null || row.expires_at === null || row.expires_at <= isoUtc(now) || deadOnThisHost(row.holder)) {
        // Free or expired: take it over with a new token, fencing out the previous holder.
        await letheDb(a, tx).updateTable('lethe_lease').set({ holder: this.holder, token: token + 1, acquired_at: isoUtc(now), expires_at: expires }).where('name', '=', NAME).execute();
        return { ok: true as const, token: token + 1 };
      }
      return { ok: false as const, holder: row.holder, expiresAt: row.expires_at };
    });
    this.#token = res.ok ? res.token : null;
    return res;
  }

  /** Inside a batch transaction: throws LeaseLostError unless this process still holds the token. */
  readonly check = async (tx: Kysely<any>): Promise<void> => {
    this.#ours();
    // The shared lock makes a take-over wait until this batch commits or rolls back.
    const lock = this.adapter.shareLockClause ? sql` ${sql.raw(this.adapter.shareLockClause)}` : sql``;
    const r = await sql<{ holder: string | null; token: unknown }>`select holder, token from ${letheTable(this.adapter, 'lethe_lease')} where name = ${NAME}${lock}`.execute(tx);
    this.#verify(r.rows[0]);
  };

  /**
   * `check` and lockAuditHead in one statement: a round trip (on SQLite a statement) less in
   * every batch. Where the engine locks rows it locks the lease row for update rather than
   * shared; every other transaction that locks it (acquire, renew) does so for update, so
   * none waits longer. SQLite's BEGIN IMMEDIATE already holds the store's write lock.
   */
  readonly checkAndLockHead = async (tx: Kysely<any>): Promise<AuditHead | null> => {
    const a = this.adapter;
    this.#ours();
    const r = await preparedFor(a, 'checkAndLockHead', () => {
      const lock = a.supportsForUpdate ? sql` for update` : sql``;
      return sql<{ holder: string | null; token: unknown; seq: unknown; hash: string }>`select l.holder, l.token, h.seq, h.hash from ${letheTable(a, 'lethe_lease')} as l, ${letheTable(a, 'lethe_audit_head')} as h where l.name = ${NAME} and h.id = 1${lock}`;
    }).execute(tx);
    const row = r.rows[0];
    if (!row) {
      // One of the two rows is missing: the separate reads say which.
      await this.check(tx);
      return lockAuditHead(a, tx);
    }
    this.#verify(row);
    return { seq: Number(row.seq), hash: row.hash };
  };

  #ours(): void {
    if (this.#token === null) throw new LeaseLostError('this process does not hold the enforcer lease');
  }

  #verify(row: { holder: string | null; token: unknown } | undefined): void {
    if (!row || Number(row.token) !== this.#token || row.holder !== this.holder) {
      this.#token = null;
      throw new LeaseLostError(`the enforcer lease passed to ${row?.holder ?? 'nobody'} (token ${Number(row?.token ?? 0)}); this process stops enforcing`);
    }
  }

  /** Gives the lease up (if still ours) so another replica can take over at once. */
  async release(): Promise<void> {
    if (this.#token === null) return;
    const token = this.#token;
    this.#token = null;
    await letheDb(this.adapter)
      .updateTable('lethe_lease')
      .set({ holder: null, expires_at: null })
      .where('name', '=', NAME)
      .where('holder', '=', this.holder)
      .where('token', '=', token)
      .execute();
  }
}

/**
 * A holder on this host whose process is gone (killed, crashed) cannot renew; waiting out
 * its TTL would only delay the next run. Holders on other hosts are judged by expiry alone.
 */
function deadOnThisHost(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The lease TTL: LETHE_LEASE_TTL_MS, default 30 s. */
export function leaseTtlMs(env: NodeJS.ProcessEnv): number {
  const v = Number(env.LETHE_LEASE_TTL_MS ?? 30_000);
  return Number.isFinite(v) && v >= 1000 ? v : 30_000;
}

/**
 * Holds the lease for the duration of `fn`, renewing it every third of its TTL. Throws
 * LeaseLostError up front when another live process holds it.
 */
export async function withLease<T>(adapter: Adapter, env: NodeJS.ProcessEnv, fn: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = new Lease(adapter, newHolderId(), leaseTtlMs(env));
  const got = await lease.acquire();
  if (!got.ok) {
    throw new LeaseLostError(`another lethe process (${got.holder}) is enforcing on this store; its lease runs until ${got.expiresAt}. Only one process enforces at a time.`);
  }
  const timer = setInterval(() => {
    lease.acquire().catch(() => undefined);
  }, Math.max(500, Math.floor(lease.ttlMs / 3)));
  timer.unref();
  try {
    return await fn(lease);
  } finally {
    clearInterval(timer);
    await lease.release().catch(() => undefined);
  }
}
