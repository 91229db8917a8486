import { AppError, UsageError } from '../../config/errors.ts';
import { QUEUE_NAMES, type QueueName } from '../../jobs/types.ts';
import { createLogger } from '../../obs/logger.ts';
import { startRuntimeMetrics, trackDatabasePool } from '../../obs/metrics.ts';
import { createErrorReporter, installErrorReporter, reportProcessCrashes } from '../../obs/sentry.ts';
import { startWorkerMetricsServer, type WorkerMetricsServer } from '../../obs/worker-metrics-server.ts';
import { createServices } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { shutdownBudget, stopOnSignals } from '../serve.ts';
import { refuseInsecureProduction } from './startup.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run background jobs and schedules (requires REDIS_URL)',
  usage: `Usage: payrixa worker [--concurrency <n>] [--queues <list>] [--no-scheduler]

Runs queued jobs (BullMQ on Redis) in worker threads, and the cron schedules. Without
REDIS_URL there is no separate worker: jobs run in threads of 'payrixa serve'. SIGTERM/
SIGINT stop within SHUTDOWN_GRACE_SECONDS: running jobs finish or are handed back.
Prometheus metrics of its jobs: http://127.0.0.1:<WORKER_METRICS_PORT>/metrics (9808;
Authorization: Bearer <METRICS_TOKEN> when set).

Options:
  --concurrency <n>   job threads (default WORKER_CONCURRENCY, 2); each takes one job per queue at a time
  --queues <list>     comma-separated subset of: ${QUEUE_NAMES.join(', ')}
  --no-scheduler      do not run cron schedules in this process`,
  async run(args, context) {
    const { values } = parseFlags('worker', args, {
      concurrency: { type: 'string' },
      queues: { type: 'string' },
      'no-scheduler': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, workerCommand.usage);
      return 0;
    }
    const config = context.config();
    if (!config.redisUrl) {
      throw new AppError(
        'worker_needs_redis',
        'payrixa worker requires REDIS_URL; without it, jobs run inside payrixa serve.',
      );
    }
    let concurrency = config.worker.concurrency;
    if (values.concurrency !== undefined) {
      if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1) {
        throw new UsageError(`--concurrency: '${values.concurrency}' is not a positive whole number.`);
      }
      concurrency = Number(values.concurrency);
    }
    let queues: QueueName[] = [...QUEUE_NAMES];
    if (values.queues !== undefined) {
      const wanted = values.queues
        .split(',')
        .map((q) => q.trim())
        .filter(Boolean);
      const unknown = wanted.filter((q) => !(QUEUE_NAMES as readonly string[]).includes(q));
      if (unknown.length > 0 || wanted.length === 0) {
        throw new UsageError(
          `--queues: unknown queue '${unknown[0] ?? ''}'. Queues: ${QUEUE_NAMES.join(', ')}.`,
        );
      }
      queues = wanted as QueueName[];
    }
    const logger = createLogger(config, 'payrixa.worker');
    const reporter = installErrorReporter(createErrorReporter(config, { logger }));
    reportProcessCrashes(reporter, logger);
    const services = await createServices(config, { logger, jobRunner: 'threads' });
    let metricsServer: WorkerMetricsServer | null = null;
    try {
      if (
        await refuseInsecureProduction(config, context.io, { database: services.database, migrations: true })
      ) {
        await services.close();
        return 1;
      }
      await services.startJobs({ queues, concurrency, scheduler: !values['no-scheduler'] });
      // Runtime, pool and build metrics beside the job metrics on the worker's own /metrics.
      startRuntimeMetrics(config.version);
      trackDatabasePool(() => services.database.poolStats());
      metricsServer = await startWorkerMetricsServer(config, logger);
      logger.info({ queues, concurrency, metrics_port: metricsServer?.port ?? null }, 'worker started');
    } catch (error) {
      await services.close(0);
      throw error;
    }
    // Running jobs get most of the grace period, then are aborted and handed back to the queue.
    // The metrics listener stays up until they are done, so a last scrape still sees them.
    const graceMs = config.shutdownGraceMs;
    await stopOnSignals(
      () => services.close(shutdownBudget(graceMs).jobsMs).finally(() => metricsServer?.close()),
      logger,
      graceMs,
    );
    // Errors reported while stopping (a job failing on its way out) are sent before exiting.
    await reporter.flush(2_000);
    return 0;
  },
};
