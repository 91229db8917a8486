import type { Kysely, Selectable } from 'kysely';
import type {
  DB,
  WebhookDeliveriesTable,
  WebhookDeliveryAttemptsTable,
  WebhookDeliveryStatus,
} from '../schema.ts';

/**
 * The webhook delivery log (alerts-reports §9 "Delivery log"): one `webhook_deliveries` row per
 * (endpoint, event) with the envelope serialised once, and one `webhook_delivery_attempts` row
 * per attempt. Customer id first everywhere except the sweeper's due list, which by design
 * spans customers (it only returns keys; every further read is scoped again).
 */

export type WebhookDeliveryRecord = Selectable<WebhookDeliveriesTable>;
export type WebhookDeliveryAttemptRecord = Selectable<WebhookDeliveryAttemptsTable>;

/** How long an attempt holds a claimed delivery: far beyond the 10 s request deadline. */
export const ATTEMPT_LEASE_MS = 2 * 60_000;

export async function insertWebhookDelivery(
  db: Kysely<DB>,
  customerId: number,
  values: {
    endpointId: number;
    eventId: string;
    eventType: string;
    body: string;
    maxAttempts: number;
    requestId: string | null;
  },
  now: Date,
): Promise<WebhookDeliveryRecord> {
  return db
    .insertInto('webhook_deliveries')
    .values({
      customer_id: customerId,
      endpoint_id: values.endpointId,
      event_id: values.eventId,
      event_type: values.eventType,
      body: values.body,
      max_attempts: values.maxAttempts,
      request_id: values.requestId,
      // Due at once: if the immediate attempt never happens (crash), the sweeper sends it.
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findWebhookDelivery(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<WebhookDeliveryRecord | undefined> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The delivery of an event to an endpoint, if one was created already (idempotent emits). */
export async function findDeliveryOfEvent(
  db: Kysely<DB>,
  customerId: number,
  endpointId: number,
  eventId: string,
): Promise<WebhookDeliveryRecord | undefined> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('endpoint_id', '=', endpointId)
    .where('event_id', '=', eventId)
    .orderBy('id')
    .executeTakeFirst();
}

/** An endpoint's log, newest first, optionally by status. */
export async function listEndpointDeliveries(
  db: Kysely<DB>,
  customerId: number,
  endpointId: number,
  options: { status?: WebhookDeliveryStatus; limit: number; offset?: number },
): Promise<WebhookDeliveryRecord[]> {
  let query = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('endpoint_id', '=', endpointId);
  if (options.status) query = query.where('status', '=', options.status);
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit)
    .offset(options.offset ?? 0)
    .execute();
}

export async function countEndpointDeliveries(
  db: Kysely<DB>,
  customerId: number,
  endpointId: number,
  status?: WebhookDeliveryStatus,
): Promise<number> {
  let query = db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('endpoint_id', '=', endpointId);
  if (status) query = query.where('status', '=', status);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Attempts of the given deliveries, in attempt order. */
export async function listAttemptsOfDeliveries(
  db: Kysely<DB>,
  customerId: number,
  deliveryIds: readonly number[],
): Promise<WebhookDeliveryAttemptRecord[]> {
  if (deliveryIds.length === 0) return [];
  return db
    .selectFrom('webhook_delivery_attempts')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('delivery_id', 'in', [...deliveryIds])
    .orderBy('delivery_id')
    .orderBy('attempt_no')
    .execute();
}

/**
 * Takes a due delivery for one attempt: an open delivery whose `next_attempt_at` has come is
 * pushed one lease into the future and returned. Two workers (the immediate send and the
 * sweeper, or two sweepers) can never both get it; a worker that dies mid-attempt leaves it
 * due again when the lease ends.
 */
export async function claimDueDelivery(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  now: Date,
): Promise<WebhookDeliveryRecord | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: new Date(now.getTime() + ATTEMPT_LEASE_MS), updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .returningAll()
    .executeTakeFirst();
}

export async function insertDeliveryAttempt(
  db: Kysely<DB>,
  customerId: number,
  attempt: {
    deliveryId: number;
    attemptNo: number;
    startedAt: Date;
    durationMs: number;
    signatureTimestamp: number;
    responseCode: number | null;
    error: string | null;
  },
): Promise<void> {
  await db
    .insertInto('webhook_delivery_attempts')
    .values({
      customer_id: customerId,
      delivery_id: attempt.deliveryId,
      attempt_no: attempt.attemptNo,
      started_at: attempt.startedAt,
      duration_ms: attempt.durationMs,
      signature_timestamp: attempt.signatureTimestamp,
      response_code: attempt.responseCode,
      error: attempt.error,
    })
    .execute();
}

export async function recordDeliveryOutcome(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  outcome: {
    status: WebhookDeliveryStatus;
    attempts: number;
    lastAttemptAt: Date;
    nextAttemptAt: Date | null;
    responseCode: number | null;
    responseBody: string | null;
    lastError: string | null;
  },
  now: Date,
): Promise<WebhookDeliveryRecord> {
  return db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      attempts: outcome.attempts,
      last_attempt_at: outcome.lastAttemptAt,
      next_attempt_at: outcome.nextAttemptAt,
      response_code: outcome.responseCode,
      response_body: outcome.responseBody,
      last_error: outcome.lastError === null ? null : outcome.lastError.slice(0, 500),
      updated_at: now,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Deliveries due for an attempt across customers, oldest due first (the sweeper; served by the
 * partial index `webhook_deliveries_due`).
 */
export async function listDueDeliveryKeys(
  db: Kysely<DB>,
  now: Date,
  limit: number,
): Promise<Array<{ customer_id: number; id: number }>> {
  return db
    .selectFrom('webhook_deliveries')
    .select(['customer_id', 'id'])
    .where('status', 'in', ['pending', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Mirrors a webhook delivery onto the alert delivery that points at it (§5: a webhook channel's
 * record "mirrors the webhook delivery's retries"). Returns the alert event ids touched.
 */
export async function mirrorOntoAlertDeliveries(
  db: Kysely<DB>,
  customerId: number,
  delivery: WebhookDeliveryRecord,
  now: Date,
): Promise<number[]> {
  const rows = await db
    .updateTable('alert_deliveries')
    .set({
      status: delivery.status,
      attempts: delivery.attempts,
      last_attempt_at: delivery.last_attempt_at,
      next_attempt_at: delivery.next_attempt_at,
      response_code: delivery.response_code,
      last_error: delivery.last_error,
      ...(delivery.status === 'success' && { delivered_at: delivery.last_attempt_at }),
      updated_at: now,
    })
    .where('customer_id', '=', customerId)
    .where('webhook_delivery_id', '=', delivery.id)
    .returning('alert_event_id')
    .execute();
  return rows.map((r) => r.alert_event_id);
}

/** Links an alert delivery record to its webhook delivery. */
export async function linkAlertDelivery(
  db: Kysely<DB>,
  customerId: number,
  alertDeliveryId: number,
  webhookDeliveryId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('alert_deliveries')
    .set({ webhook_delivery_id: webhookDeliveryId, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', alertDeliveryId)
    .execute();
}
