import type { Kysely } from 'kysely';
import { evaluateAlerts } from '../../commands/evaluate-alerts.ts';
import {
  type DeliverAlertWebhook,
  dispatchDueDeliveries,
  type SendAlertDeps,
  sendPendingAlerts,
  type WeeklyPdfProvider,
} from '../../commands/send-alert.ts';
import { dispatchDueWeeklyReports } from '../../commands/send-weekly-report.ts';
import type { Config } from '../../config/env.ts';
import { otherSendJobRunning } from '../../db/repositories/alert-events.repository.ts';
import type { AnalysisRunRecord } from '../../db/repositories/analysis-runs.repository.ts';
import type { DB, JsonObject } from '../../db/schema.ts';
import type { Mailer } from '../../notify/mail.ts';
import { createArtifactStore } from '../../reports/artifact-store.ts';
import type { Clock } from '../../services.ts';
import type { JobRegistry } from '../registry.ts';
import { type JobDefinition, type JobQueue, PermanentJobError } from '../types.ts';

/**
 * Alert jobs (alerts-reports §14), all on the `alerts` queue:
 * - `alerts.evaluate` {customer_id, run_id} — after each successful non-backtest run (§3); queues
 *   `alerts.send` when it created alert events;
 * - `alerts.send` {customer_id} — delivers the customer's pending alerts in §5 order. Singleton
 *   per customer while queued, and a send job that finds another one of the customer running
 *   steps back (re-queued a few seconds later), so one customer is processed sequentially;
 * - `alerts.dispatch` — the sweeper of due delivery retries (SCHEDULE_ALERT_DISPATCH).
 */
export const EVALUATE_ALERTS_JOB = 'alerts.evaluate';
export const SEND_ALERTS_JOB = 'alerts.send';
export const DISPATCH_ALERTS_JOB = 'alerts.dispatch';

/** Delay before a send job that stepped back for a running twin tries again. */
const SEND_RETRY_DELAY_MS = 5_000;

export interface AlertJobDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  clock: Clock;
  queue?: Pick<JobQueue, 'enqueue'>;
  fetch?: typeof fetch;
  deliverAlertWebhook?: DeliverAlertWebhook;
  weeklyPdf?: WeeklyPdfProvider;
}

function sendDeps(deps: AlertJobDeps, logger: SendAlertDeps['logger']): SendAlertDeps {
  return {
    db: deps.db,
    config: deps.config,
    mailer: deps.mailer,
    clock: deps.clock,
    ...(logger && { logger }),
    ...(deps.fetch && { fetch: deps.fetch }),
    ...(deps.deliverAlertWebhook && { deliverAlertWebhook: deps.deliverAlertWebhook }),
    ...(deps.weeklyPdf && { weeklyPdf: deps.weeklyPdf }),
  };
}

/** Queues the customer's send job (one queued per customer). */
export async function queueAlertSend(
  queue: Pick<JobQueue, 'enqueue'>,
  customerId: number,
  options: { requestId?: string | null; delayMs?: number } = {},
): Promise<void> {
  await queue.enqueue(
    SEND_ALERTS_JOB,
    { customer_id: customerId },
    {
      customerId,
      singletonKey: `alerts.send:${customerId}`,
      ...(options.requestId && { requestId: options.requestId }),
      ...(options.delayMs && { delayMs: options.delayMs }),
    },
  );
}

/** Queues evaluation of a run (the analytics job's `onRunSucceeded` hook). Backtests never alert. */
export async function queueAlertEvaluation(
  queue: Pick<JobQueue, 'enqueue'>,
  run: Pick<AnalysisRunRecord, 'customer_id' | 'id' | 'run_type'>,
  requestId: string | null = null,
): Promise<void> {
  if (run.run_type === 'backtest') return;
  await queue.enqueue(
    EVALUATE_ALERTS_JOB,
    { customer_id: run.customer_id, run_id: run.id },
    {
      customerId: run.customer_id,
      singletonKey: `alerts.evaluate:${run.customer_id}:${run.id}`,
      ...(requestId && { requestId }),
    },
  );
}

function customerIdOf(payload: JsonObject): number {
  const id = Number(payload['customer_id']);
  if (!Number.isInteger(id) || id <= 0) throw new PermanentJobError('invalid alert job payload');
  return id;
}

export function evaluateAlertsJob(deps: AlertJobDeps): JobDefinition<JsonObject> {
  return {
    kind: EVALUATE_ALERTS_JOB,
    queue: 'alerts',
    maxAttempts: 3,
    backoffMs: 10_000,
    async handler({ job, payload, logger }) {
      const customerId = customerIdOf(payload);
      const runId = Number(payload['run_id']);
      if (!Number.isInteger(runId)) throw new PermanentJobError('invalid alert job payload');
      const result = await evaluateAlerts(
        { db: deps.db, clock: deps.clock, portalBaseUrl: deps.config.portalBaseUrl, logger },
        { customerId, runId, requestId: job.request_id },
      );
      if (result.created.length > 0 && deps.queue) {
        await queueAlertSend(deps.queue, customerId, { requestId: job.request_id });
      }
      return { evaluated: result.evaluated, created: result.created.length, reused: result.reused.length };
    },
  };
}

export function sendAlertsJob(deps: AlertJobDeps): JobDefinition<JsonObject> {
  return {
    kind: SEND_ALERTS_JOB,
    queue: 'alerts',
    maxAttempts: 5,
    backoffMs: 10_000,
    async handler({ job, payload, logger }) {
      const customerId = customerIdOf(payload);
      // Both jobs are marked running before this check, so two never both proceed.
      if (await otherSendJobRunning(deps.db, customerId, SEND_ALERTS_JOB, job.id)) {
        if (deps.queue) await queueAlertSend(deps.queue, customerId, { delayMs: SEND_RETRY_DELAY_MS });
        return { deferred: true };
      }
      const counts = await sendPendingAlerts(sendDeps(deps, logger), customerId);
      return { deferred: false, ...counts };
    },
  };
}

export function dispatchAlertsJob(deps: AlertJobDeps): JobDefinition<JsonObject> {
  return {
    kind: DISPATCH_ALERTS_JOB,
    queue: 'alerts',
    maxAttempts: 1,
    async handler({ logger }) {
      const due = await dispatchDueDeliveries(sendDeps(deps, logger));
      // Weekly report e-mails due at their local slot or for a retry (alerts-reports §14).
      const weeklyReports = await dispatchDueWeeklyReports({
        ...sendDeps(deps, logger),
        store: createArtifactStore(deps.config.dataDir),
      });
      return { due, weekly_reports: weeklyReports };
    },
  };
}

export function registerAlertJobs(registry: JobRegistry, deps: AlertJobDeps): void {
  registry.register(evaluateAlertsJob(deps));
  registry.register(sendAlertsJob(deps));
  registry.register(dispatchAlertsJob(deps));
}
