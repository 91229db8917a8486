/**
 * Poisson rate test, conditional exact binomial form (analytics §4): DenialScope
 * new_denial_reason and denial_volume_spike, one-sided upper.
 */
import { regularizedIncompleteBeta } from './distributions.ts';
import { clampPValue } from './numeric.ts';

/** Result of the Poisson rate comparison. */
export interface PoissonRateResult {
  /** Share of exposure in the recent window, `w = e_r/(e_r + e_b)`. */
  readonly w: number;
  readonly pValue: number;
}

/**
 * Is the recent rate (`kRecent` events over `exposureRecent` days) higher than the baseline
 * rate (`kBaseline` over `exposureBaseline`)? Conditional on the total, under H0
 * `k_r ~ Binomial(k_r + k_b, w)`; `p = P(X >= k_r) = I_w(k_r, k_b + 1)`, and `k_r = 0 → 1`.
 * With `k_b = 0` this is `w^k_r` (e.g. 0.25^k_r for DenialScope's 7 vs 21 days).
 */
export function poissonRateTestUpper(
  kRecent: number,
  exposureRecent: number,
  kBaseline: number,
  exposureBaseline: number,
): PoissonRateResult {
  const w = exposureRecent / (exposureRecent + exposureBaseline);
  if (kRecent <= 0) return { w, pValue: 1 };
  return { w, pValue: clampPValue(regularizedIncompleteBeta(w, kRecent, kBaseline + 1)) };
}
