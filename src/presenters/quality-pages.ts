import type { AnomalyRecord, QualityReportRecord } from '../db/repositories/quality.repository.ts';
import {
  categoryLabels,
  grade,
  healthScore,
  percent1,
  recommendations,
  scoreBadge,
  uploadPassed,
  type ValidationRule,
} from '../domain/quality/index.ts';
import type { QualityDashboardView, UploadQualityPageView } from '../queries/quality-pages.ts';
import { uploadScoreChart } from './quality-charts.ts';
import { recommendationReport } from './uploads.ts';

/**
 * Pure presenters of the data-quality pages (ingestion spec §4.4): the read models of
 * src/queries/quality-pages.ts in, the templates' view data (or the charts' JSON) out. No I/O,
 * no clock: the same input always gives the same page.
 */

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** `YYYY-MM-DD HH:MM` (UTC) or `-`. */
export function stamp(date: Date | null): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

type FailureCounts = QualityReportRecord['rule_failure_counts'];

function failureTotal(c: FailureCounts[string]): number {
  return c.error + c.warning + c.info;
}

/** Failures per rule code over the reports. */
export function failuresByRule(reports: readonly Pick<QualityReportRecord, 'rule_failure_counts'>[]) {
  const failures = new Map<string, number>();
  for (const r of reports) {
    for (const [code, c] of Object.entries(r.rule_failure_counts)) {
      failures.set(code, (failures.get(code) ?? 0) + failureTotal(c));
    }
  }
  return failures;
}

export function presentAnomaly(a: AnomalyRecord) {
  return {
    id: a.id,
    uploadId: a.upload_id,
    type: a.anomaly_type,
    severity: a.severity,
    description: a.description,
    action: a.recommended_action,
    rows: a.affected_row_count,
    detected: stamp(a.detected_at),
    acknowledged: a.acknowledged,
    acknowledgedAt: stamp(a.acknowledged_at),
  };
}

/** `/portal/quality/`: health, acceptance, open anomalies, metrics, newest uploads, trend chart. */
export function presentQualityDashboard(view: QualityDashboardView) {
  const { reports, metrics, openAnomalies: open, uploads } = view;
  const openCritical = open.filter((a) => a.severity === 'critical').length;
  const health = healthScore({
    reports: reports.map((r) => ({ acceptedRows: r.accepted_rows, totalRows: r.total_rows })),
    latestMetricScores: metrics.map((m) => m.score),
    openCriticalAnomalies: openCritical,
  });
  const totalRows = reports.reduce((a, r) => a + r.total_rows, 0);
  const acceptedRows = reports.reduce((a, r) => a + r.accepted_rows, 0);
  const latest = reports[0];
  return {
    health,
    acceptance: totalRows > 0 ? `${percent1(acceptedRows, totalRows)}%` : '-',
    uploadsProcessed: reports.length,
    rowsProcessed: totalRows,
    openBySeverity: SEVERITIES.map((s) => ({
      severity: s,
      count: open.filter((a) => a.severity === s).length,
    })),
    openCount: open.length,
    metrics: metrics.map((m) => ({
      type: m.metricType,
      score: m.score.toFixed(2),
      grade: grade(m.score),
      percent: Math.round(m.score * 100),
    })),
    uploads: uploads.map((u) => {
      const r = view.reportsOfUploads.get(u.id);
      const score = r ? Number(r.quality_score) : null;
      return {
        id: u.id,
        filename: u.filename,
        uploaded: stamp(u.created_at),
        rows: u.rows_total ?? 0,
        status: u.status,
        score: score === null ? null : `${Math.round(score * 100)}%`,
        grade: r?.grade ?? null,
        badge: score === null ? null : scoreBadge(score),
      };
    }),
    recommendations: latest
      ? recommendations({ report: recommendationReport(latest), criticalAnomalies: openCritical })
      : [],
    newestAnomalies: open.slice(0, 5).map(presentAnomaly),
    // "Quality Trend (30 Days)" (§4.4): the table beside it lists only the 10 newest uploads,
    // so the chart carries its own data table.
    trendChart: uploadScoreChart(reports, {
      id: 'chart-quality-trend',
      title: 'Quality Trend (30 Days)',
      withTable: true,
    }),
  };
}

