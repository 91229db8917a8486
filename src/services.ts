import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Cache, MemoryCache, RedisCache } from './cache/cache.ts';
import { MemoryRateLimitStore, type RateLimitStore, RedisRateLimitStore } from './cache/rate-limit-store.ts';
import { connectRedis } from './cache/redis.ts';
import { DatabaseSessionStore, RedisSessionStore, type SessionStore } from './cache/session-store.ts';
import type { Config } from './config/env.ts';
import { createDatabase, type Database } from './db/database.ts';
import { BullmqJobQueue } from './jobs/bullmq-queue.ts';
import { DatabaseJobQueue } from './jobs/db-queue.ts';
import { configuredSchedules, registerJobs } from './jobs/definitions/index.ts';
import { JobRegistry } from './jobs/registry.ts';
import { Scheduler } from './jobs/scheduler.ts';
import type { JobQueue, QueueName } from './jobs/types.ts';
import { createMailer, type Mailer } from './notify/mail.ts';

/** The time source of request handling (sessions, lockout, tokens); tests swap in a fake. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Everything a process needs, chosen once from configuration (ARCHITECTURE §4 rule 4):
 * PostgreSQL or embedded PGlite, Redis or in-process cache, BullMQ or the database queue.
 */
export interface Services {
  config: Config;
  logger: Logger;
  database: Database;
  cache: Cache;
  redis: Redis | null;
  /** Portal sessions: Redis when configured, else the `sessions` table. */
  sessions: SessionStore;
  /** Rate-limit counters: Redis when configured, else in-process. */
  rateLimits: RateLimitStore;
  /** Outgoing email (EMAIL_BACKEND). */
  mailer: Mailer;
  /** Time source for sessions, lockouts and tokens (replaceable in tests). */
  clock: Clock;
  registry: JobRegistry;
  queue: JobQueue;
  scheduler: Scheduler | null;
  /** Starts job processing and (optionally) the cron scheduler in this process. */
  startJobs(options?: {
    queues?: readonly QueueName[];
    concurrency?: number;
    scheduler?: boolean;
  }): Promise<void>;
  /** Stops jobs (waiting up to `graceMs` for running ones), then closes connections. */
  close(graceMs?: number): Promise<void>;
}

export interface ServiceOptions {
  logger: Logger;
  /** Embedded only: `memory` for tests. */
  embeddedDataDir?: string | 'memory';
  /** Web processes apply DATABASE_STATEMENT_TIMEOUT_MS. */
  statementTimeout?: boolean;
  /** An already open database (tests); otherwise one is opened from the configuration. */
  database?: Database;
  /** Registers extra job kinds (tests, plugins). */
  registerJobs?: (registry: JobRegistry) => void;
  /** Time source (tests); the system clock by default. */
  clock?: Clock;
}

export async function createServices(config: Config, options: ServiceOptions): Promise<Services> {
  const { logger } = options;
  const database =
    options.database ??
    (await createDatabase(config, {
      ...(options.embeddedDataDir !== undefined && { embeddedDataDir: options.embeddedDataDir }),
      ...(options.statementTimeout !== undefined && { statementTimeout: options.statementTimeout }),
    }));
  let redis: Redis | null = null;
  try {
    redis = config.redisUrl ? await connectRedis(config.redisUrl, { forBlocking: true }) : null;
  } catch (error) {
    await database.close();
    throw error;
  }
  const cache: Cache = redis ? new RedisCache(redis, config.redisPrefix) : new MemoryCache();
  const sessions: SessionStore = redis
    ? new RedisSessionStore(redis, config.redisPrefix)
    : new DatabaseSessionStore(database.db);
  const rateLimits: RateLimitStore = redis
    ? new RedisRateLimitStore(redis, config.redisPrefix)
    : new MemoryRateLimitStore();
  const mailer = createMailer(config, logger.child({ logger: 'mail' }));
  const registry = new JobRegistry();
  // Jobs that enqueue further jobs get the queue late-bound (it is created from the registry below).
  registerJobs(registry, {
    db: database.db,
    config,
    database,
    queue: { enqueue: (...args) => queue.enqueue(...args) },
  });
  options.registerJobs?.(registry);
  const queue: JobQueue = redis
    ? new BullmqJobQueue(database.db, registry, logger, redis, config.redisPrefix)
    : new DatabaseJobQueue(database.db, registry, logger, { exclusive: database.kind === 'pglite' });

  let scheduler: Scheduler | null = null;
  let closed = false;
  return {
    config,
    logger,
    database,
    cache,
    redis,
    sessions,
    rateLimits,
    mailer,
    clock: options.clock ?? systemClock,
    registry,
    queue,
    get scheduler() {
      return scheduler;
    },
    async startJobs(startOptions = {}) {
      await queue.startWorker({
        ...(startOptions.queues && { queues: startOptions.queues }),
        concurrency: startOptions.concurrency ?? config.worker.concurrency,
      });
      if ((startOptions.scheduler ?? true) && config.scheduler.enabled) {
        scheduler = new Scheduler(queue, logger);
        scheduler.start(configuredSchedules(config, registry));
      }
    },
    async close(graceMs = 30_000) {
      if (closed) return;
      closed = true;
      scheduler?.stop();
      await queue.stopWorker(graceMs);
      await queue.close();
      await cache.close();
      await mailer.close();
      await database.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
