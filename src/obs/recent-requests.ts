import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FinishedRequest, RequestListener } from '../http/plugins/request-observer.ts';
import { trackActiveUsers } from './cache-metrics.ts';

/**
 * The staff metrics dashboard's data (web-api-ops §5.4): the last 1,000 requests of the last
 * hour and per-route hourly counters (requests, 4xx, 5xx, slow) keyed by route template, plus
 * hourly application-cache hits and misses. With Redis every web process of the service writes
 * to the same list and hashes, so any of them shows the whole service; without it each process
 * keeps its own.
 *
 * Recording never slows or fails a request: it is synchronous and in-memory, or batched into a
 * Redis pipeline every 100 ms that nobody awaits, whose errors are swallowed (and logged at
 * most once a minute).
 */

export const RECENT_LIMIT = 1_000;
export const RECENT_WINDOW_MS = 60 * 60 * 1000;
export const ACTIVE_USER_WINDOW_MS = 5 * 60 * 1000;
/** A request slower than this counts as slow (checklist: "slow requests > 2 s"). */
export const SLOW_REQUEST_MS = 2_000;
const HOUR_MS = 60 * 60 * 1000;
/** Hourly buckets are kept for the current and the previous hour (the sliding window's two). */
const BUCKET_TTL_SECONDS = 2 * 60 * 60 + 300;
const ERROR_LOG_INTERVAL_MS = 60_000;
/**
 * Redis writes are batched: a busy process sends one pipeline per 100 ms instead of one per
 * request (on the test machine a pipeline costs ~0.15 ms of the event loop; a batch of any size
 * costs about one). The dashboard lags by at most this much.
 */
const FLUSH_DELAY_MS = 100;
/** Older entries beyond a full buffer's worth would only be trimmed away again (counters still count them). */
const MAX_PENDING = RECENT_LIMIT;

/** One recorded request as the buffer holds it (JSON in Redis). */
export interface RecentRequest {
  /** ISO 8601 UTC. */
  timestamp: string;
  method: string;
  route: string;
  /** Without query string: query strings may carry PHI and are never recorded. */
  path: string;
  status: number;
  duration_ms: number;
  /** Username, null for anonymous requests. */
  user: string | null;
}

export interface RouteCounts {
  route: string;
  requests: number;
  clientErrors: number;
  serverErrors: number;
  slow: number;
}

export interface CacheCounts {
  hits: number;
  misses: number;
}

/** What the dashboard reads: the buffer (newest first) and the last hour's counters. */
export interface RequestStatsSnapshot {
  recent: RecentRequest[];
  routes: RouteCounts[];
  cache: CacheCounts;
}

export type CacheResult = 'hit' | 'miss';

export interface RequestStats {
  readonly kind: 'redis' | 'memory';
  /** Adds a finished request to the buffer and the counters (never throws, never waits). */
  record(request: RecentRequest): void;
  /** Counts one application-cache lookup in the current hour (never throws, never waits). */
  recordCache(result: CacheResult): void;
  /** The buffer of the last hour and the counters of the last hour at `now`. */
  snapshot(now: Date): Promise<RequestStatsSnapshot>;
  /** Distinct users with a request in the 5 minutes before `now`. */
  activeUsers(now: Date): Promise<number>;
}

/** The dashboard's own data feed is polled every 30 s and would crowd out real requests. */
const DATA_FEED_PREFIX = '/portal/admin/metrics/data/';

/** The buffer entry of a finished request, or null when the dashboard ignores it. */
export function recentRequestOf(finished: FinishedRequest): RecentRequest | null {
  if (finished.isStatic || finished.path.startsWith(DATA_FEED_PREFIX)) return null;
  return {
    timestamp: finished.timestamp.toISOString(),
    method: finished.method,
    route: finished.route,
    path: finished.path,
    status: finished.status,
    duration_ms: Math.round(finished.durationMs * 100) / 100,
    user: finished.username,
  };
}

/**
 * The web app's listener (app.ts `requestListeners`): feeds the buffer, and makes the
 * process's `payrixa_active_users` gauge read it at scrape time.
 */
