/**
 * Summary maths of the load benchmark (bench/api.bench.ts): autocannon reports p97.5 and p99
 * but not p95, so the bench keeps every response's latency and computes its own percentiles.
 */

/**
 * The p-th percentile (0 < p ≤ 100) of ascending `sorted` values by the nearest-rank method:
 * the smallest value with at least p % of the values at or below it (always an observed
 * value). NaN for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export interface LoadSummary {
  requests: number;
  /** Responses per second over the measured duration. */
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Responses whose status was not 2xx, by status. */
  non2xx: Record<string, number>;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  /** Little's law: the mean latency that `connections` always-busy connections imply at `rps`. */
  littleMs: number;
}

/** Summarises one load run: latencies in ms (any order), statuses of every response. */
export function summarise(input: {
  latencies: ArrayLike<number>;
  statuses: ReadonlyMap<number, number>;
  errors: number;
  seconds: number;
  connections: number;
}): LoadSummary {
  const sorted = Float64Array.from(input.latencies).sort();
  const requests = sorted.length;
  const rps = input.seconds > 0 ? requests / input.seconds : 0;
  const non2xx: Record<string, number> = {};
  for (const [status, count] of input.statuses) {
    if (status < 200 || status > 299) non2xx[String(status)] = count;
  }
  return {
    requests,
    rps,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: requests > 0 ? (sorted[requests - 1] as number) : Number.NaN,
    non2xx,
    errors: input.errors,
    littleMs: rps > 0 ? (input.connections / rps) * 1000 : Number.NaN,
  };
}

/** after / before, rounded to 2 decimals; NaN when either is missing. */
export function ratio(after: number, before: number): number {
  if (!(before > 0) || !Number.isFinite(after)) return Number.NaN;
  return Math.round((after / before) * 100) / 100;
}
