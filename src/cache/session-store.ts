import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import {
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  findSession,
  upsertSession,
} from '../db/repositories/sessions.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';

/** A server-side portal session as stored (times are epoch milliseconds). */
export interface StoredSession {
  userId: number | null;
  data: JsonObject;
  createdAt: number;
  lastActivityAt: number;
  /** When the store may forget it: min(idle deadline, absolute deadline). */
  expiresAt: number;
}

/**
 * The session store port (web-api-ops §3.1): Redis when REDIS_URL is set, otherwise the
 * `sessions` table. Keys are SHA-256 hashes of the cookie value. Expiry decisions are made
 * by the caller with its clock; the store only forgets expired rows eventually.
 */
export interface SessionStore {
  readonly kind: 'redis' | 'database';
  get(hash: string): Promise<StoredSession | null>;
  save(hash: string, session: StoredSession, now: number): Promise<void>;
  destroy(hash: string): Promise<void>;
  /** Ends all sessions of a user except `exceptHash`. */
  destroyUser(userId: number, exceptHash?: string): Promise<void>;
  purgeExpired(now: number): Promise<number>;
}

export class DatabaseSessionStore implements SessionStore {
  readonly kind = 'database' as const;
  constructor(private readonly db: Kysely<DB>) {}

  async get(hash: string): Promise<StoredSession | null> {
    const row = await findSession(this.db, hash);
    if (!row) return null;
    return {
      userId: row.userId,
      data: row.data,
      createdAt: row.createdAt.getTime(),
      lastActivityAt: row.lastActivityAt.getTime(),
      expiresAt: row.expiresAt.getTime(),
    };
  }

  async save(hash: string, session: StoredSession): Promise<void> {
    await upsertSession(this.db, hash, {
      userId: session.userId,
      data: session.data,
      createdAt: new Date(session.createdAt),
      lastActivityAt: new Date(session.lastActivityAt),
      expiresAt: new Date(session.expiresAt),
    });
  }

  destroy(hash: string): Promise<void> {
    return deleteSession(this.db, hash);
  }

  destroyUser(userId: number, exceptHash?: string): Promise<void> {
    return deleteUserSessions(this.db, userId, exceptHash);
  }

  purgeExpired(now: number): Promise<number> {
    return deleteExpiredSessions(this.db, new Date(now));
  }
}

export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis' as const;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(hash: string): string {
    return `${this.prefix}:session:${hash}`;
  }

  private userKey(userId: number): string {
    return `${this.prefix}:user-sessions:${userId}`;
  }

  async get(hash: string): Promise<StoredSession | null> {
    const json = await this.redis.get(this.key(hash));
    if (json === null) return null;
    try {
      return JSON.parse(json) as StoredSession;
    } catch {
      return null;
    }
  }

  async save(hash: string, session: StoredSession, now: number): Promise<void> {
    const ttl = Math.max(1000, session.expiresAt - now);
    const multi = this.redis.multi().set(this.key(hash), JSON.stringify(session), 'PX', ttl);
    if (session.userId !== null) {
      multi.sadd(this.userKey(session.userId), hash).pexpire(this.userKey(session.userId), 48 * 3600_000);
    }
    await multi.exec();
  }

  async destroy(hash: string): Promise<void> {
    const session = await this.get(hash);
    const multi = this.redis.multi().del(this.key(hash));
    if (session?.userId != null) multi.srem(this.userKey(session.userId), hash);
    await multi.exec();
  }

  async destroyUser(userId: number, exceptHash?: string): Promise<void> {
    const hashes = (await this.redis.smembers(this.userKey(userId))).filter((h) => h !== exceptHash);
    if (hashes.length === 0) return;
    await this.redis
      .multi()
      .del(...hashes.map((h) => this.key(h)))
      .srem(this.userKey(userId), ...hashes)
      .exec();
  }

  async purgeExpired(): Promise<number> {
    return 0; // Redis expires keys itself.
  }
}
