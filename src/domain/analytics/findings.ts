/**
 * The common finding shape of all three products (analytics §8) and helpers shared by the
 * detectors: fingerprints, delta percent, likely causes, sensitivity gating and run counts.
 */
import { createHash } from 'node:crypto';
import { benjaminiHochberg } from '../stats/benjamini-hochberg.ts';
import { atMost, roundHalfAwayFromZero } from '../stats/numeric.ts';
import type { ConfidenceLabel, SeverityLabel } from './labels.ts';

/** Product slugs. */
export type Product = 'driftwatch' | 'denialscope' | 'delayguard';

/** Display names of the products. */
export const PRODUCT_NAME: Readonly<Record<Product, string>> = {
  driftwatch: 'DriftWatch',
  denialscope: 'DenialScope',
  delayguard: 'DelayGuard',
};

/** DriftWatch signals. */
export type DriftSignal = 'DENIAL_RATE' | 'DECISION_TIME' | 'PAYMENT_AMOUNT';
/** DenialScope signals. */
export type DenialSignal =
  | 'new_denial_reason'
  | 'denial_rate_spike'
  | 'denial_dollars_spike'
  | 'denial_volume_spike';
/** DelayGuard signal. */
export type DelaySignal = 'payment_delay_drift';
/** Every `signal_type`. */
export type SignalType = DriftSignal | DenialSignal | DelaySignal;

/** Human labels of the signal types (`signal_label` of the evidence payload). */
export const SIGNAL_LABEL: Readonly<Record<SignalType, string>> = {
  DENIAL_RATE: 'Denial rate',
  DECISION_TIME: 'Decision time',
  PAYMENT_AMOUNT: 'Underpayment',
  new_denial_reason: 'New denial reason',
  denial_rate_spike: 'Denial rate spike',
  denial_dollars_spike: 'Denial dollars spike',
  denial_volume_spike: 'Denial volume spike',
  payment_delay_drift: 'Payment delay drift',
};

/** Value units (§8). */
export type Unit = 'rate' | 'days' | 'count' | 'count_per_day' | 'usd_per_day';
/** Test names (§8). */
export type TestName = 'z_two_proportion' | 'mann_whitney_u' | 'welch_t' | 'poisson_rate' | 'none';
/** Impact kinds (§8). */
export type ImpactKind =
  | 'weekly_revenue'
  | 'weekly_denied_dollars'
  | 'recent_denied_dollars'
  | 'dollars_at_risk';
/** Direction of a change. */
export type Direction = 'degrading' | 'improving';
/** Customer setting `drift_sensitivity` (§5.3). */
export type Sensitivity = 'strict' | 'reference';

/** JSON value stored in `details` / `summary_json`. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** A cause shown under "Possible causes". */
export interface LikelyCause extends JsonObject {
  readonly cause: string;
  readonly likelihood: number;
}

/** Likely causes per signal family (§5.4, §6.4, §7.1). */
export const LIKELY_CAUSES = {
  DENIAL_RATE: [
    { cause: 'payer policy change', likelihood: 0.7 },
    { cause: 'coding issues', likelihood: 0.5 },
    { cause: 'documentation deficiency', likelihood: 0.4 },
  ],
  PAYMENT_AMOUNT: [
    { cause: 'contract not honoured', likelihood: 0.8 },
    { cause: 'reimbursement rate reduction', likelihood: 0.6 },
    { cause: 'modifier bundling', likelihood: 0.5 },
  ],
  DECISION_TIME: [
    { cause: 'increased claim review', likelihood: 0.5 },
    { cause: 'payer processing delays', likelihood: 0.4 },
    { cause: 'payer cash-flow issues', likelihood: 0.6 },
  ],
  payment_delay_drift: [
    { cause: 'payer cash-flow issues', likelihood: 0.6 },
    { cause: 'increased claim review', likelihood: 0.5 },
    { cause: 'payer processing delays', likelihood: 0.4 },
  ],
} as const satisfies Record<string, readonly LikelyCause[]>;

/**
 * A finding as produced by a detector, before persistence (`id`, `run_id`, timestamps are added
 * by the repository). Field names mirror the `findings` table.
 */