export function dashboardRequestListener(services: {
  requestStats: RequestStats;
  clock: { now(): Date };
}): RequestListener {
  const stats = services.requestStats;
  trackActiveUsers(stats, () => services.clock.now());
  return (finished) => {
    const entry = recentRequestOf(finished);
    if (entry) stats.record(entry);
  };
}

/** The UTC hour a time falls in, as the bucket key `2026-12-07T21`. */
export function hourKey(time: Date | number): string {
  return new Date(time).toISOString().slice(0, 13);
}

/**
 * How much of the previous hour's bucket lies in the 60 minutes before `now`: a sliding
 * window over hourly buckets, assuming requests spread evenly over the previous hour (the
 * usual sliding-window-counter estimate; exact whenever the previous hour was quiet).
 */
export function previousHourWeight(now: Date): number {
  return 1 - (now.getTime() % HOUR_MS) / HOUR_MS;
}

type CounterField = 'requests' | 'clientErrors' | 'serverErrors' | 'slow';
const COUNTER_FIELDS: readonly CounterField[] = ['requests', 'clientErrors', 'serverErrors', 'slow'];

function countersOf(request: RecentRequest): CounterField[] {
  const fields: CounterField[] = ['requests'];
  if (request.status >= 500) fields.push('serverErrors');
  else if (request.status >= 400) fields.push('clientErrors');
  if (request.duration_ms > SLOW_REQUEST_MS) fields.push('slow');
  return fields;
}

type HourCounts = Map<string, Record<CounterField, number>>;

/** The last hour's counts from the current and previous hour buckets. */
function combineHours(current: HourCounts, previous: HourCounts, weight: number): RouteCounts[] {
  const routes = new Map<string, RouteCounts>();
  const add = (counts: HourCounts, factor: number) => {
    for (const [route, values] of counts) {
      const row = routes.get(route) ?? { route, requests: 0, clientErrors: 0, serverErrors: 0, slow: 0 };
      for (const field of COUNTER_FIELDS) row[field] += values[field] * factor;
      routes.set(route, row);
    }
  };
  add(current, 1);
  add(previous, weight);
  const rows = [...routes.values()].map((row) => ({
    route: row.route,
    requests: Math.round(row.requests),
    clientErrors: Math.round(row.clientErrors),
    serverErrors: Math.round(row.serverErrors),
    slow: Math.round(row.slow),
  }));
  return rows.filter((row) => row.requests > 0);
}

function combineCache(current: CacheCounts, previous: CacheCounts, weight: number): CacheCounts {
  return {
    hits: Math.round(current.hits + previous.hits * weight),
    misses: Math.round(current.misses + previous.misses * weight),
  };
}

function withinWindow(entries: RecentRequest[], now: Date): RecentRequest[] {
  const since = now.getTime() - RECENT_WINDOW_MS;
  return entries.filter((entry) => Date.parse(entry.timestamp) >= since);
}

function countActiveUsers(entries: RecentRequest[], now: Date): number {
  const since = now.getTime() - ACTIVE_USER_WINDOW_MS;
  const users = new Set<string>();
  for (const entry of entries) {
    if (entry.user !== null && Date.parse(entry.timestamp) >= since) users.add(entry.user);
  }
  return users.size;
}

/** One process's buffer and counters (no REDIS_URL). */
export class MemoryRequestStats implements RequestStats {
  readonly kind = 'memory' as const;
  /** Oldest first; trimmed to RECENT_LIMIT. */
  private readonly entries: RecentRequest[] = [];
  private readonly hours = new Map<string, HourCounts>();
  private readonly cacheHours = new Map<string, CacheCounts>();

  record(request: RecentRequest): void {
    this.entries.push(request);
    if (this.entries.length > RECENT_LIMIT) this.entries.splice(0, this.entries.length - RECENT_LIMIT);
    const key = hourKey(Date.parse(request.timestamp));
    let counts = this.hours.get(key);
    if (!counts) {
      counts = new Map();
      this.hours.set(key, counts);
      this.forgetOldHours(this.hours, key);
    }
    const row = counts.get(request.route) ?? { requests: 0, clientErrors: 0, serverErrors: 0, slow: 0 };
    for (const field of countersOf(request)) row[field] += 1;
    counts.set(request.route, row);
  }

