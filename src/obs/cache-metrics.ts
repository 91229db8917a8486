import { Counter, Gauge, type Registry, register } from 'prom-client';
import type { CacheResult, RequestStats } from './recent-requests.ts';

/**
 * Application-cache and active-user metrics of web-api-ops §5.2:
 * `payrixa_cache_requests_total{cache,result}` and `payrixa_active_users`. The `cache` label is
 * a closed set named after the key family (never a key, customer or user), so the series stay
 * few and carry no tenant data.
 */

export const CACHE_NAMES = ['payer_mappings', 'cpt_mappings', 'dashboard', 'sessions', 'other'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** Tells metrics about one cache lookup (the cache decorators in src/cache/instrumented.ts). */
export type CacheObserver = (cache: CacheName, result: CacheResult) => void;

/**
 * The cache a key belongs to, by the key-naming convention of src/cache/cache.ts: the first
 * segment names the family (`dashboard:<customer>:…`); the customer mapping caches are
 * `mappings:<customer>:payer…` and `mappings:<customer>:cpt…` (one prefix, so a mapping change
 * invalidates both). Anything else is `other`.
 */
export function cacheNameOf(key: string): CacheName {
  const [family, , kind] = key.split(':');
  if (family === 'mappings') {
    if (kind?.startsWith('payer')) return 'payer_mappings';
    if (kind?.startsWith('cpt')) return 'cpt_mappings';
    return 'other';
  }
  if (family === 'dashboard' || family === 'sessions') return family;
  return 'other';
}

/** The metric `name` of `registry`, created on first use (a registry refuses duplicates). */
function existing<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function cacheRequestsCounter(registry: Registry = register): Counter<'cache' | 'result'> {
  return existing(
    registry,
    'payrixa_cache_requests_total',
    () =>
      new Counter({
        name: 'payrixa_cache_requests_total',
        help: 'Application cache lookups by cache and result (hit, miss)',
        labelNames: ['cache', 'result'],
        registers: [registry],
      }),
  );
}

/**
 * The observer a process's caches report to: the Prometheus counter and the dashboard's
 * hourly hit/miss counters (`stats`).
 */
export function cacheObserver(stats: RequestStats, registry: Registry = register): CacheObserver {
  const counter = cacheRequestsCounter(registry);
  return (cache, result) => {
    counter.inc({ cache, result });
    stats.recordCache(result);
  };
}

/**
 * Where `payrixa_active_users` reads from at scrape time. One per registry: the process's web
 * app sets it (the last app built wins, which in a product process is the only one).
 */
const activeUserSources = new WeakMap<Registry, { stats: RequestStats; now: () => Date }>();

/**
 * Registers (once per registry) the `payrixa_active_users` gauge, computed at scrape time
 * from the recent-request buffer: distinct users with a request in the last 5 minutes.
 */
export function trackActiveUsers(stats: RequestStats, now: () => Date, registry: Registry = register): void {
  activeUserSources.set(registry, { stats, now });
  if (registry.getSingleMetric('payrixa_active_users')) return;
  new Gauge({
    name: 'payrixa_active_users',
    help: 'Distinct users with a request in the last 5 minutes',
    registers: [registry],
    // `serve --workers N` sums its workers' metrics; with Redis each worker reads the same
    // shared buffer, so the sum would count every user N times.
    aggregator: 'max',
    async collect() {
      const source = activeUserSources.get(registry);
      if (!source) return;
      try {
        this.set(await source.stats.activeUsers(source.now()));
      } catch {
        // Redis unavailable: the gauge keeps its last value rather than failing the scrape.
      }
    },
  });
}
