/**
 * Input shape of the analytics: rows of `claim_daily_rollups` (ingestion spec §1.2, analytics §3).
 * Field names mirror the table columns so repository rows can be passed through unchanged.
 */
import type { DayHistogram } from '../stats/histogram.ts';
import { type DateWindow, inWindow } from './dates.ts';

/** Claim outcome. */
export type Outcome = 'PAID' | 'DENIED' | 'OTHER';

/**
 * One rollup bucket `(customer_id, day, payer, cpt_group, outcome, denial_reason)` of one customer.
 * Reversed claims are already excluded by ingestion.
 */
export interface DailyRollupRow {
  /** `submitted_date` of the bucket's claims, `YYYY-MM-DD`. */
  readonly day: string;
  readonly payer: string;
  readonly cpt_group: string;
  readonly outcome: Outcome;
  /** DENIED: code, else text cut to 100 chars, else `UNSPECIFIED`; `''` for PAID/OTHER. */
  readonly denial_reason: string;
  readonly claim_count: number;
  /** Sums as exact decimal strings (`numeric(16,2)`). */
  readonly allowed_sum: string;
  /**
   * Σ allowed² in dollars² over the claims with an allowed amount (double precision: a
   * statistic, not money; the variance of a dollar sum). Only the decision rollups carry it
   * (0 on rows of the submission rollups).
   */
  readonly allowed_sumsq: number;
  readonly billed_sum: string;
  readonly paid_sum: string;
  /** Claims having the respective amount. */
  readonly allowed_count: number;
  readonly billed_count: number;
  readonly paid_count: number;
  /** `{"<decided − submitted days>": count}`. */
  readonly decision_days_hist: DayHistogram;
  /** `{"<payment_date (else decided) − submitted days>": count}`. */
  readonly payment_days_hist: DayHistogram;
  /** Claims of the bucket whose pay days came from a real `payment_date`. */
  readonly payment_date_count: number;
  /** Underpayment ratio r = (allowed − paid)/allowed over PAID claims with allowed > 0 and paid present. */
  readonly underpay_n: number;
  /** Σr (double precision, not money). */
  readonly underpay_sum: number;
  /** Σr² (double precision, not money). */
  readonly underpay_sumsq: number;
  readonly auth_required_count: number;
  readonly auth_missing_count: number;
}

/**
 * Rows usable by a detector: in the window, with a positive claim count. Guards against rows
 * outside the run's windows (e.g. data submitted on or after `as_of`, which a run must not see).
 */
export function rowsInWindow(rows: readonly DailyRollupRow[], window: DateWindow): DailyRollupRow[] {
  return rows.filter((r) => r.claim_count > 0 && inWindow(r.day, window));
}

/** Deterministic code-point order for keys (locale-independent, so re-runs sort identically). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Adds every bin of `hist` into `into` (numeric day → count). */
export function accumulateHistogram(into: Map<number, number>, hist: DayHistogram): void {
  for (const [key, count] of Object.entries(hist)) {
    if (!(count > 0)) continue;
    const day = Number(key);
    into.set(day, (into.get(day) ?? 0) + count);
  }
}

/** Converts an accumulated map back to the `{"<days>": count}` form. */
export function histogramRecord(map: ReadonlyMap<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [day, count] of [...map.entries()].sort((a, b) => a[0] - b[0])) out[String(day)] = count;
  return out;
}
