import type { Kysely } from 'kysely';
import {
  type AnomalyRecord,
  findQualityReport,
  findQualityReportsOfUploads,
  latestMetricScores,
  listAnomalies,
  listAnomaliesOfUpload,
  listMetricSeries,
  listQualityReportsSince,
  listRecentValidationResults,
  listValidationResults,
  listValidationRules,
  type QualityReportRecord,
  type ValidationResultRecord,
} from '../db/repositories/quality.repository.ts';
import { findUpload, listUploads, type UploadRecord } from '../db/repositories/uploads.repository.ts';
import { usernamesByIds } from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';
import type { MetricType, ValidationRule } from '../domain/quality/index.ts';

/**
 * Read models of the data-quality pages (ingestion spec §4.4, web-api-ops §1.3): each loads
 * what one page shows, scoped to the customer, and leaves the arithmetic and wording to the
 * pure presenters of src/presenters/quality-pages.ts.
 */

export const METRIC_TYPES = [
  'completeness',
  'validity',
  'timeliness',
  'uniqueness',
] as const satisfies readonly MetricType[];

const DAY_MS = 86_400_000;

/** The instant `days` days before `now` (the pages' windows). */
export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

export interface QualityDashboardView {
  reports: QualityReportRecord[];
  metrics: Array<{ metricType: string; score: number; measurementDate: string }>;
  openAnomalies: AnomalyRecord[];
  uploads: UploadRecord[];
  reportsOfUploads: Map<number, QualityReportRecord>;
}

/** `/portal/quality/`: the last 30 days' reports and metrics, open anomalies, the 10 newest uploads. */
export async function loadQualityDashboard(
  db: Kysely<DB>,
  customerId: number,
  now: Date,
): Promise<QualityDashboardView> {
  const since = daysBefore(now, 30);
  const [reports, metrics, openAnomalies, uploads] = await Promise.all([
    listQualityReportsSince(db, customerId, since),
    latestMetricScores(db, customerId, since.toISOString().slice(0, 10)),
    listAnomalies(db, customerId, { unacknowledgedOnly: true }),
    listUploads(db, customerId, { limit: 10 }),
  ]);
  const reportsOfUploads = await findQualityReportsOfUploads(
    db,
    customerId,
    uploads.map((u) => u.id),
  );
  return { reports, metrics, openAnomalies, uploads, reportsOfUploads };
}

export interface UploadQualityPageView {
  upload: UploadRecord;
  /** The uploader's username; null when the upload has no uploader (API, ingestion token). */
  uploaderName: string | null;
  report: QualityReportRecord | undefined;
  sample: ValidationResultRecord[];
  anomalies: AnomalyRecord[];
  rules: ValidationRule[];
}

/** `/portal/quality/uploads/<id>/`: undefined for an unknown or another customer's upload. */
export async function loadUploadQualityPage(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadQualityPageView | undefined> {
  const upload = await findUpload(db, customerId, uploadId);
  if (!upload) return undefined;
  const [report, sample, anomalies, rules, names] = await Promise.all([
    findQualityReport(db, customerId, uploadId),
    listValidationResults(db, customerId, uploadId, { limit: 10 }),
    listAnomaliesOfUpload(db, customerId, uploadId),
    listValidationRules(db, customerId),
    upload.uploaded_by === null ? new Map<number, string>() : usernamesByIds(db, [upload.uploaded_by]),
  ]);
  const uploaderName = upload.uploaded_by === null ? null : (names.get(upload.uploaded_by) ?? null);
  return { upload, uploaderName, report, sample, anomalies, rules };
}

/** `/portal/quality/anomalies/`: the anomalies detected since `since`, newest first. */
export function loadAnomalies(db: Kysely<DB>, customerId: number, since: Date): Promise<AnomalyRecord[]> {
  return listAnomalies(db, customerId, { since });
}

export interface QualityTrendsView {
  reports: QualityReportRecord[];
  rules: ValidationRule[];
  metricSeries: Record<MetricType, Array<{ date: string; score: number }>>;
}

/** `/portal/quality/trends/`: reports, rules and the four metric series since `since`. */
export async function loadQualityTrends(
  db: Kysely<DB>,
  customerId: number,
  since: Date,
): Promise<QualityTrendsView> {
  const sinceDay = since.toISOString().slice(0, 10);
  const [reports, rules, ...series] = await Promise.all([
    listQualityReportsSince(db, customerId, since),
    listValidationRules(db, customerId),
    ...METRIC_TYPES.map((type) => listMetricSeries(db, customerId, type, sinceDay)),
  ]);
  const metricSeries = Object.fromEntries(METRIC_TYPES.map((type, i) => [type, series[i] ?? []])) as Record<
    MetricType,
    Array<{ date: string; score: number }>
  >;
  return { reports, rules, metricSeries };
}

/** The daily scores of one metric since `since` (the metrics chart's JSON). */
export function loadMetricSeries(
  db: Kysely<DB>,
  customerId: number,
  metricType: MetricType,
  since: Date,
): Promise<Array<{ date: string; score: number }>> {
  return listMetricSeries(db, customerId, metricType, since.toISOString().slice(0, 10));
}

export interface RuleFailuresView {
  reports: QualityReportRecord[];
  rules: ValidationRule[];
}

/** Reports since `since` and the rules (the validation chart's JSON counts failures by type). */
export async function loadRuleFailures(
  db: Kysely<DB>,
  customerId: number,
  since: Date,
): Promise<RuleFailuresView> {
  const [reports, rules] = await Promise.all([
    listQualityReportsSince(db, customerId, since),
    listValidationRules(db, customerId),
  ]);
  return { reports, rules };
}

export interface RulesPageView extends RuleFailuresView {
  recent: ValidationResultRecord[];
}

/** `/portal/quality/rules/`: the rules, the last 30 days' reports and the 20 newest rule failures. */
export async function loadRulesPage(db: Kysely<DB>, customerId: number, now: Date): Promise<RulesPageView> {
  const [failures, recent] = await Promise.all([
    loadRuleFailures(db, customerId, daysBefore(now, 30)),
    listRecentValidationResults(db, customerId, 20),
  ]);
  return { ...failures, recent };
}
