import type { Kysely } from 'kysely';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import { listRuns } from '../db/repositories/analysis-runs.repository.ts';
import { findingCountsByRun } from '../db/repositories/finding-feed.repository.ts';
import {
  listArtifactsOfRuns,
  type ReportArtifactRecord,
} from '../db/repositories/report-artifacts.repository.ts';
import type { DB } from '../db/schema.ts';
import { listReports } from './reports.ts';

/** Rows per page of `/portal/reports/` (alerts-reports §13.4). */
export const RUNS_PAGE_SIZE = 25;

/**
 * The portal reports page (alerts-reports §13.4): one page of the customer's runs, backtests
 * included, newest `started_at` first (a queued run, not started yet, sorts last; ties newest
 * id first), with the finding count and the stored artifacts of each run on the page.
 */
export interface RunsPage {
  runs: AnalysisRunRecord[];
  /** Findings per run id (runs without findings are absent). */
  findingCounts: Map<number, number>;
  /** Stored report files of the page's runs. */
  artifacts: ReportArtifactRecord[];
  /** Runs of the customer in all (for the page count). */
  count: number;
  /** Whether a run of the customer is queued or running (the page polls for progress). */
  pending: boolean;
}

export async function loadRunsPage(db: Kysely<DB>, customerId: number, page = 1): Promise<RunsPage> {
  const { count, rows: runs } = await listReports(
    db,
    { customerId },
    [{ field: 'started_at', descending: true }],
    { limit: RUNS_PAGE_SIZE, offset: (page - 1) * RUNS_PAGE_SIZE },
  );
  const ids = runs.map((r) => r.id);
  const [findingCounts, artifacts, pendingRuns] = await Promise.all([
    findingCountsByRun(db, ids),
    listArtifactsOfRuns(db, customerId, ids),
    loadPendingRuns(db, customerId),
  ]);
  return { runs, findingCounts, artifacts, count, pending: pendingRuns.length > 0 };
}

/**
 * The customer's runs that have not finished, running before queued (at most 20 of each), for
 * the reports page's live progress after "Run analysis now".
 */
export async function loadPendingRuns(db: Kysely<DB>, customerId: number): Promise<AnalysisRunRecord[]> {
  const [queued, running] = await Promise.all([
    listRuns(db, customerId, { status: 'queued', includeBacktests: true, limit: 20 }),
    listRuns(db, customerId, { status: 'running', includeBacktests: true, limit: 20 }),
  ]);
  return [...running, ...queued];
}
