import type { ClaimRecord } from '../db/repositories/claims.repository.ts';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import type { AlertStatus, Verdict } from '../db/schema.ts';
import { SUGGESTED_REASON_CODES, VERDICT_LABELS, VERDICTS } from '../domain/alerts/feedback.ts';
import type { RecoveryLedger } from '../domain/alerts/recovery.ts';
import type { SimilarAlertContext } from '../domain/alerts/similar-alerts.ts';
import {
  addDays,
  type EvidencePayload,
  formatMoney,
  formatTimestampTable,
  type Interpretation,
  interpret,
  PRODUCT_NAME,
  type Product,
  severityLabelTitle,
} from '../domain/analytics/index.ts';
import type { AlertDeepDive } from '../queries/alert-deep-dive.ts';
import type { AlertListRow, DeliveryRecord, JudgmentRow } from '../queries/alerts-list.ts';
import { alertTrendChart } from './alert-trend.ts';
import { formatUnitDelta, formatUnitValue, signalLabel } from './analytics.ts';

/**
 * View models of the alert pages (alerts-reports §12): the alerts list with its recovery ledger
 * card, and the deep dive. Pure. Fractions (rates, severity, confidence, p and q) are shown ×100
 * with "%" everywhere on these pages; money through formatMoney from exact decimal strings.
 */

export const STATUS_LABELS: Readonly<Record<AlertStatus, string>> = {
  pending: 'Pending',
  sent: 'Sent',
  failed: 'Failed',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  needs_followup: 'Needs follow-up',
};

const SUPPRESSION_BADGE = {
  cooldown: 'Suppressed (cooldown)',
  noise_memory: 'Suppressed (noise memory)',
} as const;

/**
 * One icon per delivery (§12): ✓ success, ↻ retrying, ✗ failed, – skipped/cancelled. A record
 * not attempted yet (`pending`) is on its way like a retry, so it shows ↻ too.
 */
const DELIVERY_ICON: Readonly<Record<DeliveryRecord['status'], string>> = {
  success: '✓',
  retrying: '↻',
  pending: '↻',
  failed: '✗',
  skipped: '–',
  cancelled: '–',
};

const CHANNEL_LABEL = { email: 'Email', slack: 'Slack', webhook: 'Webhook' } as const;

/** A fraction ×100 with "%" (1 decimal). */
export function percent(fraction: number | null | undefined, decimals = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** p and q values as percentages; tiny ones as "< 0.01%". */
export function probabilityPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '-';
  return p < 0.0001 ? '< 0.01%' : `${(p * 100).toFixed(2)}%`;
}