  recordCache(result: CacheResult): void {
    const key = hourKey(Date.now());
    let counts = this.cacheHours.get(key);
    if (!counts) {
      counts = { hits: 0, misses: 0 };
      this.cacheHours.set(key, counts);
      this.forgetOldHours(this.cacheHours, key);
    }
    if (result === 'hit') counts.hits += 1;
    else counts.misses += 1;
  }

  /** Keeps the newest two hours (bucket keys sort as times). */
  private forgetOldHours(buckets: Map<string, unknown>, newest: string): void {
    const previous = hourKey(Date.parse(`${newest}:00:00Z`) - HOUR_MS);
    for (const key of buckets.keys()) if (key < previous) buckets.delete(key);
  }

  async snapshot(now: Date): Promise<RequestStatsSnapshot> {
    const current = hourKey(now);
    const previous = hourKey(now.getTime() - HOUR_MS);
    const weight = previousHourWeight(now);
    const none = { hits: 0, misses: 0 };
    return {
      recent: withinWindow([...this.entries].reverse(), now),
      routes: combineHours(
        this.hours.get(current) ?? new Map(),
        this.hours.get(previous) ?? new Map(),
        weight,
      ),
      cache: combineCache(
        this.cacheHours.get(current) ?? none,
        this.cacheHours.get(previous) ?? none,
        weight,
      ),
    };
  }

  async activeUsers(now: Date): Promise<number> {
    return countActiveUsers(this.entries, now);
  }
}

/**
 * The service-wide buffer in Redis: a list (`LPUSH` + `LTRIM` to 1,000, expiring an hour after
 * the last request) and one hash per UTC hour for route counters (`<field>|<route>` fields)
 * and one for cache hits/misses, each expiring after two hours.
 */
export class RedisRequestStats implements RequestStats {
  readonly kind = 'redis' as const;
  private lastErrorLoggedAt = Number.NEGATIVE_INFINITY;
  /** Requests and cache lookups since the last flush (one pipeline per batch, not per request). */
  private pending: RecentRequest[] = [];
  /** Route counters per hourly hash key: `<field>|<route>` → increment. */
  private pendingCounts = new Map<string, Map<string, number>>();
  private pendingCache = new Map<string, CacheCounts>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  private get listKey(): string {
    return `${this.prefix}:metrics:recent`;
  }

  private routesKey(hour: string): string {
    return `${this.prefix}:metrics:routes:${hour}`;
  }

  private cacheKey(hour: string): string {
    return `${this.prefix}:metrics:cache:${hour}`;
  }

