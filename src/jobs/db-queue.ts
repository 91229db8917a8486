import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../config/errors.ts';
import { claimNextJob, recoverAbandonedJobs } from '../db/repositories/jobs.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import type { WorkMetrics } from '../obs/work-metrics.ts';
import { executeJob, LEASE_MS, recordJob } from './executor.ts';
import type { JobRegistry } from './registry.ts';
import {
  type EnqueueOptions,
  type EnqueueResult,
  type JobQueue,
  QUEUE_NAMES,
  type QueueName,
} from './types.ts';

const IDLE_POLL_MS = 500;
const RECOVERY_INTERVAL_MS = 30_000;

/**
 * The database-table queue (no Redis): jobs are rows of `jobs`, claimed with
 * `FOR UPDATE SKIP LOCKED`. Workers in other processes on the same PostgreSQL share the
 * table safely; in-process enqueues wake the local workers at once instead of waiting
 * for the next poll.
 */
export class DatabaseJobQueue implements JobQueue {
  readonly kind = 'database' as const;
  /** Recorded as `locked_by` of the jobs this queue's workers run. */
  readonly workerId: string;
  private running = false;
  private loops: Promise<void>[] = [];
  /** Idle loops waiting for their next poll; an enqueue wakes them all. */
  private readonly sleepers = new Set<() => void>();
  private recoveryTimer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private readonly enqueueListeners: Array<() => void> = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly registry: JobRegistry,
    private readonly logger: Logger,
    private readonly options: {
      exclusive?: boolean;
      pollMs?: number;
      workerId?: string;
      /** Where job attempts are counted (default the process's work metrics). */
      metrics?: WorkMetrics;
    } = {},
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  async enqueue<P extends JsonObject>(
    kind: string,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const { job, created } = await recordJob(this.db, this.registry, kind, payload, options);
    this.wake();
    for (const listener of this.enqueueListeners) listener();
    return { id: job.id, created };
  }

  /** Runs `listener` after every enqueue (the job threads of this process are woken). */
  onEnqueue(listener: () => void): void {
    this.enqueueListeners.push(listener);
  }

  /** Wakes idle workers at once (a job was enqueued elsewhere in the process). */
  wake(): void {
    this.wakeAll();
  }

  async startWorker(options: { queues?: readonly QueueName[]; concurrency?: number } = {}): Promise<void> {
    if (this.running) return;
    this.running = true;
    const queues = options.queues ?? QUEUE_NAMES;
    // The embedded single process owns every job: anything "running" was cut off by a
    // crash or restart. Elsewhere only expired leases are taken back.
    const recovered = await recoverAbandonedJobs(this.db, this.options.exclusive ?? false);
    if (recovered > 0) this.logger.warn({ recovered }, 'requeued jobs abandoned by a stopped worker');
    this.recoveryTimer = setInterval(() => {
      recoverAbandonedJobs(this.db).catch((error) =>
        this.logger.warn({ err: describeError(error) }, 'job lease recovery failed'),
      );
    }, RECOVERY_INTERVAL_MS);
    this.recoveryTimer.unref();
    const concurrency = options.concurrency ?? 2;
    for (let slot = 0; slot < concurrency; slot++) this.loops.push(this.loop(queues));
  }

  private async loop(queues: readonly QueueName[]): Promise<void> {
    while (this.running) {
      let claimed = false;
      try {
        const job = await claimNextJob(this.db, queues, this.workerId, LEASE_MS);
        if (job) {
          claimed = true;
          await executeJob(
            this.db,
            this.registry,
            job,
            this.workerId,
            this.logger,
            this.abort.signal,
            this.options.metrics,
          );
        }
      } catch (error) {
        if (!this.running) break;
        this.logger.error({ err: describeError(error) }, 'job runner error');
      }
      if (!claimed && this.running) await this.sleep(this.options.pollMs ?? IDLE_POLL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  async stopWorker(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeAll();
    if (this.recoveryTimer) clearInterval(this.recoveryTimer);
    const grace = setTimeout(() => this.abort.abort(new Error('worker stopping')), graceMs);
    try {
      await Promise.all(this.loops);
    } finally {
      clearTimeout(grace);
      this.loops = [];
    }
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    await this.stopWorker();
  }
}
