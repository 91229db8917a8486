import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import { migrations } from '../db/migrations/index.ts';
import { migrate } from '../db/migrator.ts';
import { type AppOptions, buildApp } from '../http/app.ts';
import type { JobRegistry } from '../jobs/registry.ts';
import type { Logger } from '../obs/logger.ts';
import { createServices, type Services } from '../services.ts';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  services: Services;
  /** Graceful stop: no new connections, in-flight requests and jobs finish (up to graceMs). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the web server. Without REDIS_URL this process also runs the job worker and
 * the scheduler (embedded mode: one process owns everything). Outside production,
 * pending migrations are applied first so a fresh clone just works.
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
  } = {},
): Promise<RunningServer> {
  const services = await createServices(config, {
    logger,
    statementTimeout: true,
    ...(options.registerJobs && { registerJobs: options.registerJobs }),
  });
  try {
    if (options.autoMigrate ?? !config.isProduction) {
      await migrate(services.database, migrations, { log: (line) => logger.info(line) });
    }
    await options.beforeListen?.(services);
    const app = await buildApp(services, options.appOptions);
    const bind = config.bind;
    const url =
      bind.kind === 'unix'
        ? await app.listen({ path: bind.path })
        : await app.listen({ host: bind.host, port: bind.port });
    const runJobs = options.runJobs ?? !config.redisUrl;
    if (runJobs) await services.startJobs();

    let stopping: Promise<void> | null = null;
    const stop = (graceMs = 30_000): Promise<void> => {
      stopping ??= (async () => {
        const timer = setTimeout(() => {
          logger.warn('requests still running after the grace period; closing connections');
          app.server.closeAllConnections();
        }, graceMs);
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
        }
        await services.close(graceMs);
      })();
      return stopping;
    };
    return {
      url: bind.kind === 'unix' ? `unix:${bind.path}` : publicUrl(url, bind.host, bind.port),
      app,
      services,
      stop,
    };
  } catch (error) {
    await services.close(1_000).catch(() => {});
    throw error;
  }
}

function publicUrl(listening: string, host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://localhost:${port}`;
  return listening || `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Stops `server` on SIGTERM/SIGINT and resolves when it has stopped. A second signal
 * forces the exit.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        logger.warn(`${signal} received again; exiting now`);
        process.exit(1);
      }
      received = true;
      logger.info(`${signal} received; shutting down gracefully`);
      stop()
        .catch((error) => logger.error({ err: describeError(error) }, 'error during shutdown'))
        .finally(() => {
          logger.info('shutdown complete');
          resolve();
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
