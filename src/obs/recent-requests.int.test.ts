import { Redis as IORedis, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../../test/db.ts';
import { waitFor } from '../../test/wait.ts';
import { connectRedis } from '../cache/redis.ts';
import { silentLogger } from './logger.ts';
import { RECENT_LIMIT, type RecentRequest, RedisRequestStats } from './recent-requests.ts';

/** The service-wide buffer on real Redis (runs when TEST_REDIS_URL is set). */
describe.skipIf(!testRedisUrl)('RedisRequestStats', () => {
  let redisA: Redis;
  let redisB: Redis;
  const prefix = `payrixa-test-${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    redisA = await connectRedis(testRedisUrl as string);
    redisB = await connectRedis(testRedisUrl as string);
  });

  afterAll(async () => {
    const keys = await redisA.keys(`${prefix}:*`);
    if (keys.length > 0) await redisA.del(...keys);
    await redisA.quit();
    await redisB.quit();
  });

  function entry(at: Date, overrides: Partial<RecentRequest> = {}): RecentRequest {
    return {
      timestamp: at.toISOString(),
      method: 'GET',
      route: '/portal/axis/',
      path: '/portal/axis/',
      status: 200,
      duration_ms: 5,
      user: 'owner_a',
      ...overrides,
    };
  }

  it('two processes write one list and one set of counters, trimmed to 1,000', async () => {
    const a = new RedisRequestStats(redisA, prefix, silentLogger());
    const b = new RedisRequestStats(redisB, prefix, silentLogger());
    const now = new Date();
    a.record(entry(new Date(now.getTime() - 2 * 60 * 60 * 1000), { path: '/too-old/' }));
    for (let i = 0; i < RECENT_LIMIT; i += 1) (i % 2 ? a : b).record(entry(now, { path: `/p/${i}/` }));
    a.record(
      entry(now, { route: '/api/v1/uploads/{id}/', path: '/api/v1/uploads/9/', status: 404, user: 'x' }),
    );
    b.record(
      entry(now, {
        route: '/api/v1/uploads/{id}/',
        path: '/api/v1/uploads/8/',
        status: 502,
        duration_ms: 2_500,
      }),
    );
    b.recordCache('hit');
    a.recordCache('miss');
    a.recordCache('hit');

    const snapshot = await waitFor(async () => {
      const s = await b.snapshot(new Date());
      const paths = s.recent.map((r) => r.path);
      return s.cache.hits + s.cache.misses === 3 &&
        paths.includes('/api/v1/uploads/8/') &&
        paths.includes('/api/v1/uploads/9/')
        ? s
        : null;
    });
    expect(await redisA.llen(`${prefix}:metrics:recent`)).toBe(RECENT_LIMIT);
    expect(snapshot.recent).toHaveLength(RECENT_LIMIT);
    expect(snapshot.recent.some((r) => r.path === '/too-old/')).toBe(false);
    expect(snapshot.routes.find((r) => r.route === '/api/v1/uploads/{id}/')).toEqual({
      route: '/api/v1/uploads/{id}/',
      requests: 2,
      clientErrors: 1,
      serverErrors: 1,
      slow: 1,
    });
    expect(snapshot.routes.find((r) => r.route === '/portal/axis/')?.requests).toBeGreaterThanOrEqual(
      RECENT_LIMIT,
    );
    expect(snapshot.cache).toEqual({ hits: 2, misses: 1 });
    expect(await a.activeUsers(new Date())).toBe(2);
    // Keys expire: the list an hour after the last request, the hourly hashes after two hours.
    expect(await redisA.pttl(`${prefix}:metrics:recent`)).toBeGreaterThan(0);
    const hashes = await redisA.keys(`${prefix}:metrics:routes:*`);
    for (const key of hashes) expect(await redisA.ttl(key)).toBeGreaterThan(0);
  });

  it('batches writes: one flush stores the newest 1,000 entries and counts every request', async () => {
    const batchPrefix = `${prefix}:batch`;
    const stats = new RedisRequestStats(redisA, batchPrefix, silentLogger());
    const now = new Date();
    for (let i = 0; i < 1_500; i += 1) stats.record(entry(now, { route: '/batch/', path: `/batch/${i}/` }));
    stats.flush();
    const snapshot = await waitFor(async () => {
      const s = await stats.snapshot(new Date());
      return s.routes.length > 0 ? s : null;
    });
    expect(snapshot.routes).toEqual([
      { route: '/batch/', requests: 1_500, clientErrors: 0, serverErrors: 0, slow: 0 },
    ]);
    expect(snapshot.recent).toHaveLength(RECENT_LIMIT);
    expect(snapshot.recent[0]?.path).toBe('/batch/1499/');
    expect(snapshot.recent.at(-1)?.path).toBe('/batch/500/');
  });

  it('a Redis failure is swallowed: recording never throws and is logged once a minute at most', async () => {
    // Nothing listens on port 1, and without an offline queue every command fails at once.
    const broken = new IORedis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const warnings: unknown[] = [];
    const logger = { ...silentLogger(), warn: (...args: unknown[]) => warnings.push(args) } as never;
    broken.on('error', () => {});
    const stats = new RedisRequestStats(broken, prefix, logger);
    expect(() => {
      for (let i = 0; i < 5; i += 1) {
        stats.record(entry(new Date()));
        stats.recordCache('hit');
      }
    }).not.toThrow();
    await waitFor(() => warnings.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(warnings).toHaveLength(1);
    broken.disconnect();
  });

  it('a command Redis refuses (inside the pipeline) is swallowed and logged too', async () => {
    const otherPrefix = `${prefix}:wrongtype`;
    await redisA.set(`${otherPrefix}:metrics:recent`, 'not a list');
    const warnings: unknown[] = [];
    const logger = { ...silentLogger(), warn: (...args: unknown[]) => warnings.push(args) } as never;
    const stats = new RedisRequestStats(redisA, otherPrefix, logger);
    expect(() => stats.record(entry(new Date()))).not.toThrow();
    await waitFor(() => warnings.length > 0);
    expect(JSON.stringify(warnings[0])).toContain('WRONGTYPE');
  });
});
