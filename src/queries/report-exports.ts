import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import type { AlertStatus, AnalysisProduct, DB, FindingSeverityLabel, Verdict } from '../db/schema.ts';
import { THRESHOLD_TOLERANCE } from '../domain/stats/numeric.ts';
import { type AlertListFilter, filteredAlerts, latestVerdict } from './alerts-list.ts';

/**
 * Read models of the Excel and CSV exports (alerts-reports §13.2, §13.3): the findings of a run
 * with the download filters, the alert events of those findings, and the alert events matching
 * the alerts list's filters. Every function takes the customer id first and filters on it, so
 * another tenant's rows never appear, whatever run id is asked for.
 */

/** The download filters of §13.2 (the same shape as the builders' `ReportFilters`). */
export interface FindingFilters {
  /** severity ≥ this (with the spec's 1e-9 tolerance). */
  minSeverity?: number;
  /** Case-insensitive "contains" on the payer. */
  payer?: string;
}

/** The finding columns the exports show (not `details` or `summary_text`: 50,000 rows read faster). */
export const REPORT_FINDING_COLUMNS = [
  'id',
  'product',
  'signal_type',
  'fingerprint',
  'payer',
  'cpt_group',
  'denial_reason',
  'baseline_start',
  'baseline_end',
  'current_start',
  'current_end',
  'baseline_value',
  'current_value',
  'delta_value',
  'unit',
  'baseline_count',
  'current_count',
  'direction',
  'severity',
  'severity_label',
  'confidence',
  'p_value',
  'q_value',
  'estimated_impact',
] as const;

export type ReportFinding = Pick<FindingRecord, (typeof REPORT_FINDING_COLUMNS)[number]>;

/**
 * Findings of one run of the customer, filtered. Unordered: the presenter sorts them as the
 * PDF does in code, so the order does not depend on the database's collation.
 *
 * The payer filter uses `strpos` on lower-cased text rather than LIKE, so `%` and `_` typed
 * by a person are plain characters. The run's findings are read through findings_run_idx
 * (run_id), a few hundred rows per run in practice.
 */
export async function findingsOfRun(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  filters: FindingFilters = {},
): Promise<ReportFinding[]> {
  let query = db
    .selectFrom('findings')
    .select(REPORT_FINDING_COLUMNS)
    .where('customer_id', '=', customerId)
    .where('run_id', '=', runId);
  if (filters.minSeverity !== undefined) {
    query = query.where('severity', '>=', filters.minSeverity - THRESHOLD_TOLERANCE);
  }
  const payer = filters.payer?.trim();
  if (payer) query = query.where(sql<number>`strpos(lower(payer), ${payer.toLowerCase()})`, '>', 0);
  return query.execute();
}

/** One alert event as the "Alert Events" sheet shows it. */
export interface AlertExportRow {
  id: number;
  triggered_at: Date;
  /** The rule's current name; the payload's snapshot when the rule is gone. */
  rule_name: string | null;
  product: AnalysisProduct;
  signal_type: string;
  payer: string;
  payload: unknown;
  severity: number;
  severity_label: FindingSeverityLabel;
  status: AlertStatus;
  suppressed: boolean;
  latest_verdict: Verdict | null;
  /** Sum of the judgments' recovered amounts (numeric, exact decimal string); null when none. */
  recovered_amount: string | null;
  error_message: string | null;
}

type AlertFrom = SelectQueryBuilder<DB & { a: DB['alert_events'] }, 'a', object>;

/**
 * The sheet's columns over `alert_events as a`: the rule joined on its (customer, id) key, the
 * latest verdict and the recovered sum as correlated lookups on the judgments' (customer, alert)
 * index — a handful of rows per alert.
 */
function selectAlertExportColumns(base: AlertFrom) {
  return base
    .leftJoin('alert_rules as r', (join) =>
      join.onRef('r.customer_id', '=', 'a.customer_id').onRef('r.id', '=', 'a.rule_id'),
    )
    .select([
      'a.id',
      'a.triggered_at',
      'r.name as rule_name',
      'a.product',
      'a.signal_type',
      'a.payer',
      'a.payload',
      'a.severity',
      'a.severity_label',
      'a.status',
      'a.suppressed',
      'a.error_message',
    ])
    .select((eb) => [
      latestVerdict(eb),
      eb
        .selectFrom('operator_judgments as j')
        .select(sql<string | null>`sum(j.recovered_amount)::text`.as('total'))
        .whereRef('j.customer_id', '=', 'a.customer_id')
        .whereRef('j.alert_event_id', '=', 'a.id')
        .as('recovered_amount'),
    ])
    .orderBy('a.triggered_at', 'desc')
    .orderBy('a.id', 'desc');
}

/**
 * Alert events of a run's findings (the workbook's "Alert Events" sheet), newest first, with the
 * same filters as the findings. Joined on the fingerprint rather than `finding_id`: the
 * fingerprint is unique per customer, survives re-runs and retention (an alert whose finding row
 * was replaced keeps it), and includes the run's current window, so another week's alerts
 * never match.
 */
export async function alertEventsOfRunFindings(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  filters: FindingFilters = {},
): Promise<AlertExportRow[]> {
  const base = db
    .selectFrom('alert_events as a')
    .where('a.customer_id', '=', customerId)
    .where('a.finding_fingerprint', 'in', (eb) => {
      let findings = eb
        .selectFrom('findings as f')
        .select('f.fingerprint')
        .where('f.customer_id', '=', customerId)
        .where('f.run_id', '=', runId);
      if (filters.minSeverity !== undefined) {
        findings = findings.where('f.severity', '>=', filters.minSeverity - THRESHOLD_TOLERANCE);
      }
      const payer = filters.payer?.trim();
      if (payer)
        findings = findings.where(sql<number>`strpos(lower(f.payer), ${payer.toLowerCase()})`, '>', 0);
      return findings;
    });
  return selectAlertExportColumns(base).execute();
}

/**
 * Alert events matching the alerts list's filters (`/portal/reports/alerts.xlsx`), newest first —
 * the list's rows and order (alerts-list.ts `listAlertsPage`) without its pages. Always one
 * customer: the portal has no cross-tenant list.
 */
export async function alertEventsForExport(
  db: Kysely<DB>,
  customerId: number,
  filter: Omit<AlertListFilter, 'customerId'>,
): Promise<AlertExportRow[]> {
  return selectAlertExportColumns(filteredAlerts(db, { ...filter, customerId })).execute();
}
