import type { Kysely } from 'kysely';
import { findAlertEvent } from '../db/repositories/alert-events.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import { alertTriggeredData } from '../presenters/webhooks.ts';
import type { Clock } from '../services.ts';
import { deliverAlertTriggered, type WebhookDeliveryDeps } from './deliver-webhook.ts';
import { type DeliverAlertWebhook, refreshAlertStatus } from './send-alert.ts';

/**
 * Joins the alert sender and the webhook deliverer (alerts-reports §5 "webhook" row, §9):
 * the sender's `deliverAlertWebhook` seam builds the `alert.triggered` data from the alert's
 * payload snapshot and hands it to the webhook side; the webhook sweeper's
 * `onAlertDeliveryChanged` recomputes the alert's status after a later retry.
 */
export function alertWebhookDeliverer(deps: WebhookDeliveryDeps): DeliverAlertWebhook {
  return async (input) => {
    const alert = await findAlertEvent(deps.db, input.customerId, input.alertEventId);
    if (!alert) {
      return {
        status: 'skipped',
        webhookDeliveryId: null,
        responseCode: null,
        error: 'Alert not found',
        nextAttemptAt: null,
      };
    }
    const payload = alert.payload as JsonObject;
    const data = alertTriggeredData({
      alertId: alert.id,
      status: alert.status,
      triggeredAt: alert.triggered_at,
      rule: {
        id: alert.rule_id,
        name: typeof payload['rule_name'] === 'string' ? payload['rule_name'] : '',
        level: typeof payload['rule_level'] === 'string' ? payload['rule_level'] : '',
      },
      evidence: payload,
      portalUrl: `${deps.config.portalBaseUrl}/portal/alerts/${alert.id}/deep-dive/`,
    });
    return deliverAlertTriggered(deps, { ...input, data });
  };
}

/** The webhook sweeper's callback: an alert delivery mirroring a webhook delivery changed. */
export function alertStatusRefresher(
  db: Kysely<DB>,
  clock: Clock,
): (customerId: number, alertEventId: number) => Promise<void> {
  return async (customerId, alertEventId) => {
    await refreshAlertStatus(db, customerId, alertEventId, clock.now());
  };
}