function presentUploadReport(
  report: QualityReportRecord,
  rules: readonly ValidationRule[],
  openCritical: number,
) {
  const ruleByCode = new Map(rules.map((r) => [r.code, r]));
  return {
    score: Number(report.quality_score),
    grade: report.grade,
    acceptance: `${percent1(report.accepted_rows, report.total_rows)}%`,
    counts: {
      total: report.total_rows,
      accepted: report.accepted_rows,
      inserted: report.inserted_rows,
      updated: report.updated_rows,
      duplicate: report.duplicate_rows,
      rejected: report.rejected_rows,
      warnings: report.warning_rows,
    },
    passed: uploadPassed(Number(report.quality_score), openCritical),
    categories: categoryLabels({
      phiRows: report.phi_rows,
      missingFieldsRows: report.missing_fields_rows,
      invalidDatesRows: report.invalid_dates_rows,
      invalidValuesRows: report.invalid_values_rows,
      duplicateRows: report.duplicate_rows,
    } as Parameters<typeof categoryLabels>[0]),
    recommendations: recommendations({
      report: recommendationReport(report),
      criticalAnomalies: openCritical,
      ruleNames: Object.fromEntries(rules.map((r) => [r.code, r.name])),
    }),
    topRules: Object.entries(report.rule_failure_counts)
      .map(([code, c]) => ({
        code,
        name: ruleByCode.get(code)?.name ?? code,
        severity: ruleByCode.get(code)?.severity ?? '-',
        count: failureTotal(c),
      }))
      .filter((r) => r.count > 0)
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
      .slice(0, 5),
  };
}

/** `/portal/quality/uploads/<id>/`: the upload, its report (null while none), sample failures, anomalies. */
export function presentUploadQualityPage(view: UploadQualityPageView, options: { canAcknowledge: boolean }) {
  const { upload, anomalies } = view;
  const openCritical = anomalies.filter((a) => a.severity === 'critical' && !a.acknowledged).length;
  const durationMs =
    upload.processing_started_at && upload.processing_completed_at
      ? new Date(upload.processing_completed_at).getTime() - new Date(upload.processing_started_at).getTime()
      : null;
  const by =
    upload.uploaded_by !== null
      ? (view.uploaderName ?? 'Unknown user')
      : upload.source === 'web_ui'
        ? 'Unknown user'
        : upload.source;
  return {
    upload: {
      id: upload.id,
      filename: upload.filename,
      uploaded: stamp(upload.created_at),
      by,
      status: upload.status,
      seconds: durationMs === null ? null : (durationMs / 1000).toFixed(1),
      rowsPerSecond:
        durationMs && durationMs > 0 && upload.rows_total
          ? Math.round((upload.rows_total * 1000) / durationMs)
          : null,
    },
    report: view.report ? presentUploadReport(view.report, view.rules, openCritical) : null,
    sample: view.sample.map((v) => ({
      rule: v.rule_code,
      row: v.row_number,
      field: v.field_name ?? '-',
      message: v.message,
    })),
    anomalies: anomalies.map(presentAnomaly),
    canAcknowledge: options.canAcknowledge,
  };
}

/** `/portal/quality/anomalies/` over the last `days` days. */
export function presentAnomaliesPage(
  anomalies: readonly AnomalyRecord[],
  options: { days: number; dayOptions: readonly number[]; canAcknowledge: boolean },
) {
  const { days } = options;
  return {
    days,
    dayOptions: options.dayOptions.map((d) => ({ value: d, selected: d === days })),
    unacknowledged: anomalies.filter((a) => !a.acknowledged).length,
    critical: anomalies.filter((a) => a.severity === 'critical').length,
    total: anomalies.length,
    anomalies: anomalies.map(presentAnomaly),
    canAcknowledge: options.canAcknowledge,
  };
}
