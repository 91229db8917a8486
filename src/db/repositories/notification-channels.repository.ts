import { type Kysely, type Selectable, sql } from 'kysely';
import type { ChannelValues } from '../../domain/alerts/channel-input.ts';
import type { DB } from '../schema.ts';
import type { ChannelType, NotificationChannelsTable } from '../schema-alerts.ts';

/**
 * Notification channels (alerts-reports §5). Customer id first in every function. The Slack
 * URL is stored sealed (`secret_enc`) with its last 4 characters; callers outside the send
 * path never open it.
 */

export type ChannelRecord = Selectable<NotificationChannelsTable>;

export interface ChannelFilters {
  type?: ChannelType;
  enabled?: boolean;
}

/** The customer's channels by name (case-insensitive), then id. */
export async function listChannels(
  db: Kysely<DB>,
  customerId: number,
  filters: ChannelFilters = {},
): Promise<ChannelRecord[]> {
  let query = db.selectFrom('notification_channels').selectAll().where('customer_id', '=', customerId);
  if (filters.type !== undefined) query = query.where('type', '=', filters.type);
  if (filters.enabled !== undefined) query = query.where('enabled', '=', filters.enabled);
  return query.orderBy(sql`lower(name)`).orderBy('id').execute();
}

export async function findChannel(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<ChannelRecord | undefined> {
  return db
    .selectFrom('notification_channels')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function lockChannel(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<ChannelRecord | undefined> {
  return db
    .selectFrom('notification_channels')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** Ids of the customer's channels (a rule may list only these). */
export async function channelIdsOfCustomer(db: Kysely<DB>, customerId: number): Promise<Set<number>> {
  const rows = await db
    .selectFrom('notification_channels')
    .select('id')
    .where('customer_id', '=', customerId)
    .execute();
  return new Set(rows.map((row) => Number(row.id)));
}

/** Another channel of the customer with this name, compared case-insensitively. */
export async function findChannelNamed(
  db: Kysely<DB>,
  customerId: number,
  name: string,
  exceptId: number | null = null,
): Promise<{ id: number } | undefined> {
  let query = db
    .selectFrom('notification_channels')
    .select('id')
    .where('customer_id', '=', customerId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId !== null) query = query.where('id', '<>', exceptId);
  return query.executeTakeFirst();
}

/** The sealed Slack URL to store with a change: a new one, or keep (undefined). */
export interface SealedSecret {
  sealed: Buffer;
  last4: string;
}

export async function insertChannel(
  db: Kysely<DB>,
  customerId: number,
  values: ChannelValues,
  secret: SealedSecret | null,
  now: Date,
): Promise<ChannelRecord> {
  return db
    .insertInto('notification_channels')
    .values({
      customer_id: customerId,
      name: values.name,
      type: values.type,
      enabled: values.enabled,
      config: JSON.stringify(values.config),
      secret_enc: secret?.sealed ?? null,
      secret_last4: secret?.last4 ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateChannel(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  values: ChannelValues,
  secret: SealedSecret | null,
  now: Date,
): Promise<ChannelRecord> {
  return db
    .updateTable('notification_channels')
    .set({
      name: values.name,
      enabled: values.enabled,
      config: JSON.stringify(values.config),
      ...(secret ? { secret_enc: secret.sealed, secret_last4: secret.last4 } : {}),
      updated_at: now,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteChannel(db: Kysely<DB>, customerId: number, id: number): Promise<void> {
  await db
    .deleteFrom('notification_channels')
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .execute();
}

/** The customer's webhook endpoints (id → name) a webhook-type channel may name. */
export async function webhookEndpointNames(db: Kysely<DB>, customerId: number): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'name'])
    .where('customer_id', '=', customerId)
    .orderBy('name')
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.name]));
}
