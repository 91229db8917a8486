import type { RecoveryLedger } from '../domain/alerts/recovery.ts';
import type { AlertRecord, DeliveryRecord, JudgmentRow } from '../queries/alerts-list.ts';

/**
 * API shapes of `alerts/`, `alerts/{id}/feedback/` and `recovery/` (web-api-ops §4.6). Pure;
 * fields are listed explicitly: delivery targets and errors are summaries, never secrets.
 */

function iso(at: Date | null): string | null {
  return at === null ? null : at.toISOString();
}

/** One judgment: the feedback response body and an item of `operator_judgments`. */
export function presentJudgment(j: JudgmentRow) {
  return {
    id: j.id,
    customer: j.customer_id,
    alert_event: j.alert_event_id,
    verdict: j.verdict,
    reason_codes: [...j.reason_codes],
    recovered_amount: j.recovered_amount,
    recovered_date: j.recovered_date,
    notes: j.notes,
    operator: j.operator_id,
    operator_username: j.operator_username,
    created_at: j.created_at.toISOString(),
    updated_at: j.updated_at.toISOString(),
  };
}

export function presentDelivery(d: DeliveryRecord) {
  return {
    channel: d.channel_id,
    channel_type: d.channel_type,
    status: d.status,
    attempts: d.attempts,
    last_error: d.last_error,
    sent_at: iso(d.delivered_at),
  };
}

/**
 * One alert with its deliveries and judgments (judgments newest verdict first; the first one's
 * verdict is `latest_judgment_verdict`, the verdict that decides the status).
 */
export function presentAlert(
  alert: AlertRecord,
  deliveries: readonly DeliveryRecord[],
  judgments: readonly JudgmentRow[],
) {
  return {
    id: alert.id,
    customer: alert.customer_id,
    product: alert.product,
    alert_rule: alert.rule_id,
    drift_event: alert.product === 'driftwatch' ? alert.finding_id : null,
    finding: alert.finding_id,
    report_run: alert.run_id,
    triggered_at: alert.triggered_at.toISOString(),
    status: alert.status,
    severity: alert.severity,
    payload: alert.payload,
    notification_sent_at: iso(alert.notification_sent_at),
    error_message: alert.error_message,
    suppressed: alert.suppressed,
    suppression_reason: alert.suppression_reason,
    deliveries: deliveries.map(presentDelivery),
    operator_judgments: judgments.map(presentJudgment),
    has_judgment: judgments.length > 0,
    latest_judgment_verdict: judgments[0]?.verdict ?? null,
    created_at: alert.created_at.toISOString(),
    updated_at: alert.updated_at.toISOString(),
  };
}

export function presentRecoveryLedger(ledger: RecoveryLedger) {
  return {
    this_month: ledger.thisMonth.total,
    last_30_days: ledger.last30Days.total,
    all_time: ledger.allTime.total,
    resolved_this_month: ledger.thisMonth.count,
    recent: ledger.recent.map((r) => ({
      alert_id: r.alertId,
      payer: r.payer,
      amount: r.amount,
      recovered_date: r.recoveredDate,
    })),
  };
}