export interface FindingDraft {
  readonly customer_id: string;
  readonly product: Product;
  readonly signal_type: SignalType;
  readonly fingerprint: string;
  readonly payer: string;
  readonly cpt_group: string | null;
  readonly denial_reason: string | null;
  readonly baseline_start: string;
  readonly baseline_end: string;
  readonly current_start: string;
  readonly current_end: string;
  readonly baseline_value: number;
  readonly current_value: number;
  readonly delta_value: number;
  readonly unit: Unit;
  /** `delta/baseline × 100`, 2 decimals; null when the baseline is 0. */
  readonly delta_percent: number | null;
  readonly baseline_count: number;
  readonly current_count: number;
  readonly direction: Direction;
  readonly severity: number;
  readonly severity_label: SeverityLabel;
  readonly confidence: number;
  readonly confidence_label: ConfidenceLabel;
  readonly test: TestName;
  readonly p_value: number | null;
  readonly q_value: number | null;
  /** Decimal string with 2 decimals, signed (improvements are negative). */
  readonly estimated_impact: string | null;
  readonly impact_kind: ImpactKind | null;
  readonly summary_text: string;
  readonly details: JsonObject;
}

/**
 * Stable fingerprint (§8): first 32 hex chars of SHA-256 over the compact JSON array
 * `[customer_id, product, signal_type, payer, subkey, current_start, current_end]`.
 * `JSON.stringify` is exactly the required encoding (no spaces, non-ASCII not escaped).
 */
export function findingFingerprint(
  customerId: string,
  product: Product,
  signalType: SignalType,
  payer: string,
  subkey: string,
  currentStart: string,
  currentEnd: string,
): string {
  const input = JSON.stringify([customerId, product, signalType, payer, subkey, currentStart, currentEnd]);
  return createHash('sha256').update(input, 'utf8').digest('hex').slice(0, 32);
}

/** `delta/baseline × 100` rounded to 2 decimals; null when the baseline is 0 (§8). */
export function deltaPercent(delta: number, baseline: number): number | null {
  if (baseline === 0 || !Number.isFinite(baseline)) return null;
  return roundHalfAwayFromZero((delta / baseline) * 100, 2);
}

/** Why a candidate that met its effect threshold is not (yet) a finding. */
export type EmergingReason = 'not_significant' | 'needs_more_data';

/**
 * Nominal evidence an emerging candidate needs before it is shown at all: an unadjusted
 * p-value at or below 0.05. Without it the "change" is indistinguishable from noise, and a list
 * of every threshold crossing would teach users to ignore the list.
 */
export const EMERGING_MAX_P = 0.05;

/** One significance test of a run, before BH. */
export interface TestCandidate<T> {
  readonly pValue: number;
  /** Whether the effect-size threshold is met (a "candidate" of §5.3). */
  readonly thresholdMet: boolean;
  /**
   * The test's false-discovery family. Each signal type is its own family (docs/DECISIONS.md
   * "One FDR family per signal"), so BH runs per family.
   */
  readonly family: SignalType;
  /**
   * Smallest p-value the test could reach with its pooled data whatever the split between the
   * windows (stats/attainable.ts). Above `fdr_q` the test can never fire and is not counted in
   * its family. Default 0: always counted.
   */
  readonly minimumP?: number;
  /**
   * The signal's minimum evidence is met (e.g. DenialScope: ≥ 10 denied claims in the recent
   * window). A test below it stays in its family (dropping it would depend on the outcome and
   * bias BH) but cannot become a finding — at most an emerging candidate. Default true.
   */
  readonly evidenceMet?: boolean;
  readonly payload: T;
}

/** A test after BH and gating. */
export interface GatedTest<T> extends TestCandidate<T> {
  /** Whether the test is counted in its family's m (it can fire). */
  readonly counted: boolean;
  /** BH q-value within its family; null when the test is not counted. */
  readonly qValue: number | null;
  /** Becomes a finding. */
  readonly accepted: boolean;
  /** Met threshold and evidence but failed the q filter (strict mode only; §5.3 `held_back`). */
  readonly heldBack: boolean;
  /** Met its threshold with nominal evidence (p ≤ 0.05) but is not a finding; null otherwise. */
  readonly emerging: EmergingReason | null;
}

