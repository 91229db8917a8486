import type { Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import { recordSystemEvent } from '../db/repositories/ingestion-records.repository.ts';
import {
  cancelOpenDeliveries,
  findJudgmentOfOperator,
  insertJudgment,
  type JudgmentRecord,
  latestVerdictOfAlert,
  lockAlertEvent,
  setAlertStatus,
  updateJudgment,
} from '../db/repositories/operator-judgments.repository.ts';
import type { AlertStatus, DB } from '../db/schema.ts';
import { type FeedbackBody, VERDICT_STATUS, validateFeedback } from '../domain/alerts/feedback.ts';
import { recordAudit } from '../obs/audit.ts';
import type { Clock } from '../services.ts';

/**
 * Operator feedback on an alert (alerts-reports §10, §4): one judgment per (alert, operator),
 * created or replaced. In one transaction, with the alert row locked so that feedback and the
 * sender never interleave on one alert:
 * - the judgment is inserted (→ `created`) or updated (→ `updated`); `verdict_at` moves only when
 *   the verdict value changes;
 * - the alert status follows the most recent verdict on it (any operator, by `verdict_at`):
 *   noise → resolved, real → acknowledged, needs_followup → needs_followup. An operator who only
 *   corrects an amount therefore does not override a colleague's later verdict;
 * - deliveries still open (`pending`, `retrying`) become `cancelled`;
 * - system event and audit `operator_feedback_submitted`.
 * Another customer's or an unknown alert → NotFoundError (before validation: 404 before 400).
 */

export interface SubmitAlertFeedbackDeps {
  db: Kysely<DB>;
  clock: Clock;
}

export interface SubmitAlertFeedbackInput {
  customerId: number;
  alertId: number;
  operator: { id: number; username: string };
  body: FeedbackBody;
  requestId?: string | null;
  ip?: string | null;
  /** Staff acting for the customer (audited with `acting_as_operator`). */
  actingAsOperator?: boolean;
}

export interface SubmitAlertFeedbackResult {
  judgment: JudgmentRecord;
  action: 'created' | 'updated';
  previousStatus: AlertStatus;
  newStatus: AlertStatus;
  cancelledDeliveries: number;
}

export async function submitAlertFeedback(
  deps: SubmitAlertFeedbackDeps,
  input: SubmitAlertFeedbackInput,
): Promise<SubmitAlertFeedbackResult> {
  const { customerId, alertId, operator } = input;
  const now = deps.clock.now();
  const today = now.toISOString().slice(0, 10);
  const requestId = input.requestId ?? null;
  return deps.db.transaction().execute(async (trx) => {
    const alert = await lockAlertEvent(trx, customerId, alertId);
    if (!alert) throw new NotFoundError();
    const validation = validateFeedback(input.body, today);
    if (!validation.ok) throw new ValidationError(validation.errors);
    const values = validation.value;

    const existing = await findJudgmentOfOperator(trx, customerId, alertId, operator.id);
    const judgment = existing
      ? await updateJudgment(trx, customerId, existing.id, {
          ...values,
          operatorUsername: operator.username,
          now,
          verdictAt: existing.verdict === values.verdict ? null : now,
        })
      : await insertJudgment(trx, customerId, {
          ...values,
          alertId,
          operatorId: operator.id,
          operatorUsername: operator.username,
          now,
        });
    const action = existing ? 'updated' : 'created';

    const latest = (await latestVerdictOfAlert(trx, customerId, alertId)) ?? values.verdict;
    const newStatus = VERDICT_STATUS[latest];
    await setAlertStatus(trx, customerId, alertId, newStatus, now);
    const cancelledDeliveries = await cancelOpenDeliveries(trx, customerId, alertId, now);

    await recordSystemEvent(trx, customerId, {
      eventType: 'operator_feedback_submitted',
      payload: {
        alert_id: alertId,
        verdict: values.verdict,
        previous_status: alert.status,
        new_status: newStatus,
        recovered_amount: values.recoveredAmount,
        action,
        finding_fingerprint: alert.finding_fingerprint,
        operator_username: operator.username,
      },
      requestId,
    });
    await recordAudit(trx, {
      action: 'operator_feedback_submitted',
      customerId,
      userId: operator.id,
      entityType: 'alert_event',
      entityId: alertId,
      requestId,
      ip: input.ip ?? null,
      metadata: {
        judgment_id: judgment.id,
        verdict: values.verdict,
        action,
        previous_status: alert.status,
        new_status: newStatus,
        cancelled_deliveries: cancelledDeliveries,
        ...(input.actingAsOperator ? { acting_as_operator: true } : {}),
      },
    });
    return { judgment, action, previousStatus: alert.status, newStatus, cancelledDeliveries };
  });
}
