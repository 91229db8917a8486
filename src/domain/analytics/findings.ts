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

/** One significance test of a run, before BH. */
export interface TestCandidate<T> {
  readonly pValue: number;
  /** Whether the effect-size threshold is met (a "candidate" of §5.3). */
  readonly thresholdMet: boolean;
  readonly payload: T;
}

/** A test after BH and gating. */
export interface GatedTest<T> extends TestCandidate<T> {
  readonly qValue: number;
  /** Becomes a finding. */
  readonly accepted: boolean;
  /** Met the threshold but failed the q filter (strict mode only). */
  readonly heldBack: boolean;
}

/**
 * BH over all `m` tests of the run, then the §5.3 gate: `strict` needs threshold and
 * `q <= fdr_q`; `reference` needs the threshold only (p and q still stored).
 */
export function gateTests<T>(
  tests: readonly TestCandidate<T>[],
  sensitivity: Sensitivity,
  fdrQ: number,
): GatedTest<T>[] {
  const q = benjaminiHochberg(tests.map((t) => t.pValue));
  return tests.map((t, i) => {
    const qValue = q[i] as number;
    const significant = atMost(qValue, fdrQ);
    const accepted = t.thresholdMet && (sensitivity === 'reference' || significant);
    return { ...t, qValue, accepted, heldBack: t.thresholdMet && !accepted };
  });
}

/** Entry of `summary_json.tests_detail` for a test that produced no finding. */
export interface TestDetail extends JsonObject {
  readonly signal_type: SignalType;
  readonly payer: string;
  readonly subkey: string;
  readonly test: TestName;
  readonly p_value: number;
  readonly q_value: number;
  readonly threshold_met: boolean;
  readonly held_back: boolean;
}

/** `summary_json.tests_detail` is capped at 500 entries (§4). */
export const TESTS_DETAIL_CAP = 500;

/**
 * `summary_json.tests_detail`: the tests that produced no finding (first 500), each with
 * the entity `describe` names for its payload.
 */
export function rejectedTestsDetail<T>(
  gated: readonly GatedTest<T>[],
  describe: (payload: T) => { signal_type: SignalType; payer: string; subkey: string; test: TestName },
): TestDetail[] {
  return gated
    .filter((t) => !t.accepted)
    .slice(0, TESTS_DETAIL_CAP)
    .map((t) => ({
      ...describe(t.payload),
      p_value: t.pValue,
      q_value: t.qValue,
      threshold_met: t.thresholdMet,
      held_back: t.heldBack,
    }));
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