/**
 * BH per family over the tests that can fire, then the §5.3 gate: `strict` needs threshold,
 * minimum evidence and `q <= fdr_q`; `reference` needs threshold and minimum evidence (p and q
 * still stored). Output order = input order.
 */
export function gateTests<T>(
  tests: readonly TestCandidate<T>[],
  sensitivity: Sensitivity,
  fdrQ: number,
): GatedTest<T>[] {
  const counted = tests.map((t) => (t.minimumP ?? 0) <= fdrQ + 1e-12);
  const qValues = new Array<number | null>(tests.length).fill(null);
  const families = new Map<SignalType, number[]>();
  tests.forEach((t, i) => {
    if (!counted[i]) return;
    const members = families.get(t.family) ?? [];
    members.push(i);
    families.set(t.family, members);
  });
  for (const members of families.values()) {
    const q = benjaminiHochberg(members.map((i) => (tests[i] as TestCandidate<T>).pValue));
    members.forEach((i, k) => {
      qValues[i] = q[k] as number;
    });
  }
  return tests.map((t, i) => {
    const qValue = qValues[i] ?? null;
    const evidenceMet = t.evidenceMet ?? true;
    const significant = qValue !== null && atMost(qValue, fdrQ);
    const candidate = t.thresholdMet && evidenceMet;
    const accepted = candidate && (sensitivity === 'reference' || significant);
    const emerging: EmergingReason | null =
      !accepted && t.thresholdMet && atMost(t.pValue, EMERGING_MAX_P)
        ? evidenceMet && qValue !== null
          ? 'not_significant'
          : 'needs_more_data'
        : null;
    return {
      ...t,
      counted: counted[i] === true,
      qValue,
      accepted,
      heldBack: candidate && !accepted,
      emerging,
    };
  });
}

/** Entry of `summary_json.tests_detail` for a test that produced no finding. */
export interface TestDetail extends JsonObject {
  readonly signal_type: SignalType;
  readonly payer: string;
  readonly subkey: string;
  readonly test: TestName;
  readonly p_value: number;
  /** Null when the test could not fire and was not counted in its family. */
  readonly q_value: number | null;
  readonly threshold_met: boolean;
  readonly held_back: boolean;
}

/** `summary_json.tests_detail` is capped at 500 entries (§4). */
export const TESTS_DETAIL_CAP = 500;

/**
 * `summary_json.tests_detail`: the tests that produced no finding (first 500), each with
 * the entity `describe` names for its payload. Tests computed only for the emerging list (not
 * counted and below the minimum evidence) are not part of the run's tests and are left out.
 */
export function rejectedTestsDetail<T>(
  gated: readonly GatedTest<T>[],
  describe: (payload: T) => { signal_type: SignalType; payer: string; subkey: string; test: TestName },
): TestDetail[] {
  return gated
    .filter((t) => !t.accepted && (t.counted || t.evidenceMet !== false))
    .slice(0, TESTS_DETAIL_CAP)
    .map((t) => ({
      ...describe(t.payload),
      p_value: t.pValue,
      q_value: t.qValue,
      threshold_met: t.thresholdMet,
      held_back: t.heldBack,
    }));
}

/** Number of tests counted in each family (`summary_json.tests_by_signal`). */
export function countedTestsBySignal<T>(gated: readonly GatedTest<T>[]): Record<string, number> {
  return countBy(
    gated.filter((t) => t.counted),
    (t) => t.family,
  );
}

/**
 * A candidate that met its threshold but is not a finding (item 2 of issue 9): shown on the
 * dashboards as "Emerging", never alerted. `consecutive_runs` counts this run and the directly
 * preceding runs of the product that listed the same key.
 */
export interface EmergingDraft extends JsonObject {
  readonly signal_type: SignalType;
  readonly payer: string;
  /** CPT group (DriftWatch), reason (DenialScope) or '' (DelayGuard). */
  readonly subkey: string;
  readonly reason: EmergingReason;
  readonly direction: Direction;
  readonly baseline_value: number;
  readonly current_value: number;
  readonly delta_value: number;
  readonly unit: Unit;
  readonly baseline_count: number;
  readonly current_count: number;
  readonly p_value: number | null;
  readonly q_value: number | null;
}

