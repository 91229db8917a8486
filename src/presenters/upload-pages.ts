import type { QualityReportRecord } from '../db/repositories/quality.repository.ts';
import type { UploadRecord } from '../db/repositories/uploads.repository.ts';
import { csvDocument } from '../reports/csv.ts';
import { presentUploadProgress, UPLOAD_STATUS_LABELS } from './uploads.ts';

/**
 * View data of the portal's upload pages (web-api-ops §1.6 "Uploads"; ingestion spec §2.13):
 * pure functions of what the route read, so the list, the detail page and the rejections
 * download present an upload the same way wherever it is shown.
 */

/** `2026-01-24 08:00` (UTC), or `-`. */
export function minuteStamp(date: Date | string | null): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

/** `CSV`, `JSON`, `X12 835`. */
export function formatLabel(format: UploadRecord['format']): string {
  return format === 'x12_835' ? 'X12 835' : format.toUpperCase();
}

/** Who sent the upload, from the names of {@link uploaderNames} (`u<id>` / `t<id>` keys). */
export function uploaderLabel(
  upload: Pick<UploadRecord, 'uploaded_by' | 'token_id'>,
  names: ReadonlyMap<string, string>,
): string {
  if (upload.uploaded_by !== null) return names.get(`u${upload.uploaded_by}`) ?? 'Unknown user';
  if (upload.token_id !== null) return names.get(`t${upload.token_id}`) ?? 'API token';
  return 'System';
}

export function dateRange(upload: Pick<UploadRecord, 'date_min' | 'date_max'>): string {
  return upload.date_min && upload.date_max ? `${upload.date_min} to ${upload.date_max}` : '-';
}

/** The quality cell of the list: `✓ 97%` (≥ 95 %), `⚠` (≥ 80 %), `✗` below; null without rows. */
export function qualityCell(
  report: Pick<QualityReportRecord, 'total_rows' | 'quality_score' | 'accepted_rows' | 'grade'> | undefined,
) {
  if (!report || report.total_rows === 0) return null;
  const score = Number(report.quality_score);
  const pct = Math.round(score * 100);
  const mark = score >= 0.95 ? '✓' : score >= 0.8 ? '⚠' : '✗';
  const level = score >= 0.95 ? 'good' : score >= 0.8 ? 'fair' : 'poor';
  return {
    text: `${mark} ${pct}%`,
    tooltip: `${report.accepted_rows}/${report.total_rows} accepted`,
    grade: report.grade,
    level,
  };
}

/** One row of the uploads list. */
export function presentUploadRow(
  upload: UploadRecord,
  report: QualityReportRecord | undefined,
  names: ReadonlyMap<string, string>,
) {
  const progress = presentUploadProgress(upload);
  return {
    id: upload.id,
    filename: upload.filename,
    format: formatLabel(upload.format),
    status: upload.status,
    statusLabel: UPLOAD_STATUS_LABELS[upload.status],
    error: upload.status === 'failed' ? upload.error_message : null,
    processing: upload.status === 'processing',
    percent: progress.percent,
    rowsPerSecond: progress.rows_per_second,
    rowsDone: progress.rows_done,
    rowsTotal: progress.rows_total,
    phaseLabel: progress.phase_label,
    uploaded: minuteStamp(upload.created_at),
    by: uploaderLabel(upload, names),
    rows: upload.rows_total === null ? '-' : `${upload.accepted_rows}/${upload.rows_total}`,
    accepted: upload.accepted_rows,
    rejected: upload.rejected_rows,
    updated: upload.updated_rows,
    duplicates: upload.duplicate_rows,
    quality: qualityCell(report),
    dateRange: dateRange(upload),
    needsMapping: upload.status === 'needs_mapping',
    polling: upload.status === 'queued' || upload.status === 'processing',
  };
}

/** The rejections download of an upload: `row,category,reason` through the shared CSV writer. */
export function rejectionsCsv(
  rejections: ReadonlyArray<{ row: number; category: string; reason: string }>,
): Buffer {
  return csvDocument(
    ['row', 'category', 'reason'],
    rejections.map((r) => [r.row, r.category, r.reason]),
  );
}

export const REJECTION_PAGE_SIZE = 50;

/**
 * The rejections table of the detail page: filtered by category, paged by 50; a page past
 * the end shows the last one (the filter can shrink the list under a bookmarked page).
 */
export function rejectionPage<T extends { category: string }>(
  rejections: readonly T[],
  category: string,
  requestedPage: number,
) {
  const filtered = category ? rejections.filter((r) => r.category === category) : [...rejections];
  const pages = Math.max(1, Math.ceil(filtered.length / REJECTION_PAGE_SIZE));
  const page = Math.min(Math.max(1, requestedPage), pages);
  return {
    rows: filtered.slice((page - 1) * REJECTION_PAGE_SIZE, page * REJECTION_PAGE_SIZE),
    count: filtered.length,
    page,
    pages,
  };
}
