import type { Kysely } from 'kysely';
import { executeBacktestRun } from '../../commands/backtest-drift-watch.ts';
import {
  ANALYSIS_JOB,
  type AnalysisJobPayload,
  BACKTEST_JOB,
  POST_UPLOAD_ANALYSIS_JOB,
  type PostUploadPayload,
  requestAnalysesForCustomer,
  requestAnalysisRun,
  requestBackfillAnalyses,
  requestScheduledAnalyses,
  SCHEDULED_ANALYSIS_JOB,
  type ScheduledAnalysisPayload,
  scheduledAsOf,
  utcToday,
} from '../../commands/request-analysis.ts';
import { ANALYSIS_PRODUCTS, AnalysisRunError, runAnalysis } from '../../commands/run-analysis.ts';
import type { AnalysisRunRecord } from '../../db/repositories/analysis-runs.repository.ts';
import type { AnalysisProduct, DB, JsonObject } from '../../db/schema.ts';
import type { JobRegistry } from '../registry.ts';
import type { ScheduleDefinition } from '../scheduler.ts';
import { type JobDefinition, type JobQueue, PermanentJobError } from '../types.ts';

/**
 * Analytics jobs (analytics spec §10):
 * - `analysis` — runs one `(customer, product, as_of)`; result `{report_run_id}`;
 * - `analysis.post_upload` — the debounced post-upload trigger (requests every enabled product);
 * - `analysis.schedule` — schedule fan-out (SCHEDULE_DRIFTWATCH/DENIALSCOPE/DELAYGUARD);
 * - `backtest` — executes a recorded DriftWatch backtest run.
 * All on the `analysis` queue.
 */

export interface AnalyticsJobDeps {
  db: Kysely<DB>;
  /** Needed by the jobs that request further jobs (post-upload trigger, schedule fan-out). */
  queue?: Pick<JobQueue, 'enqueue'>;
  /** Called after a successful run (e.g. to queue alert evaluation, alerts-reports §3). */
  onRunSucceeded?: (run: AnalysisRunRecord, context?: { requestId: string | null }) => Promise<void>;
  /**
   * Called after a run was recorded `failed` (not for backtests), once per failed attempt: each
   * attempt that fails is its own failure on the run row (e.g. the `analysis_run.failed` webhook
   * event). Its errors are logged, never thrown: the job must still fail with the run's error.
   */
  onRunFailed?: (run: AnalysisRunRecord, context?: { requestId: string | null }) => Promise<void>;
}

function isProduct(value: unknown): value is AnalysisProduct {
  return typeof value === 'string' && (ANALYSIS_PRODUCTS as readonly string[]).includes(value);
}

function requireQueue(deps: AnalyticsJobDeps): Pick<JobQueue, 'enqueue'> {
  if (!deps.queue) throw new PermanentJobError('analytics jobs were registered without a queue');
  return deps.queue;
}

/** `analysis`: one run; retried with backoff when it fails (each failure is recorded on the run). */
export function analysisJob(deps: AnalyticsJobDeps): JobDefinition<AnalysisJobPayload> {
  return {
    kind: ANALYSIS_JOB,
    queue: 'analysis',
    maxAttempts: 3,
    backoffMs: 30_000,
    async handler({ job, payload, logger }) {
      const customerId = Number(payload.customer_id);
      if (!Number.isInteger(customerId) || !isProduct(payload.product) || typeof payload.as_of !== 'string') {
        throw new PermanentJobError('invalid analysis job payload');
      }
      let result: Awaited<ReturnType<typeof runAnalysis>>;
      try {
        result = await runAnalysis(
          { db: deps.db, logger },
          {
            customerId,
            product: payload.product,
            asOf: payload.as_of,
            // The row carries the latest request's type; the payload's only names a new row's.
            ...(payload.run_type !== undefined && { defaultRunType: payload.run_type }),
            jobId: job.id,
          },
        );
      } catch (error) {
        // Only a failure that runAnalysis recorded on the row (`run` is the row as marked failed;
        // null when even recording failed) is a failed run for the outside world.
        const failed = error instanceof AnalysisRunError ? error.run : null;
        if (failed?.status === 'failed' && failed.run_type !== 'backtest' && deps.onRunFailed) {
          try {
            await deps.onRunFailed(failed, { requestId: job.request_id });
          } catch (hookError) {
            logger.warn({ err: hookError, run_id: failed.id }, 'onRunFailed hook failed');
          }
        }
        throw error;
      }
      if (result.status === 'success' && deps.onRunSucceeded) {
        await deps.onRunSucceeded(result.run, { requestId: job.request_id });
      }
      if (result.rerunPending && deps.queue) {
        // The re-run bound stopped this job with a request still pending: a new job serves it.
        await requestAnalysisRun(
          { db: deps.db, queue: deps.queue },
          {
            customerId,
            product: payload.product,
            asOf: payload.as_of,
            runType: result.run.run_type === 'backtest' ? 'manual' : result.run.run_type,
          },
        );
      }
      return {
        report_run_id: result.run.id,
        status: result.status,
        findings: result.findings,
        new_findings: result.newFingerprints,
        executions: result.executions,
      };
    },
  };
}

