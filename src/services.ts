import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Cache, MemoryCache, RedisCache } from './cache/cache.ts';
import { instrumentCache, instrumentSessionStore } from './cache/instrumented.ts';
import { MemoryRateLimitStore, type RateLimitStore, RedisRateLimitStore } from './cache/rate-limit-store.ts';
import { connectRedis } from './cache/redis.ts';
import { DatabaseSessionStore, RedisSessionStore, type SessionStore } from './cache/session-store.ts';
import type { Config } from './config/env.ts';
import { createDatabase, type Database, type DatabaseOptions } from './db/database.ts';
import { recoverAbandonedJobs } from './db/repositories/jobs.repository.ts';
import { BullmqJobQueue } from './jobs/bullmq-queue.ts';
import { DatabaseJobQueue } from './jobs/db-queue.ts';
import { configuredSchedules, registerJobs } from './jobs/definitions/index.ts';
import { loadJobModules } from './jobs/job-modules.ts';
import { JobThreadPool } from './jobs/job-threads.ts';
import { JobRegistry } from './jobs/registry.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { type JobQueue, QUEUE_NAMES, type QueueName } from './jobs/types.ts';
import { createMailer, type Mailer } from './notify/mail.ts';
import { cacheObserver } from './obs/cache-metrics.ts';
import { createRequestStats, type RequestStats } from './obs/recent-requests.ts';

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
  /** The staff metrics dashboard's recent requests and hourly counters (§5.4). */
  requestStats: RequestStats;
  /** Outgoing email (EMAIL_BACKEND). */
  mailer: Mailer;
  /** Time source for sessions, lockouts and tokens (replaceable in tests). */
  clock: Clock;
  registry: JobRegistry;
  queue: JobQueue;
  scheduler: Scheduler | null;
  /** Where jobs run when started here: worker threads (the product) or this thread (tests). */
  readonly jobRunner: JobRunner;
  /**
   * Starts job processing — `concurrency` worker threads, or loops on this thread — and
   * (optionally) the cron scheduler. `recoverAll` takes back every running job first (the
   * embedded host: no other process runs jobs); by default only expired leases.
   */
  startJobs(options?: {
    queues?: readonly QueueName[];
    concurrency?: number;
    scheduler?: boolean;
    recoverAll?: boolean;
  }): Promise<void>;
  /** Wakes this process's idle job workers (a job was enqueued by another process of the service). */
  wakeJobs(): void;
  /**
   * Stops the scheduler and the job workers: running jobs get `graceMs` to finish, then they
   * are aborted and handed back to the queue. Connections stay open (see `close`).
   */
  stopJobs(graceMs: number): Promise<void>;
  /**
   * Stops the scheduler and the job workers — running jobs get `graceMs` to finish, then
   * they are aborted and handed back to the queue — then closes connections.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * `threads`: jobs run in worker threads (every product process: serve, worker, demo), so the
 * thread that serves HTTP never runs one. `in-process`: on this thread (inside a job thread
 * itself, and tests whose job kinds are closures or whose database is in memory).
 */
export type JobRunner = 'threads' | 'in-process';

export interface ServiceOptions {
  logger: Logger;
  /** Embedded only: `memory` for tests. */
  embeddedDataDir?: string | 'memory';
  /** Web processes apply DATABASE_STATEMENT_TIMEOUT_MS. */
  statementTimeout?: boolean;
  /** Embedded on disk: the command and whether it must host the engine (createDatabase). */
  embedded?: DatabaseOptions['embedded'];
  /** An already open database (tests); otherwise one is opened from the configuration. */
  database?: Database;
  /** Registers extra job kinds (tests, plugins). */
  registerJobs?: (registry: JobRegistry) => void;
  /** Time source (tests); the system clock by default. */
  clock?: Clock;
  /** Where `startJobs` runs jobs (default in-process; the product's processes ask for threads). */
  jobRunner?: JobRunner;
  /** Modules exporting `registerJobs` whose kinds the job threads load (tests, plugins). */
  jobModules?: readonly string[];
  /** `locked_by` of the jobs this process's queue runs (job threads name theirs). */
  workerId?: string;
}

