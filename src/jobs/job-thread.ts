import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import { createDatabase, type EmbeddedConnection } from '../db/database.ts';
import { createLogger } from '../obs/logger.ts';
import { createErrorReporter, installErrorReporter } from '../obs/sentry.ts';
import { flushMetrics, forwardMetricsTo } from '../obs/thread-metrics.ts';
import { createServices, type Services } from '../services.ts';
import { loadJobModules } from './job-modules.ts';
import type { QueueName } from './types.ts';

/**
 * A job thread (src/jobs/job-threads.ts): its own database pool (PostgreSQL, or the embedded
 * server's socket), its own queue worker with one job at a time, and the product's job kinds.
 * Messages in: `wake` (a job was enqueued in this process), `stop` (with the grace in ms
 * before a running job is aborted and handed back). Out: `ready`, `error`, `stopped`, and
 * `metrics` batches: this thread's counts, applied by the parent to the registry it exposes.
 */

export interface JobThreadData {
  config: Config;
  /** The embedded server to join; null on PostgreSQL (DATABASE_URL is in the config). */
  embedded: EmbeddedConnection | null;
  queues: QueueName[];
  workerId: string;
  /** Modules whose `registerJobs(registry, deps)` adds job kinds (tests, plugins). */
  jobModules: string[];
  poolMax: number;
}

const data = workerData as JobThreadData;
const port = parentPort;
if (!port) throw new Error('job-thread.ts must run as a worker thread');

const logger = createLogger(data.config, 'payrixa.jobs');
// This thread's own module instances: job failures here report through this thread's reporter.
const reporter = installErrorReporter(createErrorReporter(data.config, { logger }));
// Before anything can count: this thread's registry is never scraped (thread-metrics.ts).
forwardMetricsTo((updates) => port.postMessage({ type: 'metrics', updates }));
let services: Services | null = null;
try {
  const database = await createDatabase(data.config, {
    ...(data.embedded && { embeddedServer: data.embedded }),
    poolMax: data.poolMax,
    applicationName: 'payrixa-jobs',
  });
  const modules = await loadJobModules(data.jobModules);
  services = await createServices(data.config, {
    logger,
    database,
    jobRunner: 'in-process',
    workerId: data.workerId,
    registerJobs: (registry) => {
      for (const register of modules) register(registry, { database, config: data.config });
    },
  });
  await services.startJobs({ queues: data.queues, concurrency: 1, scheduler: false, recoverAll: false });
  port.postMessage({ type: 'ready' });
} catch (error) {
  await services?.close(1_000).catch(() => {});
  port.postMessage({ type: 'error', message: describeError(error) });
  port.close();
}

port.on('message', async (message: { type: string; graceMs?: number }) => {
  if (message.type === 'wake') {
    services?.wakeJobs();
    return;
  }
  if (message.type !== 'stop') return;
  try {
    await services?.close(message.graceMs ?? 0);
    await reporter.flush(2_000);
    flushMetrics();
    port.postMessage({ type: 'stopped' });
  } catch (error) {
    port.postMessage({ type: 'error', message: describeError(error) });
  } finally {
    port.close();
  }
});
