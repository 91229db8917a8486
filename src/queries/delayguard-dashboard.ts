import type { Kysely } from 'kysely';
import { type AnalysisRunRecord, findLatestRun } from '../db/repositories/analysis-runs.repository.ts';
import { queryFindings } from '../db/repositories/finding-feed.repository.ts';
import { type FindingRecord, listLatestRunFindings } from '../db/repositories/findings.repository.ts';
import { latestDecisionDay, settlementRowsInWindow } from '../db/repositories/rollups.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  addDays,
  type DailyRollupRow,
  delayGuardWindows,
  earlierDate,
  latestMondayOnOrBefore,
  settledRows,
} from '../domain/analytics/index.ts';

/** Weeks of the DelayGuard chart (the current week last). */
export const DELAY_CHART_WEEKS = 12;

/** The settlement rows the DelayGuard chart reads for one run date. */
export interface DelayGuardChartData {
  asOf: string;
  /** Monday of the first charted week. */
  first: string;
  /** Settled rows (payments made in each day) from the earlier of the first week and the baseline. */
  rows: DailyRollupRow[];
}

/** Everything `/portal/products/delayguard/` shows, before presentation (analytics §13.5). */
export interface DelayGuardDashboard {
  run: AnalysisRunRecord | undefined;
  latestFindings: FindingRecord[];
  /** The newest DelayGuard findings of every run (up to 10,000). */
  history: FindingRecord[];
  latestDecision: string | null;
  chart: DelayGuardChartData | null;
}

/** Read model of the DelayGuard dashboard for one customer on `today`. */
export async function loadDelayGuardDashboard(
  db: Kysely<DB>,
  customerId: number,
  today: string,
): Promise<DelayGuardDashboard> {
  const run = await findLatestRun(db, customerId, 'delayguard');
  const latest = await listLatestRunFindings(db, customerId, 'delayguard');
  const history = await queryFindings(
    db,
    customerId,
    { products: ['delayguard'] },
    { limit: 10_000, offset: 0 },
  );
  const chart = run ? await loadDelayGuardChartData(db, customerId, run.as_of) : null;
  const latestDecision = await latestDecisionDay(db, customerId, today);
  return { run, latestFindings: latest.findings, history: history.rows, latestDecision, chart };
}

/**
 * The settlement timeline the detector reads (payments made in each week; a paying payer's PAID
 * claims without a payment date yet are left out by `settledRows`, as the detector leaves them
 * out), from the start of the 12 charted weeks or of the baseline window, whichever is earlier.
 */
export async function loadDelayGuardChartData(
  db: Kysely<DB>,
  customerId: number,
  asOf: string,
): Promise<DelayGuardChartData> {
  const lastWeek = latestMondayOnOrBefore(addDays(asOf, -1));
  const first = addDays(lastWeek, -7 * (DELAY_CHART_WEEKS - 1));
  const start = earlierDate(first, delayGuardWindows(asOf).baseline.start);
  const rows = settledRows(
    await settlementRowsInWindow(db, customerId, { start, end: addDays(lastWeek, 7) }),
    asOf,
  );
  return { asOf, first, rows };
}
