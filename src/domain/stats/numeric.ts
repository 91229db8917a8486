/**
 * Numeric conventions of analytics §1: threshold tolerance, score rounding, p-value bounds.
 */

/** Tolerance for threshold comparisons (analytics §1): `0.15 − 0.10` must reach 0.05. */
export const THRESHOLD_TOLERANCE = 1e-9;

/** Smallest p-value stored (analytics §1). */
export const P_VALUE_FLOOR = 1e-16;

/** `value` reaches threshold `t` when `value >= t − 1e-9` (analytics §1). */
export function reaches(value: number, threshold: number): boolean {
  return value >= threshold - THRESHOLD_TOLERANCE;
}

/** Mirror of {@link reaches} for upper bounds (`q <= fdr_q`): `value <= t + 1e-9`. */
export function atMost(value: number, threshold: number): boolean {
  return value <= threshold + THRESHOLD_TOLERANCE;
}

/**
 * Round half away from zero to `decimals` places.
 *
 * The scaled value is first normalised to 15 significant digits so that binary noise such as
 * `1.005 * 100 = 100.49999999999999` is treated as the decimal tie the user sees, and
 * `0.8999999999999999` (A10) still rounds to `0.9`.
 */
export function roundHalfAwayFromZero(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** decimals;
  const scaled = Number((Math.abs(value) * factor).toPrecision(15));
  const rounded = Math.floor(scaled + 0.5) / factor;
  return value < 0 ? -rounded : rounded;
}

/** Severity/confidence scores: clipped to [0, 1] and rounded to 4 decimals (analytics §1). */
export function toScore(value: number): number {
  const clipped = Math.min(1, Math.max(0, Number.isNaN(value) ? 0 : value));
  return roundHalfAwayFromZero(clipped, 4);
}

/** p-values are floored at 1e-16 and capped at 1 (analytics §1); NaN is treated as "no evidence". */
export function clampPValue(p: number): number {
  if (Number.isNaN(p)) return 1;
  return Math.min(1, Math.max(P_VALUE_FLOOR, p));
}
