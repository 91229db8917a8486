import { Redis } from 'ioredis';
import { DependencyError, describeError } from '../config/errors.ts';
import { withTimeout } from '../db/database.ts';

/** Redacts the password of a Redis URL for messages and logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname || ''}`;
  } catch {
    return 'redis://(unparseable)';
  }
}

/**
 * Opens a Redis connection and checks it answers. `forBlocking` gives the settings BullMQ
 * workers need (no per-command retry limit). Connection errors are logged by callers,
 * never thrown as unhandled events.
 */
export async function connectRedis(url: string, options: { forBlocking?: boolean } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: options.forBlocking ? null : 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', () => {
    // Reported through failed commands and the health check; an unhandled 'error'
    // event would otherwise crash the process.
  });
  try {
    await withTimeout(redis.connect(), 6_000);
    await withTimeout(redis.ping(), 3_000);
  } catch (error) {
    redis.disconnect();
    throw new DependencyError(`Cannot connect to Redis at ${describeRedisUrl(url)}: ${describeError(error)}`);
  }
  return redis;
}

/** Major version of the Redis server (from INFO server). */
export async function redisMajorVersion(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  const match = /redis_version:(\d+)/.exec(info);
  return match ? Number(match[1]) : 0;
}
