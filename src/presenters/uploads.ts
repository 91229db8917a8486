import type { QualityReportRecord } from '../db/repositories/quality.repository.ts';
import { FINAL_UPLOAD_STATUSES, type UploadRecord } from '../db/repositories/uploads.repository.ts';
import type { UploadStatus } from '../db/schema.ts';
import { recommendations } from '../domain/quality/index.ts';

/**
 * JSON shapes of the uploads API (web-api-ops §4.6) and the view data the portal pages share
 * with it (ingestion spec §2.11, §2.13). Pure: the caller fetches (src/queries/upload-quality.ts)
 * and passes what is shown, so jobs, e-mails and reports can present an upload the same way.
 */

export const UPLOAD_STATUS_LABELS: Record<UploadStatus, string> = {
  queued: 'Queued',
  needs_mapping: 'Needs mapping',
  processing: 'Processing',
  success: 'Success',
  partial: 'Partial',
  failed: 'Failed',
  deleted: 'Deleted',
};

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function day(value: Date | string | null): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

export function presentUploadListItem(upload: UploadRecord) {
  return {
    id: upload.id,
    filename: upload.filename,
    uploaded_at: iso(upload.created_at),
    status: upload.status,
    row_count: upload.accepted_rows,
    source: upload.source,
  };
}

export function presentUploadDetail(upload: UploadRecord, report: QualityReportRecord | undefined) {
  return {
    id: upload.id,
    customer: upload.customer_id,
    uploaded_at: iso(upload.created_at),
    uploaded_by: upload.uploaded_by,
    filename: upload.filename,
    source: upload.source,
    file_format: upload.format,
    file_size_bytes: upload.file_size_bytes,
    file_sha256: upload.file_sha256,
    status: upload.status,
    error_message: upload.error_message,
    row_count: upload.accepted_rows,
    total_rows: upload.rows_total,
    accepted_rows: upload.accepted_rows,
    rejected_rows: upload.rejected_rows,
    updated_rows: upload.updated_rows,
    duplicate_rows: upload.duplicate_rows,
    date_min: day(upload.date_min),
    date_max: day(upload.date_max),
    quality_score: report ? Number(report.quality_score) : null,
    quality_grade: report?.grade ?? null,
    processing_started_at: iso(upload.processing_started_at),
    processing_completed_at: iso(upload.processing_completed_at),
  };
}

/** `GET /api/v1/uploads/<id>/progress/` (§4.6): percent is an integer 0–100. */
/**
 * Where an upload is, from its stored state (no extra column): waiting for a job thread,
 * counting records (pass 1), validating rows into staging (pass 2), saving (the final
 * transaction), or done.
 */
export type UploadPhase = 'waiting' | 'counting' | 'validating' | 'saving' | 'done';

export const UPLOAD_PHASE_LABELS: Record<UploadPhase, string> = {
  waiting: 'Waiting to start',
  counting: 'Counting rows',
  validating: 'Validating rows',
  saving: 'Saving claims and the quality report',
  done: 'Done',
};

export function uploadPhase(
  upload: Pick<UploadRecord, 'status' | 'rows_total' | 'rows_processed'>,
): UploadPhase {
  if (FINAL_UPLOAD_STATUSES.includes(upload.status) || upload.status === 'needs_mapping') return 'done';
  if (upload.status === 'queued') return 'waiting';
  if (upload.rows_total === null) return 'counting';
  return upload.rows_processed < upload.rows_total ? 'validating' : 'saving';
}

/** "about 2 min", "about 40 s", "less than 5 s" — the time left shown beside the bar. */
export function formatTimeLeft(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds < 5) return 'less than 5 s';
  if (seconds < 90) return `about ${Math.round(seconds / 5) * 5} s`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`;
  return `about ${Math.round(seconds / 3600)} h`;
}

export function presentUploadProgress(upload: UploadRecord) {
  const final = FINAL_UPLOAD_STATUSES.includes(upload.status);
  const total = upload.rows_total;
  const done = upload.rows_processed;
  let percent = 0;
  if (final) percent = 100;
  else if (total !== null && total > 0) percent = Math.min(100, Math.floor((done / total) * 100));
  const rps = upload.rows_per_second === null ? null : Math.round(Number(upload.rows_per_second) * 10) / 10;
  const eta =
    !final && total !== null && rps !== null && rps > 0 ? Math.max(0, Math.ceil((total - done) / rps)) : null;
  const phase = uploadPhase(upload);
  return {
    id: upload.id,
    status: upload.status,
    status_label: UPLOAD_STATUS_LABELS[upload.status],
    phase,
    phase_label: UPLOAD_PHASE_LABELS[phase],
    rows_done: done,
    rows_total: total,
    percent,
    rows_per_second: rps,
    eta_seconds: eta,
    time_left: phase === 'validating' ? formatTimeLeft(eta) : null,
  };
}

/** Category labels of §2.11, only the non-zero ones. */
export function qualityCategoryLabels(report: QualityReportRecord): string[] {
  const out: string[] = [];
  if (report.phi_rows) out.push(`PHI detected: ${report.phi_rows} rows (patient-like names or identifiers)`);
  if (report.missing_fields_rows) out.push(`Missing fields: ${report.missing_fields_rows} rows`);
  if (report.invalid_dates_rows) out.push(`Invalid dates: ${report.invalid_dates_rows} rows`);
  if (report.invalid_values_rows) out.push(`Invalid values: ${report.invalid_values_rows} rows`);
  if (report.duplicate_rows) out.push(`Duplicates skipped: ${report.duplicate_rows} rows`);
  return out;
}

/** The counters of a stored quality report that the §4.3 recommendations read. */
export function recommendationReport(report: QualityReportRecord) {
  return {
    totalRows: report.total_rows,
    acceptedRows: report.accepted_rows,
    phiRows: report.phi_rows,
    missingFieldsRows: report.missing_fields_rows,
    duplicateRows: report.duplicate_rows,
    identifierColumns: report.identifier_columns,
    ruleFailureCounts: report.rule_failure_counts,
  };
}

/**
 * Recommendations of §4.3 for one upload; `criticalAnomalies` is the number of the upload's
 * critical anomalies (counted by the caller's query).
 */
export function uploadRecommendations(report: QualityReportRecord, criticalAnomalies: number): string[] {
  return recommendations({ report: recommendationReport(report), criticalAnomalies });
}

/** `GET /api/v1/uploads/<id>/quality/`: the report's columns plus labels and recommendations. */
export function presentQualityReport(report: QualityReportRecord, criticalAnomalies: number) {
  return {
    upload_id: report.upload_id,
    total_rows: report.total_rows,
    accepted_rows: report.accepted_rows,
    inserted_rows: report.inserted_rows,
    updated_rows: report.updated_rows,
    duplicate_rows: report.duplicate_rows,
    rejected_rows: report.rejected_rows,
    warning_rows: report.warning_rows,
    complete_rows: report.complete_rows,
    phi_rows: report.phi_rows,
    missing_fields_rows: report.missing_fields_rows,
    invalid_dates_rows: report.invalid_dates_rows,
    invalid_values_rows: report.invalid_values_rows,
    reversals: report.reversals,
    quality_score: Number(report.quality_score),
    grade: report.grade,
    categories: qualityCategoryLabels(report),
    rejection_details: report.rejection_details,
    rejection_details_truncated: report.rejection_details_truncated,
    warnings: report.warnings,
    warning_counts: report.warning_counts,
    ignored_columns: report.ignored_columns,
    identifier_columns: report.identifier_columns,
    recommendations: uploadRecommendations(report, criticalAnomalies),
    created_at: iso(report.created_at),
  };
}
