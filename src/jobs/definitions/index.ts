import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { alertStatusRefresher, alertWebhookDeliverer } from '../../commands/alert-webhook-bridge.ts';
import { emitRunWebhookEvents } from '../../commands/deliver-webhook.ts';
import { weeklyPdfProvider } from '../../commands/weekly-drift-pdf.ts';
import type { Config } from '../../config/env.ts';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { Mailer } from '../../notify/mail.ts';
import type { Clock } from '../../services.ts';
import type { JobRegistry } from '../registry.ts';
import type { ScheduleDefinition } from '../scheduler.ts';
import type { JobQueue } from '../types.ts';
import { queueAlertEvaluation, registerAlertJobs } from './alerts.ts';
import { BACKUP_JOB, backupJob } from './backup.ts';
import { cleanupJob } from './cleanup.ts';
import { ingestUploadJob, reapplyMappingsJob, sweepUploadsJob } from './ingest-upload.ts';
import { queueReportArtifact, registerReportJobs } from './reports.ts';
import { RETENTION_JOB, retentionJob } from './retention.ts';
import { analysisSchedules, registerAnalyticsJobs } from './run-analysis.ts';
import { webhookDispatchJob, webhookDispatchSchedule } from './webhooks.ts';

/** Registers every job kind of the product. Features add theirs here. */
export function registerJobs(
  registry: JobRegistry,
  deps: {
    db: Kysely<DB>;
    config: Config;
    database?: Database;
    queue?: Pick<JobQueue, 'enqueue'>;
    /** The process's (or job thread's) mailer and clock: alert delivery needs them. */
    mailer?: Mailer;
    clock?: Clock;
    logger?: Pick<Logger, 'warn'>;
  },
): void {
  registry.register(cleanupJob(deps.db, deps.config.retention.jobsDays));
  // Ingestion needs the database port itself (bulk COPY), not only the Kysely handle.
  if (deps.database) {
    registry.register(
      ingestUploadJob({
        database: deps.database,
        config: deps.config,
        ...(deps.queue && { queue: deps.queue }),
      }),
    );
    registry.register(
      reapplyMappingsJob({
        database: deps.database,
        config: deps.config,
        ...(deps.queue && { queue: deps.queue }),
      }),
    );
    if (deps.queue) registry.register(sweepUploadsJob({ database: deps.database, queue: deps.queue }));
  }
  // Analytics runs, post-upload trigger, schedule fan-out and backtests (analytics §10).
  // After each successful non-backtest run: alert evaluation is queued (alerts-reports §3) and
  // `analysis_run.completed` goes to subscribed webhook endpoints (§9). A webhook failure is
  // logged and never fails the run (its deliveries retry on their own).
  const queue = deps.queue;
  const clock = deps.clock ?? { now: () => new Date() };
  const webhookDeps = {
    db: deps.db,
    config: deps.config,
    clock,
    onAlertDeliveryChanged: alertStatusRefresher(deps.db, clock),
  };
  registerAnalyticsJobs(registry, {
    db: deps.db,
    ...(queue && { queue }),
    onRunSucceeded: async (run, context) => {
      const requestId = context?.requestId ?? null;
      if (queue) await queueAlertEvaluation(queue, run, requestId);
      // The weekly drift PDF (alerts-reports §13.1); only successful non-backtest DriftWatch runs.
      // After a scheduled run's PDF, that job queues the weekly report e-mail (§13.5).
      if (queue) await queueReportArtifact(queue, run, requestId);
      try {
        await emitRunWebhookEvents(webhookDeps, run, { requestId });
      } catch (error) {
        deps.logger?.warn({ err: error, run_id: run.id }, 'analysis_run webhook events failed');
      }
    },
    onRunFailed: async (run, context) => {
      try {
        await emitRunWebhookEvents(webhookDeps, run, { requestId: context?.requestId ?? null });
      } catch (error) {
        deps.logger?.warn({ err: error, run_id: run.id }, 'analysis_run webhook events failed');
      }
    },
  });
  // Alert evaluation, delivery and the retry sweeper (alerts-reports §14).
  if (deps.mailer) {
    registerAlertJobs(registry, {
      db: deps.db,
      config: deps.config,
      mailer: deps.mailer,
      clock,
      ...(queue && { queue }),
      deliverAlertWebhook: alertWebhookDeliverer(webhookDeps),
      // The run's weekly PDF attached to alert e-mails when `attach_pdf` (§7).
      weeklyPdf: weeklyPdfProvider({ db: deps.db, config: deps.config, clock }),
    });
  }
  // Report artifacts and the weekly e-mail (alerts-reports §13–§14), on the `reports` queue; the
  // e-mail's retries ride on the alert dispatch sweeper.
  registerReportJobs(registry, {
    db: deps.db,
    config: deps.config,
    clock,
    ...(deps.mailer && { mailer: deps.mailer }),
    ...(queue && { queue }),
    webhook: { onAlertDeliveryChanged: webhookDeps.onAlertDeliveryChanged },
  });
  // Outbound webhook retries (alerts-reports §9); later attempts refresh the alert's status.
  registry.register(webhookDispatchJob(webhookDeps));
  // Daily retention (alerts-reports §15, web-api-ops §7.5) on SCHEDULE_RETENTION.
  registry.register(retentionJob({ db: deps.db, config: deps.config, clock }));
  // Daily backup of the embedded database (web-api-ops §7.4) on SCHEDULE_BACKUP.
  const backup = backupJob({ ...(deps.database && { database: deps.database }), config: deps.config, clock });
  if (backup) registry.register(backup);
}

/** The cron schedules whose job kinds exist, from SCHEDULE_* (a schedule set to off is left out). */
export function configuredSchedules(config: Config, registry: JobRegistry): ScheduleDefinition[] {
  const wanted: Array<{ name: keyof Config['scheduler']['schedules']; kind: string }> = [
    { name: 'cleanup', kind: 'maintenance.cleanup' },
    { name: 'alert_dispatch', kind: 'alerts.dispatch' },
    { name: 'retention', kind: RETENTION_JOB },
    { name: 'backup', kind: BACKUP_JOB },
  ];
  const schedules: ScheduleDefinition[] = [];
  for (const { name, kind } of wanted) {
    const cron = config.scheduler.schedules[name];
    if (cron && registry.get(kind)) schedules.push({ name, cron, kind });
  }
  // The upload sweeper (ingestion §2.3) runs every 5 minutes whenever its job kind exists.
  if (registry.get('ingest.sweep')) {
    schedules.push({ name: 'upload_sweep', cron: '*/5 * * * *', kind: 'ingest.sweep' });
  }
  const webhookDispatch = webhookDispatchSchedule(config);
  if (webhookDispatch && registry.get(webhookDispatch.kind)) schedules.push(webhookDispatch);
  // SCHEDULE_DRIFTWATCH / _DENIALSCOPE / _DELAYGUARD: one fan-out job per product.
  for (const schedule of analysisSchedules(config.scheduler.schedules)) {
    if (registry.get(schedule.kind)) schedules.push(schedule);
  }
  return schedules;
}
