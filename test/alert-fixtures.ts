import type { Kysely } from 'kysely';
import type { FindingRecord } from '../src/db/repositories/findings.repository.ts';
import type {
  AlertDeliveryStatus,
  AlertStatus,
  AnalysisProduct,
  ChannelType,
  DB,
  SuppressionReason,
  Verdict,
} from '../src/db/schema.ts';
import type { AlertRecord, DeliveryRecord, JudgmentRow } from '../src/queries/alerts-list.ts';
import { analysisRun, findingRecord } from './analytics-records.ts';

/**
 * Database fixtures of the alert triage tests: analysis runs and findings (the rows of
 * test/analytics-records.ts, stored), and alert events, deliveries and judgments inserted
 * directly — the evaluation engine is not needed to read them. Customer id first, as in the
 * repositories.
 */

/** A successful run of `product` for `asOf` (one per customer, product and as_of). */
export async function insertRun(
  db: Kysely<DB>,
  customerId: number,
  options: { product?: AnalysisProduct; asOf?: string } = {},
): Promise<number> {
  const {
    id: _id,
    customer_id: _c,
    ...run
  } = analysisRun({
    product: options.product ?? 'driftwatch',
    as_of: options.asOf ?? '2026-03-02',
  });
  const row = await db
    .insertInto('analysis_runs')
    .values({
      ...run,
      customer_id: customerId,
      parameters: JSON.stringify(run.parameters),
      summary_json: JSON.stringify(run.summary_json),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

let fingerprintCounter = 0;

/** A finding of the run (a DriftWatch DENIAL_RATE finding for Aetna E&M unless overridden). */
export async function insertFinding(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  overrides: Partial<FindingRecord> = {},
): Promise<FindingRecord> {
  fingerprintCounter += 1;
  const { id: _id, ...finding } = findingRecord({
    fingerprint: `fp${String(fingerprintCounter).padStart(30, '0')}`,
    ...overrides,
  });
  return db
    .insertInto('findings')
    .values({
      ...finding,
      customer_id: customerId,
      run_id: runId,
      details: JSON.stringify(finding.details),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The default rule every customer has ("High severity findings"). */
export async function defaultRuleId(db: Kysely<DB>, customerId: number): Promise<number> {
  const rule = await db
    .selectFrom('alert_rules')
    .select('id')
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  return rule.id;
}

export interface AlertOptions {
  ruleId?: number;
  status?: AlertStatus;
  triggeredAt?: Date;
  suppressed?: boolean;
  suppressionReason?: SuppressionReason | null;
  notificationSentAt?: Date | null;
  /** Keep `finding_id` null (the finding row was removed by retention). */
  detached?: boolean;
}

/** An alert event for a stored finding, with the evidence snapshot of its fields as payload. */
export async function insertAlert(
  db: Kysely<DB>,
  customerId: number,
  finding: FindingRecord,
  options: AlertOptions = {},
): Promise<AlertRecord> {
  const ruleId = options.ruleId ?? (await defaultRuleId(db, customerId));
  const subkey = finding.product === 'denialscope' ? finding.denial_reason : finding.cpt_group;
  return db
    .insertInto('alert_events')
    .values({
      customer_id: customerId,
      rule_id: ruleId,
      product: finding.product,
      run_id: finding.run_id,
      finding_id: options.detached ? null : finding.id,
      finding_fingerprint: finding.fingerprint,
      signal_type: finding.signal_type,
      payer: finding.payer,
      entity_key: `${finding.payer}|${subkey ?? ''}`.toLowerCase(),
      triggered_at: options.triggeredAt ?? new Date('2026-03-02T06:00:00Z'),
      status: options.status ?? 'pending',
      payload: JSON.stringify({
        product: finding.product,
        signal_type: finding.signal_type,
        payer: finding.payer,
        cpt_group: finding.cpt_group,
        denial_reason: finding.denial_reason,
        entity_label: `${finding.payer} · ${subkey ?? ''}`,
        baseline_value: finding.baseline_value,
        current_value: finding.current_value,
        delta: finding.delta_value,
        unit: finding.unit,
        severity: finding.severity,
        severity_label: finding.severity_label,
        confidence: finding.confidence,
        p_value: finding.p_value,
        q_value: finding.q_value,
        estimated_impact: finding.estimated_impact,
        windows: {
          baseline_start: finding.baseline_start,
          baseline_end: finding.baseline_end,
          current_start: finding.current_start,
          current_end: finding.current_end,
        },
        baseline_count: finding.baseline_count,
        current_count: finding.current_count,
        one_sentence_explanation: finding.summary_text,
        evidence_rows: [],
        rule_id: ruleId,
        rule_name: 'High severity findings',
        rule_metric: 'severity',
        rule_threshold_type: 'gte',
        rule_threshold: 0.7,
        rule_level: 'critical',
      }),
      severity: finding.severity,
      severity_label: finding.severity_label,
      suppressed: options.suppressed ?? false,
      suppression_reason: options.suppressionReason ?? null,
      notification_sent_at: options.notificationSentAt ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertDelivery(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
  options: {
    channelType?: ChannelType;
    channelName?: string;
    channelId?: number | null;
    status?: AlertDeliveryStatus;
    attempts?: number;
    lastError?: string | null;
    deliveredAt?: Date | null;
  } = {},
): Promise<DeliveryRecord> {
  const type = options.channelType ?? 'email';
  const channelId = options.channelId ?? null;
  return db
    .insertInto('alert_deliveries')
    .values({
      customer_id: customerId,
      alert_event_id: alertId,
      channel_key: channelId === null ? `settings-email-${type}` : `channel:${channelId}`,
      channel_id: channelId,
      channel_type: type,
      channel_name: options.channelName ?? `${type} channel`,
      target_summary: type === 'slack' ? 'hooks.slack.com' : '1 recipient',
      status: options.status ?? 'pending',
      attempts: options.attempts ?? 0,
      last_error: options.lastError ?? null,
      delivered_at: options.deliveredAt ?? null,
      next_attempt_at:
        options.status === 'retrying' || !options.status ? new Date('2026-03-02T06:02:00Z') : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A judgment written directly (history for the similar-alert context and the ledger). */
export async function insertJudgmentRow(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
  options: {
    operatorId: number;
    operatorUsername?: string;
    verdict: Verdict;
    verdictAt: Date;
    recoveredAmount?: string | null;
    recoveredDate?: string | null;
  },
): Promise<JudgmentRow> {
  return db
    .insertInto('operator_judgments')
    .values({
      customer_id: customerId,
      alert_event_id: alertId,
      operator_id: options.operatorId,
      operator_username: options.operatorUsername ?? 'analyst_a',
      verdict: options.verdict,
      reason_codes: JSON.stringify([]),
      recovered_amount: options.recoveredAmount ?? null,
      recovered_date: options.recoveredDate ?? null,
      verdict_at: options.verdictAt,
      created_at: options.verdictAt,
      updated_at: options.verdictAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
