import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { describeError } from '../config/errors.ts';
import {
  extendLease,
  handBackJobs,
  type InsertJobResult,
  insertJob,
  type JobRecord,
  markAttemptFailed,
  markSucceeded,
  recordProgress,
} from '../db/repositories/jobs.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import { errorReporter } from '../obs/sentry.ts';
import { flushMetrics } from '../obs/thread-metrics.ts';
import { type WorkMetrics, workMetrics } from '../obs/work-metrics.ts';
import type { JobRegistry } from './registry.ts';
import { type EnqueueOptions, PermanentJobError } from './types.ts';

export const LEASE_MS = 60_000;
const PROGRESS_WRITE_INTERVAL_MS = 250;

/**
 * Writes the job record for an enqueue, with the kind's queue and retry policy and the
 * caller's de-duplication keys. Both adapters enqueue through this.
 */
export function recordJob(
  db: Kysely<DB>,
  registry: JobRegistry,
  kind: string,
  payload: JsonObject,
  options: EnqueueOptions,
): Promise<InsertJobResult> {
  const definition = registry.require(kind);
  return insertJob(db, {
    queue: definition.queue,
    kind,
    payload,
    customerId: options.customerId ?? null,
    uniqueKey: options.uniqueKey ?? null,
    singletonKey: options.singletonKey ?? null,
    runAt: options.runAt ?? new Date(Date.now() + (options.delayMs ?? 0)),
    maxAttempts: definition.maxAttempts ?? 3,
    backoffMs: definition.backoffMs ?? 10_000,
    requestId: options.requestId ?? null,
  });
}

export interface ExecutionOutcome {
  /** `handed_back`: interrupted by a shutdown and queued again without using an attempt. */
  status: 'succeeded' | 'queued' | 'failed' | 'handed_back';
  runAt: Date | null;
}

/**
 * Runs one claimed job: calls its handler with a progress reporter, keeps the lease
 * alive while it runs, and records success, a retry with backoff, or final failure.
 * Shared by both queue adapters so retries behave the same everywhere.
 */
export async function executeJob(
  db: Kysely<DB>,
  registry: JobRegistry,
  job: JobRecord,
  workerId: string,
  logger: Logger,
  signal: AbortSignal,
  metrics: WorkMetrics = workMetrics,
): Promise<ExecutionOutcome> {
  const jobLogger = logger.child({
    job_id: job.id,
    job_kind: job.kind,
    request_id: job.request_id ?? undefined,
  });
  const definition = registry.get(job.kind);
  if (!definition) {
    const outcome = await markAttemptFailed(db, job, `unknown job kind ${job.kind}`, false);
    jobLogger.error('job has an unknown kind; marked failed');
    // `kind` stays a closed label set: a kind this process does not know is not a label value.
    metrics.jobFinished(job.queue, 'unknown', 'failed', 0);
    flushMetrics();
    return outcome;
  }

  const heartbeat = setInterval(() => {
    extendLease(db, job.id, workerId, LEASE_MS).catch((error) =>
      jobLogger.warn({ err: describeError(error) }, 'could not extend job lease'),
    );
  }, LEASE_MS / 3);
  heartbeat.unref();

  let lastProgressWrite = 0;
  const progress = async (done: number, total: number | null): Promise<void> => {
    const now = Date.now();
    if (now - lastProgressWrite < PROGRESS_WRITE_INTERVAL_MS && done !== total) return;
    lastProgressWrite = now;
    await recordProgress(db, job.id, done, total);
  };

  const started = performance.now();
  try {
    const result = await definition.handler({
      job,
      payload: job.payload,
      attempt: job.attempts,
      progress,
      signal,
      logger: jobLogger,
    });
    await markSucceeded(db, job.id, (result ?? null) as JsonObject | null);
    const elapsedMs = performance.now() - started;
    jobLogger.info({ duration_ms: Math.round(elapsedMs) }, 'job succeeded');
    metrics.jobFinished(definition.queue, job.kind, 'succeeded', elapsedMs / 1000);
    return { status: 'succeeded', runAt: null };
  } catch (error) {
    const message = describeError(error);
    if (signal.aborted) {
      // The worker is stopping and cut this job short: it did not fail, it was interrupted.
      // The handler undid its partial work (one transaction, or its own clean-up); run it
      // again after the restart without counting this attempt.
      await handBackJobs(db, workerId, job.id);
      jobLogger.warn({ err: message, attempt: job.attempts }, 'job interrupted by shutdown; handed back');
      return { status: 'handed_back', runAt: null };
    }
    // The job failed (this attempt; retried or final): recorded, counted, logged.
    const retryable = !(error instanceof PermanentJobError);
    const outcome = await markAttemptFailed(db, job, message, retryable);
    metrics.jobFinished(definition.queue, job.kind, 'failed', (performance.now() - started) / 1000);
    if (outcome.status === 'queued') {
      jobLogger.warn(
        { err: message, attempt: job.attempts, retry_at: outcome.runAt },
        'job failed; will retry',
      );
    } else {
      jobLogger.error({ err: message, attempt: job.attempts }, 'job failed');
      // The final failure reaches error tracking (§5.5); retried attempts only log.
      errorReporter().capture(error, {
        job_kind: job.kind,
        ...(job.request_id && { request_id: job.request_id }),
      });
    }
    return outcome;
  } finally {
    clearInterval(heartbeat);
    // In a job thread: this job's counts (its own and its commands') go to the parent now.
    flushMetrics();
  }
}
