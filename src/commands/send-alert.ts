import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import {
  type AlertDeliveryRecord,
  claimDueDelivery,
  countAlertDeliveries,
  findNotificationChannel,
  insertDeliveries,
  listAlertDeliveries,
  listDueDeliveries,
  listNotificationChannels,
  recordDeliveryAttempt,
  webhookEndpointNames,
} from '../db/repositories/alert-deliveries.repository.ts';
import {
  type AlertEventRecord,
  findAlertEvent,
  findAlertRule,
  listPendingAlertIds,
  listSuppressionHistory,
  listSuppressionJudgments,
  markAlertFailed,
  markAlertSent,
  markAlertSuppressed,
} from '../db/repositories/alert-events.repository.ts';
import { insertSystemEvent } from '../db/repositories/analysis-runs.repository.ts';
import { findCustomerById } from '../db/repositories/customers.repository.ts';
import { findSettingsOfCustomer } from '../db/repositories/settings.repository.ts';
import type { AlertStatus, AnalysisProduct, DB } from '../db/schema.ts';
import {
  type AttemptOutcome,
  alertStatusFromDeliveries,
  allChannelsFailedMessage,
  COOLDOWN_MS,
  decideSuppression,
  deliveryAfterAttempt,
  NO_CHANNEL_MESSAGE,
  NOISE_MEMORY_MS,
  resolveChannels,
  settingsRecipients,
  validRecipients,
  weeklyPdfFilename,
} from '../domain/alerts/index.ts';
import type { MailAttachment, Mailer } from '../notify/mail.ts';
import { openSecret } from '../notify/secrets.ts';
import { postSlackMessage } from '../notify/slack.ts';
import { type AlertMetrics, alertMetrics, deliveryResultOf } from '../obs/alert-metrics.ts';
import { recordAudit } from '../obs/audit.ts';
import { alertEmail } from '../presenters/alert-email.ts';
import type { AlertMessageInput } from '../presenters/alert-message.ts';
import { alertSlackMessage } from '../presenters/alert-slack.ts';
import type { Clock } from '../services.ts';

/**
 * `send-alert` (alerts-reports §4–§8): delivers a customer's pending alerts one at a time in §5
 * order (rule priority desc, finding severity desc, id asc). Before an alert's first delivery
 * the suppression check (§6) runs once; a delivered alert gets one record per resolved channel
 * (§5), each attempted by email (SMTP), Slack (incoming webhook) or the injected webhook sender,
 * then retried on the 2^n-minute schedule by the dispatch sweeper. The alert's status follows
 * from its records ({@link refreshAlertStatus}). Only `pending` alerts are acted on; a record is
 * claimed before each attempt, so one alert never goes twice to a channel.
 */

/** The outcome the webhook side reports for an alert's webhook-type delivery. */
export interface AlertWebhookResult {
  status: 'success' | 'retrying' | 'failed' | 'skipped';
  webhookDeliveryId: number | null;
  responseCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

export type DeliverAlertWebhook = (input: {
  customerId: number;
  alertEventId: number;
  alertDeliveryId: number;
  endpointId: number;
  requestId: string | null;
}) => Promise<AlertWebhookResult>;

/** Seam for the weekly DriftWatch PDF (reports, §7 "Attachment"); absent → no attachment. */
export type WeeklyPdfProvider = (run: {
  customerId: number;
  runId: number;
  asOf: string;
}) => Promise<{ filename?: string; content: Buffer } | null>;

export interface SendAlertDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Mailer;
  clock: Clock;
  logger?: Logger;
  /** Slack transport override (tests). */
  fetch?: typeof fetch;
  deliverAlertWebhook?: DeliverAlertWebhook;
  weeklyPdf?: WeeklyPdfProvider;
  /** Defaults to the process's counters. */
  metrics?: AlertMetrics;
}

/** How long a claimed record is kept from other senders while its attempt runs. */
export const DELIVERY_LEASE_MS = 5 * 60_000;

export type SendOutcome = 'noop' | 'suppressed' | 'failed' | 'sent' | 'pending';

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim() === '' ? 'Unknown error' : message;
}