  /** Redis trouble must not flood the log on a busy service: one line a minute at most. */
  private failed(error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLoggedAt = now;
    this.logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'metrics buffer: Redis write failed',
    );
  }

  /** A pipeline resolves with per-command errors (`[[error, result], …]`) or rejects. */
  private settle(execution: Promise<Array<[Error | null, unknown]> | null>): void {
    execution.then(
      (results) => {
        const error = results?.find(([commandError]) => commandError)?.[0];
        if (error) this.failed(error);
      },
      (error: unknown) => this.failed(error),
    );
  }

  /**
   * While Redis is away the shared connection queues commands (BullMQ needs that); dashboard
   * writes are dropped instead, so an outage cannot pile them up in memory.
   */
  private connected(): boolean {
    if (this.redis.status === 'ready') return true;
    this.failed(new Error(`Redis connection is ${this.redis.status}`));
    return false;
  }

  record(request: RecentRequest): void {
    if (!this.connected()) return;
    this.pending.push(request);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
    const key = this.routesKey(hourKey(Date.parse(request.timestamp)));
    const fields = this.pendingCounts.get(key) ?? new Map<string, number>();
    for (const field of countersOf(request)) {
      const name = `${field}|${request.route}`;
      fields.set(name, (fields.get(name) ?? 0) + 1);
    }
    this.pendingCounts.set(key, fields);
    this.scheduleFlush();
  }

  recordCache(result: CacheResult): void {
    if (!this.connected()) return;
    const key = hourKey(Date.now());
    const counts = this.pendingCache.get(key) ?? { hits: 0, misses: 0 };
    if (result === 'hit') counts.hits += 1;
    else counts.misses += 1;
    this.pendingCache.set(key, counts);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
    // A pending batch never keeps a process alive.
    this.flushTimer.unref();
  }

  /**
   * Writes what gathered since the last flush in one pipeline: the entries oldest first (so
   * the newest ends at the head of the list), each hour's counters summed per field.
   */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const entries = this.pending;
    const increments = this.pendingCounts;
    const cache = this.pendingCache;
    this.pending = [];
    this.pendingCounts = new Map();
    this.pendingCache = new Map();
    if (increments.size === 0 && cache.size === 0) return;
    try {
      const pipeline = this.redis.pipeline();
      if (entries.length > 0) {
        pipeline
          .lpush(this.listKey, ...entries.map((entry) => JSON.stringify(entry)))
          .ltrim(this.listKey, 0, RECENT_LIMIT - 1)
          .pexpire(this.listKey, RECENT_WINDOW_MS);
      }
      for (const [hour, counts] of cache) {
        const fields = new Map<string, number>();
        if (counts.hits > 0) fields.set('hits', counts.hits);
        if (counts.misses > 0) fields.set('misses', counts.misses);
        increments.set(this.cacheKey(hour), fields);
      }
      for (const [key, fields] of increments) {
        for (const [field, amount] of fields) pipeline.hincrby(key, field, amount);
        pipeline.expire(key, BUCKET_TTL_SECONDS);
      }
      this.settle(pipeline.exec());
    } catch (error) {
      this.failed(error);
    }
  }

  private async readEntries(): Promise<RecentRequest[]> {
    const raw = await this.redis.lrange(this.listKey, 0, RECENT_LIMIT - 1);
    const entries: RecentRequest[] = [];
    for (const text of raw) {
      try {
        entries.push(JSON.parse(text) as RecentRequest);
      } catch {
        // A foreign or truncated entry is skipped rather than breaking the dashboard.
      }
    }
    return entries;
  }

  private async readHour(hour: string): Promise<HourCounts> {
    const hash = await this.redis.hgetall(this.routesKey(hour));
    const counts: HourCounts = new Map();
    for (const [name, value] of Object.entries(hash)) {
      const separator = name.indexOf('|');
      const field = name.slice(0, separator) as CounterField;
      if (separator < 0 || !COUNTER_FIELDS.includes(field)) continue;
      const route = name.slice(separator + 1);
      const row = counts.get(route) ?? { requests: 0, clientErrors: 0, serverErrors: 0, slow: 0 };
      row[field] = Number(value) || 0;
      counts.set(route, row);
    }
    return counts;
  }

  private async readCache(hour: string): Promise<CacheCounts> {
    const hash = await this.redis.hgetall(this.cacheKey(hour));
    return { hits: Number(hash['hits'] ?? 0) || 0, misses: Number(hash['misses'] ?? 0) || 0 };
  }

  async snapshot(now: Date): Promise<RequestStatsSnapshot> {
    const current = hourKey(now);
    const previous = hourKey(now.getTime() - HOUR_MS);
    const weight = previousHourWeight(now);
    const [entries, currentRoutes, previousRoutes, currentCache, previousCache] = await Promise.all([
      this.readEntries(),
      this.readHour(current),
      this.readHour(previous),
      this.readCache(current),
      this.readCache(previous),
    ]);
    return {
      recent: withinWindow(entries, now),
      routes: combineHours(currentRoutes, previousRoutes, weight),
      cache: combineCache(currentCache, previousCache, weight),
    };
  }

  async activeUsers(now: Date): Promise<number> {
    return countActiveUsers(await this.readEntries(), now);
  }
}

export function createRequestStats(redis: Redis | null, prefix: string, logger: Logger): RequestStats {
  return redis ? new RedisRequestStats(redis, prefix, logger) : new MemoryRequestStats();
}
