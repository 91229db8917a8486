/**
 * Is a daily rate of dollars higher in the recent window than in the baseline? (DenialScope
 * `denial_dollars_spike`, issue 9.) Denied dollars of a window are a compound Poisson sum: a
 * Poisson number of denials, each of some amount. For a sum S of N amounts x, Var(S) = λ·E[x²],
 * estimated by Σx² — so the per-day rates S_r/r and S_b/b compare with
 *
 *   z = (S_r/r − S_b/b) / √(Σx²_r/r² + Σx²_b/b²),   p = Φ(−z)   (one-sided, upper)
 *
 * a normal approximation that needs both windows to hold several amounts (the caller's minimum
 * evidence). A count test would miss a spike made of larger amounts; comparing raw dollar sums
 * without a variance (the spec's untested rule) fired on ordinary week-to-week noise.
 */
import { normalUpper } from './distributions.ts';
import { clampPValue } from './numeric.ts';

/** One window's dollars: their sum, the sum of their squares, and the window's length. */
export interface DollarWindow {
  readonly sum: number;
  readonly sumsq: number;
  readonly days: number;
}

export interface DollarRateResult {
  readonly z: number;
  /** Standard error of the difference of the daily rates (dollars per day). */
  readonly se: number;
  readonly pValue: number;
}

/** One-sided compound-Poisson comparison of daily dollar rates; se = 0 → p = 1. */
export function dollarRateTestUpper(baseline: DollarWindow, recent: DollarWindow): DollarRateResult {
  if (!(baseline.days > 0) || !(recent.days > 0)) return { z: 0, se: 0, pValue: 1 };
  const se = Math.sqrt(recent.sumsq / recent.days ** 2 + baseline.sumsq / baseline.days ** 2);
  if (!(se > 0)) return { z: 0, se: 0, pValue: 1 };
  const z = (recent.sum / recent.days - baseline.sum / baseline.days) / se;
  return { z, se, pValue: clampPValue(normalUpper(z)) };
}
