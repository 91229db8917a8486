import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * The cache port: small JSON values with a time-to-live, shared by all processes when
 * Redis is configured, per process otherwise. Callers name a cache (`payer_mappings`,
 * `dashboard`, …) so hit rates can be counted per cache.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every key starting with `prefix` (invalidation of a customer's entries). */
  deletePrefix(prefix: string): Promise<void>;
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly store = new LRUCache<string, { json: string }>({ max: 10_000, ttlAutopurge: false });

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.store.get(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    // Stored as JSON so callers cannot mutate cached objects (same semantics as Redis).
    this.store.set(key, { json: JSON.stringify(value) }, { ttl: ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.store.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.store.keys()]) if (key.startsWith(prefix)) this.store.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.store.clear();
  }
}

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(key: string): string {
    return `${this.prefix}:cache:${key}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const json = await this.redis.get(this.key(key));
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(value), 'EX', Math.max(1, Math.round(ttlSeconds)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const pattern = `${this.key(prefix).replace(/[*?[\]]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await this.redis.del(...keys);
    } while (cursor !== '0');
  }

  async ping(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // The Redis connection is shared and closed by the services container.
  }
}
