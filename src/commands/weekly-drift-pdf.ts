import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { NotFoundError } from '../config/errors.ts';
import { findRun } from '../db/repositories/analysis-runs.repository.ts';
import { recordSystemEvent } from '../db/repositories/ingestion-records.repository.ts';
import type { ReportArtifactRecord } from '../db/repositories/report-artifacts.repository.ts';
import type { DB } from '../db/schema.ts';
import { downloadFormats } from '../domain/reports/artifacts.ts';
import { type ArtifactStore, createArtifactStore } from '../reports/artifact-store.ts';
import type { ReportBuilders } from '../reports/builders.ts';
// Fills REPORT_BUILDERS: this command builds PDFs in any process that imports it.
import '../reports/index.ts';
import type { Clock } from '../services.ts';
import { emitReportCompletedEvent, type WebhookDeliveryDeps } from './deliver-webhook.ts';
import { generateRunArtifact, runDownload } from './report-artifact.ts';
import type { WeeklyPdfProvider } from './send-alert.ts';

/**
 * The weekly drift PDF of a run (alerts-reports §13.1): what the `report_artifact` job does
 * after each successful non-backtest DriftWatch run, and `payrixa analyze` after its own run —
 * build and store the artifact, record system event `report_generated`, and send
 * `report.completed` to the subscribed webhook endpoints. Also the alert e-mail's attachment
 * seam (§7): the run's stored PDF, built first when missing.
 */
export interface WeeklyDriftPdfDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  /** Defaults to the artifact store under DATA_DIR. */
  store?: ArtifactStore;
  /** Defaults to the product's builders (tests may pass their own). */
  builders?: ReportBuilders;
  logger?: Pick<Logger, 'warn'>;
  /** Webhook transport options (tests: a resolver and a TLS trust for the local receiver). */
  webhook?: Pick<WebhookDeliveryDeps, 'resolve' | 'tls' | 'timeoutMs' | 'onAlertDeliveryChanged'>;
}

function artifactDeps(deps: WeeklyDriftPdfDeps) {
  return {
    db: deps.db,
    clock: deps.clock,
    store: deps.store ?? createArtifactStore(deps.config.dataDir),
    ...(deps.builders && { builders: deps.builders }),
  };
}

export interface WeeklyDriftPdfResult {
  artifact: ReportArtifactRecord;
  /** `report.completed` deliveries created by this call (none when no endpoint subscribes). */
  webhookDeliveries: number;
}

/**
 * Generates the run's PDF and announces it. A run without a PDF (backtest, DenialScope,
 * DelayGuard, unsuccessful) or of another customer → NotFoundError; a webhook problem is logged
 * and never undoes the artifact (deliveries retry on their own).
 */
export async function produceWeeklyDriftPdf(
  deps: WeeklyDriftPdfDeps,
  input: {
    customerId: number;
    runId: number;
    requestId?: string | null;
    /** Progress of the three steps (PDF stored, event recorded, webhooks queued) for the job record. */
    progress?: (done: number, total: number) => Promise<void>;
  },
): Promise<WeeklyDriftPdfResult> {
  const step = async (done: number) => input.progress?.(done, 3);
  const run = await findRun(deps.db, input.customerId, input.runId);
  if (!run) throw new NotFoundError(`Run ${input.runId} not found`);
  if (!downloadFormats({ product: run.product, runType: run.run_type, status: run.status }).includes('pdf')) {
    throw new NotFoundError(`Run ${input.runId} has no PDF download.`);
  }
  const requestId = input.requestId ?? null;
  await step(0);
  const artifact = await generateRunArtifact(artifactDeps(deps), {
    customerId: input.customerId,
    runId: run.id,
    kind: 'weekly_drift_summary',
  });
  await step(1);
  await recordSystemEvent(deps.db, input.customerId, {
    eventType: 'report_generated',
    payload: {
      title: 'Weekly drift PDF generated',
      run_id: run.id,
      as_of: run.as_of,
      artifact_id: artifact.id,
      kind: artifact.kind,
      format: artifact.format,
      size_bytes: Number(artifact.size_bytes),
      sha256: artifact.sha256,
    },
    requestId,
  });
  await step(2);
  let webhookDeliveries = 0;
  try {
    const deliveries = await emitReportCompletedEvent(
      { db: deps.db, config: deps.config, clock: deps.clock, ...deps.webhook },
      { customerId: input.customerId, runId: run.id, artifact, format: 'pdf', requestId },
    );
    webhookDeliveries = deliveries.length;
  } catch (error) {
    deps.logger?.warn({ err: error, run_id: run.id }, 'report.completed webhook event failed');
  }
  await step(3);
  return { artifact, webhookDeliveries };
}

/**
 * The alert e-mail's attachment (§7): the run's PDF as a download would serve it — the stored
 * file when its hash still matches, otherwise built, stored and recorded first.
 */
export function weeklyPdfProvider(deps: WeeklyDriftPdfDeps): WeeklyPdfProvider {
  return async ({ customerId, runId }) => {
    const download = await runDownload(artifactDeps(deps), { customerId, runId, format: 'pdf' });
    return { filename: download.filename, content: download.bytes };
  };
}
