/**
 * Report artifacts (alerts-reports §13): what each kind is, its format, and the file names a
 * download carries. Pure; the db types (schema-reports.ts) and every layer above use these.
 */
import type { AnalysisProduct } from '../../db/schema-analytics.ts';

export const REPORT_ARTIFACT_KINDS = ['weekly_drift_summary', 'drift_workbook', 'findings_csv'] as const;
export type ReportArtifactKind = (typeof REPORT_ARTIFACT_KINDS)[number];

export const REPORT_FORMATS = ['pdf', 'xlsx', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The one kind a run's download of each format is (§13.2). */
export const ARTIFACT_KIND_OF_FORMAT: Readonly<Record<ReportFormat, ReportArtifactKind>> = {
  pdf: 'weekly_drift_summary',
  xlsx: 'drift_workbook',
  csv: 'findings_csv',
};

export const FORMAT_OF_ARTIFACT_KIND: Readonly<Record<ReportArtifactKind, ReportFormat>> = {
  weekly_drift_summary: 'pdf',
  drift_workbook: 'xlsx',
  findings_csv: 'csv',
};

export const CONTENT_TYPE_OF_FORMAT: Readonly<Record<ReportFormat, string>> = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

/** The run facts that decide which downloads exist. */
export interface DownloadableRun {
  product: AnalysisProduct;
  runType: string;
  status: string;
}

/**
 * Formats a run can be downloaded in (§13.2): PDF, Excel and CSV for successful non-backtest
 * DriftWatch runs; CSV also for successful DenialScope and DelayGuard runs; nothing otherwise.
 */
export function downloadFormats(run: DownloadableRun): ReportFormat[] {
  if (run.status !== 'success' || run.runType === 'backtest') return [];
  return run.product === 'driftwatch' ? ['pdf', 'xlsx', 'csv'] : ['csv'];
}

/** The spec's customer slug: lower-cased, each run of non-alphanumerics one `_` (edges kept). */
export function customerSlug(customerName: string): string {
  return customerName.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** Download file names (§13.2). */
export function reportFileName(
  format: ReportFormat,
  input: { customerName: string; asOf: string; product: AnalysisProduct },
): string {
  const slug = customerSlug(input.customerName);
  switch (format) {
    case 'pdf':
      return `payrixa_weekly_drift_${slug}_${input.asOf}.pdf`;
    case 'xlsx':
      return `payrixa_drift_${slug}_${input.asOf}.xlsx`;
    case 'csv':
      return `payrixa_${input.product}_findings_${slug}_${input.asOf}.csv`;
  }
}

/** Storage key under DATA_DIR (§13.1: `reports/<customer_id>/weekly_drift_<run_id>.pdf`). */
export function artifactStorageKey(customerId: number, runId: number, kind: ReportArtifactKind): string {
  const stem: Record<ReportArtifactKind, string> = {
    weekly_drift_summary: 'weekly_drift',
    drift_workbook: 'drift_workbook',
    findings_csv: 'findings',
  };
  return `reports/${customerId}/${stem[kind]}_${runId}.${FORMAT_OF_ARTIFACT_KIND[kind]}`;
}
