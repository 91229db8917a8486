import cluster from 'node:cluster';
import { type Config, parseBind } from '../../config/env.ts';
import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { migrations } from '../../db/migrations/index.ts';
import { migrate } from '../../db/migrator.ts';
import { DatabaseJobQueue } from '../../jobs/db-queue.ts';
import { aggregateClusterMetrics, useClusterMetricsInWorker } from '../../obs/cluster-metrics.ts';
import { createLogger, type Logger } from '../../obs/logger.ts';
import { startRuntimeMetrics, trackDatabasePool } from '../../obs/metrics.ts';
import { createErrorReporter, installErrorReporter, reportProcessCrashes } from '../../obs/sentry.ts';
import { createServices } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { shutdownBudget, startServer, stopOnSignals } from '../serve.ts';
import { refuseInsecureProduction } from './startup.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Start the web server (embedded mode also runs jobs and schedules)',
  usage: `Usage: payrixa serve [--bind <host:port|unix:path>] [--workers <n>]

Starts the web portal and API on BIND (default 127.0.0.1:8000, or 127.0.0.1:$PORT).
Without REDIS_URL the same process runs background jobs (in worker threads) and the
scheduler; on the embedded default it also serves the embedded database to the other
payrixa commands. SIGTERM/SIGINT stop gracefully within SHUTDOWN_GRACE_SECONDS (10):
no new requests, in-flight requests and jobs finish or jobs are handed back to the
queue; a second signal exits at once.

Options:
  --bind <addr>    listen address, overrides BIND/PORT
  --workers <n>    web worker processes (needs DATABASE_URL; default WEB_CONCURRENCY)`,
  async run(args, context) {
    const { values } = parseFlags('serve', args, {
      bind: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, serveCommand.usage);
      return 0;
    }
    const config = context.config();
    if (values.bind !== undefined) {
      const bind = parseBind(values.bind);
      if (!bind) throw new UsageError(`--bind: '${values.bind}' is not host:port or unix:<path>.`);
      config.bind = bind;
    }
    let workers = config.databaseUrl ? config.webConcurrency : 1;
    if (values.workers !== undefined) {
      if (!/^\d+$/.test(values.workers) || Number(values.workers) < 1) {
        throw new UsageError(`--workers: '${values.workers}' is not a positive whole number.`);
      }
      workers = Number(values.workers);
      if (workers > 1 && !config.databaseUrl) {
        throw new AppError(
          'embedded_single_process',
          'The embedded database supports a single process; set DATABASE_URL to run several workers.',
        );
      }
    }
    // When started without --workers in development, one process is friendlier to debug.
    if (values.workers === undefined && !config.isProduction) workers = 1;

    if (cluster.isPrimary && config.isProduction) {
      const database = await createDatabase(config, { embedded: { role: 'serve', host: 'require' } });
      try {
        if (await refuseInsecureProduction(config, context.io, { database, migrations: true })) return 1;
      } finally {
        await database.close();
      }
    }
    if (workers > 1 && cluster.isPrimary) {
      const primaryLogger = createLogger(config, 'payrixa.primary');
      const reporter = installErrorReporter(createErrorReporter(config, { logger: primaryLogger }));
      reportProcessCrashes(reporter, primaryLogger);
      const code = await runPrimary(config, workers, context.io.stdout, primaryLogger);
      await reporter.flush(ERROR_FLUSH_MS);
      return code;
    }

    const logger = createLogger(config, 'payrixa');
    // A scrape of any web worker answers for the whole cluster (web-api-ops §5.2).
    if (cluster.isWorker) useClusterMetricsInWorker();
    const reporter = installErrorReporter(createErrorReporter(config, { logger }));
    reportProcessCrashes(reporter, logger);
    const server = await startServer(config, logger, { clusterWorker: cluster.isWorker });
    if (cluster.isWorker) {
      // Jobs run in the primary's threads: tell it at once when this worker enqueued one.
      const queue = server.services.queue;
      if (queue instanceof DatabaseJobQueue) queue.onEnqueue(() => process.send?.({ type: WAKE_JOBS }));
    }
    if (cluster.isPrimary) {
      println(context.io.stdout, `Payrixa ${config.version} is running at ${server.url}`);
      println(context.io.stdout, `Database: ${server.services.database.description}`);
      println(context.io.stdout, 'Press Ctrl+C to stop.');
    }
    await stopOnSignals(() => server.stop(), logger, config.shutdownGraceMs);
    // Errors reported during the shutdown itself are sent before the process ends.
    await reporter.flush(ERROR_FLUSH_MS);
    // A web worker's IPC channel to the primary would keep it alive after the stop.
    if (cluster.isWorker) cluster.worker?.disconnect();
    return 0;
  },
};

