import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, WebhookEndpointsTable } from '../schema.ts';

/**
 * Outbound webhook endpoints (alerts-reports §9): customer id first on every call. Secrets are
 * stored sealed (`secret_enc`); nothing here opens them.
 */

export type WebhookEndpointRecord = Selectable<WebhookEndpointsTable>;

export interface WebhookEndpointValues {
  name: string;
  url: string;
  active: boolean;
  eventTypes: string[];
  secretEnc: Buffer;
  secretLast4: string;
}

export async function insertWebhookEndpoint(
  db: Kysely<DB>,
  customerId: number,
  values: WebhookEndpointValues,
  now: Date,
): Promise<WebhookEndpointRecord> {
  return db
    .insertInto('webhook_endpoints')
    .values({
      customer_id: customerId,
      name: values.name,
      url: values.url,
      active: values.active,
      event_types: JSON.stringify(values.eventTypes),
      secret_enc: values.secretEnc,
      secret_last4: values.secretLast4,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The customer's endpoints by name. */
export async function listWebhookEndpoints(
  db: Kysely<DB>,
  customerId: number,
): Promise<WebhookEndpointRecord[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export async function findWebhookEndpoint(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<WebhookEndpointRecord | undefined> {
  let query = db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Another endpoint of the customer with this name (case-insensitive), for the uniqueness message. */
export async function findWebhookEndpointByName(
  db: Kysely<DB>,
  customerId: number,
  name: string,
): Promise<WebhookEndpointRecord | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
}

/**
 * Active endpoints subscribed to an event type: `event_types` empty (= all) or listing it
 * (jsonb containment `@>` of a one-element array).
 */
export async function listSubscribedEndpoints(
  db: Kysely<DB>,
  customerId: number,
  eventType: string,
): Promise<WebhookEndpointRecord[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('active', '=', true)
    .where(sql<boolean>`(event_types = '[]'::jsonb OR event_types @> ${JSON.stringify([eventType])}::jsonb)`)
    .orderBy('id')
    .execute();
}

export interface WebhookEndpointChanges {
  name?: string;
  url?: string;
  active?: boolean;
  eventTypes?: string[];
  secretEnc?: Buffer;
  secretLast4?: string;
  previousSecretEnc?: Buffer | null;
  previousSecretExpiresAt?: Date | null;
  consecutiveFailures?: number;
  disabledReason?: string | null;
}

export async function updateWebhookEndpoint(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  changes: WebhookEndpointChanges,
  now: Date,
): Promise<WebhookEndpointRecord> {
  return db
    .updateTable('webhook_endpoints')
    .set({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.url !== undefined && { url: changes.url }),
      ...(changes.active !== undefined && { active: changes.active }),
      ...(changes.eventTypes !== undefined && { event_types: JSON.stringify(changes.eventTypes) }),
      ...(changes.secretEnc !== undefined && { secret_enc: changes.secretEnc }),
      ...(changes.secretLast4 !== undefined && { secret_last4: changes.secretLast4 }),
      ...(changes.previousSecretEnc !== undefined && { previous_secret_enc: changes.previousSecretEnc }),
      ...(changes.previousSecretExpiresAt !== undefined && {
        previous_secret_expires_at: changes.previousSecretExpiresAt,
      }),
      ...(changes.consecutiveFailures !== undefined && { consecutive_failures: changes.consecutiveFailures }),
      ...(changes.disabledReason !== undefined && { disabled_reason: changes.disabledReason }),
      updated_at: now,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteWebhookEndpoint(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('webhook_endpoints')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
