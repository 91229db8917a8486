import type { Kysely } from 'kysely';
import { denialReasonRows } from '../commands/finding-evidence.ts';
import { type AnalysisRunRecord, findLatestRun } from '../db/repositories/analysis-runs.repository.ts';
import { queryFindings } from '../db/repositories/finding-feed.repository.ts';
import { type FindingRecord, listLatestRunFindings } from '../db/repositories/findings.repository.ts';
import {
  latestDecisionDay,
  NO_HISTOGRAMS,
  rollupRowsInWindow,
} from '../db/repositories/rollups.repository.ts';
import type { DB } from '../db/schema.ts';
import { addDays, type DailyRollupRow, type DenialReasonRow } from '../domain/analytics/index.ts';

/** Everything `/portal/products/denialscope/` shows, before presentation (analytics §13.4). */
export interface DenialScopeDashboard {
  run: AnalysisRunRecord | undefined;
  /** The latest run's date, or today before the first run. */
  asOf: string;
  latestFindings: FindingRecord[];
  /** Daily DenialScope rollup rows of the 30 days before `asOf` (no histograms). */
  rows: DailyRollupRow[];
  /** The period's denial reasons by payer (analytics §6 table). */
  reasons: DenialReasonRow[];
  /** The 10 newest DenialScope findings. */
  recent: FindingRecord[];
  latestDecision: string | null;
}

/**
 * Read model of the DenialScope dashboard. The 30-day window is read once at the denial-reason
 * grain without histograms (cards and daily bars are sums of those rows); the reason table has
 * its own window (`denialReasonRows`, the detector's period).
 */
export async function loadDenialScopeDashboard(
  db: Kysely<DB>,
  customerId: number,
  today: string,
): Promise<DenialScopeDashboard> {
  const run = await findLatestRun(db, customerId, 'denialscope');
  const latest = await listLatestRunFindings(db, customerId, 'denialscope');
  const asOf = run?.as_of ?? today;
  const rows = await rollupRowsInWindow(
    db,
    customerId,
    { start: addDays(asOf, -30), end: asOf },
    'denialscope',
    {
      histograms: NO_HISTOGRAMS,
    },
  );
  const reasons = await denialReasonRows(db, customerId, asOf);
  const recent = await queryFindings(db, customerId, { products: ['denialscope'] }, { limit: 10, offset: 0 });
  const latestDecision = await latestDecisionDay(db, customerId, today);
  return { run, asOf, latestFindings: latest.findings, rows, reasons, recent: recent.rows, latestDecision };
}
