import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { findRun, insertSystemEvent } from '../db/repositories/analysis-runs.repository.ts';
import { findCustomerById } from '../db/repositories/customers.repository.ts';
import { listRunFindings } from '../db/repositories/findings.repository.ts';
import {
  claimDueReportDelivery,
  insertWeeklyDelivery,
  listDueReportDeliveries,
  type ReportDeliveryRecord,
  recordReportDeliveryAttempt,
} from '../db/repositories/report-deliveries.repository.ts';
import { findSettingsOfCustomer, type SettingsRecord } from '../db/repositories/settings.repository.ts';
import type { DB, ReportDeliveryStatus } from '../db/schema.ts';
import { settingsRecipients } from '../domain/alerts/delivery.ts';
import { recoveryLedger } from '../domain/alerts/recovery.ts';
import { nextAttemptAfterFailure } from '../domain/alerts/retry.ts';
import { weeklyReportSlot } from '../domain/reports/weekly-slot.ts';
import type { MailAttachment, Mailer } from '../notify/mail.ts';
import { weeklyEmail } from '../presenters/weekly-email.ts';
import { listRecoveries } from '../queries/recovery-ledger.ts';
import type { ArtifactStore } from '../reports/artifact-store.ts';
import type { ReportBuilders } from '../reports/builders.ts';
import type { Clock } from '../services.ts';
import { runDownload } from './report-artifact.ts';

/**
 * The weekly report e-mail (alerts-reports §13.5): after a successful **scheduled** DriftWatch
 * run, for a customer with `weekly_report_enabled` and a `to_email`, one e-mail per run —
 * recorded in `report_deliveries` (customer, run, `weekly_email`) before anything is sent, so a
 * re-run of that `as_of` (the same run row) or a second job never sends again. The record is
 * due at the customer's local slot (time_zone, weekly_report_day, weekly_report_hour; see
 * domain/reports/weekly-slot.ts); a due record is attempted at once, a later one by the
 * dispatch sweeper. Failures retry on the §5 schedule (+2, +6, +14, +30 min), then `failed`.
 */

export interface WeeklyReportDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  clock: Clock;
  /** Where the run's PDF is kept (DATA_DIR); it is built if missing (§13.1). */
  store: ArtifactStore;
  /** Defaults to the product's report builders; tests pass their own. */
  builders?: ReportBuilders;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** How long an attempt holds its record from other senders (as alert deliveries). */
export const WEEKLY_REPORT_LEASE_MS = 5 * 60_000;

export type WeeklyReportOutcome =
  /** Not a successful scheduled DriftWatch run of this customer: no e-mail, no record. */
  | 'not_applicable'
  /** `weekly_report_enabled` is off, or `to_email` holds no valid address: no record. */
  | 'disabled'
  /** The run already has its record (sent, failed or open): nothing more happens here. */
  | 'already_recorded'
  /** Recorded; due at the customer's slot, the sweeper sends it. */
  | 'waiting'
  /** Another attempt holds the record, or it is not due / not open. */
  | 'busy'
  | Exclude<ReportDeliveryStatus, 'pending'>;

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.trim() === '' ? 'Unknown error' : message).slice(0, 500);
}

function recipientsOf(settings: SettingsRecord | undefined): { to: string[]; cc: string[] } {
  return settingsRecipients(settings ?? null);
}

/** The `reports.weekly_email` job: records the run's e-mail and sends it when it is due. */
export async function sendWeeklyReport(
  deps: WeeklyReportDeps,
  input: { customerId: number; runId: number },
): Promise<WeeklyReportOutcome> {
  const { db } = deps;
  const run = await findRun(db, input.customerId, input.runId);
  const applicable =
    run?.product === 'driftwatch' && run.run_type === 'scheduled' && run.status === 'success';
  if (!run || !applicable) return 'not_applicable';
  const settings = await findSettingsOfCustomer(db, input.customerId);
  const { to, cc } = recipientsOf(settings);
  if (!settings?.weekly_report_enabled || to.length === 0) return 'disabled';

  const now = deps.clock.now();
  const due = weeklyReportSlot(run.finished_at ?? now, {
    timeZone: settings.time_zone,
    day: settings.weekly_report_day,
    hour: settings.weekly_report_hour,
  });
  const record = await insertWeeklyDelivery(db, input.customerId, {
    runId: run.id,
    recipients: [...to, ...cc],
    nextAttemptAt: due,
    at: now,
  });
  if (!record) return 'already_recorded';
  if (due.getTime() > now.getTime()) return 'waiting';
  return attemptWeeklyReport(deps, input.customerId, record.id);
}

type AttemptResult =
  | { kind: 'success'; recipients: string[]; attached: boolean }
  | { kind: 'retryable' | 'terminal'; error: string; recipients: string[] };

