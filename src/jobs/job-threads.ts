import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import { countJobsByState, handBackJobs } from '../db/repositories/jobs.repository.ts';
// The metrics job threads forward must exist here to be applied (their modules register them).
import '../obs/alert-metrics.ts';
import { applyMetricUpdates, isMetricsMessage } from '../obs/thread-metrics.ts';
import { workMetrics } from '../obs/work-metrics.ts';
import { spawnThread } from '../threads/spawn.ts';
import type { JobThreadData } from './job-thread.ts';
import type { QueueName } from './types.ts';

/**
 * Jobs run in worker threads, never on the thread that serves HTTP (docs/ARCHITECTURE.md
 * "Jobs off the web thread"). Each thread is a complete queue worker (its own pool, one job
 * at a time), so an upload's row pipeline or an analysis run uses another core and the web
 * event loop only ever waits on I/O.
 *
 * Stopping: every thread stops taking jobs; a running job gets `graceMs` to finish, then its
 * abort signal fires and the handler undoes its partial work and the job is handed back to the
 * queue (not counted as an attempt). A thread still busy `UNWIND_MS` later is terminated and
 * its jobs handed back from here — its open transaction died with its connection.
 */

const START_TIMEOUT_MS = 120_000;
/** Time a handler has to unwind after its abort signal before the thread is terminated. */
export const UNWIND_MS = 1_500;
/** Connections per job thread: one job at a time, plus its progress writes and heartbeat. */
const THREAD_POOL_MAX = 4;

export interface JobThreadPoolOptions {
  config: Config;
  database: Database;
  logger: Logger;
  queues: readonly QueueName[];
  /** Threads, i.e. jobs that run at once. */
  size: number;
  jobModules?: readonly string[];
}

interface JobThread {
  worker: Worker;
  workerId: string;
  stopped: Promise<void>;
}

export class JobThreadPool {
  private threads: JobThread[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: JobThreadPoolOptions) {}

  /** Starts the threads; resolves when every one is ready to take jobs. */
  async start(): Promise<void> {
    // The process that runs the jobs reports the queues (serve's main thread on the embedded
    // default, the primary of serve --workers, payrixa worker): one reporter per deployment
    // unit, so a cluster's aggregated scrape does not repeat the table's counts.
    const db = this.options.database.db;
    workMetrics.sampleQueuesFrom(() => countJobsByState(db));
    const started = await Promise.allSettled(
      Array.from({ length: this.options.size }, (_, index) => this.spawn(index)),
    );
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      await this.stop(0);
      throw (failure as PromiseRejectedResult).reason;
    }
  }

  get size(): number {
    return this.threads.length;
  }

  /** Tells idle threads that a job was enqueued (they would otherwise find it at their next poll). */
  wake(): void {
    for (const thread of this.threads) thread.worker.postMessage({ type: 'wake' });
  }

  private spawn(index: number): Promise<void> {
    const { config, database } = this.options;
    const workerId = `${hostname()}:${process.pid}:t${index}:${randomUUID().slice(0, 8)}`;
    const data: Omit<JobThreadData, 'config'> & { config: Config } = {
      config,
      embedded: database.embedded,
      queues: [...this.options.queues],
      workerId,
      jobModules: [...(this.options.jobModules ?? [])],
      poolMax: THREAD_POOL_MAX,
    };
    const worker = spawnThread(
      new URL('./job-thread.ts', import.meta.url),
      { ...data },
      `payrixa-jobs-${index}`,
    );
    const stopped = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Counts made in the thread (jobs, uploads, analyses, alerts) land in this process's registry.
    worker.on('message', (message: unknown) => {
      if (isMetricsMessage(message)) applyMetricUpdates(message.updates);
    });
    const thread: JobThread = { worker, workerId, stopped };
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error('a job thread did not start in time'));
      }, START_TIMEOUT_MS);
      const onMessage = (message: { type: string; message?: string }): void => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          this.threads.push(thread);
          worker.on('exit', (code) => this.lost(thread, index, code));
          resolve();
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`job thread failed to start: ${message.message}`));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** A thread that died on its own: hand its jobs back and start a replacement. */
  private lost(thread: JobThread, index: number, code: number): void {
    this.threads = this.threads.filter((t) => t !== thread);
    if (this.stopping) return;
    this.options.logger.error(
      { exit_code: code, worker_id: thread.workerId },
      'job thread exited; replacing it',
    );
    void handBackJobs(this.options.database.db, thread.workerId)
      .catch((error) => this.options.logger.warn({ err: describeError(error) }, 'could not hand back jobs'))
      .then(() => this.spawn(index))
      .catch((error) =>
        this.options.logger.error({ err: describeError(error) }, 'could not replace a job thread'),
      );
  }

  /**
   * Stops every thread: running jobs get `graceMs` to finish, then are aborted and handed
   * back. Resolves when every thread has exited (at most graceMs + UNWIND_MS + a little).
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      const threads = this.threads;
      for (const thread of threads) thread.worker.postMessage({ type: 'stop', graceMs });
      await Promise.all(
        threads.map(async (thread) => {
          let timer: NodeJS.Timeout | undefined;
          const overdue = new Promise<'overdue'>((resolve) => {
            timer = setTimeout(() => resolve('overdue'), graceMs + UNWIND_MS);
          });
          const outcome = await Promise.race([thread.stopped.then(() => 'stopped' as const), overdue]);
          clearTimeout(timer);
          if (outcome === 'overdue') {
            await thread.worker.terminate();
            const handedBack = await handBackJobs(this.options.database.db, thread.workerId).catch(() => 0);
            this.options.logger.warn(
              { worker_id: thread.workerId, handed_back: handedBack },
              'job thread did not stop in time; terminated it and handed its jobs back',
            );
          }
        }),
      );
      this.threads = [];
      workMetrics.sampleQueuesFrom(null);
    })();
    return this.stopping;
  }
}
