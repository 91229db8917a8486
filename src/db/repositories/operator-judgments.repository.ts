import type { Kysely, Selectable } from 'kysely';
import type { AlertEventsTable, AlertStatus, DB, OperatorJudgmentsTable, Verdict } from '../schema.ts';

/**
 * Writes of operator feedback (alerts-reports §10): one judgment per (customer, alert, operator),
 * the alert's status and its open deliveries. Customer id first; run inside the feedback
 * command's transaction.
 */

export type JudgmentRecord = Selectable<OperatorJudgmentsTable>;
export type AlertEventRecord = Selectable<AlertEventsTable>;

/** The alert, locked for the rest of the transaction: feedback and the sender serialise on it. */
export async function lockAlertEvent(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
): Promise<AlertEventRecord | undefined> {
  return db
    .selectFrom('alert_events')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', alertId)
    .forUpdate()
    .executeTakeFirst();
}

export async function findJudgmentOfOperator(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
  operatorId: number,
): Promise<JudgmentRecord | undefined> {
  return db
    .selectFrom('operator_judgments')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertId)
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
}

export interface JudgmentValues {
  verdict: Verdict;
  reasonCodes: string[];
  notes: string;
  recoveredAmount: string | null;
  recoveredDate: string | null;
}

export async function insertJudgment(
  db: Kysely<DB>,
  customerId: number,
  row: JudgmentValues & { alertId: number; operatorId: number; operatorUsername: string; now: Date },
): Promise<JudgmentRecord> {
  return db
    .insertInto('operator_judgments')
    .values({
      customer_id: customerId,
      alert_event_id: row.alertId,
      operator_id: row.operatorId,
      operator_username: row.operatorUsername,
      verdict: row.verdict,
      reason_codes: JSON.stringify(row.reasonCodes),
      notes: row.notes,
      recovered_amount: row.recoveredAmount,
      recovered_date: row.recoveredDate,
      verdict_at: row.now,
      created_at: row.now,
      updated_at: row.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Replaces a judgment's values; `verdictAt` is given only when the verdict changed (§10). */
export async function updateJudgment(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  row: JudgmentValues & { operatorUsername: string; now: Date; verdictAt: Date | null },
): Promise<JudgmentRecord> {
  return db
    .updateTable('operator_judgments')
    .set({
      operator_username: row.operatorUsername,
      verdict: row.verdict,
      reason_codes: JSON.stringify(row.reasonCodes),
      notes: row.notes,
      recovered_amount: row.recoveredAmount,
      recovered_date: row.recoveredDate,
      ...(row.verdictAt ? { verdict_at: row.verdictAt } : {}),
      updated_at: row.now,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The verdict given last on the alert by any operator (verdict_at, then the later row). */
export async function latestVerdictOfAlert(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
): Promise<Verdict | undefined> {
  const row = await db
    .selectFrom('operator_judgments')
    .select('verdict')
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertId)
    .orderBy('verdict_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.verdict;
}

export async function setAlertStatus(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
  status: AlertStatus,
  now: Date,
): Promise<void> {
  await db
    .updateTable('alert_events')
    .set({ status, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', alertId)
    .execute();
}

/**
 * §4: a verdict cancels the alert's deliveries that have not succeeded and are still open
 * (`pending`, `retrying`); terminal records (`failed`, `skipped`) keep their outcome. Clearing
 * `next_attempt_at` takes them out of the sweeper's due index.
 */
export async function cancelOpenDeliveries(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
  now: Date,
): Promise<number> {
  const rows = await db
    .updateTable('alert_deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertId)
    .where('status', 'in', ['pending', 'retrying'])
    .returning('id')
    .execute();
  return rows.length;
}
