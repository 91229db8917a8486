import { type Kysely, type Selectable, sql } from 'kysely';
import type { ValidationResult } from '../../domain/claims/index.ts';
import {
  DEFAULT_VALIDATION_RULES,
  type DetectedAnomaly,
  type MetricUpload,
  type QualityMetric,
  type RuleType,
  type UploadQualityReport,
  type ValidationRule,
} from '../../domain/quality/index.ts';
import type {
  DataAnomaliesTable,
  DB,
  JsonObject,
  UploadQualityReportsTable,
  ValidationResultsTable,
} from '../schema.ts';

/**
 * Quality reports, validation rules and results, anomalies and metrics (ingestion spec §1.3,
 * §2.11, §4). Customer id first everywhere.
 */

export type QualityReportRecord = Selectable<UploadQualityReportsTable>;
export type ValidationResultRecord = Selectable<ValidationResultsTable>;
export type AnomalyRecord = Selectable<DataAnomaliesTable>;

/** Writes (or replaces, on a retried attempt) the quality report of an upload. */
export async function saveQualityReport(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  report: UploadQualityReport,
): Promise<void> {
  const values = {
    total_rows: report.totalRows,
    accepted_rows: report.acceptedRows,
    inserted_rows: report.insertedRows,
    updated_rows: report.updatedRows,
    duplicate_rows: report.duplicateRows,
    rejected_rows: report.rejectedRows,
    warning_rows: report.warningRows,
    complete_rows: report.completeRows,
    phi_rows: report.phiRows,
    missing_fields_rows: report.missingFieldsRows,
    invalid_dates_rows: report.invalidDatesRows,
    invalid_values_rows: report.invalidValuesRows,
    reversals: report.reversals,
    quality_score: report.qualityScore.toFixed(4),
    grade: report.grade,
    rejection_details: JSON.stringify(report.rejectionDetails),
    rejection_details_truncated: report.rejectionDetailsTruncated,
    warnings: JSON.stringify(report.warnings),
    warning_counts: JSON.stringify(report.warningCounts),
    ignored_columns: JSON.stringify(report.ignoredColumns),
    identifier_columns: JSON.stringify(report.identifierColumns),
    rule_failure_counts: JSON.stringify(report.ruleFailureCounts),
    field_stats: JSON.stringify(report.fieldStats),
  };
  await db
    .insertInto('upload_quality_reports')
    .values({ customer_id: customerId, upload_id: uploadId, ...values })
    .onConflict((oc) => oc.columns(['customer_id', 'upload_id']).doUpdateSet(values))
    .execute();
}

