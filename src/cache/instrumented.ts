import type { CacheObserver } from '../obs/cache-metrics.ts';
import { cacheNameOf } from '../obs/cache-metrics.ts';
import type { Cache } from './cache.ts';
import type { SessionStore } from './session-store.ts';

/**
 * Counts every `get` of the application cache as a hit or a miss of the cache its key names
 * (`payrixa_cache_requests_total`, dashboard "Cache Hit Rate"). A lookup that fails is neither.
 */
export function instrumentCache(cache: Cache, observe: CacheObserver): Cache {
  return {
    kind: cache.kind,
    async get<T>(key: string): Promise<T | undefined> {
      const value = await cache.get<T>(key);
      observe(cacheNameOf(key), value === undefined ? 'miss' : 'hit');
      return value;
    },
    set: (key, value, ttlSeconds) => cache.set(key, value, ttlSeconds),
    delete: (key) => cache.delete(key),
    deletePrefix: (prefix) => cache.deletePrefix(prefix),
    ping: (timeoutMs) => cache.ping(timeoutMs),
    close: () => cache.close(),
  };
}

/**
 * Counts session lookups as the `sessions` cache: found → hit, unknown or forgotten → miss.
 * (The session store is Redis when configured, a table otherwise; both are counted so the
 * embedded default has a hit rate too.)
 */
export function instrumentSessionStore(store: SessionStore, observe: CacheObserver): SessionStore {
  return {
    kind: store.kind,
    async get(hash) {
      const session = await store.get(hash);
      observe('sessions', session ? 'hit' : 'miss');
      return session;
    },
    save: (hash, session, now) => store.save(hash, session, now),
    destroy: (hash) => store.destroy(hash),
    destroyUser: (userId, exceptHash) => store.destroyUser(userId, exceptHash),
    purgeExpired: (now) => store.purgeExpired(now),
  };
}
