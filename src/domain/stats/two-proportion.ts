/**
 * Pooled two-proportion z-test (analytics §4): DriftWatch DENIAL_RATE (two-sided) and
 * DenialScope denial_rate_spike (one-sided, upper).
 */
import { normalTwoSided, normalUpper } from './distributions.ts';
import { clampPValue } from './numeric.ts';

/** Which tail(s) count as evidence. */
export type Alternative = 'two-sided' | 'greater';

/** Result of a two-proportion z-test. */
export interface TwoProportionResult {
  /** `z = (x2/n2 − x1/n1)/se`; 0 when se = 0. */
  readonly z: number;
  readonly se: number;
  readonly pooled: number;
  /** Floored at 1e-16, capped at 1. */
  readonly pValue: number;
}

/**
 * Pooled two-proportion z-test of current `x2/n2` against baseline `x1/n1`.
 *
 * `p̂ = (x1+x2)/(n1+n2)`, `se = √(p̂(1−p̂)(1/n1 + 1/n2))`. When `se = 0` (both windows all-0 or
 * all-1, or an empty window) there is no variation to test and p = 1 (spec rule).
 */
export function twoProportionZTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  alternative: Alternative,
): TwoProportionResult {
  if (n1 <= 0 || n2 <= 0) return { z: 0, se: 0, pooled: 0, pValue: 1 };
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return { z: 0, se: 0, pooled, pValue: 1 };
  const z = (x2 / n2 - x1 / n1) / se;
  const raw = alternative === 'two-sided' ? normalTwoSided(z) : normalUpper(z);
  return { z, se, pooled, pValue: clampPValue(raw) };
}
