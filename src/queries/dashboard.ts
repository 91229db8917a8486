import type { Kysely } from 'kysely';
import { type AnalysisRunRecord, findLatestRun } from '../db/repositories/analysis-runs.repository.ts';
import { countStoredClaims } from '../db/repositories/claims-browser.repository.ts';
import { type FindingRecord, listRunFindings } from '../db/repositories/findings.repository.ts';
import { weeklyOutcomeCounts } from '../db/repositories/rollups.repository.ts';
import { countUploads } from '../db/repositories/uploads.repository.ts';
import type { DB } from '../db/schema.ts';
import { recoveryLedger } from '../domain/alerts/recovery.ts';
import {
  DASHBOARD_TREND_WEEKS,
  type DenialRateWeek,
  dashboardTrendSpan,
  denialRateTrend,
} from '../domain/analytics/dashboard-trend.ts';
import { countOpenAlerts } from './alerts-list.ts';
import { listRecoveries } from './recovery-ledger.ts';

/** Everything `GET /api/v1/dashboard/` shows (web-api-ops §4.6), before presentation. */
export interface DashboardView {
  totalClaims: number;
  /** Uploads that stored claims: status success or partial. */
  totalUploads: number;
  /** The latest DriftWatch run of analytics §10.1, undefined before the first one. */
  latestDriftRun: AnalysisRunRecord | undefined;
  /** Its findings: the "active drift events". */
  driftFindings: FindingRecord[];
  denialRateTrend: DenialRateWeek[];
  /** Alerts not yet acknowledged or resolved (queries/alerts-list.ts). */
  openAlerts: number;
  /** Recovered this UTC month, decimal string (alerts-reports §11). */
  recoveredThisMonth: string;
}

/**
 * Read model of the API dashboard for one customer on `today` (the clock's UTC date).
 *
 * - Claims are counted from the daily rollups, which hold exactly the stored claims (deleted
 *   uploads and 835 reversals are not stored data any more), so no scan of `claims`.
 * - The trend is the last 12 ISO weeks of submitted dates, the current week last; the weekly
 *   sums come from SQL (`weeklyOutcomeCounts`), the week filling and percentages from the pure
 *   `denialRateTrend`.
 * - Open alerts and this month's recovered money come from the alert triage reads (issue 12).
 */
export async function loadDashboard(
  db: Kysely<DB>,
  customerId: number,
  today: string,
): Promise<DashboardView> {
  const span = dashboardTrendSpan(today);
  const [totalClaims, totalUploads, latestDriftRun, weeks, openAlerts, recoveries] = await Promise.all([
    countStoredClaims(db, customerId),
    countUploads(db, customerId, { statuses: ['success', 'partial'] }),
    findLatestRun(db, customerId, 'driftwatch'),
    weeklyOutcomeCounts(db, customerId, { start: span.start, weeks: DASHBOARD_TREND_WEEKS }),
    countOpenAlerts(db, customerId),
    listRecoveries(db, customerId),
  ]);
  const driftFindings = latestDriftRun ? await listRunFindings(db, customerId, latestDriftRun.id) : [];
  return {
    totalClaims,
    totalUploads,
    latestDriftRun,
    driftFindings,
    denialRateTrend: denialRateTrend(span.start, DASHBOARD_TREND_WEEKS, weeks),
    openAlerts,
    recoveredThisMonth: recoveryLedger(recoveries, today).thisMonth.total,
  };
}