function productName(product: string): string {
  return PRODUCT_NAME[product as Product] ?? product;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** "Payer · subkey" of an alert from its payload snapshot (the list never loads findings). */
function entityOf(alert: { payer: string; payload: unknown }): string {
  const payload = (alert.payload ?? {}) as Record<string, unknown>;
  const label = text(payload['entity_label']);
  if (label) return label;
  const sub = text(payload['cpt_group']) ?? text(payload['denial_reason']);
  return sub ? `${alert.payer} · ${sub}` : alert.payer;
}

export function deliveryIcons(deliveries: readonly DeliveryRecord[]) {
  return deliveries.map((d) => ({
    icon: DELIVERY_ICON[d.status],
    status: d.status,
    label: `${CHANNEL_LABEL[d.channel_type]} (${d.channel_name}): ${d.status}`,
    channel: CHANNEL_LABEL[d.channel_type],
  }));
}

export function verdictBadge(verdict: Verdict | null) {
  return verdict === null ? null : { verdict, label: VERDICT_LABELS[verdict] };
}

/** One row of the alerts table. */
export function presentAlertListRow(row: AlertListRow, deliveries: readonly DeliveryRecord[]) {
  return {
    id: row.id,
    url: `/portal/alerts/${row.id}/deep-dive/`,
    triggered: formatTimestampTable(row.triggered_at),
    product: productName(row.product),
    signal: signalLabel(row.signal_type),
    entity: entityOf(row),
    severityLabel: row.severity_label,
    severity: `${severityLabelTitle(row.severity_label)} (${percent(row.severity, 0)})`,
    status: row.status,
    statusLabel: STATUS_LABELS[row.status],
    suppression: row.suppressed && row.suppression_reason ? SUPPRESSION_BADGE[row.suppression_reason] : null,
    verdict: verdictBadge(row.latest_verdict),
    deliveries: deliveryIcons(deliveries),
  };
}

/** The recovery ledger card (§11): sums as money, "{n} alert(s) resolved", the 5 newest. */
export function presentRecoveryCard(ledger: RecoveryLedger) {
  return {
    thisMonth: formatMoney(ledger.thisMonth.total),
    caption: `${ledger.thisMonth.count} alert(s) resolved`,
    last30Days: formatMoney(ledger.last30Days.total),
    last30Count: ledger.last30Days.count,
    allTime: formatMoney(ledger.allTime.total),
    allTimeCount: ledger.allTime.count,
    recent: ledger.recent.map((r) => ({
      amount: formatMoney(r.amount),
      payer: r.payer,
      product: productName(r.product),
      date: r.recoveredDate,
      url: `/portal/alerts/${r.alertId}/deep-dive/`,
    })),
  };
}

const URGENCY_ICON = { high: '🔴', medium: '🟡', low: '🟢' } as const;

/** The evidence of the page: the live finding's, else the payload snapshot sent with the alert. */
function evidenceOf(dive: AlertDeepDive): {
  evidence: EvidencePayload;
  interpretation: Interpretation;
  snapshot: boolean;
} {
  if (dive.evidence) return { ...dive.evidence, snapshot: false };
  // The payload is the §12.1 evidence payload plus the rule fields (alerts-reports §3).
  const payload = dive.alert.payload as unknown as EvidencePayload;
  return {
    evidence: payload,
    interpretation: interpret(payload, dive.similar?.message ?? null),
    snapshot: true,
  };
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function evidenceSummary(e: EvidencePayload, finding: FindingRecord | null) {
  const unit = (e.unit ?? finding?.unit ?? 'rate') as FindingRecord['unit'];
  const value = (v: unknown) => {
    const n = numberOr(v);
    return n === null ? '-' : formatUnitValue(unit, n);
  };
  const windows = e.windows
    ? `Baseline ${e.windows.baseline_start} – ${addDays(e.windows.baseline_end, -1)} · current ${e.windows.current_start} – ${addDays(e.windows.current_end, -1)}`
    : '-';
  const delta = numberOr(e.delta);
  const deltaPercent = numberOr(e.delta_percent);
  return [
    ['Entity', e.entity_label ?? '-'],
    ['Signal', e.signal_label ?? (e.signal_type ? signalLabel(e.signal_type) : '-')],
    ['Windows', windows],
    ['Baseline', value(e.baseline_value)],
    ['Current', value(e.current_value)],
    [
      'Change',
      delta === null
        ? '-'
        : `${formatUnitDelta(unit, delta)}${deltaPercent === null ? '' : ` (${deltaPercent >= 0 ? '+' : ''}${deltaPercent.toFixed(1)}%)`}`,
    ],
    ['Sample sizes', `baseline n = ${e.baseline_count ?? '-'} · current n = ${e.current_count ?? '-'}`],
    ['Confidence', percent(numberOr(e.confidence))],
    ['p / q', `${probabilityPercent(numberOr(e.p_value))} / ${probabilityPercent(numberOr(e.q_value))}`],
    ['Estimated impact', typeof e.estimated_impact === 'string' ? formatMoney(e.estimated_impact) : '-'],
  ] as Array<[string, string]>;
}

/** Columns holding a fraction shown ×100 with "%" (rates, severity, confidence, shares). */
const FRACTION_COLUMN = /rate|severity|confidence|share|fraction/i;

/** One evidence cell: values in the row's unit, fractions ×100 with "%", p/q as percentages. */
function evidenceCell(row: Readonly<Record<string, unknown>>, column: string): string {
  const v = row[column];
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return String(v);
  const unit = typeof row['unit'] === 'string' ? (row['unit'] as FindingRecord['unit']) : null;
  if (unit && (column === 'baseline_value' || column === 'current_value')) return formatUnitValue(unit, v);
  if (unit && column === 'delta_value') return formatUnitDelta(unit, v);
  if (column === 'p_value' || column === 'q_value') return probabilityPercent(v);
  if (FRACTION_COLUMN.test(column) && Math.abs(v) <= 1) return percent(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Evidence rows (≤ 20) as text cells, with a severity bar where a row has a severity. */
function evidenceRows(rows: readonly Record<string, unknown>[]) {
  const limited = rows.slice(0, 20);
  const columns = [...new Set(limited.flatMap((r) => Object.keys(r)))];
  return {
    columns,
    rows: limited.map((r) => ({
      cells: columns.map((c) => evidenceCell(r, c)),
      severity: numberOr(r['severity']),
      severityText: percent(numberOr(r['severity']), 0),
    })),
  };
}

function money(value: string | null): string {
  return value === null ? '-' : formatMoney(value);
}

function sampleClaim(claim: ClaimRecord) {
  return {
    id: claim.id,
    claimId: claim.claim_id_last4 ? `…${claim.claim_id_last4}` : '-',
    submitted: claim.submitted_date,
    decided: claim.decided_date ?? '-',
    payer: claim.payer,
    cpt: claim.cpt ?? '-',
    billed: money(claim.billed_amount),
    allowed: money(claim.allowed_amount),
    paid: money(claim.paid_amount),
    outcome: claim.outcome,
  };
}

function judgmentEntry(j: JudgmentRow) {
  return {
    verdict: verdictBadge(j.verdict),
    byline: `${formatTimestampTable(j.verdict_at)} UTC by ${j.operator_username}`,
    reasonCodes: [...j.reason_codes],
    notes: j.notes,
    recovered:
      j.recovered_amount === null
        ? null
        : `💰 Recovered: ${formatMoney(j.recovered_amount)}${j.recovered_date ? ` on ${j.recovered_date}` : ''}`,
  };
}

export interface FeedbackFormValues {
  verdict: string;
  reason_codes: string[];
  recovered_amount: string;
  recovered_date: string;
  notes: string;
}

/** The form pre-filled with the viewer's own judgment (the POST replaces it). */
export function feedbackFormValues(own: JudgmentRow | undefined): FeedbackFormValues {
  return {
    verdict: own?.verdict ?? '',
    reason_codes: own ? [...own.reason_codes] : [],
    recovered_amount: own?.recovered_amount ?? '',
    recovered_date: own?.recovered_date ?? '',
    notes: own?.notes ?? '',
  };
}

/** Template data of `/portal/alerts/<id>/deep-dive/`. */
export function presentAlertDeepDive(
  dive: AlertDeepDive,
  context: {
    canTriage: boolean;
    productEnabled: boolean;
    form: FeedbackFormValues;
    errors: Record<string, string[]> | null;
  },
) {
  const { alert } = dive;
  const payload = alert.payload as Record<string, unknown>;
  const { evidence, interpretation, snapshot } = evidenceOf(dive);
  const latest = dive.judgments[0] ?? null;
  const ruleName = dive.rule?.name ?? text(payload['rule_name']) ?? `Rule #${alert.rule_id} (deleted)`;
  const ruleLevel = dive.rule?.severity ?? text(payload['rule_level']) ?? '-';
  const similar: SimilarAlertContext | null = dive.similar;
  const reasonChoices = [...new Set([...SUGGESTED_REASON_CODES, ...context.form.reason_codes])];
  return {
    alert: {
      id: alert.id,
      product: alert.product,
      productName: productName(alert.product),
      productUrl: `/portal/products/${alert.product}/`,
      status: alert.status,
      statusLabel: STATUS_LABELS[alert.status],
      triggered: `${formatTimestampTable(alert.triggered_at)} UTC`,
      ruleName,
      ruleLevel,
      severityLabel: alert.severity_label,
      severity: `${severityLabelTitle(alert.severity_label)} (${percent(alert.severity, 0)})`,
      latestVerdict: verdictBadge(latest?.verdict ?? null),
      suppression:
        alert.suppressed && alert.suppression_reason ? SUPPRESSION_BADGE[alert.suppression_reason] : null,
      notificationSentAt: alert.notification_sent_at
        ? `${formatTimestampTable(alert.notification_sent_at)} UTC`
        : null,
      errorMessage: alert.error_message,
    },
    productEnabled: context.productEnabled,
    meaning: {
      icon: URGENCY_ICON[interpretation.urgency_level],
      urgency: interpretation.urgency_level,
      label: interpretation.urgency_label,
      plainLanguage: interpretation.plain_language,
      isLikelyNoise: interpretation.is_likely_noise,
      actions: interpretation.action_steps,
      causes: interpretation.possible_causes.map((c) => c.cause),
      similar: similar ? { type: similar.type, message: similar.message } : null,
    },
    explanation:
      typeof evidence.one_sentence_explanation === 'string' ? evidence.one_sentence_explanation : '',
    summary: evidenceSummary(evidence, dive.finding),
    evidenceRows: evidenceRows((evidence.evidence_rows ?? []) as Record<string, unknown>[]),
    snapshot,
    chart: alertTrendChart(dive.trend, dive.finding),
    sampleClaims: dive.sampleClaims.map(sampleClaim),
    deliveries: dive.deliveries.map((d) => ({
      channel: `${CHANNEL_LABEL[d.channel_type]} · ${d.channel_name}`,
      target: d.target_summary,
      icon: DELIVERY_ICON[d.status],
      status: d.status,
      attempts: `${d.attempts} / ${d.max_attempts}`,
      lastError: d.last_error ?? '-',
      deliveredAt: d.delivered_at ? `${formatTimestampTable(d.delivered_at)} UTC` : '-',
    })),
    judgments: dive.judgments.map(judgmentEntry),
    canTriage: context.canTriage,
    form: context.form,
    errors: context.errors,
    verdictChoices: VERDICTS.map((v) => ({ value: v, label: VERDICT_LABELS[v] })),
    reasonChoices,
    feedbackAction: `/portal/alerts/${alert.id}/feedback/`,
    feedbackApi: `/api/v1/alerts/${alert.id}/feedback/`,
  };
}

/** The alerts card of the DriftWatch and DelayGuard dashboards: open alerts and the ledger (§11). */
export function presentDashboardAlertsCard(card: { ledger: RecoveryLedger; openAlerts: number }) {
  return { openAlerts: card.openAlerts, ...presentRecoveryCard(card.ledger) };
}
