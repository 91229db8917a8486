import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import { migrations } from '../db/migrations/index.ts';
import { migrate } from '../db/migrator.ts';
import { type AppOptions, buildApp } from '../http/app.ts';
import { UNWIND_MS } from '../jobs/job-threads.ts';
import type { JobRegistry } from '../jobs/registry.ts';
import type { Logger } from '../obs/logger.ts';
import { createServices, type JobRunner, type Services } from '../services.ts';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  services: Services;
  /** Resolves when the job threads run (at once when this process runs no jobs). */
  jobsStarted: Promise<void>;
  /**
   * Graceful stop within `graceMs` (default SHUTDOWN_GRACE_SECONDS): no new connections;
   * in-flight requests and jobs get most of it; jobs still running are then aborted and
   * handed back to the queue; the database closes last.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Part of the grace period kept for closing the database after requests and jobs. */
const CLOSE_RESERVE_MS = 2_000;

/**
 * How a grace period is spent: requests may run for `requestsMs` before their connections
 * are cut; jobs for `jobsMs` before they are aborted (then UNWIND_MS to hand back); what is
 * left closes the database.
 */
export function shutdownBudget(graceMs: number): { requestsMs: number; jobsMs: number } {
  const jobsMs = Math.max(graceMs - UNWIND_MS - CLOSE_RESERVE_MS, Math.floor(graceMs / 3));
  return { requestsMs: jobsMs, jobsMs };
}

/**
 * Starts the web server. Without REDIS_URL this process also runs the jobs — in worker
 * threads, never on the web thread — and the scheduler. On the embedded default it hosts
 * embedded PostgreSQL (its own thread, a local socket the CLI can use beside it). Outside
 * production, pending migrations are applied first so a fresh clone just works.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  options: {
    runJobs?: boolean;
    autoMigrate?: boolean;
    /** Extra routes and job kinds (tests). */
    appOptions?: AppOptions;
    /** Work on the migrated database before the server listens (demo data). */
    beforeListen?: (services: Services) => Promise<void>;
    registerJobs?: (registry: JobRegistry) => void;
    /** Where jobs run (default: worker threads; tests with closure job kinds: in-process). */
    jobRunner?: JobRunner;
    /** Modules with extra job kinds for the job threads (tests). */
    jobModules?: readonly string[];
    /** The command, recorded as the embedded database's host (default `serve`). */
    role?: string;
    /** A web worker of `serve --workers N`: joins the primary's database, runs no jobs. */
    clusterWorker?: boolean;
  } = {},
): Promise<RunningServer> {
  const services = await createServices(config, {
    logger,
    statementTimeout: true,
    embedded: {
      role: options.role ?? 'serve',
      host: options.clusterWorker ? 'join' : 'require',
    },
    jobRunner: options.jobRunner ?? 'threads',
    ...(options.jobModules && { jobModules: options.jobModules }),
    ...(options.registerJobs && { registerJobs: options.registerJobs }),
  });
  try {
    // A web worker of a cluster neither migrates nor runs jobs: its primary does both.
    if (!options.clusterWorker && (options.autoMigrate ?? !config.isProduction)) {
      await migrate(services.database, migrations, { log: (line) => logger.info(line) });
    }
    await options.beforeListen?.(services);
    const app = await buildApp(services, options.appOptions);
    const bind = config.bind;
    const url =
      bind.kind === 'unix'
        ? await app.listen({ path: bind.path })
        : await app.listen({ host: bind.host, port: bind.port });
    const runJobs = !options.clusterWorker && (options.runJobs ?? !config.redisUrl);
    // The job threads start in the background: HTTP is served meanwhile, and queued jobs
    // simply wait for them. A failure to start them is logged loudly.
    const jobsStarted = runJobs
      ? services.startJobs().catch((error) => {
          logger.error({ err: describeError(error) }, 'could not start the job threads; jobs will not run');
        })
      : Promise.resolve();

    let stopping: Promise<void> | null = null;
    const stop = (graceMs = config.shutdownGraceMs): Promise<void> => {
      stopping ??= (async () => {
        const budget = shutdownBudget(graceMs);
        const timer = setTimeout(() => {
          logger.warn('requests still running after the grace period; closing connections');
          app.server.closeAllConnections();
        }, budget.requestsMs);
        // Requests and jobs wind down side by side; the database closes after both.
        const requestsDone = app.close().finally(() => clearTimeout(timer));
        const jobsDone = jobsStarted.then(() => services.stopJobs(budget.jobsMs));
        await Promise.allSettled([requestsDone, jobsDone]);
        await services.close(0);
        await requestsDone;
      })();
      return stopping;
    };
    return {
      url: bind.kind === 'unix' ? `unix:${bind.path}` : publicUrl(url, bind.host, bind.port),
      app,
      services,
      jobsStarted,
      stop,
    };
  } catch (error) {
    await services.close(0).catch(() => {});
    throw error;
  }
}

function publicUrl(listening: string, host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://localhost:${port}`;
  return listening || `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Stops the process on SIGTERM/SIGINT and resolves when it has stopped. A second signal
 * exits at once; so does a stop still running `deadlineMs` after the first signal (a
 * stuck shutdown must not keep a process alive that a supervisor believes gone).
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        logger.warn(`${signal} received again; exiting now`);
        process.exit(1);
      }
      received = true;
      logger.info(`${signal} received; shutting down gracefully`);
      const watchdog = setTimeout(() => {
        logger.error(`shutdown did not finish within ${deadlineMs} ms; exiting now`);
        process.exit(1);
      }, deadlineMs);
      watchdog.unref();
      stop()
        .catch((error) => logger.error({ err: describeError(error) }, 'error during shutdown'))
        .finally(() => {
          clearTimeout(watchdog);
          logger.info('shutdown complete');
          resolve();
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
