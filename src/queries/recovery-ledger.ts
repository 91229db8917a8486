import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Recovery } from '../domain/alerts/recovery.ts';
import { countOpenAlerts } from './alerts-list.ts';

/**
 * Recoveries of a customer (alerts-reports §11): every judgment with a `recovered_amount`, with
 * its alert's payer and product. The sums are made in domain/alerts/recovery.ts in exact cents;
 * a customer records a recovery per judged alert at most, so the rows stay few. The partial
 * index operator_judgments_recovered covers the filter; the alert is joined on its primary key.
 */
export async function listRecoveries(db: Kysely<DB>, customerId: number): Promise<Recovery[]> {
  const rows = await db
    .selectFrom('operator_judgments as j')
    .innerJoin('alert_events as a', (join) =>
      join.onRef('a.customer_id', '=', 'j.customer_id').onRef('a.id', '=', 'j.alert_event_id'),
    )
    .select([
      'j.id as judgment_id',
      'j.alert_event_id',
      'j.recovered_amount',
      'j.recovered_date',
      'a.payer',
      'a.product',
    ])
    .where('j.customer_id', '=', customerId)
    .where('j.recovered_amount', 'is not', null)
    .orderBy('j.recovered_date', 'desc')
    .orderBy('j.id', 'desc')
    .execute();
  return rows.map((r) => ({
    judgmentId: r.judgment_id,
    alertId: r.alert_event_id,
    payer: r.payer,
    product: r.product,
    amount: r.recovered_amount as string,
    // The feedback command always sets a date with an amount; a row written otherwise counts
    // as recovered on the alert's day of judgment would be a guess, so it sorts oldest.
    recoveredDate: r.recovered_date ?? '0001-01-01',
  }));
}

/** What the product dashboards' alerts card reads: the ledger's recoveries and the open alerts. */
export async function loadAlertsCard(
  db: Kysely<DB>,
  customerId: number,
): Promise<{ recoveries: Recovery[]; openAlerts: number }> {
  const [recoveries, openAlerts] = await Promise.all([
    listRecoveries(db, customerId),
    countOpenAlerts(db, customerId),
  ]);
  return { recoveries, openAlerts };
}
