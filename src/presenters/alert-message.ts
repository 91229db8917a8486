import {
  addDays,
  type EvidencePayload,
  fixed,
  formatMoney,
  type Interpretation,
  interpret,
  PRODUCT_NAME,
  type Product,
  type SeverityLabel,
  severityLabelTitle,
} from '../domain/analytics/index.ts';
import { formatUnitDelta, formatUnitValue } from './analytics.ts';
import { evidenceCell } from './finding-detail.ts';

/**
 * What alert email and Slack messages (alerts-reports §7, §8) share: the alert's payload snapshot
 * read back into the §12.1 evidence shape, its interpretation, labels and evidence lines. Pure.
 */

/** An alert event as the message presenters need it. */
export interface AlertMessageInput {
  readonly alert: {
    readonly id: number;
    readonly request_id: string | null;
    readonly triggered_at: Date;
    readonly severity_label: SeverityLabel;
    readonly product: Product;
    readonly payload: unknown;
  };
  readonly customerName: string;
  /** Name of the channel this copy goes to (footer). */
  readonly channelName: string;
  /** PORTAL_BASE_URL without a trailing slash. */
  readonly portalBaseUrl: string;
}

type Unit = NonNullable<EvidencePayload['unit']>;

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The payload snapshot (the evidence payload plus `rule_*` fields, §3). */
export function alertPayload(input: AlertMessageInput): {
  evidence: EvidencePayload;
  rule: { name: string; metric: string; thresholdType: string; threshold: number | null };
} {
  const p = (
    input.alert.payload && typeof input.alert.payload === 'object' ? input.alert.payload : {}
  ) as Record<string, unknown>;
  return {
    evidence: p as unknown as EvidencePayload,
    rule: {
      name: str(p['rule_name']) ?? 'Alert rule',
      metric: str(p['rule_metric']) ?? 'severity',
      thresholdType: str(p['rule_threshold_type']) ?? 'gte',
      threshold: num(p['rule_threshold']),
    },
  };
}

export function alertInterpretation(evidence: EvidencePayload): Interpretation {
  return interpret(evidence.signal_type && num(evidence.severity) !== null ? evidence : null);
}

export function productName(input: AlertMessageInput): string {
  return PRODUCT_NAME[input.alert.product] ?? input.alert.product;
}

export function severityTitle(input: AlertMessageInput): string {
  return severityLabelTitle(input.alert.severity_label);
}

export function deepDiveUrl(input: AlertMessageInput): string {
  return `${input.portalBaseUrl}/portal/alerts/${input.alert.id}/deep-dive/`;
}

export function channelsUrl(input: AlertMessageInput): string {
  return `${input.portalBaseUrl}/portal/alerts/channels/`;
}

const OPERATOR: Readonly<Record<string, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' };

/** "High Denial Rate Alert (severity >= 0.7)". */
export function ruleDescription(rule: ReturnType<typeof alertPayload>['rule']): string {
  const op = OPERATOR[rule.thresholdType] ?? rule.thresholdType;
  return `${rule.name} (${rule.metric} ${op} ${rule.threshold ?? '-'})`;
}

/** "p 4.5e-5 · q 8.9e-5", or "not tested" without a p-value. */
export function significanceText(p: number | null, q: number | null): string {
  if (p === null) return 'not tested';
  const f = (x: number) => (x < 0.001 ? x.toExponential(1) : x.toPrecision(2));
  return q === null ? `p ${f(p)}` : `p ${f(p)} · q ${f(q)}`;
}

const IMPACT_LABEL: Readonly<Record<string, string>> = {
  weekly_revenue: 'Estimated impact (weekly revenue)',
  weekly_denied_dollars: 'Estimated impact (weekly denied dollars)',
  recent_denied_dollars: 'Estimated impact (recent denied dollars)',
  dollars_at_risk: 'Estimated impact (dollars at risk)',
};

export function valueText(evidence: EvidencePayload, value: number | null): string | null {
  const unit = evidence.unit as Unit | null;
  return value === null || unit === null ? null : formatUnitValue(unit, value);
}

/** "20.0% → 60.0% (+40.0 pts)" or null when a value is missing. */
export function changeText(evidence: EvidencePayload): string | null {
  const unit = evidence.unit as Unit | null;
  const base = num(evidence.baseline_value);
  const current = num(evidence.current_value);
  const delta = num(evidence.delta);
  if (unit === null || base === null || current === null || delta === null) return null;
  return `${formatUnitValue(unit, base)} → ${formatUnitValue(unit, current)} (${formatUnitDelta(unit, delta)})`;
}

export function confidenceText(evidence: EvidencePayload): string | null {
  const c = num(evidence.confidence);
  return c === null ? null : `${evidence.confidence_label ?? ''} (${fixed(c, 2)})`.trim();
}

export function impactText(evidence: EvidencePayload): string | null {
  return evidence.estimated_impact === null || evidence.estimated_impact === undefined
    ? null
    : formatMoney(evidence.estimated_impact);
}

/** The "📊 Evidence" lines (§7.5): label and value, rows with a null value omitted. */
export function evidenceLines(evidence: EvidencePayload): Array<{ label: string; value: string }> {
  const w = evidence.windows;
  const delta = num(evidence.delta);
  const unit = evidence.unit as Unit | null;
  const lines: Array<{ label: string; value: string | null }> = [
    { label: 'Signal', value: evidence.signal_label },
    { label: 'Entity', value: evidence.entity_label ?? null },
    { label: 'Baseline period', value: w ? `${w.baseline_start} – ${addDays(w.baseline_end, -1)}` : null },
    { label: 'Current period', value: w ? `${w.current_start} – ${addDays(w.current_end, -1)}` : null },
    { label: 'Baseline', value: valueText(evidence, num(evidence.baseline_value)) },
    { label: 'Current', value: valueText(evidence, num(evidence.current_value)) },
    { label: 'Change', value: delta === null || unit === null ? null : formatUnitDelta(unit, delta) },
    {
      label: 'Sample sizes',
      value:
        num(evidence.baseline_count) === null || num(evidence.current_count) === null
          ? null
          : `baseline ${evidence.baseline_count} · current ${evidence.current_count}`,
    },
    { label: 'Confidence', value: confidenceText(evidence) },
    { label: 'Significance', value: significanceText(num(evidence.p_value), num(evidence.q_value)) },
    {
      label: IMPACT_LABEL[evidence.impact_kind ?? ''] ?? 'Estimated impact',
      value: impactText(evidence),
    },
  ];
  return lines.filter((l): l is { label: string; value: string } => l.value !== null && l.value !== '');
}

/** The first 5 product-specific evidence rows as header + cells. */
export function evidenceTable(evidence: EvidencePayload): { columns: string[]; rows: string[][] } {
  const rows = Array.isArray(evidence.evidence_rows) ? evidence.evidence_rows.slice(0, 5) : [];
  const first = rows[0];
  const columns = first ? Object.keys(first) : [];
  return {
    columns,
    rows: rows.map((r) => columns.map((c) => evidenceCell((r as Record<string, unknown>)[c]))),
  };
}

/** "YYYY-MM-DD HH:MM:SS UTC". */
export function utcTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
