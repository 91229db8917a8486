/**
 * Alert rule matching (alerts-reports §2): the metric value of a finding, the comparison with
 * the 1e-9 tolerance of analytics §1, and the evaluation order of a customer's rules. Pure.
 */
import type { Product, SignalType } from '../analytics/findings.ts';

/**
 * The metrics and comparisons of §2, in the spec's order. The one list: the `alert_rules` column
 * types (db/schema-alerts.ts), the rule input's validation and the route schemas derive from it.
 */
export const ALERT_METRICS = [
  'severity',
  'denial_rate_delta',
  'decision_time_delta',
  'underpayment_delta',
  'delay_days_delta',
  'relative_increase',
  'impact_usd',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
export const THRESHOLD_TYPES = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
export type ThresholdType = (typeof THRESHOLD_TYPES)[number];

/** Tolerance of every threshold comparison (analytics §1). */
export const THRESHOLD_TOLERANCE = 1e-9;

/** What matching reads of a rule (a row of `alert_rules`). */
export interface MatchableRule {
  readonly id: number;
  readonly name: string;
  readonly enabled: boolean;
  readonly product: 'any' | Product;
  readonly scope: { readonly payer?: string; readonly cpt_group?: string };
  readonly metric: AlertMetric;
  readonly threshold_type: ThresholdType;
  readonly threshold_value: number;
  readonly priority: number;
}

/** What matching reads of a finding (a row of `findings`). */
export interface MatchableFinding {
  readonly product: Product;
  readonly signal_type: SignalType | string;
  readonly payer: string;
  readonly cpt_group: string | null;
  readonly severity: number;
  readonly severity_label: string;
  readonly confidence: number;
  readonly delta_value: number;
  /** Decimal dollars, signed; null when the finding has no estimated impact. */
  readonly estimated_impact: string | null;
  readonly details: unknown;
}

/** The signal each delta metric applies to (§2 metric table). */
const DELTA_METRIC_SIGNAL: Readonly<Partial<Record<AlertMetric, string>>> = {
  denial_rate_delta: 'DENIAL_RATE',
  decision_time_delta: 'DECISION_TIME',
  underpayment_delta: 'PAYMENT_AMOUNT',
  delay_days_delta: 'payment_delay_drift',
};

const SPIKE_SIGNALS: ReadonlySet<string> = new Set([
  'denial_rate_spike',
  'denial_dollars_spike',
  'denial_volume_spike',
]);

function finiteOrNull(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * The value a rule's metric compares for this finding, or null when the metric does not apply
 * to the finding's signal or the value is missing (no fallback to severity, §2 rule 3).
 */
export function metricValue(metric: AlertMetric, finding: MatchableFinding): number | null {
  switch (metric) {
    case 'severity':
      return finiteOrNull(finding.severity);
    case 'relative_increase': {
      if (!SPIKE_SIGNALS.has(finding.signal_type)) return null;
      const details = finding.details as Record<string, unknown> | null;
      return finiteOrNull(details?.['relative_increase']);
    }
    case 'impact_usd':
      return finding.estimated_impact === null ? null : finiteOrNull(finding.estimated_impact);
    default:
      return DELTA_METRIC_SIGNAL[metric] === finding.signal_type ? finiteOrNull(finding.delta_value) : null;
  }
}

/** `v` against threshold `t` with the tolerance (§2 rule 4). */
export function compareWithThreshold(v: number, type: ThresholdType, t: number): boolean {
  switch (type) {
    case 'gte':
      return v >= t - THRESHOLD_TOLERANCE;
    case 'gt':
      return v > t + THRESHOLD_TOLERANCE;
    case 'lte':
      return v <= t + THRESHOLD_TOLERANCE;
    case 'lt':
      return v < t - THRESHOLD_TOLERANCE;
    case 'eq':
      return Math.abs(v - t) <= THRESHOLD_TOLERANCE;
  }
}

function sameText(a: string, b: string): boolean {
  return a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');
}

/** DelayGuard findings with severity label low and confidence < 0.5 never alert (§2 rule 5). */
export function neverAlerts(finding: MatchableFinding): boolean {
  return finding.product === 'delayguard' && finding.severity_label === 'low' && finding.confidence < 0.5;
}

/**
 * Whether the rule matches the finding (§2 rules 1–5). `productEnabled`: the finding's product
 * is enabled for the customer.
 */
export function ruleMatches(
  rule: MatchableRule,
  finding: MatchableFinding,
  productEnabled: boolean,
): boolean {
  if (!rule.enabled || !productEnabled) return false;
  if (rule.product !== 'any' && rule.product !== finding.product) return false;
  const { payer, cpt_group: cptGroup } = rule.scope;
  if (payer !== undefined && !sameText(payer, finding.payer)) return false;
  if (cptGroup !== undefined && (finding.cpt_group === null || !sameText(cptGroup, finding.cpt_group)))
    return false;
  if (neverAlerts(finding)) return false;
  const value = metricValue(rule.metric, finding);
  if (value === null) return false;
  return compareWithThreshold(value, rule.threshold_type, rule.threshold_value);
}

/** Evaluation order (§2): priority desc, name asc, id asc. */
export function compareRules(a: MatchableRule, b: MatchableRule): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id - b.id;
}

/** The rules in evaluation order (a new array). */
export function orderRules<R extends MatchableRule>(rules: readonly R[]): R[] {
  return [...rules].sort(compareRules);
}

/** The rules that match the finding, in evaluation order. */
export function matchingRules<R extends MatchableRule>(
  rules: readonly R[],
  finding: MatchableFinding,
  productEnabled: boolean,
): R[] {
  return orderRules(rules).filter((rule) => ruleMatches(rule, finding, productEnabled));
}
