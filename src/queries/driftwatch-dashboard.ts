import type { Kysely } from 'kysely';
import { latestRunEvidence } from '../commands/finding-evidence.ts';
import { type AnalysisRunRecord, findLatestRun } from '../db/repositories/analysis-runs.repository.ts';
import { queryFindings } from '../db/repositories/finding-feed.repository.ts';
import { type FindingRecord, listLatestRunFindings } from '../db/repositories/findings.repository.ts';
import {
  decisionOutcomeTotals,
  latestDecisionDay,
  payerDecisionGroups,
  payersByDecisions,
  type WeeklyDecisions,
  weeklyDecisions,
} from '../db/repositories/rollups.repository.ts';
import type { DB } from '../db/schema.ts';
import { addDays, type EvidencePayload, latestMondayOnOrBefore } from '../domain/analytics/index.ts';

/** Weeks of the DriftWatch charts (the current week last). */
export const DRIFT_CHART_WEEKS = 16;

/** What the DriftWatch charts read for the selected payer (and CPT group). */
export interface DriftWatchChartData {
  /** Monday of the first charted week. */
  first: string;
  /** Payers with decisions in the charted weeks, most decisions first (the selector). */
  payers: string[];
  /** CPT groups of the selected payer in those weeks. */
  groups: string[];
  payer: string | null;
  /** '' = all groups. */
  group: string;
  /** Weekly PAID/DENIED sums of the selection (weeks without decisions are absent). */
  weeks: WeeklyDecisions[];
  /** Decisions of the selection in the run's baseline window (null when the run has none). */
  baseline: { denied: number; paid: number } | null;
}

/** Everything `/portal/products/driftwatch/` shows, before presentation (analytics §13.3). */
export interface DriftWatchDashboard {
  run: AnalysisRunRecord | undefined;
  /** Findings of the latest run ("active"). */
  latestFindings: FindingRecord[];
  /** The 50 newest findings (of the selected signal type). */
  recent: FindingRecord[];
  /** The newest findings of every run (up to 10,000; the "top payers" table keeps 90 days). */
  history: FindingRecord[];
  /** Latest decision day on or before today (the coverage line). */
  latestDecision: string | null;
  charts: DriftWatchChartData | null;
  evidence: EvidencePayload;
}

export interface DriftWatchSelection {
  /** A signal type to filter the recent findings by (already checked against the product's). */
  signal?: string;
  payer?: string;
  group?: string;
}

/**
 * Read model of the DriftWatch dashboard for one customer on `today` (the clock's UTC date).
 * Charts read only the selection's weekly sums (`weeklyDecisions`: grouped in SQL), never
 * every payer's daily rows; an unknown payer or group falls back to the busiest payer and
 * all groups, as the selector would show them.
 */
export async function loadDriftWatchDashboard(
  db: Kysely<DB>,
  customerId: number,
  today: string,
  selection: DriftWatchSelection,
): Promise<DriftWatchDashboard> {
  const run = await findLatestRun(db, customerId, 'driftwatch');
  const latest = await listLatestRunFindings(db, customerId, 'driftwatch');
  const recent = await queryFindings(
    db,
    customerId,
    { products: ['driftwatch'], ...(selection.signal && { signalType: selection.signal }) },
    { limit: 50, offset: 0 },
  );
  const history = await queryFindings(
    db,
    customerId,
    { products: ['driftwatch'] },
    { limit: 10_000, offset: 0 },
  );
  const latestDecision = await latestDecisionDay(db, customerId, today);
  const charts = run
    ? await loadDriftWatchChartData(db, customerId, run, {
        ...(selection.payer && { payer: selection.payer }),
        ...(selection.group && { group: selection.group }),
      })
    : null;
  const evidence = await latestRunEvidence(db, customerId, 'driftwatch', {
    portalUrl: '/portal/products/driftwatch/',
  });
  return {
    run,
    latestFindings: latest.findings,
    recent: recent.rows,
    history: history.rows,
    latestDecision,
    charts,
    evidence,
  };
}

/**
 * The chart data of one run: the 16 ISO weeks ending with the week of `as_of − 1`, on the
 * decision timeline the detector reads, and the selection's baseline decisions.
 */
export async function loadDriftWatchChartData(
  db: Kysely<DB>,
  customerId: number,
  run: Pick<AnalysisRunRecord, 'as_of' | 'summary_json'>,
  selection: { payer?: string; group?: string },
): Promise<DriftWatchChartData> {
  const lastWeek = latestMondayOnOrBefore(addDays(run.as_of, -1));
  const first = addDays(lastWeek, -7 * (DRIFT_CHART_WEEKS - 1));
  const span = { start: first, end: addDays(lastWeek, 7) };
  const payers = (await payersByDecisions(db, customerId, span)).map((p) => p.payer);
  const payer = selection.payer && payers.includes(selection.payer) ? selection.payer : (payers[0] ?? null);
  if (!payer) return { first, payers, groups: [], payer: null, group: '', weeks: [], baseline: null };
  const groups = await payerDecisionGroups(db, customerId, span, payer);
  const group = selection.group && groups.includes(selection.group) ? selection.group : '';
  const chosen = { payer, ...(group !== '' && { cptGroup: group }) };
  const weeks = await weeklyDecisions(db, customerId, { start: first, weeks: DRIFT_CHART_WEEKS, ...chosen });
  const summary = (run.summary_json ?? {}) as Record<string, unknown>;
  const baselineStart = summary['baseline_start'];
  const baselineEnd = summary['baseline_end'];
  const baseline =
    typeof baselineStart === 'string' && typeof baselineEnd === 'string'
      ? await decisionOutcomeTotals(db, customerId, { start: baselineStart, end: baselineEnd }, chosen)
      : null;
  return { first, payers, groups, payer, group, weeks, baseline };
}
