import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Job as BullJob, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../config/errors.ts';
import { withTimeout } from '../db/database.ts';
import { claimJobById, findJob, recoverAbandonedJobs } from '../db/repositories/jobs.repository.ts';
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

const SWEEP_INTERVAL_MS = 30_000;

interface Delivery {
  id: number;
}

/**
 * BullMQ adapter (Redis). The `jobs` table stays the record of every job (status,
 * attempts, progress, result); BullMQ only delivers "job N is due" messages. A delivery
 * claims its record atomically (`status = 'queued' AND run_at <= now()`), so duplicate
 * or early deliveries are harmless and every job runs once per attempt. Retries are
 * decided by the shared executor and re-delivered with a delay.
 */
export class BullmqJobQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  /** Recorded as `locked_by` of the jobs this queue's workers run. */
  readonly workerId: string;
  private readonly queues = new Map<QueueName, Queue<Delivery>>();
  private workers: Worker<Delivery>[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly registry: JobRegistry,
    private readonly logger: Logger,
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly options: { workerId?: string; metrics?: WorkMetrics } = {},
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  private queue(name: QueueName): Queue<Delivery> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<Delivery>(name, {
        connection: this.connection,
        prefix: `${this.prefix}:bull`,
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
      });
      queue.on('error', (error) => this.logger.warn({ err: describeError(error) }, 'BullMQ queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private async deliver(
    queueName: QueueName,
    kind: string,
    id: number,
    runAt: Date,
    tag: string,
  ): Promise<void> {
    const delay = Math.max(0, runAt.getTime() - Date.now());
    await this.queue(queueName).add(kind, { id }, { jobId: `${id}-${tag}`, delay });
  }

  async enqueue<P extends JsonObject>(
    kind: string,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const { job, created } = await recordJob(this.db, this.registry, kind, payload, options);
    // A new job, or a debounced one whose time moved: deliver at its (new) time. A
    // duplicate of a unique key needs nothing.
    if (created || (job.status === 'queued' && options.singletonKey)) {
      try {
        await this.deliver(
          job.queue as QueueName,
          kind,
          job.id,
          job.run_at,
          created ? 'new' : `d${Date.now()}`,
        );
      } catch (error) {
        // The record is safe in the database; the sweeper delivers it when Redis is back.
        this.logger.warn(
          { err: describeError(error), job_id: job.id },
          'could not hand job to Redis; will retry',
        );
      }
    }
    return { id: job.id, created };
  }

  async startWorker(options: { queues?: readonly QueueName[]; concurrency?: number } = {}): Promise<void> {
    if (this.workers.length > 0) return;
    const queues = options.queues ?? QUEUE_NAMES;
    for (const name of queues) {
      const worker = new Worker<Delivery>(name, (delivery) => this.process(delivery), {
        connection: this.connection.duplicate({ maxRetriesPerRequest: null }),
        prefix: `${this.prefix}:bull`,
        concurrency: options.concurrency ?? 2,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
      });
      worker.on('error', (error) => this.logger.warn({ err: describeError(error) }, 'BullMQ worker error'));
      this.workers.push(worker);
    }
    await this.sweep(queues);
    this.sweepTimer = setInterval(() => {
      this.sweep(queues).catch((error) =>
        this.logger.warn({ err: describeError(error) }, 'job sweep failed'),
      );
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  private async process(delivery: BullJob<Delivery>): Promise<void> {
    const job = await claimJobById(this.db, delivery.data.id, this.workerId, LEASE_MS);
    if (!job) {
      // Already taken or finished: nothing to do. Still queued but not yet due (debounced
      // later, or clocks differ slightly): deliver again at its time.
      const record = await findJob(this.db, delivery.data.id);
      if (record?.status === 'queued' && record.run_at.getTime() > Date.now()) {
        await this.deliver(
          record.queue as QueueName,
          record.kind,
          record.id,
          record.run_at,
          `r${record.run_at.getTime()}`,
        );
      }
      return;
    }
    const outcome = await executeJob(
      this.db,
      this.registry,
      job,
      this.workerId,
      this.logger,
      this.abort.signal,
      this.options.metrics,
    );
    if (outcome.status === 'handed_back') {
      // Interrupted by a shutdown: due again at once, for whichever worker runs next.
      await this.deliver(job.queue as QueueName, job.kind, job.id, new Date(), `h${Date.now()}`);
    } else if (outcome.status === 'queued' && outcome.runAt) {
      await this.deliver(job.queue as QueueName, job.kind, job.id, outcome.runAt, `a${job.attempts}`);
    }
  }

  /**
   * Takes back jobs whose worker died (expired lease) and re-delivers queued jobs that
   * are overdue — e.g. enqueued while Redis was unreachable.
   */
  private async sweep(queues: readonly QueueName[]): Promise<void> {
    await recoverAbandonedJobs(this.db);
    const overdue = await sql<{ id: number; queue: QueueName; kind: string; run_at: Date }>`
      SELECT id, queue, kind, run_at FROM jobs
       WHERE status = 'queued' AND queue IN (${sql.join(queues)})
         AND run_at < now() - interval '30 seconds'
       ORDER BY run_at LIMIT 500`.execute(this.db);
    for (const row of overdue.rows) {
      await this.deliver(row.queue, row.kind, row.id, row.run_at, `s${Date.now()}`);
    }
  }

  async stopWorker(graceMs = 30_000): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    const workers = this.workers;
    this.workers = [];
    const grace = setTimeout(() => this.abort.abort(new Error('worker stopping')), graceMs);
    try {
      await Promise.all(
        workers.map(async (worker) => {
          await worker.close();
          await worker.disconnect();
        }),
      );
    } finally {
      clearTimeout(grace);
    }
  }

  async ping(timeoutMs = 2_000): Promise<void> {
    await withTimeout(this.connection.ping(), timeoutMs);
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
