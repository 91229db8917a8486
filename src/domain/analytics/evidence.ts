/**
 * Evidence payload (analytics §12.1): one schema for dashboards, emails, Slack, webhooks and
 * deep dives, built from a finding (or none) plus product-specific evidence rows.
 */
import { addDays } from './dates.ts';
import {
  type Direction,
  type FindingDraft,
  type ImpactKind,
  type JsonObject,
  PRODUCT_NAME,
  type Product,
  SIGNAL_LABEL,
  type SignalType,
  type Unit,
} from './findings.ts';
import type { ConfidenceLabel, SeverityLabel } from './labels.ts';
import { compareText } from './rollups.ts';

/** A stored finding: the draft plus its identity. */
export interface StoredFinding extends FindingDraft {
  readonly id: number | string;
  readonly run_id: number | string;
}

/** The evidence payload of §12.1. */
export interface EvidencePayload {
  readonly product: Product;
  readonly product_name: string;
  readonly signal_type: SignalType | null;
  readonly signal_label: string | null;
  readonly finding_id: number | string | null;
  readonly fingerprint: string | null;
  readonly run_id: number | string | null;
  readonly as_of: string | null;
  readonly entity_label: string;
  readonly payer: string | null;
  readonly cpt_group: string | null;
  readonly denial_reason: string | null;
  readonly windows: {
    readonly baseline_start: string;
    readonly baseline_end: string;
    readonly current_start: string;
    readonly current_end: string;
  } | null;
  readonly date_range: string;
  readonly baseline_value: number | null;
  readonly current_value: number | null;
  readonly delta: number | null;
  readonly unit: Unit | null;
  readonly delta_percent: number | null;
  readonly baseline_count: number | null;
  readonly current_count: number | null;
  readonly direction: Direction | null;
  readonly severity: number | null;
  readonly severity_label: SeverityLabel | null;
  readonly confidence: number | null;
  readonly confidence_label: ConfidenceLabel | null;
  readonly p_value: number | null;
  readonly q_value: number | null;
  /** Decimal dollars, e.g. `"2000.00"` (never a float). */
  readonly estimated_impact: string | null;
  readonly impact_kind: ImpactKind | null;
  readonly one_sentence_explanation: string;
  /** At most 20 product-specific rows. */
  readonly evidence_rows: readonly JsonObject[];
  readonly portal_url: string;
}

/** Max evidence rows (§12.1). */
export const EVIDENCE_ROWS_CAP = 20;

/** `payer · group` (DriftWatch), `payer · reason` (DenialScope), payer alone (DelayGuard), `-` for none. */
export function entityLabel(
  finding: Pick<FindingDraft, 'payer' | 'cpt_group' | 'denial_reason'> | null,
): string {
  if (!finding) return '-';
  const sub = finding.cpt_group ?? finding.denial_reason;
  return sub === null || sub === '' ? finding.payer : `${finding.payer} · ${sub}`;
}

/** Input of {@link buildEvidencePayload}. */
export interface EvidenceInput {
  readonly product: Product;
  readonly finding: StoredFinding | FindingDraft | null;
  readonly asOf?: string | null;
  readonly evidenceRows?: readonly JsonObject[];
  /** Deep-dive URL when an alert exists, else the product page (routing belongs to the web layer). */
  readonly portalUrl: string;
}

/** Builds the §12.1 payload; with no finding: entity "-", "No <Product> signals yet.", no rows. */
export function buildEvidencePayload(input: EvidenceInput): EvidencePayload {
  const f = input.finding;
  const productName = PRODUCT_NAME[input.product];
  const stored = f !== null && 'id' in f ? f : null;
  return {
    product: input.product,
    product_name: productName,
    signal_type: f?.signal_type ?? null,
    signal_label: f ? SIGNAL_LABEL[f.signal_type] : null,
    finding_id: stored?.id ?? null,
    fingerprint: f?.fingerprint ?? null,
    run_id: stored?.run_id ?? null,
    as_of: f ? (input.asOf ?? f.current_end) : (input.asOf ?? null),
    entity_label: entityLabel(f),
    payer: f?.payer ?? null,
    cpt_group: f?.cpt_group ?? null,
    denial_reason: f?.denial_reason ?? null,
    windows: f
      ? {
          baseline_start: f.baseline_start,
          baseline_end: f.baseline_end,
          current_start: f.current_start,
          current_end: f.current_end,
        }
      : null,
    date_range: f ? `${f.baseline_start} → ${addDays(f.current_end, -1)}` : '-',
    baseline_value: f?.baseline_value ?? null,
    current_value: f?.current_value ?? null,
    delta: f?.delta_value ?? null,
    unit: f?.unit ?? null,
    delta_percent: f?.delta_percent ?? null,
    baseline_count: f?.baseline_count ?? null,
    current_count: f?.current_count ?? null,
    direction: f?.direction ?? null,
    severity: f?.severity ?? null,
    severity_label: f?.severity_label ?? null,
    confidence: f?.confidence ?? null,
    confidence_label: f?.confidence_label ?? null,
    p_value: f?.p_value ?? null,
    q_value: f?.q_value ?? null,
    estimated_impact: f?.estimated_impact ?? null,
    impact_kind: f?.impact_kind ?? null,
    one_sentence_explanation: f ? f.summary_text : `No ${productName} signals yet.`,
    evidence_rows: f ? (input.evidenceRows ?? []).slice(0, EVIDENCE_ROWS_CAP) : [],
    portal_url: input.portalUrl,
  };
}

/** DriftWatch evidence rows: the run's findings by severity desc, payer, group, signal (≤ 20). */
export function driftWatchEvidenceRows(findings: readonly FindingDraft[]): JsonObject[] {
  const signalOrder = (s: SignalType) => ['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_AMOUNT'].indexOf(s);
  return [...findings]
    .sort(
      (a, b) =>
        b.severity - a.severity ||
        compareText(a.payer, b.payer) ||
        compareText(a.cpt_group ?? '', b.cpt_group ?? '') ||
        signalOrder(a.signal_type) - signalOrder(b.signal_type),
    )
    .slice(0, EVIDENCE_ROWS_CAP)
    .map((f) => ({
      payer: f.payer,
      cpt_group: f.cpt_group,
      signal_type: f.signal_type,
      baseline_value: f.baseline_value,
      current_value: f.current_value,
      delta_value: f.delta_value,
      unit: f.unit,
      severity: f.severity,
      severity_label: f.severity_label,
      confidence: f.confidence,
      q_value: f.q_value,
    }));
}

/** DelayGuard evidence rows: the run's findings (≤ 20), by severity desc then payer. */
export function delayGuardEvidenceRows(findings: readonly FindingDraft[]): JsonObject[] {
  return [...findings]
    .sort((a, b) => b.severity - a.severity || compareText(a.payer, b.payer))
    .slice(0, EVIDENCE_ROWS_CAP)
    .map((f) => ({
      payer: f.payer,
      baseline_avg_days: f.baseline_value,
      current_avg_days: f.current_value,
      delta_days: f.delta_value,
      delta_percent: f.delta_percent,
      severity_label: f.severity_label,
      confidence: f.confidence,
      dollars_at_risk: f.estimated_impact,
    }));
}
