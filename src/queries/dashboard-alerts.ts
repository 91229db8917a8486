import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { type AlertListRow, latestVerdict } from './alerts-list.ts';

/** Alerts the Axis hub lists (the newest few; the alerts page has the rest). */
export const RECENT_ALERTS_LIMIT = 5;

/**
 * The newest alerts of a customer that were raised to someone (not suppressed), newest first,
 * each with the verdict that decides its status — the rows of the alerts list (§12), for the
 * Axis hub's "Recent alerts". Suppressed alerts were kept from the channels on purpose (cooldown,
 * noise memory), so the hub leaves them out too; the alerts list shows them with their badge.
 *
 * Walks the index alert_events_customer_triggered (customer_id, triggered_at DESC, id DESC) and
 * stops after `limit` unsuppressed rows; the verdict is a correlated lookup on the judgments'
 * (customer, alert) key, as in `listAlertsPage`.
 */
export async function listRecentAlerts(
  db: Kysely<DB>,
  customerId: number,
  limit = RECENT_ALERTS_LIMIT,
): Promise<AlertListRow[]> {
  return db
    .selectFrom('alert_events as a')
    .selectAll('a')
    .select(latestVerdict)
    .where('a.customer_id', '=', customerId)
    .where('a.suppressed', '=', false)
    .orderBy('a.triggered_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(limit)
    .execute();
}
