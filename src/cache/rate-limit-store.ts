import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import {
  evaluateRateLimit,
  type RateDecision,
  type Rate as WindowRate,
} from '../domain/accounts/throttle.ts';

/**
 * Sliding-window rate-limit store (web-api-ops §3.8): Redis sorted sets when configured,
 * else an in-process map. `hit` records the request only when it is allowed.
 */
export interface RateLimitStore {
  readonly kind: 'redis' | 'memory';
  hit(key: string, rate: WindowRate, now: number): Promise<RateDecision>;
  reset(key: string): Promise<void>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory' as const;
  private readonly hits = new LRUCache<string, number[]>({ max: 100_000 });

  async hit(key: string, rate: WindowRate, now: number): Promise<RateDecision> {
    const windowStart = now - rate.periodMs;
    const kept = (this.hits.get(key) ?? []).filter((t) => t > windowStart);
    const decision = evaluateRateLimit(kept, now, rate);
    if (decision.allowed) kept.push(now);
    this.hits.set(key, kept);
    return decision;
  }

  async reset(key: string): Promise<void> {
    this.hits.delete(key);
  }
}

// Atomic sliding window: drop old hits, count, add when allowed; returns
// {allowed, remaining, msUntilFree}.
const SLIDING_WINDOW = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local n = redis.call('ZCARD', key)
if n < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, period)
  return {1, limit - n - 1, 0}
end
local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + period - now}
`;

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(key: string, rate: WindowRate, now: number): Promise<RateDecision> {
    const [allowed, remaining, waitMs] = (await this.redis.eval(
      SLIDING_WINDOW,
      1,
      `${this.prefix}:ratelimit:${key}`,
      now,
      rate.periodMs,
      rate.limit,
      `${now}:${randomUUID()}`,
    )) as [number, number, number];
    if (allowed === 1) return { allowed: true, remaining, retryAfterSeconds: 0 };
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}:ratelimit:${key}`);
  }
}
