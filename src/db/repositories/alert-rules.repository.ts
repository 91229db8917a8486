import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

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
