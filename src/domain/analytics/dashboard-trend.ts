import { addDays, type DateWindow, latestMondayOnOrBefore } from './dates.ts';

/** Weeks shown by the API dashboard's denial-rate trend (web-api-ops §4.6 `dashboard/`). */
export const DASHBOARD_TREND_WEEKS = 12;

/**
 * The Monday-aligned weeks of the trend: the week holding `today` (so far) is the last one, and
 * the eleven full weeks before it precede it. Returns the first Monday and the whole span.
 */
export function dashboardTrendSpan(today: string, weeks = DASHBOARD_TREND_WEEKS): DateWindow {
  const lastWeek = latestMondayOnOrBefore(today);
  const start = addDays(lastWeek, -7 * (weeks - 1));
  return { start, end: addDays(lastWeek, 7) };
}

/** Counts of one week of the span, by week index from its start (weeks without claims absent). */
export interface WeekCounts {
  readonly week: number;
  readonly total: number;
  readonly denied: number;
}

export interface DenialRateWeek {
  /** Monday of the week, `YYYY-MM-DD`. */
  readonly weekStart: string;
  readonly totalClaims: number;
  readonly deniedClaims: number;
  /** Denied share in percent with two decimals (12.5 = 12.50 %); 0 for a week without claims. */
  readonly denialRate: number;
}

/**
 * Percent with two decimals, rounded half up, computed in integers: `denied / total` as
 * hundredths of a percent is `round(denied · 10 000 / total)`, exact for the claim counts of
 * any customer (far below 2^53 / 10 000), so 1 of 8 gives 12.5 and 1 of 3 gives 33.33 without
 * float noise.
 */
export function denialRatePercent(denied: number, total: number): number {
  if (total <= 0) return 0;
  return Math.floor((denied * 10_000 * 2 + total) / (2 * total)) / 100;
}

/**
 * Fills the span week by week (a week without any claim is 0 of 0 at rate 0, so the series has
 * a fixed length a chart can plot) and computes each week's denial rate.
 */
export function denialRateTrend(
  start: string,
  weeks: number,
  counts: readonly WeekCounts[],
): DenialRateWeek[] {
  const byWeek = new Map(counts.map((c) => [c.week, c]));
  const out: DenialRateWeek[] = [];
  for (let week = 0; week < weeks; week++) {
    const c = byWeek.get(week);
    const total = c?.total ?? 0;
    const denied = c?.denied ?? 0;
    out.push({
      weekStart: addDays(start, 7 * week),
      totalClaims: total,
      deniedClaims: denied,
      denialRate: denialRatePercent(denied, total),
    });
  }
  return out;
}

/** What the dashboard lists of one drift finding among the top payers. */
export interface RankedDriftFinding {
  readonly id: number;
  readonly payer: string;
  readonly severity: number;
}

/**
 * The `limit` most severe findings, most severe first; among equal severities the newer finding
 * (higher id) first, so the order is stable from one request to the next.
 */
export function topBySeverity<T extends RankedDriftFinding>(findings: readonly T[], limit = 5): T[] {
  return [...findings].sort((a, b) => b.severity - a.severity || b.id - a.id).slice(0, limit);
}