/** Builds and sends the message of a claimed record. Throws nothing: failures are results. */
async function attempt(deps: WeeklyReportDeps, record: ReportDeliveryRecord): Promise<AttemptResult> {
  const { db } = deps;
  const customerId = record.customer_id;
  const [run, settings, customer] = await Promise.all([
    findRun(db, customerId, record.run_id),
    findSettingsOfCustomer(db, customerId),
    findCustomerById(db, customerId),
  ]);
  const { to, cc } = recipientsOf(settings);
  const recipients = [...to, ...cc];
  // Settings changed while the record waited for its slot: the customer turned the e-mail off
  // or removed the address. Nothing to retry.
  if (!settings?.weekly_report_enabled)
    return { kind: 'terminal', error: 'Weekly report e-mail was disabled', recipients };
  if (to.length === 0)
    return { kind: 'terminal', error: 'No valid notification email in Settings', recipients };
  // A re-run of the same as_of is replacing the findings: try again once it has finished.
  if (run?.status !== 'success') return { kind: 'retryable', error: 'The run is being re-run', recipients };
  try {
    const attachments: MailAttachment[] = [];
    if (settings.attach_pdf) {
      const pdf = await runDownload(
        { db, clock: deps.clock, store: deps.store, ...(deps.builders && { builders: deps.builders }) },
        { customerId, runId: run.id, format: 'pdf' },
      );
      attachments.push({ filename: pdf.filename, content: pdf.bytes, contentType: 'application/pdf' });
    }
    const today = deps.clock.now().toISOString().slice(0, 10);
    const [findings, recoveries] = await Promise.all([
      listRunFindings(db, customerId, run.id),
      listRecoveries(db, customerId),
    ]);
    const message = weeklyEmail({
      customerName: customer?.name ?? `Customer ${customerId}`,
      run,
      findings,
      recoveredThisMonth: recoveryLedger(recoveries, today).thisMonth.total,
      portalBaseUrl: deps.config.portalBaseUrl,
      pdfAttached: attachments.length > 0,
    });
    await deps.mailer.send({
      ...message,
      to: to.join(', '),
      ...(cc.length > 0 && { cc: cc.join(', ') }),
      ...(attachments.length > 0 && { attachments }),
    });
    return { kind: 'success', recipients, attached: attachments.length > 0 };
  } catch (error) {
    // SMTP refusals and transport errors, and a PDF that could not be built: the weekly e-mail
    // is the report, so it waits for its PDF rather than going without it (§13.5 "and its PDF").
    return { kind: 'retryable', error: errorText(error), recipients };
  }
}

/**
 * One attempt of an open, due record (claimed first, so the job and the sweeper never send it
 * twice): sends, stores the outcome with the §5 retry schedule and, once sent, records the
 * system event `weekly_report_sent` in the same transaction.
 */
export async function attemptWeeklyReport(
  deps: WeeklyReportDeps,
  customerId: number,
  deliveryId: number,
): Promise<WeeklyReportOutcome> {
  const { db } = deps;
  const now = deps.clock.now();
  const record = await claimDueReportDelivery(
    db,
    customerId,
    deliveryId,
    now,
    new Date(now.getTime() + WEEKLY_REPORT_LEASE_MS),
  );
  if (!record) return 'busy';
  const result = await attempt(deps, record);
  const at = deps.clock.now();
  const attempts = record.attempts + 1;
  const next = result.kind === 'retryable' ? nextAttemptAfterFailure(attempts, at) : null;
  const status: Exclude<ReportDeliveryStatus, 'pending'> =
    result.kind === 'success' ? 'sent' : result.kind === 'retryable' && next ? 'retrying' : 'failed';
  await db.transaction().execute(async (trx) => {
    await recordReportDeliveryAttempt(trx, customerId, deliveryId, {
      status,
      attempts,
      last_attempt_at: at,
      next_attempt_at: next,
      delivered_at: result.kind === 'success' ? at : null,
      last_error: result.kind === 'success' ? null : result.error,
      recipients: result.recipients,
    });
    if (result.kind === 'success') {
      const run = await findRun(trx, customerId, record.run_id);
      await insertSystemEvent(trx, customerId, 'weekly_report_sent', {
        run_id: record.run_id,
        as_of: run?.as_of ?? null,
        recipients: result.recipients.length,
        pdf_attached: result.attached,
        attempts,
      });
    }
  });
  if (result.kind !== 'success') {
    deps.logger?.warn(
      { customer_id: customerId, delivery_id: deliveryId, attempts, status, err: result.error },
      'weekly report e-mail attempt failed',
    );
  }
  return status;
}

/**
 * The dispatch sweeper's share (§14, SCHEDULE_ALERT_DISPATCH): every open weekly e-mail record
 * that is due — first attempts waiting for their local slot and retries — across customers,
 * oldest first. Returns how many records it looked at.
 */
export async function dispatchDueWeeklyReports(
  deps: WeeklyReportDeps,
  options: { limit?: number } = {},
): Promise<number> {
  const due = await listDueReportDeliveries(deps.db, deps.clock.now(), options.limit ?? 100);
  for (const d of due) await attemptWeeklyReport(deps, d.customer_id, d.id);
  return due.length;
}