/** Processes the customer's pending alerts one at a time in §5 order, new arrivals included. */
export async function sendPendingAlerts(
  deps: SendAlertDeps,
  customerId: number,
): Promise<Record<SendOutcome, number>> {
  const counts: Record<SendOutcome, number> = { noop: 0, suppressed: 0, failed: 0, sent: 0, pending: 0 };
  const seen = new Set<number>();
  for (;;) {
    const next = (await listPendingAlertIds(deps.db, customerId)).filter((id) => !seen.has(id));
    if (next.length === 0) return counts;
    for (const id of next) {
      seen.add(id);
      counts[await sendAlert(deps, customerId, id)] += 1;
    }
  }
}

/** Sends one alert (no-op unless pending): suppression check, routing, first attempts. */
export async function sendAlert(
  deps: SendAlertDeps,
  customerId: number,
  alertEventId: number,
): Promise<SendOutcome> {
  const { db } = deps;
  const alert = await findAlertEvent(db, customerId, alertEventId);
  if (alert?.status !== 'pending') return 'noop';

  if ((await countAlertDeliveries(db, customerId, alert.id)) === 0) {
    const prepared = await prepareFirstDelivery(deps, alert);
    if (prepared !== 'deliver') return prepared;
  }
  for (const delivery of await listAlertDeliveries(db, customerId, alert.id)) {
    await attemptDelivery(deps, customerId, delivery.id);
  }
  // The attempts above may already have moved the alert; the refresh reports where it stands.
  const status = await refreshAlertStatus(db, customerId, alert.id, deps.clock.now(), deps.metrics);
  return status === 'sent' || status === 'failed' || status === 'pending' ? status : 'noop';
}

/** Suppression (once, §6), then routing (§5): suppressed / failed, or records created. */
async function prepareFirstDelivery(
  deps: SendAlertDeps,
  alert: AlertEventRecord,
): Promise<'suppressed' | 'failed' | 'noop' | 'deliver'> {
  const { db } = deps;
  const customerId = alert.customer_id;
  const now = deps.clock.now();
  const [history, judgments] = await Promise.all([
    listSuppressionHistory(db, customerId, alert, alert.id, new Date(now.getTime() - COOLDOWN_MS)),
    listSuppressionJudgments(db, customerId, alert, alert.id, new Date(now.getTime() - NOISE_MEMORY_MS)),
  ]);
  const decision = decideSuppression({ now, alert, history, judgments });
  if (decision.suppressed) {
    const done = await db.transaction().execute(async (trx) => {
      if (!(await markAlertSuppressed(trx, customerId, alert.id, decision.reason, now))) return false;
      await recordAudit(trx, {
        action: 'alert_event_sent',
        customerId,
        entityType: 'alert_event',
        entityId: alert.id,
        requestId: alert.request_id,
        metadata: { suppressed: true, reason: decision.reason },
      });
      await insertSystemEvent(trx, customerId, 'alert_event_suppressed', {
        alert_id: alert.id,
        reason: decision.reason,
        product: alert.product,
        payer: alert.payer,
        signal_type: alert.signal_type,
      });
      return true;
    });
    if (!done) return 'noop';
    (deps.metrics ?? alertMetrics).alertSuppressed(decision.reason);
    return 'suppressed';
  }

  const [rule, channels, settings, endpointNames] = await Promise.all([
    findAlertRule(db, customerId, alert.rule_id),
    listNotificationChannels(db, customerId),
    findSettingsOfCustomer(db, customerId),
    webhookEndpointNames(db, customerId),
  ]);
  const targets = resolveChannels({
    // A deleted rule routes like a rule listing no channels.
    ruleChannelIds: rule?.channel_ids ?? [],
    channels,
    settings: settings ?? null,
    endpointNames,
  });
  if (targets.length === 0) {
    const failed = await db.transaction().execute(async (trx) => {
      if (!(await markAlertFailed(trx, customerId, alert.id, NO_CHANNEL_MESSAGE, now))) return false;
      await recordFailure(trx, alert, NO_CHANNEL_MESSAGE);
      return true;
    });
    return failed ? 'failed' : 'noop';
  }
  await insertDeliveries(db, customerId, alert.id, targets, now);
  return 'deliver';
}

