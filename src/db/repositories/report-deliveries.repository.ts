import type { Kysely, Selectable } from 'kysely';
import type { DB, ReportDeliveriesTable, ReportDeliveryStatus } from '../schema.ts';

/**
 * `report_deliveries` (alerts-reports §13.5): the weekly report e-mail of a run, one row per
 * (customer, run, kind). The unique key is what keeps a re-run of the same `as_of` from sending
 * again; `claimed_until` is the lease an attempt holds (as alert deliveries' claim), so the job
 * and the dispatch sweeper never send one record twice.
 */
export type ReportDeliveryRecord = Selectable<ReportDeliveriesTable>;

/**
 * Creates the run's weekly e-mail record, due at `nextAttemptAt`. Returns undefined when the run
 * already has one (sent, failed or still open): the caller does nothing more.
 */
export async function insertWeeklyDelivery(
  db: Kysely<DB>,
  customerId: number,
  input: { runId: number; recipients: string[]; nextAttemptAt: Date; at: Date },
): Promise<ReportDeliveryRecord | undefined> {
  return db
    .insertInto('report_deliveries')
    .values({
      customer_id: customerId,
      run_id: input.runId,
      kind: 'weekly_email',
      status: 'pending',
      recipients: JSON.stringify(input.recipients),
      next_attempt_at: input.nextAttemptAt,
      created_at: input.at,
      updated_at: input.at,
    })
    .onConflict((oc) => oc.columns(['customer_id', 'run_id', 'kind']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findWeeklyDelivery(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
): Promise<ReportDeliveryRecord | undefined> {
  return db
    .selectFrom('report_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('run_id', '=', runId)
    .where('kind', '=', 'weekly_email')
    .executeTakeFirst();
}

/**
 * Claims an open, due record for one attempt until `leaseUntil`: the row comes back only to the
 * one caller whose update matched (open, due, and no unexpired lease). A crashed attempt's
 * lease runs out and the sweeper takes the record again.
 */
export async function claimDueReportDelivery(
  db: Kysely<DB>,
  customerId: number,
  deliveryId: number,
  now: Date,
  leaseUntil: Date,
): Promise<ReportDeliveryRecord | undefined> {
  return db
    .updateTable('report_deliveries')
    .set({ claimed_until: leaseUntil })
    .where('customer_id', '=', customerId)
    .where('id', '=', deliveryId)
    .where('status', 'in', ['pending', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .returningAll()
    .executeTakeFirst();
}

/** Stores the outcome of an attempt and releases the lease. */
export async function recordReportDeliveryAttempt(
  db: Kysely<DB>,
  customerId: number,
  deliveryId: number,
  update: {
    status: ReportDeliveryStatus;
    attempts: number;
    last_attempt_at: Date;
    next_attempt_at: Date | null;
    delivered_at: Date | null;
    last_error: string | null;
    recipients: string[];
  },
): Promise<void> {
  await db
    .updateTable('report_deliveries')
    .set({
      ...update,
      recipients: JSON.stringify(update.recipients),
      claimed_until: null,
      updated_at: update.last_attempt_at,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', deliveryId)
    .execute();
}

/**
 * Cross-customer (the dispatch sweeper only, §14): open records whose next attempt is due and
 * that no attempt holds, oldest first. The partial index report_deliveries_due covers it.
 */
export async function listDueReportDeliveries(
  db: Kysely<DB>,
  now: Date,
  limit: number,
): Promise<Array<{ customer_id: number; id: number }>> {
  return db
    .selectFrom('report_deliveries')
    .select(['customer_id', 'id'])
    .where('status', 'in', ['pending', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}
