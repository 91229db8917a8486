import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { DB } from '../db/schema.ts';
import type { Mailer } from '../notify/mail.ts';
import type { Clock } from '../services.ts';
import { evaluateAlerts } from './evaluate-alerts.ts';
import { type SendOutcome, sendPendingAlerts } from './send-alert.ts';
import { produceWeeklyDriftPdf, weeklyPdfProvider } from './weekly-drift-pdf.ts';

/**
 * Alerting and reports for runs executed in this process (`payrixa analyze`, `payrixa demo`): the same two
 * steps the `alerts.evaluate` and `alerts.send` jobs take (alerts-reports §3, §5), run now with
 * the process's mailer and clock, so the alerts exist and are delivered when the command
 * prints its summary. Backtests and unsuccessful runs never alert (evaluateAlerts skips them).
 */
export interface AlertRunsNowDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  clock: Clock;
  logger?: Logger;
}

export interface AlertRunsNowResult {
  /** Alert events created by these runs (reused ones are not counted again). */
  created: number;
  /** Outcomes of the customer's pending alerts processed afterwards. */
  sent: number;
  suppressed: number;
  failed: number;
  /** Still pending: a delivery is waiting for a retry (the worker's dispatcher finishes it). */
  pending: number;
}

export async function evaluateAndSendAlertsNow(
  deps: AlertRunsNowDeps,
  customerId: number,
  runs: ReadonlyArray<Pick<AnalysisRunRecord, 'id' | 'run_type'>>,
  requestId: string | null = null,
): Promise<AlertRunsNowResult> {
  let created = 0;
  for (const run of runs) {
    if (run.run_type === 'backtest') continue;
    const result = await evaluateAlerts(
      {
        db: deps.db,
        clock: deps.clock,
        portalBaseUrl: deps.config.portalBaseUrl,
        ...(deps.logger && { logger: deps.logger }),
      },
      { customerId, runId: run.id, requestId },
    );
    created += result.created.length;
  }
  const counts: Record<SendOutcome, number> = await sendPendingAlerts(
    {
      db: deps.db,
      config: deps.config,
      mailer: deps.mailer,
      clock: deps.clock,
      ...(deps.logger && { logger: deps.logger }),
      // As the alerts.send job: the run's weekly PDF attached when `attach_pdf` (§7).
      weeklyPdf: weeklyPdfProvider({ db: deps.db, config: deps.config, clock: deps.clock }),
    },
    customerId,
  );
  return {
    created,
    sent: counts.sent,
    suppressed: counts.suppressed,
    failed: counts.failed,
    pending: counts.pending,
  };
}

export interface WeeklyPdfNow {
  runId: number;
  asOf: string;
  artifactId: number;
  sizeBytes: number;
  sha256: string;
}

/**
 * The weekly drift PDF of each successful non-backtest DriftWatch run executed in this process
 * (`payrixa analyze`), exactly as the `report_artifact` job makes it (§13.1): artifact,
 * `report_generated`, `report.completed`. Other runs are skipped. Runs before alerting, so the
 * alert e-mails attach the stored file.
 */
export async function produceWeeklyPdfsNow(
  deps: Omit<AlertRunsNowDeps, 'mailer'>,
  customerId: number,
  runs: ReadonlyArray<Pick<AnalysisRunRecord, 'id' | 'as_of' | 'product' | 'run_type' | 'status'>>,
  requestId: string | null = null,
): Promise<WeeklyPdfNow[]> {
  const made: WeeklyPdfNow[] = [];
  for (const run of runs) {
    if (run.product !== 'driftwatch' || run.run_type === 'backtest' || run.status !== 'success') continue;
    const { artifact } = await produceWeeklyDriftPdf(
      { db: deps.db, config: deps.config, clock: deps.clock, ...(deps.logger && { logger: deps.logger }) },
      { customerId, runId: run.id, requestId },
    );
    made.push({
      runId: run.id,
      asOf: run.as_of,
      artifactId: artifact.id,
      sizeBytes: Number(artifact.size_bytes),
      sha256: artifact.sha256,
    });
  }
  return made;
}