async function recordFailure(db: Kysely<DB>, alert: AlertEventRecord, errorMessage: string): Promise<void> {
  await recordAudit(db, {
    action: 'alert_event_failed',
    customerId: alert.customer_id,
    entityType: 'alert_event',
    entityId: alert.id,
    requestId: alert.request_id,
    metadata: { error_message: errorMessage },
  });
  await insertSystemEvent(db, alert.customer_id, 'alert_event_failed', {
    alert_id: alert.id,
    product: alert.product,
    payer: alert.payer,
    error_message: errorMessage,
  });
}

/**
 * Recomputes an alert's status from its delivery records (§5) and applies the §4 transition
 * from `pending`: any success → `sent` (stamped with the first delivery time, audited), all
 * records terminal → `failed` ("All channels failed: …", audited). Other statuses are left alone
 * (a verdict or an earlier transition decided them). Returns the status the alert has after the
 * refresh, or undefined when the alert does not exist. The webhook side calls this when a
 * linked webhook delivery changes.
 */
export async function refreshAlertStatus(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
  now: Date,
  metrics: AlertMetrics = alertMetrics,
): Promise<AlertStatus | undefined> {
  let movedToSent: AnalysisProduct | undefined;
  const status = await db.transaction().execute(async (trx): Promise<AlertStatus | undefined> => {
    const alert = await findAlertEvent(trx, customerId, alertEventId);
    if (!alert) return undefined;
    if (alert.status !== 'pending') return alert.status;
    const deliveries = await listAlertDeliveries(trx, customerId, alertEventId);
    if (deliveries.length === 0) return 'pending';
    const computed = alertStatusFromDeliveries(deliveries.map((d) => d.status));
    // Another writer moved the alert since it was read: report where it is now.
    const movedElsewhere = async () => (await findAlertEvent(trx, customerId, alertEventId))?.status;
    if (computed === 'sent') {
      const successes = deliveries.filter((d) => d.status === 'success');
      const first = successes
        .map((d) => new Date(d.delivered_at ?? now))
        .reduce((a, b) => (a.getTime() <= b.getTime() ? a : b));
      if (!(await markAlertSent(trx, customerId, alertEventId, first, now))) return movedElsewhere();
      movedToSent = alert.product;
      const channels = successes.map((d) => d.channel_type);
      await recordAudit(trx, {
        action: 'alert_event_sent',
        customerId,
        entityType: 'alert_event',
        entityId: alertEventId,
        requestId: alert.request_id,
        metadata: { suppressed: false, channels },
      });
      await insertSystemEvent(trx, customerId, 'alert_event_sent', {
        alert_id: alertEventId,
        product: alert.product,
        payer: alert.payer,
        channels: successes.map((d) => d.channel_name),
      });
      return 'sent';
    }
    if (computed === 'failed') {
      const message = allChannelsFailedMessage(deliveries);
      if (!(await markAlertFailed(trx, customerId, alertEventId, message, now))) return movedElsewhere();
      await recordFailure(trx, alert, message);
      return 'failed';
    }
    return 'pending';
  });
  // After the commit: only the caller whose update moved the alert to `sent` counts it.
  if (movedToSent) metrics.alertSent(movedToSent);
  return status;
}

/**
 * Attempts one delivery record if it is open and due (claimed first, so concurrent senders and
 * the sweeper never attempt it twice), stores the outcome and refreshes the alert's status.
 * A record of an alert that is no longer pending is cancelled instead (a verdict stopped it).
 */
