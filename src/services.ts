import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Cache, MemoryCache, RedisCache } from './cache/cache.ts';
import { connectRedis } from './cache/redis.ts';
import type { Config } from './config/env.ts';
import { createDatabase, type Database } from './db/database.ts';
import { BullmqJobQueue } from './jobs/bullmq-queue.ts';
import { DatabaseJobQueue } from './jobs/db-queue.ts';
import { configuredSchedules, registerJobs } from './jobs/definitions/index.ts';
import { JobRegistry } from './jobs/registry.ts';
import { Scheduler } from './jobs/scheduler.ts';
import type { JobQueue, QueueName } from './jobs/types.ts';

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
  const registry = new JobRegistry();
  registerJobs(registry, { db: database.db, config });
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
      await database.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
