import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { cacheNameOf, cacheObserver } from '../obs/cache-metrics.ts';
import { MemoryRequestStats } from '../obs/recent-requests.ts';
import { MemoryCache } from './cache.ts';
import { instrumentCache, instrumentSessionStore } from './instrumented.ts';
import type { SessionStore, StoredSession } from './session-store.ts';

describe('cache names (closed label set)', () => {
  it('follow the key family', () => {
    expect(cacheNameOf('mappings:12:payer')).toBe('payer_mappings');
    expect(cacheNameOf('mappings:12:cpt_groups')).toBe('cpt_mappings');
    expect(cacheNameOf('mappings:12:profiles')).toBe('other');
    expect(cacheNameOf('dashboard:12:denialscope')).toBe('dashboard');
    expect(cacheNameOf('sessions:abc')).toBe('sessions');
    expect(cacheNameOf('John Smith')).toBe('other');
  });
});

describe('instrumented caches', () => {
  it('count hits and misses in Prometheus and in the hourly counters', async () => {
    const registry = new Registry();
    const stats = new MemoryRequestStats();
    const cache = instrumentCache(new MemoryCache(), cacheObserver(stats, registry));
    await cache.set('mappings:1:payer', { aetna: 'Aetna' }, 60);
    expect(await cache.get('mappings:1:payer')).toEqual({ aetna: 'Aetna' });
    expect(await cache.get('mappings:1:cpt')).toBeUndefined();
    expect(await cache.get('dashboard:1:x')).toBeUndefined();
    const text = await registry.metrics();
    expect(text).toContain('payrixa_cache_requests_total{cache="payer_mappings",result="hit"} 1');
    expect(text).toContain('payrixa_cache_requests_total{cache="cpt_mappings",result="miss"} 1');
    expect(text).toContain('payrixa_cache_requests_total{cache="dashboard",result="miss"} 1');
    expect((await stats.snapshot(new Date())).cache).toEqual({ hits: 1, misses: 2 });
    expect(cache.kind).toBe('memory');
  });

  it('count session lookups as the sessions cache', async () => {
    const registry = new Registry();
    const stats = new MemoryRequestStats();
    const stored: StoredSession = { userId: 1, data: {}, createdAt: 0, lastActivityAt: 0, expiresAt: 1 };
    const inner: SessionStore = {
      kind: 'database',
      get: async (hash) => (hash === 'known' ? stored : null),
      save: async () => {},
      destroy: async () => {},
      destroyUser: async () => {},
      purgeExpired: async () => 0,
    };
    const sessions = instrumentSessionStore(inner, cacheObserver(stats, registry));
    expect(await sessions.get('known')).toBe(stored);
    expect(await sessions.get('unknown')).toBeNull();
    const text = await registry.metrics();
    expect(text).toContain('payrixa_cache_requests_total{cache="sessions",result="hit"} 1');
    expect(text).toContain('payrixa_cache_requests_total{cache="sessions",result="miss"} 1');
  });
});