export async function attemptDelivery(
  deps: SendAlertDeps,
  customerId: number,
  deliveryId: number,
): Promise<void> {
  const { db } = deps;
  const now = deps.clock.now();
  const delivery = await claimDueDelivery(
    db,
    customerId,
    deliveryId,
    now,
    new Date(now.getTime() + DELIVERY_LEASE_MS),
  );
  if (!delivery) return;
  const alert = await findAlertEvent(db, customerId, delivery.alert_event_id);
  if (!alert || (alert.status !== 'pending' && alert.status !== 'sent')) {
    // needs_followup / acknowledged / resolved stop open deliveries (§4); failed has none open.
    await db
      .updateTable('alert_deliveries')
      .set({ status: 'cancelled', next_attempt_at: null, updated_at: now })
      .where('customer_id', '=', customerId)
      .where('id', '=', deliveryId)
      .execute();
    return;
  }
  let outcome: AttemptOutcome;
  let extra: { attachment_error?: string | null; webhook_delivery_id?: number | null } = {};
  let webhookNext: Date | null | undefined;
  try {
    const result = await attempt(deps, alert, delivery);
    outcome = result.outcome;
    extra = result.extra ?? {};
    webhookNext = result.webhookNextAttemptAt;
  } catch (error) {
    // A bug or an unexpected failure (e.g. the presenter) is a retryable failure, never a crash.
    deps.logger?.error(
      { err: errorText(error), alert_id: alert.id, delivery_id: deliveryId },
      'alert delivery crashed',
    );
    outcome = { kind: 'retryable', error: errorText(error) };
  }
  const at = deps.clock.now();
  const update = deliveryAfterAttempt(delivery, outcome, at);
  await recordDeliveryAttempt(db, customerId, deliveryId, {
    ...update,
    // A webhook delivery retries itself; the record mirrors its schedule (§5 table).
    ...(webhookNext !== undefined && { next_attempt_at: webhookNext }),
    ...extra,
  });
  const result = deliveryResultOf(update.status);
  if (result) (deps.metrics ?? alertMetrics).deliveryAttempted(delivery.channel_type, result);
  await refreshAlertStatus(db, customerId, alert.id, at, deps.metrics);
}

interface AttemptResult {
  outcome: AttemptOutcome;
  extra?: { attachment_error?: string | null; webhook_delivery_id?: number | null };
  webhookNextAttemptAt?: Date | null;
}

async function messageInput(
  deps: SendAlertDeps,
  alert: AlertEventRecord,
  channelName: string,
): Promise<AlertMessageInput> {
  const customer = await findCustomerById(deps.db, alert.customer_id);
  return {
    alert: {
      id: alert.id,
      request_id: alert.request_id,
      triggered_at: new Date(alert.triggered_at),
      severity_label: alert.severity_label,
      product: alert.product,
      payload: alert.payload,
    },
    customerName: customer?.name ?? `Customer ${alert.customer_id}`,
    channelName,
    portalBaseUrl: deps.config.portalBaseUrl,
  };
}

async function attempt(
  deps: SendAlertDeps,
  alert: AlertEventRecord,
  delivery: AlertDeliveryRecord,
): Promise<AttemptResult> {
  const channel =
    delivery.channel_id === null
      ? null
      : await findNotificationChannel(deps.db, alert.customer_id, delivery.channel_id);
  if (delivery.channel_id !== null && !channel) {
    return { outcome: { kind: 'terminal', error: 'Channel was deleted' } };
  }
  switch (delivery.channel_type) {
    case 'email':
      return attemptEmail(deps, alert, delivery, channel?.config.recipients ?? null);
    case 'slack': {
      if (!deps.config.slackEnabled) return { outcome: { kind: 'terminal', error: 'Slack disabled' } };
      if (!channel?.secret_enc)
        return { outcome: { kind: 'terminal', error: 'Slack channel has no webhook URL' } };
      let url: string;
      try {
        url = openSecret(deps.config, channel.secret_enc);
      } catch {
        return { outcome: { kind: 'terminal', error: 'Slack webhook URL cannot be decrypted' } };
      }
      const payload = alertSlackMessage(await messageInput(deps, alert, delivery.channel_name));
      const result = await postSlackMessage(url, payload, deps.fetch ? { fetch: deps.fetch } : {});
      return {
        outcome: result.ok
          ? { kind: 'success', responseCode: result.status }
          : {
              kind: 'retryable',
              error: result.error ?? 'Slack delivery failed',
              responseCode: result.status,
            },
      };
    }
    case 'webhook': {
      if (!deps.deliverAlertWebhook)
        return { outcome: { kind: 'skipped', error: 'Webhook delivery unavailable' } };
      const endpointId = channel?.config.endpoint;
      if (typeof endpointId !== 'number') {
        return { outcome: { kind: 'terminal', error: 'Webhook channel has no endpoint' } };
      }
      const r = await deps.deliverAlertWebhook({
        customerId: alert.customer_id,
        alertEventId: alert.id,
        alertDeliveryId: delivery.id,
        endpointId,
        requestId: alert.request_id,
      });
      const error = r.error ?? `Webhook delivery ${r.status}`;
      const outcome: AttemptOutcome =
        r.status === 'success'
          ? { kind: 'success', responseCode: r.responseCode }
          : r.status === 'skipped'
            ? { kind: 'skipped', error }
            : r.status === 'failed'
              ? { kind: 'terminal', error, responseCode: r.responseCode }
              : { kind: 'retryable', error, responseCode: r.responseCode };
      return {
        outcome,
        extra: { webhook_delivery_id: r.webhookDeliveryId },
        ...(r.status === 'retrying' && { webhookNextAttemptAt: r.nextAttemptAt }),
      };
    }
  }
}

