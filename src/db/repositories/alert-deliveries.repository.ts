import type { Kysely, Selectable } from 'kysely';
import type { DeliveryUpdate, ResolvedTarget } from '../../domain/alerts/delivery.ts';
import type { AlertDeliveriesTable, DB, NotificationChannelsTable } from '../schema.ts';

/** Alert delivery records (alerts-reports §5): one per (alert, channel_key). Customer id first. */

export type AlertDeliveryRecord = Selectable<AlertDeliveriesTable>;
export type NotificationChannelRecord = Selectable<NotificationChannelsTable>;

/**
 * Creates one record per resolved channel, due now (so a crash before the first attempt leaves
 * them to the sweeper). The unique key (alert, channel_key) makes a second call a no-op.
 */
export async function insertDeliveries(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
  targets: readonly ResolvedTarget[],
  now: Date,
): Promise<void> {
  if (targets.length === 0) return;
  await db
    .insertInto('alert_deliveries')
    .values(
      targets.map((t) => ({
        customer_id: customerId,
        alert_event_id: alertEventId,
        channel_key: t.channelKey,
        channel_id: t.channelId,
        channel_type: t.channelType,
        channel_name: t.channelName,
        target_summary: t.targetSummary,
        status: 'pending' as const,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['customer_id', 'alert_event_id', 'channel_key']).doNothing())
    .execute();
}

/** The alert's records, by id. */
export async function listAlertDeliveries(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
): Promise<AlertDeliveryRecord[]> {
  return db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertEventId)
    .orderBy('id')
    .execute();
}

export async function countAlertDeliveries(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
): Promise<number> {
  const row = await db
    .selectFrom('alert_deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertEventId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Claims one due record for an attempt: only an open record (`pending`/`retrying`) whose next
 * attempt is due, and it moves `next_attempt_at` to `leaseUntil` so no other sender or sweeper
 * attempts it meanwhile (never the same alert twice to a channel). Undefined when not claimable.
 */
export async function claimDueDelivery(
  db: Kysely<DB>,
  customerId: number,
  deliveryId: number,
  now: Date,
  leaseUntil: Date,
): Promise<AlertDeliveryRecord | undefined> {
  return db
    .updateTable('alert_deliveries')
    .set({ next_attempt_at: leaseUntil })
    .where('customer_id', '=', customerId)
    .where('id', '=', deliveryId)
    .where('status', 'in', ['pending', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .returningAll()
    .executeTakeFirst();
}

/** Stores the outcome of an attempt. */
export async function recordDeliveryAttempt(
  db: Kysely<DB>,
  customerId: number,
  deliveryId: number,
  update: DeliveryUpdate & { attachment_error?: string | null; webhook_delivery_id?: number | null },
): Promise<void> {
  await db
    .updateTable('alert_deliveries')
    .set({ ...update, updated_at: update.last_attempt_at })
    .where('customer_id', '=', customerId)
    .where('id', '=', deliveryId)
    .execute();
}

/**
 * Cross-customer (the dispatch sweeper only, §5): open records whose next attempt is due, oldest
 * first. Webhook-type records handed to a webhook delivery are retried by that delivery, not here.
 */
export async function listDueDeliveries(
  db: Kysely<DB>,
  now: Date,
  limit: number,
): Promise<Array<{ customer_id: number; id: number; alert_event_id: number }>> {
  return db
    .selectFrom('alert_deliveries')
    .select(['customer_id', 'id', 'alert_event_id'])
    .where('status', 'in', ['pending', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('channel_type', '<>', 'webhook'), eb('webhook_delivery_id', 'is', null)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** The customer's channels (routing reads every one; secrets are opened only to send). */
export async function listNotificationChannels(
  db: Kysely<DB>,
  customerId: number,
): Promise<NotificationChannelRecord[]> {
  return db
    .selectFrom('notification_channels')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
}

export async function findNotificationChannel(
  db: Kysely<DB>,
  customerId: number,
  channelId: number,
): Promise<NotificationChannelRecord | undefined> {
  return db
    .selectFrom('notification_channels')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', channelId)
    .executeTakeFirst();
}

/** Names of the customer's webhook endpoints (target summaries). */
export async function webhookEndpointNames(db: Kysely<DB>, customerId: number): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'name'])
    .where('customer_id', '=', customerId)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
