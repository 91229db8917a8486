/**
 * Mann-Whitney U from day histograms (analytics §4): normal approximation with tie and
 * continuity correction, two-sided. Matches SciPy
 * `mannwhitneyu(current, baseline, alternative='two-sided', method='asymptotic', use_continuity=True)`.
 */
import { normalTwoSided } from './distributions.ts';
import { type DayHistogram, histogramBins } from './histogram.ts';
import { clampPValue } from './numeric.ts';

/** Result of the rank test. */
export interface MannWhitneyResult {
  readonly nBaseline: number;
  readonly nCurrent: number;
  /** Sum of (average) ranks of the current window. */
  readonly rankSumCurrent: number;
  /** `U_c = R_c − n_c(n_c+1)/2`. */
  readonly uCurrent: number;
  readonly mu: number;
  /** Σ(t³ − t) over tie groups of the combined sample. */
  readonly tieTerm: number;
  readonly sigma: number;
  /** `max(|U_c − μ| − 0.5, 0)/σ`; 0 when σ = 0. */
  readonly z: number;
  readonly pValue: number;
}

/**
 * Two-sided Mann-Whitney U test of the current window against the baseline, both given as
 * `{"<days>": count}` histograms. Walking the merged histogram in ascending order gives every
 * tie group its average rank `L + (t+1)/2` directly, so no per-claim arrays are built.
 */
export function mannWhitneyUFromHistograms(baseline: DayHistogram, current: DayHistogram): MannWhitneyResult {
  const counts = new Map<number, { b: number; c: number }>();
  let nB = 0;
  let nC = 0;
  for (const bin of histogramBins(baseline)) {
    const e = counts.get(bin.value) ?? { b: 0, c: 0 };
    e.b += bin.count;
    counts.set(bin.value, e);
    nB += bin.count;
  }
  for (const bin of histogramBins(current)) {
    const e = counts.get(bin.value) ?? { b: 0, c: 0 };
    e.c += bin.count;
    counts.set(bin.value, e);
    nC += bin.count;
  }
  const n = nB + nC;
  const values = [...counts.keys()].sort((a, b) => a - b);

  let below = 0;
  let rankSumCurrent = 0;
  let tieTerm = 0;
  for (const value of values) {
    const e = counts.get(value) as { b: number; c: number };
    const t = e.b + e.c;
    const avgRank = below + (t + 1) / 2;
    rankSumCurrent += e.c * avgRank;
    tieTerm += t * t * t - t;
    below += t;
  }
  const uCurrent = rankSumCurrent - (nC * (nC + 1)) / 2;
  const mu = (nB * nC) / 2;
  const empty = {
    nBaseline: nB,
    nCurrent: nC,
    rankSumCurrent,
    uCurrent,
    mu,
    tieTerm,
    sigma: 0,
    z: 0,
    pValue: 1,
  };
  // An empty window or a single distinct value leaves nothing to rank: σ = 0 → p = 1.
  if (nB === 0 || nC === 0 || values.length < 2) return empty;
  const sigma2 = ((nB * nC) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(sigma2 > 0)) return empty;
  const sigma = Math.sqrt(sigma2);
  const z = Math.max(Math.abs(uCurrent - mu) - 0.5, 0) / sigma;
  return {
    nBaseline: nB,
    nCurrent: nC,
    rankSumCurrent,
    uCurrent,
    mu,
    tieTerm,
    sigma,
    z,
    pValue: clampPValue(normalTwoSided(z)),
  };
}
