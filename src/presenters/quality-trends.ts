import type { QualityReportRecord } from '../db/repositories/quality.repository.ts';
import { grade, type MetricType, qualityTrend, type ValidationRule } from '../domain/quality/index.ts';
import type { QualityTrendsView, RuleFailuresView, RulesPageView } from '../queries/quality-pages.ts';
import { METRIC_TITLES, metricChart, uploadScoreChart } from './quality-charts.ts';
import { failuresByRule, stamp } from './quality-pages.ts';

/**
 * Pure presenters of the quality trends, the charts' JSON and the validation rules page
 * (ingestion spec §4.4); the dashboard, upload and anomaly pages are in quality-pages.ts.
 */

const RULE_SEVERITIES = ['error', 'warning', 'info'] as const;

/** The rules that failed most (by count, then code), named. */
function topFailingRules(failures: Map<string, number>, rules: readonly ValidationRule[], limit: number) {
  const names = new Map(rules.map((r) => [r.code, r.name]));
  return [...failures.entries()]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([code, count]) => ({ code, name: names.get(code) ?? code, count }));
}

/** `/portal/quality/trends/` over the last `days` days. */
export function presentQualityTrends(
  view: QualityTrendsView,
  options: { days: number; dayOptions: readonly number[]; metricTypes: readonly MetricType[] },
) {
  const { reports } = view;
  const { days } = options;
  const sum = (pick: (r: QualityReportRecord) => number) => reports.reduce((a, r) => a + pick(r), 0);
  return {
    days,
    dayOptions: options.dayOptions.map((d) => ({ value: d, selected: d === days })),
    trend: qualityTrend(reports.map((r) => Number(r.quality_score))).message,
    // The "Upload scores" table below is this chart's data table.
    scoreChart: uploadScoreChart(reports, {
      id: 'chart-upload-scores',
      title: `Upload quality scores (${days} days)`,
      withTable: false,
    }),
    metricCharts: options.metricTypes.map((type) => ({
      type,
      title: METRIC_TITLES[type],
      chart: metricChart(type, view.metricSeries[type] ?? []),
    })),
    uploads: reports.map((r) => ({
      uploadId: r.upload_id,
      created: stamp(r.created_at),
      score: Math.round(Number(r.quality_score) * 100),
      grade: r.grade,
    })),
    categories: [
      { label: 'PHI', count: sum((r) => r.phi_rows) },
      { label: 'Missing fields', count: sum((r) => r.missing_fields_rows) },
      { label: 'Invalid dates', count: sum((r) => r.invalid_dates_rows) },
      { label: 'Invalid values', count: sum((r) => r.invalid_values_rows) },
      { label: 'Duplicates', count: sum((r) => r.duplicate_rows) },
    ],
    topRules: topFailingRules(failuresByRule(reports), view.rules, 10),
  };
}

/** The metrics chart's JSON: one point per day. */
export function presentMetricChartData(series: ReadonlyArray<{ date: string; score: number }>) {
  return {
    labels: series.map((p) => p.date),
    scores: series.map((p) => p.score),
    grades: series.map((p) => grade(p.score)),
  };
}

/** The validation chart's JSON: failures per rule type (a rule no longer defined counts under its code). */
export function presentValidationChartData(view: RuleFailuresView) {
  const typeOf = new Map(view.rules.map((r) => [r.code, r.ruleType as string]));
  const byType = new Map<string, number>();
  for (const [code, count] of failuresByRule(view.reports)) {
    const type = typeOf.get(code) ?? code;
    byType.set(type, (byType.get(type) ?? 0) + count);
  }
  const entries = [...byType.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { labels: entries.map(([t]) => t), counts: entries.map(([, n]) => n) };
}

/** `/portal/quality/rules/`: the rules (with their severity choices), 30-day failures, recent failures. */
export function presentRulesPage(view: RulesPageView, options: { canEdit: boolean }) {
  const failures = failuresByRule(view.reports);
  const { rules } = view;
  return {
    totalRules: rules.length,
    enabledRules: rules.filter((r) => r.enabled).length,
    failures30: [...failures.values()].reduce((a, b) => a + b, 0),
    canEdit: options.canEdit,
    rules: rules.map((r) => ({
      code: r.code,
      name: r.name,
      field: r.fieldName ?? '-',
      type: r.ruleType,
      category: r.category,
      severity: r.severity,
      order: r.executionOrder,
      enabled: r.enabled,
      locked: r.locked,
      severities: RULE_SEVERITIES.map((s) => ({ value: s, selected: s === r.severity })),
    })),
    topRules: topFailingRules(failures, rules, 10),
    recent: view.recent.map((v) => ({
      upload: v.upload_id,
      rule: v.rule_code,
      row: v.row_number,
      field: v.field_name ?? '-',
      message: v.message,
      at: stamp(v.created_at),
    })),
  };
}