export async function findQualityReport(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<QualityReportRecord | undefined> {
  return db
    .selectFrom('upload_quality_reports')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .executeTakeFirst();
}

/** The quality reports of several uploads of one customer (an uploads list page), by upload id. */
export async function findQualityReportsOfUploads(
  db: Kysely<DB>,
  customerId: number,
  uploadIds: readonly number[],
): Promise<Map<number, QualityReportRecord>> {
  if (uploadIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('upload_quality_reports')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('upload_id', 'in', [...uploadIds])
    .execute();
  return new Map(rows.map((r) => [r.upload_id, r]));
}

/** Stores validation results (already capped at 10,000 per upload by the pipeline). */
export async function insertValidationResults(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  results: readonly ValidationResult[],
): Promise<void> {
  const batch = 500;
  for (let start = 0; start < results.length; start += batch) {
    await db
      .insertInto('validation_results')
      .values(
        results.slice(start, start + batch).map((r) => ({
          customer_id: customerId,
          upload_id: uploadId,
          rule_code: r.ruleCode,
          row_number: r.rowNumber,
          field_name: r.fieldName,
          field_value: r.fieldValue,
          message: r.message,
          severity: r.severity,
          context: JSON.stringify(r.context),
        })),
      )
      .execute();
  }
}

export async function deleteValidationResults(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<void> {
  await db
    .deleteFrom('validation_results')
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .execute();
}

export async function listValidationResults(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  options: { limit?: number; offset?: number } = {},
): Promise<ValidationResultRecord[]> {
  return db
    .selectFrom('validation_results')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .orderBy('row_number')
    .orderBy('id')
    .limit(options.limit ?? 100)
    .offset(options.offset ?? 0)
    .execute();
}

/** Creates the 14 default rules for a customer when missing (§4.1); existing rows are kept. */
export async function ensureDefaultValidationRules(db: Kysely<DB>, customerId: number): Promise<void> {
  await db
    .insertInto('validation_rules')
    .values(
      DEFAULT_VALIDATION_RULES.map((rule) => ({
        customer_id: customerId,
        code: rule.code,
        name: rule.name,
        rule_type: rule.ruleType,
        field_name: rule.fieldName,
        validation_logic: JSON.stringify(rule.validationLogic),
        severity: rule.severity,
        enabled: rule.enabled,
        locked: rule.locked,
        category: rule.category,
        message_template: rule.messageTemplate,
        remediation_guidance: rule.remediationGuidance,
        execution_order: rule.executionOrder,
      })),
    )
    .onConflict((oc) => oc.columns(['customer_id', 'code']).doNothing())
    .execute();
}

/** The customer's stored rules as domain objects, in execution order. */
export async function listValidationRules(db: Kysely<DB>, customerId: number): Promise<ValidationRule[]> {
  const rows = await db
    .selectFrom('validation_rules')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('execution_order')
    .orderBy('code')
    .execute();
  return rows.map((row) => ({
    code: row.code,
    name: row.name,
    ruleType: row.rule_type as RuleType,
    fieldName: row.field_name,
    validationLogic: row.validation_logic as Record<string, unknown>,
    severity: row.severity,
    enabled: row.enabled,
    locked: row.locked,
    category: row.category,
    messageTemplate: row.message_template,
    remediationGuidance: row.remediation_guidance,
    executionOrder: row.execution_order,
  }));
}

/** Changes a configurable rule (the caller validated it with `validateRuleUpdate`). */
export async function updateValidationRule(
  db: Kysely<DB>,
  customerId: number,
  code: string,
  changes: { enabled?: boolean; severity?: 'error' | 'warning' | 'info'; validationLogic?: JsonObject },
  updatedBy: number | null,
): Promise<boolean> {
  const result = await db
    .updateTable('validation_rules')
    .set({
      ...(changes.enabled !== undefined && { enabled: changes.enabled }),
      ...(changes.severity !== undefined && { severity: changes.severity }),
      ...(changes.validationLogic !== undefined && {
        validation_logic: JSON.stringify(changes.validationLogic),
      }),
      updated_by: updatedBy,
      updated_at: sql`now()`,
    })
    .where('customer_id', '=', customerId)
    .where('code', '=', code)
    .where('locked', '=', false)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertAnomalies(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  anomalies: readonly DetectedAnomaly[],
): Promise<AnomalyRecord[]> {
  if (anomalies.length === 0) return [];
  return db
    .insertInto('data_anomalies')
    .values(
      anomalies.map((a) => ({
        customer_id: customerId,
        upload_id: uploadId,
        anomaly_type: a.anomalyType,
        field_name: a.fieldName,
        severity: a.severity,
        anomaly_score: a.anomalyScore,
        confidence: a.confidence,
        description: a.description,
        statistical_details: JSON.stringify(a.statisticalDetails),
        affected_row_count: a.affectedRowCount,
        recommended_action: a.recommendedAction,
      })),
    )
    .returningAll()
    .execute();
}

export async function listAnomaliesOfUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<AnomalyRecord[]> {
  return db
    .selectFrom('data_anomalies')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .orderBy('id')
    .execute();
}

/** Writes (or replaces) the metrics of one measurement date. */
export async function saveQualityMetrics(
  db: Kysely<DB>,
  customerId: number,
  measurementDate: string,
  metrics: readonly QualityMetric[],
): Promise<void> {
  for (const m of metrics) {
    const values = {
      score: m.score.toFixed(4),
      sample_size: m.sampleSize,
      passed_count: m.passedCount,
      failed_count: m.failedCount,
      details: JSON.stringify(m.details),
    };
    await db
      .insertInto('data_quality_metrics')
      .values({
        customer_id: customerId,
        metric_type: m.metricType,
        measurement_date: measurementDate,
        ...values,
      })
      .onConflict((oc) => oc.columns(['customer_id', 'metric_type', 'measurement_date']).doUpdateSet(values))
      .execute();
  }
}

/**
 * Quality reports created since `since` (newest first), for the dashboard and health score.
 * Reports of deleted uploads are left out: a file deleted by mistake should not weigh on the
 * score (its report stays readable on its own page).
 */
/**
 * Counters of the customer's success/partial uploads that completed on `day` (UTC) — the
 * inputs of that day's quality metrics. Deleted uploads are not success/partial, so they drop
 * out.
 */
export async function metricUploadsCompletedOn(
  db: Kysely<DB>,
  customerId: number,
  day: string,
): Promise<MetricUpload[]> {
  const rows = await sql<{
    total_rows: number;
    accepted_rows: number;
    warning_rows: number;
    complete_rows: number;
    duplicate_rows: number;
    date_max: string | null;
  }>`
    SELECT r.total_rows, r.accepted_rows, r.warning_rows, r.complete_rows, r.duplicate_rows, u.date_max
      FROM uploads u
      JOIN upload_quality_reports r ON r.customer_id = u.customer_id AND r.upload_id = u.id
     WHERE u.customer_id = ${customerId} AND u.status IN ('success', 'partial')
       AND u.processing_completed_at >= ${day}::date
       AND u.processing_completed_at < ${day}::date + 1`.execute(db);
  return rows.rows.map((row) => ({
    totalRows: row.total_rows,
    acceptedRows: row.accepted_rows,
    warningRows: row.warning_rows,
    completeRows: row.complete_rows,
    duplicateRows: row.duplicate_rows,
    dateMax: row.date_max,
  }));
}

/**
 * Makes the stored metrics of `day` exactly `metrics`: upserts them and deletes the day's
 * metric types that are no longer computed (e.g. its last upload was deleted).
 */
export async function replaceQualityMetricsOfDay(
  db: Kysely<DB>,
  customerId: number,
  day: string,
  metrics: readonly QualityMetric[],
): Promise<void> {
  const kept = metrics.map((m) => m.metricType);
  let stale = db
    .deleteFrom('data_quality_metrics')
    .where('customer_id', '=', customerId)
    .where('measurement_date', '=', day);
  if (kept.length > 0) stale = stale.where('metric_type', 'not in', kept);
  await stale.execute();
  await saveQualityMetrics(db, customerId, day, metrics);
}

export async function listQualityReportsSince(
  db: Kysely<DB>,
  customerId: number,
  since: Date,
): Promise<QualityReportRecord[]> {
  return db
    .selectFrom('upload_quality_reports')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('created_at', '>=', since)
    .where(
      'upload_id',
      'not in',
      db
        .selectFrom('uploads')
        .select('id')
        .where('customer_id', '=', customerId)
        .where('status', '=', 'deleted'),
    )
    .orderBy('created_at', 'desc')
    .orderBy('upload_id', 'desc')
    .execute();
}

/** The latest score of each metric type measured on or after `sinceDate` (YYYY-MM-DD). */
export async function latestMetricScores(
  db: Kysely<DB>,
  customerId: number,
  sinceDate: string,
): Promise<Array<{ metricType: string; score: number; measurementDate: string }>> {
  const rows = await db
    .selectFrom('data_quality_metrics')
    .select(['metric_type', 'score', 'measurement_date'])
    .where('customer_id', '=', customerId)
    .where('measurement_date', '>=', sinceDate)
    .orderBy('measurement_date', 'desc')
    .execute();
  const seen = new Map<string, { metricType: string; score: number; measurementDate: string }>();
  for (const row of rows) {
    if (!seen.has(row.metric_type)) {
      seen.set(row.metric_type, {
        metricType: row.metric_type,
        score: Number(row.score),
        measurementDate: String(row.measurement_date),
      });
    }
  }
  return [...seen.values()];
}

/** Anomalies detected since `since`, newest first. */
export async function listAnomalies(
  db: Kysely<DB>,
  customerId: number,
  options: { since?: Date; unacknowledgedOnly?: boolean; limit?: number } = {},
): Promise<AnomalyRecord[]> {
  let query = db.selectFrom('data_anomalies').selectAll().where('customer_id', '=', customerId);
  if (options.since) query = query.where('detected_at', '>=', options.since);
  if (options.unacknowledgedOnly) query = query.where('acknowledged', '=', false);
  return query
    .orderBy('detected_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 500)
    .execute();
}

/** Marks an anomaly acknowledged; undefined when it is not the customer's. */
export async function acknowledgeAnomaly(
  db: Kysely<DB>,
  customerId: number,
  anomalyId: number,
  userId: number | null,
  notes: string | null,
): Promise<AnomalyRecord | undefined> {
  return db
    .updateTable('data_anomalies')
    .set({
      acknowledged: true,
      acknowledged_by: userId,
      acknowledged_at: sql`now()`,
      resolution_notes: notes,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', anomalyId)
    .returningAll()
    .executeTakeFirst();
}

/** The newest validation failures of the customer (all uploads). */
export async function listRecentValidationResults(
  db: Kysely<DB>,
  customerId: number,
  limit: number,
): Promise<ValidationResultRecord[]> {
  return db
    .selectFrom('validation_results')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Daily scores of one metric type measured on or after `sinceDate` (YYYY-MM-DD), oldest first. */
export async function listMetricSeries(
  db: Kysely<DB>,
  customerId: number,
  metricType: 'completeness' | 'validity' | 'timeliness' | 'uniqueness',
  sinceDate: string,
): Promise<Array<{ date: string; score: number }>> {
  const rows = await db
    .selectFrom('data_quality_metrics')
    .select(['measurement_date', 'score'])
    .where('customer_id', '=', customerId)
    .where('metric_type', '=', metricType)
    .where('measurement_date', '>=', sinceDate)
    .orderBy('measurement_date')
    .execute();
  return rows.map((r) => ({ date: String(r.measurement_date).slice(0, 10), score: Number(r.score) }));
}

/**
 * How many of an upload's anomalies are critical: the one number the §4.3 recommendations read
 * ("Resolve the N critical anomalies…"). Counted in SQL on the (customer_id, upload_id) rows of
 * `data_anomalies` rather than loading them all, since a bad file can record many.
 */
export async function countCriticalAnomaliesOfUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<number> {
  const row = await db
    .selectFrom('data_anomalies')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .where('severity', '=', 'critical')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