async function attemptEmail(
  deps: SendAlertDeps,
  alert: AlertEventRecord,
  delivery: AlertDeliveryRecord,
  channelRecipients: string[] | null,
): Promise<AttemptResult> {
  const settings = await findSettingsOfCustomer(deps.db, alert.customer_id);
  let to: string[];
  let cc: string[] = [];
  if (delivery.channel_id === null) {
    ({ to, cc } = settingsRecipients(settings ?? null));
  } else {
    to = validRecipients(channelRecipients ?? []);
  }
  if (to.length === 0) return { outcome: { kind: 'terminal', error: 'Email channel has no recipients' } };

  const input = await messageInput(deps, alert, delivery.channel_name);
  const attachments: MailAttachment[] = [];
  let attachmentError: string | null = null;
  if (deps.weeklyPdf && alert.product === 'driftwatch' && (settings?.attach_pdf ?? true)) {
    const asOf =
      typeof (alert.payload as Record<string, unknown>)['as_of'] === 'string'
        ? ((alert.payload as Record<string, unknown>)['as_of'] as string)
        : null;
    try {
      const pdf = asOf
        ? await deps.weeklyPdf({ customerId: alert.customer_id, runId: alert.run_id, asOf })
        : null;
      if (pdf) {
        attachments.push({
          filename: pdf.filename ?? weeklyPdfFilename(input.customerName, asOf as string),
          content: pdf.content,
          contentType: 'application/pdf',
        });
      }
    } catch (error) {
      // §7: a PDF failure is logged and stored; the email still goes.
      attachmentError = errorText(error).slice(0, 500);
      deps.logger?.warn(
        { alert_id: alert.id, err: attachmentError },
        'weekly PDF for the alert email failed',
      );
    }
  }
  try {
    await deps.mailer.send({
      ...alertEmail(input),
      to: to.join(', '),
      ...(cc.length > 0 && { cc: cc.join(', ') }),
      ...(attachments.length > 0 && { attachments }),
    });
  } catch (error) {
    return {
      outcome: { kind: 'retryable', error: errorText(error) },
      extra: { attachment_error: attachmentError },
    };
  }
  return { outcome: { kind: 'success' }, extra: { attachment_error: attachmentError } };
}

/**
 * The dispatch sweeper (§5, every minute): attempts every open record whose next attempt is
 * due, across customers, oldest first. Returns how many records it looked at.
 */
export async function dispatchDueDeliveries(
  deps: SendAlertDeps,
  options: { limit?: number } = {},
): Promise<number> {
  const due = await listDueDeliveries(deps.db, deps.clock.now(), options.limit ?? 500);
  for (const d of due) await attemptDelivery(deps, d.customer_id, d.id);
  return due.length;
}
