import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { SeverityLabel } from '../domain/analytics/labels.ts';
import type { ReportFilters } from '../reports/builders.ts';

/**
 * Read model of the weekly drift report (alerts-reports §13.1; reused by the weekly e-mail,
 * §13.5): the findings of one run in the report's order and the summary figures above the table.
 *
 * Order (§13.1 item 4): severity desc, payer, CPT group, signal, fingerprint. The text keys sort
 * with `COLLATE "C"` (byte order), so the same data yields the same order — and the same PDF
 * bytes — on PGlite and on a PostgreSQL whose default collation is a locale; a missing CPT
 * group sorts first (`''`). The fingerprint is unique within a run, so the order is total.
 *
 * Filters (§13.2 downloads): `minSeverity` keeps severity ≥ the value; `payer` is a
 * case-insensitive "contains" (LIKE wildcards in the input are escaped, so `%` means `%`).
 * The figures are computed by the same WHERE, so they always describe the rows listed.
 */

/** One finding row of the report, with only the columns the report prints. */
export interface WeeklyReportFinding {
  id: number;
  fingerprint: string;
  signal_type: string;
  payer: string;
  cpt_group: string | null;
  baseline_value: number;
  current_value: number;
  delta_value: number;
  unit: 'rate' | 'days' | 'count' | 'count_per_day' | 'usd_per_day';
  direction: 'degrading' | 'improving';
  severity: number;
  severity_label: SeverityLabel;
  confidence: number;
  q_value: number | null;
  /** numeric(12,2) as a decimal string; null when not computable. */
  estimated_impact: string | null;
}

export interface WeeklyReportFigures {
  total: number;
  uniquePayers: number;
  bySeverity: Record<SeverityLabel, number>;
}

export interface WeeklyReportData {
  findings: WeeklyReportFinding[];
  figures: WeeklyReportFigures;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The report's findings and figures for a run of the customer (the run is checked by the caller). */
export async function loadWeeklyReport(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  filters: ReportFilters = {},
): Promise<WeeklyReportData> {
  const payer = (filters.payer ?? '').trim();
  const where = sql.join(
    [
      sql`customer_id = ${customerId}`,
      sql`run_id = ${runId}`,
      ...(filters.minSeverity !== undefined ? [sql`severity >= ${filters.minSeverity}`] : []),
      ...(payer !== '' ? [sql`payer ILIKE ${`%${escapeLike(payer)}%`} ESCAPE '\\'`] : []),
    ],
    sql` AND `,
  );

  const findings = await sql<WeeklyReportFinding>`
    SELECT id, fingerprint, signal_type, payer, cpt_group, baseline_value, current_value,
           delta_value, unit, direction, severity, severity_label, confidence, q_value,
           estimated_impact::text AS estimated_impact
      FROM findings
     WHERE ${where}
     ORDER BY severity DESC,
              payer COLLATE "C",
              coalesce(cpt_group, '') COLLATE "C",
              signal_type COLLATE "C",
              fingerprint COLLATE "C"
  `.execute(db);

  // One pass over the same rows: counts per label and distinct payers (§13.1 items 2, 3, 5).
  const figures = await sql<{
    total: string | number;
    unique_payers: string | number;
    critical: string | number;
    high: string | number;
    medium: string | number;
    low: string | number;
  }>`
    SELECT count(*) AS total,
           count(DISTINCT payer) AS unique_payers,
           count(*) FILTER (WHERE severity_label = 'critical') AS critical,
           count(*) FILTER (WHERE severity_label = 'high') AS high,
           count(*) FILTER (WHERE severity_label = 'medium') AS medium,
           count(*) FILTER (WHERE severity_label = 'low') AS low
      FROM findings
     WHERE ${where}
  `.execute(db);
  const row = figures.rows[0];
  return {
    findings: findings.rows.map((f) => ({
      ...f,
      // PostgreSQL drivers may hand back float8/int columns as numbers already; normalise anyway.
      baseline_value: Number(f.baseline_value),
      current_value: Number(f.current_value),
      delta_value: Number(f.delta_value),
      severity: Number(f.severity),
      confidence: Number(f.confidence),
      q_value: f.q_value === null ? null : Number(f.q_value),
    })),
    figures: {
      total: Number(row?.total ?? 0),
      uniquePayers: Number(row?.unique_payers ?? 0),
      bySeverity: {
        critical: Number(row?.critical ?? 0),
        high: Number(row?.high ?? 0),
        medium: Number(row?.medium ?? 0),
        low: Number(row?.low ?? 0),
      },
    },
  };
}
