import type { Logger } from 'pino';
import type { JobRecord } from '../db/repositories/jobs.repository.ts';
import type { JsonObject } from '../db/schema.ts';

/** The queues of web-api-ops §5.2; each job kind belongs to one. */
export const QUEUE_NAMES = ['ingest', 'analysis', 'alerts', 'webhooks', 'reports', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobContext<P extends JsonObject> {
  job: JobRecord;
  payload: P;
  /** 1-based number of this attempt. */
  attempt: number;
  /** Records progress (rows done / total); writes are coalesced. */
  progress(done: number, total: number | null): Promise<void>;
  /** Aborted when the worker is stopping and the grace period ran out. */
  signal: AbortSignal;
  logger: Logger;
}

export interface JobDefinition<P extends JsonObject = JsonObject> {
  kind: string;
  queue: QueueName;
  /** Attempts in total, first run included (default 3). */
  maxAttempts?: number;
  /** Delay before the first retry; doubled for each further one (default 10 s). */
  backoffMs?: number;
  handler(context: JobContext<P>): Promise<JsonObject | undefined>;
}

/** Thrown by a handler for a failure that retrying cannot fix (bad input). */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface EnqueueOptions {
  customerId?: number | null;
  /** Enqueue at most once ever (e.g. `schedule:driftwatch:2026-11-23T06:00Z`). */
  uniqueKey?: string;
  /** At most one queued job with this key; enqueuing again reschedules it (debounce). */
  singletonKey?: string;
  delayMs?: number;
  runAt?: Date;
  requestId?: string | null;
}

export interface EnqueueResult {
  id: number;
  created: boolean;
}

/** The queue port: a database-table runner (embedded) or BullMQ (with Redis). */
export interface JobQueue {
  readonly kind: 'database' | 'bullmq';
  enqueue<P extends JsonObject>(kind: string, payload: P, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** Starts processing the given queues (all when omitted). */
  startWorker(options?: { queues?: readonly QueueName[]; concurrency?: number }): Promise<void>;
  /** Stops taking jobs and waits for running ones (up to `graceMs`, then aborts them). */
  stopWorker(graceMs?: number): Promise<void>;
  /** Checks the queue backend (Redis ping for BullMQ). */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
