/**
 * Day histograms as stored by the daily rollups: `{"<days>": count}` (analytics §3).
 * Medians and percentiles are exact because the histogram holds every observation.
 */

/** A `{"<days>": count}` map as stored in `decision_days_hist` / `payment_days_hist`. */
export type DayHistogram = Readonly<Record<string, number>>;

/** One histogram bin with a numeric value. */
export interface HistogramBin {
  readonly value: number;
  readonly count: number;
}

/**
 * Bins of a histogram sorted by ascending value, zero-count bins dropped.
 * Keys must be finite numbers (days); counts must be non-negative integers.
 */
export function histogramBins(hist: DayHistogram): HistogramBin[] {
  const bins: HistogramBin[] = [];
  for (const [key, count] of Object.entries(hist)) {
    const value = Number(key);
    if (key.trim() === '' || !Number.isFinite(value)) {
      throw new RangeError(`histogram key is not a number: ${JSON.stringify(key)}`);
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`histogram count must be a non-negative integer: ${key}=${count}`);
    }
    if (count > 0) bins.push({ value, count });
  }
  return bins.sort((a, b) => a.value - b.value);
}

/** Merge histograms by summing counts per value (windows × cells, analytics §3). */
export function mergeHistograms(hists: Iterable<DayHistogram>): Record<string, number> {
  const merged = new Map<number, number>();
  for (const hist of hists) {
    for (const bin of histogramBins(hist)) {
      merged.set(bin.value, (merged.get(bin.value) ?? 0) + bin.count);
    }
  }
  const out: Record<string, number> = {};
  for (const [value, count] of [...merged.entries()].sort((a, b) => a[0] - b[0])) {
    out[String(value)] = count;
  }
  return out;
}

/** Number of observations in a histogram. */
export function histogramCount(hist: DayHistogram): number {
  let n = 0;
  for (const bin of histogramBins(hist)) n += bin.count;
  return n;
}

/** Σ value × count (integer days stay exact in double precision far beyond realistic volumes). */
export function histogramSum(hist: DayHistogram): number {
  let s = 0;
  for (const bin of histogramBins(hist)) s += bin.value * bin.count;
  return s;
}

/** Mean = Σ days × count / Σ count; null for an empty histogram. */
export function histogramMean(hist: DayHistogram): number | null {
  const n = histogramCount(hist);
  return n === 0 ? null : histogramSum(hist) / n;
}

/** Value of the k-th smallest observation (0-based) of sorted bins. */
function orderStatistic(bins: readonly HistogramBin[], k: number): number {
  let seen = 0;
  for (const bin of bins) {
    seen += bin.count;
    if (k < seen) return bin.value;
  }
  throw new RangeError(`order statistic ${k} out of range`);
}

/**
 * Exact quantile with linear interpolation between order statistics (Hyndman–Fan type 7, the
 * NumPy/R default). At q = 0.5 this is the median rule of analytics §5.2: the middle value, or
 * the mean of the two middle values for an even count (may be x.5). Null for an empty histogram.
 */
export function histogramQuantile(hist: DayHistogram, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1]: ${q}`);
  const bins = histogramBins(hist);
  let n = 0;
  for (const bin of bins) n += bin.count;
  if (n === 0) return null;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = orderStatistic(bins, lo);
  if (hi === lo) return a;
  const b = orderStatistic(bins, hi);
  return a + (h - lo) * (b - a);
}

/** Exact median (even count: mean of the two middle values). Null for an empty histogram. */
export function histogramMedian(hist: DayHistogram): number | null {
  return histogramQuantile(hist, 0.5);
}

/** Percentile p in [0, 100], see {@link histogramQuantile}. */
export function histogramPercentile(hist: DayHistogram, p: number): number | null {
  return histogramQuantile(hist, p / 100);
}

/** Build a histogram from raw values (tests and reference computations). */
export function histogramFromValues(values: Iterable<number>): Record<string, number> {
  const map = new Map<number, number>();
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const [v, c] of [...map.entries()].sort((a, b) => a[0] - b[0])) out[String(v)] = c;
  return out;
}