/** An emerging candidate as stored in `summary_json.emerging`. */
export interface EmergingCandidate extends EmergingDraft {
  readonly consecutive_runs: number;
}

/** At most this many emerging candidates are kept in a run's summary (smallest p first). */
export const EMERGING_CAP = 50;

/** Key identifying an emerging candidate across runs. */
export function emergingKey(e: {
  readonly signal_type: string;
  readonly payer: string;
  readonly subkey: string;
  readonly direction: string;
}): string {
  return JSON.stringify([e.signal_type, e.payer, e.subkey, e.direction]);
}

/**
 * The `consecutive_runs` of each emerging key of a stored run summary (`summary_json.emerging`),
 * for the next run to continue. Tolerates summaries of older runs (no list) and malformed
 * entries (skipped).
 */
export function emergingRunCounts(summary: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const list =
    typeof summary === 'object' && summary !== null ? (summary as Record<string, unknown>)['emerging'] : null;
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    const e = entry as Record<string, unknown>;
    const { signal_type, payer, subkey, direction } = e;
    if (typeof signal_type !== 'string' || typeof payer !== 'string') continue;
    if (typeof subkey !== 'string' || typeof direction !== 'string') continue;
    const runs = typeof e['consecutive_runs'] === 'number' ? e['consecutive_runs'] : 1;
    out.set(emergingKey({ signal_type, payer, subkey, direction }), runs);
  }
  return out;
}

/**
 * Orders and caps a run's emerging list (smallest p first; untested ones last, then by entity)
 * and counts consecutive runs from the previous run's list.
 */
export function finishEmerging(
  candidates: readonly EmergingDraft[],
  previous: ReadonlyMap<string, number> = new Map(),
): EmergingCandidate[] {
  return [...candidates]
    .sort(
      (a, b) =>
        (a.p_value ?? 2) - (b.p_value ?? 2) ||
        compareKey(a.payer, b.payer) ||
        compareKey(a.subkey, b.subkey) ||
        compareKey(a.signal_type, b.signal_type),
    )
    .slice(0, EMERGING_CAP)
    .map((e) => ({ ...e, consecutive_runs: (previous.get(emergingKey(e)) ?? 0) + 1 }));
}

function compareKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Highest severity label a finding may carry at its confidence (issue 9, item 3): Critical needs
 * High confidence (≥ 0.75), High needs Medium confidence (≥ 0.6); with Low confidence a finding
 * is at most Medium. A strong effect on thin evidence is therefore never an urgent alert.
 */
export function maxSeverityForConfidence(confidence: number): SeverityLabel {
  if (confidence >= 0.75 - 1e-9) return 'critical';
  if (confidence >= 0.6 - 1e-9) return 'high';
  return 'medium';
}

/** Numeric severity caps of DriftWatch's continuous scale (2-decimal displays keep the label). */
const NUMERIC_SEVERITY_CAP: Readonly<Record<SeverityLabel, number>> = {
  critical: 1,
  high: 0.89,
  medium: 0.69,
  low: 0.39,
};

/** DriftWatch: `min(severity, cap of the confidence)` on the numeric scale. */
export function capNumericSeverity(severity: number, confidence: number): number {
  return Math.min(severity, NUMERIC_SEVERITY_CAP[maxSeverityForConfidence(confidence)]);
}

const LEVEL_ORDER: readonly SeverityLabel[] = ['low', 'medium', 'high', 'critical'];

/** DenialScope / DelayGuard: the lower of the level and the confidence's cap. */
export function capSeverityLevel(level: SeverityLabel, confidence: number): SeverityLabel {
  const cap = maxSeverityForConfidence(confidence);
  return LEVEL_ORDER.indexOf(level) <= LEVEL_ORDER.indexOf(cap) ? level : cap;
}

/** Counts findings per value of `key`. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Findings whose fingerprint was not seen before (drives `<product>_signal_created`, §10.1 rule 5). */
export function countNewFingerprints(
  findings: readonly FindingDraft[],
  existingFingerprints: ReadonlySet<string>,
): number {
  return findings.filter((f) => !existingFingerprints.has(f.fingerprint)).length;
}
