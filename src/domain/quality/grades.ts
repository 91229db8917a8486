/**
 * Grades, score badges and exact rounding helpers shared by the quality report, metrics and
 * pages (ingestion spec §2.11, §4.3).
 */

/** Letter grade (§2.11, "everywhere"). */
export type Grade = 'A+' | 'A' | 'B+' | 'B' | 'C+' | 'C' | 'D' | 'F';

/** Grade of a 0..1 score: A+ ≥ 0.95, A ≥ 0.90, B+ ≥ 0.85, B ≥ 0.80, C+ ≥ 0.75, C ≥ 0.70, D ≥ 0.60, else F. */
export function grade(score: number): Grade {
  // Compare in basis points so 0.8 - 1e-16 style float noise cannot drop a grade.
  const bp = Math.round(score * 10_000);
  if (bp >= 9500) return 'A+';
  if (bp >= 9000) return 'A';
  if (bp >= 8500) return 'B+';
  if (bp >= 8000) return 'B';
  if (bp >= 7500) return 'C+';
  if (bp >= 7000) return 'C';
  if (bp >= 6000) return 'D';
  return 'F';
}

/** Score badge colour (§4.3): ≥ 0.95 success, ≥ 0.85 info, ≥ 0.70 warning, else danger. */
export function scoreBadge(score: number): 'success' | 'info' | 'warning' | 'danger' {
  const bp = Math.round(score * 10_000);
  if (bp >= 9500) return 'success';
  if (bp >= 8500) return 'info';
  if (bp >= 7000) return 'warning';
  return 'danger';
}

/**
 * num/den rounded half-up to `decimals` places, computed on integers so 1/8 = 0.125 rounds to
 * 0.13 at 2 places (floats would give 0.12). 0 when den = 0.
 */
export function ratio(num: number, den: number, decimals: number): number {
  if (den === 0) return 0;
  const scale = 10 ** decimals;
  const sign = num < 0 !== den < 0 ? -1 : 1;
  const n = Math.abs(num) * scale;
  const d = Math.abs(den);
  const scaled = Math.floor((2 * n + d) / (2 * d));
  return (sign * scaled) / scale;
}

/** Percentage num/den × 100 with one decimal, as text ("50.0"). */
export function percent1(num: number, den: number): string {
  return ratio(num * 100, den, 1).toFixed(1);
}

/** Quality score (§2.11): accepted / total, 4 decimals, 0 when total = 0. */
export function qualityScore(accepted: number, total: number): number {
  return ratio(accepted, total, 4);
}