/**
 * `analysis.post_upload`: requests every enabled product of the customer (`post_upload`) at its
 * data-following `as_of`, and the periods of backfilled uploads (`requestBackfillAnalyses`).
 */
export function postUploadAnalysisJob(deps: AnalyticsJobDeps): JobDefinition<PostUploadPayload> {
  return {
    kind: POST_UPLOAD_ANALYSIS_JOB,
    queue: 'analysis',
    maxAttempts: 3,
    backoffMs: 10_000,
    async handler({ payload }) {
      const customerId = Number(payload.customer_id);
      if (!Number.isInteger(customerId)) throw new PermanentJobError('invalid post-upload payload');
      const requestDeps = { db: deps.db, queue: requireQueue(deps) };
      const today = utcToday();
      const current = await requestAnalysesForCustomer(requestDeps, {
        customerId,
        runType: 'post_upload',
        today,
      });
      const uploadIds = Array.isArray(payload.upload_ids) ? payload.upload_ids.filter(Number.isInteger) : [];
      const backfill = await requestBackfillAnalyses(requestDeps, {
        customerId,
        uploadIds,
        today,
        requested: current,
      });
      const results = [...current, ...backfill];
      return {
        runs: results.map((r) => ({
          product: r.product,
          report_run_id: r.run.id,
          as_of: r.run.as_of,
          outcome: r.outcome,
        })),
      };
    },
  };
}

/** `analysis.schedule`: fan-out of one scheduled slot to every customer with the product enabled. */
export function scheduledAnalysisJob(deps: AnalyticsJobDeps): JobDefinition<ScheduledAnalysisPayload> {
  return {
    kind: SCHEDULED_ANALYSIS_JOB,
    queue: 'analysis',
    maxAttempts: 3,
    backoffMs: 30_000,
    async handler({ payload }) {
      if (!isProduct(payload.product) || typeof payload.slot !== 'string') {
        throw new PermanentJobError('invalid schedule payload');
      }
      const asOf = scheduledAsOf(payload.product, payload.slot);
      const requested = await requestScheduledAnalyses(
        { db: deps.db, queue: requireQueue(deps) },
        { product: payload.product, asOf },
      );
      return { product: payload.product, as_of: asOf, customers: requested.length };
    },
  };
}

/** `backtest`: executes a recorded backtest run (no retries: a backtest is re-requested by hand). */
export function backtestJob(deps: AnalyticsJobDeps): JobDefinition<JsonObject> {
  return {
    kind: BACKTEST_JOB,
    queue: 'analysis',
    maxAttempts: 1,
    async handler({ job, payload }) {
      const customerId = Number(payload['customer_id']);
      const runId = Number(payload['run_id']);
      if (!Number.isInteger(customerId) || !Number.isInteger(runId)) {
        throw new PermanentJobError('invalid backtest payload');
      }
      const { run, result } = await executeBacktestRun(deps.db, customerId, runId, { jobId: job.id });
      return { report_run_id: run.id, weeks: result.weeks.length, episodes: result.episodes.length };
    },
  };
}

/** Registers the analytics job kinds. */
export function registerAnalyticsJobs(registry: JobRegistry, deps: AnalyticsJobDeps): void {
  registry.register(analysisJob(deps));
  registry.register(postUploadAnalysisJob(deps));
  registry.register(scheduledAnalysisJob(deps));
  registry.register(backtestJob(deps));
}

/** The three analytics schedules (§10.2), one fan-out job per product. */
export const ANALYSIS_SCHEDULES: ReadonlyArray<{
  name: 'driftwatch' | 'denialscope' | 'delayguard';
  kind: string;
  payload: JsonObject;
}> = ANALYSIS_PRODUCTS.map((product) => ({
  name: product,
  kind: SCHEDULED_ANALYSIS_JOB,
  payload: { product },
}));

/** Schedule definitions from SCHEDULE_<PRODUCT> (a schedule set to off is left out). */
export function analysisSchedules(schedules: Readonly<Record<string, string | null>>): ScheduleDefinition[] {
  const out: ScheduleDefinition[] = [];
  for (const s of ANALYSIS_SCHEDULES) {
    const cron = schedules[s.name];
    if (cron) out.push({ name: s.name, cron, kind: s.kind, payload: s.payload });
  }
  return out;
}
