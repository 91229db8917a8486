import type { Kysely } from 'kysely';
import { type AnalysisRunRecord, listRuns } from '../db/repositories/analysis-runs.repository.ts';
import { findingCountsByRun } from '../db/repositories/finding-feed.repository.ts';
import type { DB } from '../db/schema.ts';

/** The portal reports page (web-api-ops §1.6): the 100 newest runs, backtests included. */
export interface RunsPage {
  runs: AnalysisRunRecord[];
  /** Findings per run id (runs without findings are absent). */
  findingCounts: Map<number, number>;
}

export async function loadRunsPage(db: Kysely<DB>, customerId: number): Promise<RunsPage> {
  const runs = await listRuns(db, customerId, { includeBacktests: true, limit: 100 });
  const findingCounts = await findingCountsByRun(
    db,
    runs.map((r) => r.id),
  );
  return { runs, findingCounts };
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
