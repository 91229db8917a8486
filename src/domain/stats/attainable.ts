/**
 * Smallest p-value a test could reach with the data it has, whatever the split between the two
 * windows (Tarone 1990; Gilbert 2005). It depends only on the pooled data — never on which
 * window an observation fell in — so a test whose best case is still above the false-discovery
 * level can be left out of the Benjamini–Hochberg family without bias: it could never be
 * declared significant, and counting it would only make every other test's q-value larger
 * (analytics, docs/DECISIONS.md "Tests that can fire").
 */
import type { DayHistogram } from './histogram.ts';
import { histogramBins } from './histogram.ts';
import { mannWhitneyUFromHistograms } from './mann-whitney.ts';
import { poissonRateTestUpper } from './poisson-rate.ts';
import { type Alternative, twoProportionZTest } from './two-proportion.ts';

/**
 * Two-proportion z-test: the pooled successes `x1 + x2` and the window sizes are fixed; the most
 * extreme tables put as many successes as possible into one window. Two-sided: the smaller p of
 * both extremes; `greater`: all successes as far into the current window as they fit.
 */
export function twoProportionMinimumP(
  successes: number,
  nBaseline: number,
  nCurrent: number,
  alternative: Alternative,
): number {
  if (nBaseline <= 0 || nCurrent <= 0) return 1;
  const intoCurrent = Math.min(successes, nCurrent);
  const up = twoProportionZTest(
    successes - intoCurrent,
    nBaseline,
    intoCurrent,
    nCurrent,
    alternative,
  ).pValue;
  if (alternative === 'greater') return up;
  const intoBaseline = Math.min(successes, nBaseline);
  const down = twoProportionZTest(
    intoBaseline,
    nBaseline,
    successes - intoBaseline,
    nCurrent,
    alternative,
  ).pValue;
  return Math.min(up, down);
}

/**
 * Mann–Whitney U: the pooled multiset of values is fixed; the most extreme splits give the
 * current window the `nCurrent` largest (or smallest) values. Returns the smaller p of the two.
 */
export function mannWhitneyMinimumP(baseline: DayHistogram, current: DayHistogram): number {
  const pooled = new Map<number, number>();
  let nCurrent = 0;
  for (const bin of histogramBins(baseline)) pooled.set(bin.value, (pooled.get(bin.value) ?? 0) + bin.count);
  for (const bin of histogramBins(current)) {
    pooled.set(bin.value, (pooled.get(bin.value) ?? 0) + bin.count);
    nCurrent += bin.count;
  }
  const ascending = [...pooled.entries()].sort((a, b) => a[0] - b[0]);
  const split = (order: Array<[number, number]>) => {
    const b: Record<string, number> = {};
    const c: Record<string, number> = {};
    let left = nCurrent;
    for (const [value, count] of order) {
      const toCurrent = Math.min(left, count);
      left -= toCurrent;
      if (toCurrent > 0) c[String(value)] = toCurrent;
      if (count - toCurrent > 0) b[String(value)] = count - toCurrent;
    }
    return mannWhitneyUFromHistograms(b, c).pValue;
  };
  return Math.min(split([...ascending].reverse()), split(ascending));
}

/** Poisson rate test (upper): every event in the recent window, `p = w^(k_r + k_b)`. */
export function poissonRateMinimumP(
  kRecent: number,
  exposureRecent: number,
  kBaseline: number,
  exposureBaseline: number,
): number {
  return poissonRateTestUpper(kRecent + kBaseline, exposureRecent, 0, exposureBaseline).pValue;
}
