import type { AnalysisRunRecord } from '../../db/repositories/analysis-runs.repository.ts';
import type { JobQueue } from '../types.ts';

/**
 * Report jobs (alerts-reports §14), on the `reports` queue:
 * - `report_artifact` {customer_id, run_id} — the weekly drift PDF after each successful
 *   non-backtest DriftWatch run (§13.1), and "Generate now"; the API's jobs resource exposes it
 *   under that kind;
 * - `reports.weekly_email` {customer_id, run_id} — the weekly report e-mail after a scheduled
 *   Monday DriftWatch run and its PDF (§13.5).
 * The definitions are registered by `registerReportJobs` (below the queue helpers).
 */
export const REPORT_ARTIFACT_JOB = 'report_artifact';
export const WEEKLY_REPORT_EMAIL_JOB = 'reports.weekly_email';

/** Queues the run's PDF (one queued per run). Only successful non-backtest DriftWatch runs have one. */
export async function queueReportArtifact(
  queue: Pick<JobQueue, 'enqueue'>,
  run: Pick<AnalysisRunRecord, 'customer_id' | 'id' | 'product' | 'run_type'>,
  requestId: string | null = null,
): Promise<void> {
  if (run.product !== 'driftwatch' || run.run_type === 'backtest') return;
  await queue.enqueue(
    REPORT_ARTIFACT_JOB,
    { customer_id: run.customer_id, run_id: run.id },
    {
      customerId: run.customer_id,
      singletonKey: `${REPORT_ARTIFACT_JOB}:${run.customer_id}:${run.id}`,
      ...(requestId && { requestId }),
    },
  );
}

/** Queues the weekly e-mail of a scheduled DriftWatch run (one queued per run). */
export async function queueWeeklyReportEmail(
  queue: Pick<JobQueue, 'enqueue'>,
  run: Pick<AnalysisRunRecord, 'customer_id' | 'id'>,
  requestId: string | null = null,
): Promise<void> {
  await queue.enqueue(
    WEEKLY_REPORT_EMAIL_JOB,
    { customer_id: run.customer_id, run_id: run.id },
    {
      customerId: run.customer_id,
      singletonKey: `${WEEKLY_REPORT_EMAIL_JOB}:${run.customer_id}:${run.id}`,
      ...(requestId && { requestId }),
    },
  );
}
