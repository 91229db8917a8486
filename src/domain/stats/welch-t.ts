/**
 * Welch t-test from summary statistics (analytics §4): DriftWatch PAYMENT_AMOUNT, one-sided upper.
 */
import { studentTUpper } from './distributions.ts';
import { clampPValue, P_VALUE_FLOOR } from './numeric.ts';

/** Sample summary of one window. */
export interface SampleSummary {
  readonly n: number;
  readonly mean: number;
  /** Sample variance with n − 1 in the denominator. */
  readonly variance: number;
}

/** Result of the Welch test. */
export interface WelchResult {
  readonly t: number;
  readonly df: number;
  readonly se: number;
  readonly pValue: number;
}

/**
 * Summary (n, mean, sample variance) from running sums n, Σr, Σr² as the rollups store them
 * (`underpay_n`, `underpay_sum`, `underpay_sumsq`).
 *
 * `(Σr² − n·mean²)` cancels when every r is equal; a result within rounding noise of zero
 * (relative 1e-12 of Σr²) is treated as exactly 0 so a constant sample hits the spec's se = 0
 * rule instead of producing a huge t from noise.
 */
export function summaryFromSums(n: number, sum: number, sumsq: number): SampleSummary {
  if (n <= 0) return { n: 0, mean: Number.NaN, variance: Number.NaN };
  const mean = sum / n;
  if (n === 1) return { n, mean, variance: Number.NaN };
  const ss = sumsq - n * mean * mean;
  const variance = ss <= 1e-12 * Math.abs(sumsq) ? 0 : ss / (n - 1);
  return { n, mean, variance };
}

/**
 * One-sided (upper: current mean larger than baseline) Welch t-test.
 *
 * `t = (m2 − m1)/√(s1²/n1 + s2²/n2)`, Welch–Satterthwaite df, `p = T_df(−t)`.
 * If `se = 0`: p = 1e-16 when m2 > m1, else 1 (spec rule; a deterministic shift is certain).
 */
export function welchTTestUpper(baseline: SampleSummary, current: SampleSummary): WelchResult {
  const a = baseline.variance / baseline.n;
  const b = current.variance / current.n;
  const se = Math.sqrt(a + b);
  const diff = current.mean - baseline.mean;
  if (!Number.isFinite(se) || baseline.n < 2 || current.n < 2) {
    return { t: 0, df: Number.NaN, se: Number.NaN, pValue: 1 };
  }
  if (se === 0) return { t: 0, df: Number.NaN, se: 0, pValue: diff > 0 ? P_VALUE_FLOOR : 1 };
  const t = diff / se;
  const df = (a + b) ** 2 / ((a * a) / (baseline.n - 1) + (b * b) / (current.n - 1));
  return { t, df, se, pValue: clampPValue(studentTUpper(t, df)) };
}
