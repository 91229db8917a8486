import type { Kysely } from 'kysely';
import { sendWeeklyReport } from '../../commands/send-weekly-report.ts';
import type { Config } from '../../config/env.ts';
import type { AnalysisRunRecord } from '../../db/repositories/analysis-runs.repository.ts';
import type { DB, JsonObject } from '../../db/schema.ts';
import type { Mailer } from '../../notify/mail.ts';
import { createArtifactStore } from '../../reports/artifact-store.ts';
import type { Clock } from '../../services.ts';
import type { JobRegistry } from '../registry.ts';
import { type JobDefinition, type JobQueue, PermanentJobError } from '../types.ts';

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

// ---- job definitions ----
// The `report_artifact` definition belongs to the weekly PDF's module (issue 14, PDF part) and
// is added to registerReportJobs there; this branch registers the weekly e-mail only. The lead
// merges the two into one function.

export interface ReportJobDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  clock: Clock;
}

function runPayload(payload: JsonObject): { customerId: number; runId: number } {
  const customerId = Number(payload['customer_id']);
  const runId = Number(payload['run_id']);
  if (!Number.isInteger(customerId) || customerId <= 0 || !Number.isInteger(runId) || runId <= 0)
    throw new PermanentJobError('invalid report job payload');
  return { customerId, runId };
}

/**
 * `reports.weekly_email` {customer_id, run_id} (§13.5): records the run's weekly e-mail and
 * sends it when its slot is due. Delivery failures are not job failures: they are stored on the
 * record and retried by the dispatch sweeper on the §5 schedule; only an error before the record
 * exists (the database) retries the job itself, and the record's unique key makes that safe.
 */
export function weeklyReportEmailJob(deps: ReportJobDeps): JobDefinition<JsonObject> {
  return {
    kind: WEEKLY_REPORT_EMAIL_JOB,
    queue: 'reports',
    maxAttempts: 3,
    backoffMs: 30_000,
    async handler({ payload, logger }) {
      const input = runPayload(payload);
      const outcome = await sendWeeklyReport(
        { ...deps, store: createArtifactStore(deps.config.dataDir), logger },
        input,
      );
      return { outcome };
    },
  };
}

export function registerReportJobs(registry: JobRegistry, deps: ReportJobDeps): void {
  registry.register(weeklyReportEmailJob(deps));
}

/** After a successful run (the analytics job's hook): a scheduled DriftWatch run's weekly e-mail. */
export async function queueWeeklyReportAfterRun(
  queue: Pick<JobQueue, 'enqueue'>,
  run: Pick<AnalysisRunRecord, 'customer_id' | 'id' | 'product' | 'run_type'>,
  requestId: string | null = null,
): Promise<void> {
  if (run.product === 'driftwatch' && run.run_type === 'scheduled')
    await queueWeeklyReportEmail(queue, run, requestId);
}
