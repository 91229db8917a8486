import type { Kysely } from 'kysely';
import { sendWeeklyReport } from '../../commands/send-weekly-report.ts';
import {
  produceWeeklyDriftPdf,
  type WeeklyDriftPdfDeps,
  type WeeklyDriftPdfResult,
} from '../../commands/weekly-drift-pdf.ts';
import type { Config } from '../../config/env.ts';
import { NotFoundError } from '../../config/errors.ts';
import { type AnalysisRunRecord, findRun } from '../../db/repositories/analysis-runs.repository.ts';
import type { DB, JsonObject } from '../../db/schema.ts';
import type { Mailer } from '../../notify/mail.ts';
import { type ArtifactStore, createArtifactStore } from '../../reports/artifact-store.ts';
// Fills REPORT_BUILDERS in every process that registers jobs: the web process (downloads) and
// each job thread.
import '../../reports/index.ts';
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

export interface ReportJobDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  /** The weekly e-mail needs a mailer; without one (no mail transport in this process) its job is not registered. */
  mailer?: Mailer;
  queue?: Pick<JobQueue, 'enqueue'>;
  /** Defaults to the artifact store under DATA_DIR. */
  store?: ArtifactStore;
  /** Webhook transport options of `report.completed` (tests). */
  webhook?: WeeklyDriftPdfDeps['webhook'];
}

function positiveId(payload: JsonObject, key: string): number {
  const id = Number(payload[key]);
  if (!Number.isInteger(id) || id <= 0) throw new PermanentJobError('invalid report job payload');
  return id;
}

/**
 * `report_artifact` {customer_id, run_id}: the run's weekly drift PDF, `report_generated` and
 * `report.completed` (§13.1). A run that is gone or has no PDF is a permanent failure (no
 * retries). After the PDF of a **scheduled** run, the weekly e-mail is queued (§13.5) — only
 * when its job kind exists in this process (enqueueing an unknown kind throws, and the PDF job
 * must not fail because the e-mail feature is absent); the e-mail job decides whether the
 * customer gets one.
 */
export function reportArtifactJob(deps: ReportJobDeps, registry: JobRegistry): JobDefinition<JsonObject> {
  return {
    kind: REPORT_ARTIFACT_JOB,
    queue: 'reports',
    maxAttempts: 3,
    backoffMs: 30_000,
    async handler({ job, payload, logger, progress }) {
      const customerId = positiveId(payload, 'customer_id');
      const runId = positiveId(payload, 'run_id');
      let result: WeeklyDriftPdfResult;
      try {
        result = await produceWeeklyDriftPdf(
          {
            db: deps.db,
            config: deps.config,
            clock: deps.clock,
            logger,
            ...(deps.store && { store: deps.store }),
            ...(deps.webhook && { webhook: deps.webhook }),
          },
          { customerId, runId, requestId: job.request_id, progress },
        );
      } catch (error) {
        if (error instanceof NotFoundError) throw new PermanentJobError(error.message);
        throw error;
      }
      let weeklyEmailQueued = false;
      const run = await findRun(deps.db, customerId, runId);
      if (run?.run_type === 'scheduled' && deps.queue && registry.get(WEEKLY_REPORT_EMAIL_JOB)) {
        await queueWeeklyReportEmail(deps.queue, run, job.request_id);
        weeklyEmailQueued = true;
      }
      return {
        artifact_id: result.artifact.id,
        sha256: result.artifact.sha256,
        size_bytes: Number(result.artifact.size_bytes),
        webhook_deliveries: result.webhookDeliveries,
        weekly_email_queued: weeklyEmailQueued,
      };
    },
  };
}

/**
 * `reports.weekly_email` {customer_id, run_id} (§13.5): records the run's weekly e-mail and
 * sends it when its slot is due. Delivery failures are not job failures: they are stored on the
 * record and retried by the dispatch sweeper on the §5 schedule; only an error before the record
 * exists (the database) retries the job itself, and the record's unique key makes that safe.
 */
export function weeklyReportEmailJob(deps: ReportJobDeps & { mailer: Mailer }): JobDefinition<JsonObject> {
  return {
    kind: WEEKLY_REPORT_EMAIL_JOB,
    queue: 'reports',
    maxAttempts: 3,
    backoffMs: 30_000,
    async handler({ payload, logger }) {
      const input = { customerId: positiveId(payload, 'customer_id'), runId: positiveId(payload, 'run_id') };
      const store = deps.store ?? createArtifactStore(deps.config.dataDir);
      const outcome = await sendWeeklyReport({ ...deps, store, logger }, input);
      return { outcome };
    },
  };
}

/**
 * Registers the report job kinds: the weekly drift PDF (`report_artifact`) always, the weekly
 * e-mail (`reports.weekly_email`) where a mailer exists. The e-mail is queued by the PDF job after
 * a scheduled run's PDF (§13.5 "after … its PDF exists"), not by the run itself.
 */
export function registerReportJobs(registry: JobRegistry, deps: ReportJobDeps): void {
  registry.register(reportArtifactJob(deps, registry));
  const mailer = deps.mailer;
  if (mailer) registry.register(weeklyReportEmailJob({ ...deps, mailer }));
}
