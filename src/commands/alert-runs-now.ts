import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { DB } from '../db/schema.ts';
import type { Mailer } from '../notify/mail.ts';
import type { Clock } from '../services.ts';
import { evaluateAlerts } from './evaluate-alerts.ts';
import { type SendOutcome, sendPendingAlerts } from './send-alert.ts';

/**
 * Alerting for runs executed in this process (`payrixa analyze`, `payrixa demo`): the same two
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