export async function createServices(config: Config, options: ServiceOptions): Promise<Services> {
  const { logger } = options;
  const database =
    options.database ??
    (await createDatabase(config, {
      ...(options.embeddedDataDir !== undefined && { embeddedDataDir: options.embeddedDataDir }),
      ...(options.statementTimeout !== undefined && { statementTimeout: options.statementTimeout }),
      ...(options.embedded && { embedded: options.embedded }),
    }));
  let redis: Redis | null = null;
  try {
    // Not `forBlocking`: sessions, rate limits and the cache share this connection, and with
    // unlimited retries every request hung while Redis was down (issue 13 item 9). BullMQ
    // workers take their own blocking duplicate (bullmq-queue.ts).
    redis = config.redisUrl ? await connectRedis(config.redisUrl) : null;
  } catch (error) {
    await database.close();
    throw error;
  }
  const requestStats = createRequestStats(redis, config.redisPrefix, logger.child({ logger: 'metrics' }));
  const observeCache = cacheObserver(requestStats);
  const cache: Cache = instrumentCache(
    redis ? new RedisCache(redis, config.redisPrefix) : new MemoryCache(),
    observeCache,
  );
  const sessions: SessionStore = instrumentSessionStore(
    redis ? new RedisSessionStore(redis, config.redisPrefix) : new DatabaseSessionStore(database.db),
    observeCache,
  );
  const rateLimits: RateLimitStore = redis
    ? new RedisRateLimitStore(redis, config.redisPrefix)
    : new MemoryRateLimitStore();
  const clock = options.clock ?? systemClock;
  const mailer = createMailer(config, logger.child({ logger: 'mail' }), { now: () => clock.now() });
  const registry = new JobRegistry();
  // Jobs that enqueue further jobs get the queue late-bound (it is created from the registry below).
  registerJobs(registry, {
    db: database.db,
    config,
    database,
    queue: { enqueue: (...args) => queue.enqueue(...args) },
    // Job threads build their own services (job-thread.ts), so each thread has its own mailer.
    mailer,
    clock,
    logger: logger.child({ logger: 'jobs' }),
  });
  options.registerJobs?.(registry);
  // Job threads register the modules' kinds themselves; in-process runs need them here too.
  const jobModules = options.jobModules ?? [];
  if (jobModules.length > 0) {
    for (const register of await loadJobModules(jobModules)) register(registry, { database, config });
  }
  const workerId = options.workerId !== undefined ? { workerId: options.workerId } : {};
  const queue: JobQueue = redis
    ? new BullmqJobQueue(database.db, registry, logger, redis, config.redisPrefix, workerId)
    : new DatabaseJobQueue(database.db, registry, logger, workerId);
  const jobRunner: JobRunner = options.jobRunner ?? 'in-process';
  if (jobRunner === 'threads' && database.pglite) {
    await database.close();
    throw new Error('job threads need a database they can reach (PostgreSQL or the embedded server)');
  }

  let scheduler: Scheduler | null = null;
  let threads: JobThreadPool | null = null;
  let closed = false;
  const stopJobs = async (graceMs: number): Promise<void> => {
    scheduler?.stop();
    await threads?.stop(graceMs);
    await queue.stopWorker(graceMs);
  };
  return {
    config,
    logger,
    database,
    cache,
    redis,
    sessions,
    rateLimits,
    requestStats,
    mailer,
    clock,
    registry,
    queue,
    jobRunner,
    get scheduler() {
      return scheduler;
    },
    async startJobs(startOptions = {}) {
      const concurrency = startOptions.concurrency ?? config.worker.concurrency;
      // The embedded database is served by the one process that runs jobs: anything still
      // "running" was cut off by a crash. Job threads start after this, never do it themselves.
      const recoverAll = startOptions.recoverAll ?? (database.kind === 'pglite' && !redis);
      if (recoverAll) {
        const recovered = await recoverAbandonedJobs(database.db, true);
        if (recovered > 0) logger.warn({ recovered }, 'requeued jobs abandoned by a stopped worker');
      }
      if (jobRunner === 'threads') {
        threads = new JobThreadPool({
          config,
          database,
          logger,
          queues: startOptions.queues ?? QUEUE_NAMES,
          size: concurrency,
          jobModules,
        });
        await threads.start();
        if (queue instanceof DatabaseJobQueue) queue.onEnqueue(() => threads?.wake());
      } else {
        await queue.startWorker({
          ...(startOptions.queues && { queues: startOptions.queues }),
          concurrency,
        });
      }
      if ((startOptions.scheduler ?? true) && config.scheduler.enabled) {
        scheduler = new Scheduler(queue, logger);
        scheduler.start(configuredSchedules(config, registry));
      }
    },
    wakeJobs() {
      threads?.wake();
      if (queue instanceof DatabaseJobQueue) queue.wake();
    },
    stopJobs,
    async close(graceMs = config.shutdownGraceMs) {
      if (closed) return;
      closed = true;
      await stopJobs(graceMs);
      await queue.close();
      await cache.close();
      await mailer.close();
      await database.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}
