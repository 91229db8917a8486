import { type Kysely, type Selectable, sql } from 'kysely';
import type { AlertRuleValues } from '../../domain/alerts/rule-input.ts';
import type { DB } from '../schema.ts';
import type { AlertRuleProduct, AlertRulesTable } from '../schema-alerts.ts';

/**
 * Alert rules (alerts-reports §2). Customer id first in every function; rules of another
 * customer are never read or written. Lists come in evaluation order: priority desc, name asc,
 * id asc (the index `alert_rules_customer_order`).
 */

export type AlertRuleRecord = Selectable<AlertRulesTable>;

/**
 * The rule every customer starts with (alerts-reports §2): any product, severity ≥ 0.7, level
 * critical, all channels, priority 0. Migration 0025 gives it to existing customers.
 */
export const DEFAULT_ALERT_RULE = {
  name: 'High severity findings',
  product: 'any',
  metric: 'severity',
  threshold_type: 'gte',
  threshold_value: 0.7,
  severity: 'critical',
  priority: 0,
} as const;

/** Inserts the default rule for a new customer, in the caller's transaction. */
export async function insertDefaultAlertRule(db: Kysely<DB>, customerId: number): Promise<void> {
  await db
    .insertInto('alert_rules')
    .values({ customer_id: customerId, ...DEFAULT_ALERT_RULE })
    .onConflict((oc) => oc.columns(['customer_id', 'name']).doNothing())
    .execute();
}

export interface AlertRuleFilters {
  enabled?: boolean;
  product?: AlertRuleProduct;
}

/** The customer's rules, filtered, in evaluation order. */
export async function listAlertRules(
  db: Kysely<DB>,
  customerId: number,
  filters: AlertRuleFilters = {},
): Promise<AlertRuleRecord[]> {
  let query = db.selectFrom('alert_rules').selectAll().where('customer_id', '=', customerId);
  if (filters.enabled !== undefined) query = query.where('enabled', '=', filters.enabled);
  if (filters.product !== undefined) query = query.where('product', '=', filters.product);
  return query.orderBy('priority', 'desc').orderBy('name').orderBy('id').execute();
}

export async function findAlertRule(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<AlertRuleRecord | undefined> {
  return db
    .selectFrom('alert_rules')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Locks the rule for a change (the command's transaction). */
export async function lockAlertRule(
  db: Kysely<DB>,
  customerId: number,
  id: number,
): Promise<AlertRuleRecord | undefined> {
  return db
    .selectFrom('alert_rules')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Another rule of the customer with this name, compared case-insensitively: "Payer spikes" and
 * "payer spikes" side by side would be indistinguishable in the rules table and the e-mails.
 */
export async function findAlertRuleNamed(
  db: Kysely<DB>,
  customerId: number,
  name: string,
  exceptId: number | null = null,
): Promise<{ id: number } | undefined> {
  let query = db
    .selectFrom('alert_rules')
    .select('id')
    .where('customer_id', '=', customerId)
    .where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId !== null) query = query.where('id', '<>', exceptId);
  return query.executeTakeFirst();
}

function columnsOf(values: AlertRuleValues) {
  return {
    name: values.name,
    description: values.description,
    product: values.product,
    scope: JSON.stringify(values.scope),
    metric: values.metric,
    threshold_type: values.threshold_type,
    threshold_value: values.threshold_value,
    severity: values.severity,
    channel_ids: JSON.stringify(values.channel_ids),
    priority: values.priority,
    routing_tags: JSON.stringify(values.routing_tags),
    enabled: values.enabled,
  };
}

export async function insertAlertRule(
  db: Kysely<DB>,
  customerId: number,
  values: AlertRuleValues,
  now: Date,
): Promise<AlertRuleRecord> {
  return db
    .insertInto('alert_rules')
    .values({ customer_id: customerId, ...columnsOf(values), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateAlertRule(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  values: AlertRuleValues,
  now: Date,
): Promise<AlertRuleRecord> {
  return db
    .updateTable('alert_rules')
    .set({ ...columnsOf(values), updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteAlertRule(db: Kysely<DB>, customerId: number, id: number): Promise<void> {
  await db.deleteFrom('alert_rules').where('customer_id', '=', customerId).where('id', '=', id).execute();
}

/**
 * Takes a deleted channel out of every rule that lists it. Routing is unchanged by this: a
 * listed channel that no longer exists is skipped anyway, and a rule left with none falls back
 * to all enabled channels in both cases (§5); the rules table just stops showing a dead id.
 * The array is rebuilt in order without the id (jsonb `-` removes only string elements).
 */
export async function removeChannelFromRules(
  db: Kysely<DB>,
  customerId: number,
  channelId: number,
  now: Date,
): Promise<number> {
  const result = await db
    .updateTable('alert_rules')
    .set({
      channel_ids: sql<string>`(
        SELECT coalesce(jsonb_agg(element ORDER BY position), '[]'::jsonb)
        FROM jsonb_array_elements(channel_ids) WITH ORDINALITY AS listed(element, position)
        WHERE element <> to_jsonb(${channelId}::bigint)
      )`,
      updated_at: now,
    })
    .where('customer_id', '=', customerId)
    .where(sql<boolean>`channel_ids @> to_jsonb(ARRAY[${channelId}::bigint])`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