/** How long a stopping process waits for error reports still being sent. */
const ERROR_FLUSH_MS = 2_000;

/** Message of a web worker to the primary: a job was enqueued. */
const WAKE_JOBS = 'payrixa:wake-jobs';

/**
 * Primary of `serve --workers N`: runs the jobs (worker threads) and the scheduler when there
 * is no Redis, forks the web workers, replaces crashed ones, and on SIGTERM/SIGINT stops them
 * all within SHUTDOWN_GRACE_SECONDS (a second signal, or the deadline, kills what is left).
 */
async function runPrimary(
  config: Config,
  workers: number,
  stdout: NodeJS.WritableStream,
  logger: Logger,
): Promise<number> {
  const runJobs = !config.redisUrl;
  const services = await createServices(config, {
    logger,
    embedded: { role: 'serve', host: 'require' },
    jobRunner: 'threads',
  });
  try {
    if (!config.isProduction) {
      await migrate(services.database, migrations, { log: (line) => logger.info(line) });
    }
    if (runJobs) await services.startJobs();
  } catch (error) {
    await services.close(0).catch(() => {});
    throw error;
  }
  // The primary's own registry (runtime, pool, build) joins its web workers' in every scrape.
  startRuntimeMetrics(config.version);
  trackDatabasePool(() => services.database.poolStats());
  aggregateClusterMetrics((pids) =>
    logger.warn({ workers: pids }, 'web workers did not answer the metrics collection; scrape without them'),
  );
  for (let index = 0; index < workers; index++) cluster.fork();
  stdout.write(`Payrixa primary ${process.pid} started ${workers} web workers.\n`);
  let stopping = false;
  cluster.on('message', (_worker, message: { type?: string }) => {
    if (message?.type === WAKE_JOBS) services.wakeJobs();
  });
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      stdout.write(`Web worker ${worker.process.pid} exited (${code}); starting a replacement.\n`);
      cluster.fork();
    }
  });
  const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
  const killWorkers = (): void => {
    for (const worker of liveWorkers()) worker.process.kill('SIGKILL');
  };
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        stdout.write(`${signal} received again; exiting now.\n`);
        killWorkers();
        process.exit(1);
      }
      stopping = true;
      const grace = config.shutdownGraceMs;
      const deadline = setTimeout(() => {
        stdout.write(`Shutdown did not finish within ${grace} ms; exiting now.\n`);
        killWorkers();
        process.exit(1);
      }, grace);
      deadline.unref();
      for (const worker of liveWorkers()) worker.process.kill('SIGTERM');
      const workersGone = new Promise<void>((done) => {
        const check = setInterval(() => {
          if (liveWorkers().length === 0) {
            clearInterval(check);
            done();
          }
        }, 50);
      });
      // Web workers and job threads wind down side by side; the database closes after both.
      void Promise.allSettled([workersGone, services.stopJobs(shutdownBudget(grace).jobsMs)])
        .then(() => services.close(0))
        .catch((error) => logger.error({ err: String(error) }, 'error during shutdown'))
        .finally(() => {
          clearTimeout(deadline);
          stdout.write('Shutdown complete.\n');
          resolve();
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}
