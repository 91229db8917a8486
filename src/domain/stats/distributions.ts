/**
 * Typed wrappers over the distribution functions used by the tests in this folder.
 *
 * Tails are always computed as a lower tail at `−|statistic|` (analytics §1) so small p-values
 * keep their relative precision instead of being lost in `1 − cdf`.
 */
import jStat from 'jstat';

/**
 * Chebyshev coefficients for erfc on x >= 0 (the classic `erfccheb` expansion; the same
 * coefficients jstat uses inside `erf`).
 */
const ERFC_COEFFICIENTS = [
  -1.3026537197817094, 0.6419697923564902, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
  3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6,
  1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10,
  9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
  -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
] as const;

/**
 * Complementary error function for x >= 0, evaluated directly (not as `1 − erf`).
 *
 * Why not jstat: `jStat.erfc(x)` and `jStat.normal.cdf` are computed as `1 − erf` / `1 + erf`,
 * which cancels catastrophically in the far tail (Φ(−8.09) comes out as 3.3e-16 instead of
 * 3.07e-16, see A23). The Chebyshev expansion below returns erfc itself, accurate to ~1e-16
 * relative, so tail probabilities down to the 1e-16 floor are exact to many digits.
 */
function erfcNonNegative(x: number): number {
  const t = 2 / (2 + x);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = ERFC_COEFFICIENTS.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + (ERFC_COEFFICIENTS[j] as number);
    dd = tmp;
  }
  return t * Math.exp(-x * x + 0.5 * (ERFC_COEFFICIENTS[0] + ty * d) - dd);
}

/** Complementary error function erfc(x) for any real x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  // The expansion gives 0.9999999999999999 at 0; pin the exact value so Φ(0) = 0.5 (z = 0 → p = 0.5).
  if (x === 0) return 1;
  return x >= 0 ? erfcNonNegative(x) : 2 - erfcNonNegative(-x);
}

/**
 * Standard normal cdf Φ(x). For x <= 0 this is the precise lower tail `erfc(−x/√2)/2`;
 * for x > 0 it is `1 − Φ(−x)` (only ever used where precision near 1 does not matter).
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  const lower = 0.5 * erfc(Math.abs(x) / Math.SQRT2);
  return x <= 0 ? lower : 1 - lower;
}

/** Two-sided normal p-value `2·Φ(−|z|)` (uncapped; callers clamp). */
export function normalTwoSided(z: number): number {
  return 2 * normalCdf(-Math.abs(z));
}

/** One-sided upper-tail normal p-value `Φ(−z)`: precise lower tail when z >= 0. */
export function normalUpper(z: number): number {
  return z >= 0 ? normalCdf(-z) : 1 - normalCdf(z);
}

/** Regularised incomplete beta I_x(a, b) via jstat; x clipped to [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const value = jStat.ibeta(x, a, b);
  if (value === false) throw new RangeError(`ibeta: x out of range (${x})`);
  return Math.min(1, Math.max(0, value));
}

/**
 * Student-t cdf at `−|t|` with `df` degrees of freedom (df may be fractional, as in Welch).
 *
 * Computed as `½·I_{df/(df+t²)}(df/2, ½)` rather than jStat.studentt.cdf, whose argument
 * `(t + √(t²+df))/(2√(t²+df))` cancels for large negative t.
 */
export function studentTLowerTail(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  const x = df / (df + t * t);
  return 0.5 * regularizedIncompleteBeta(x, df / 2, 0.5);
}

/** One-sided upper-tail Student-t p-value `T_df(−t)`. */
export function studentTUpper(t: number, df: number): number {
  const lower = studentTLowerTail(t, df);
  return t >= 0 ? lower : 1 - lower;
}

/** Student-t cdf T_df(t) for any t (lower tail precise). */
export function studentTCdf(t: number, df: number): number {
  const lower = studentTLowerTail(t, df);
  return t <= 0 ? lower : 1 - lower;
}
