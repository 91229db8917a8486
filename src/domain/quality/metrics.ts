/**
 * Quality metrics, health score, recommendations and trend (ingestion spec §4.3, §4.4). Pure
 * functions over report counters; the caller reads the uploads of the day / the last 30 days.
 */
import { type Grade, grade, percent1, ratio } from './grades.ts';
import type { UploadQualityReport } from './report.ts';

export type MetricType = 'completeness' | 'validity' | 'timeliness' | 'uniqueness';

/** One row of `data_quality_metrics` (camel-cased). */
export interface QualityMetric {
  metricType: MetricType;
  /** 0..1, 4 decimals. */
  score: number;
  sampleSize: number;
  passedCount: number;
  failedCount: number;
  details: Record<string, unknown>;
}

/** The counters of one success/partial upload that metrics use. */
export type MetricUpload = Pick<
  UploadQualityReport,
  'totalRows' | 'acceptedRows' | 'warningRows' | 'completeRows' | 'duplicateRows' | 'dateMax'
>;

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/**
 * Metrics of one completion date from that day's success/partial uploads: completeness =
 * Σcomplete / Σaccepted; validity = Σ(accepted − warning) / Σtotal; timeliness = mean of
 * clamp(1 − lag/30, 0, 1), lag = completion date − date_max (days); uniqueness = 1 − Σdup /
 * Σtotal. A metric whose denominator is 0 is not produced.
 */
export function computeDailyMetrics(
  uploads: readonly MetricUpload[],
  completionDate: string,
): QualityMetric[] {
  const sum = (f: (u: MetricUpload) => number) => uploads.reduce((a, u) => a + f(u), 0);
  const total = sum((u) => u.totalRows);
  const accepted = sum((u) => u.acceptedRows);
  const complete = sum((u) => u.completeRows);
  const warned = sum((u) => u.warningRows);
  const duplicates = sum((u) => u.duplicateRows);
  const out: QualityMetric[] = [];
  if (accepted > 0) {
    out.push({
      metricType: 'completeness',
      score: ratio(complete, accepted, 4),
      sampleSize: accepted,
      passedCount: complete,
      failedCount: accepted - complete,
      details: { uploads: uploads.length },
    });
  }
  if (total > 0) {
    out.push({
      metricType: 'validity',
      score: ratio(accepted - warned, total, 4),
      sampleSize: total,
      passedCount: accepted - warned,
      failedCount: total - (accepted - warned),
      details: { uploads: uploads.length, warning_rows: warned },
    });
  }
  const dated = uploads.filter((u) => u.dateMax !== null);
  if (dated.length > 0) {
    const parts = dated.map((u) => {
      const lag = daysBetween(u.dateMax as string, completionDate);
      return { lag, score: Math.min(1, Math.max(0, 1 - lag / 30)) };
    });
    const mean = parts.reduce((a, p) => a + p.score, 0) / parts.length;
    out.push({
      metricType: 'timeliness',
      score: Math.round(mean * 10_000) / 10_000,
      sampleSize: dated.length,
      passedCount: parts.filter((p) => p.lag <= 30).length,
      failedCount: parts.filter((p) => p.lag > 30).length,
      details: { lags_days: parts.map((p) => p.lag) },
    });
  }
  if (total > 0) {
    out.push({
      metricType: 'uniqueness',
      score: ratio(total - duplicates, total, 4),
      sampleSize: total,
      passedCount: total - duplicates,
      failedCount: duplicates,
      details: { duplicates },
    });
  }
  return out;
}

/** Health status bands (§4.3). */
export type HealthStatus = 'excellent' | 'good' | 'fair' | 'poor';

export type HealthScore =
  | {
      available: true;
      score: number;
      grade: Grade;
      status: HealthStatus;
      avgQuality: number;
      metricMean: number | null;
    }
  | { available: false; message: string };

/**
 * Health score over the last 30 days: avg_quality = Σaccepted / Σtotal of the reports created in
 * 30 days; m = mean of the latest score of each metric type; health = clamp(floor(100 × (0.7 ×
 * avg_quality + 0.3 × m)) − 5 × open critical anomalies, 0, 100), or 100 × avg_quality when
 * there is no metric. No upload → "No uploads in the last 30 days".
 */
export function healthScore(input: {
  reports: ReadonlyArray<Pick<UploadQualityReport, 'acceptedRows' | 'totalRows'>>;
  latestMetricScores: readonly number[];
  openCriticalAnomalies: number;
}): HealthScore {
  if (input.reports.length === 0) return { available: false, message: 'No uploads in the last 30 days' };
  const accepted = input.reports.reduce((a, r) => a + r.acceptedRows, 0);
  const total = input.reports.reduce((a, r) => a + r.totalRows, 0);
  const avgQuality = total === 0 ? 0 : accepted / total;
  const m =
    input.latestMetricScores.length > 0
      ? input.latestMetricScores.reduce((a, b) => a + b, 0) / input.latestMetricScores.length
      : null;
  const blended = m === null ? avgQuality : 0.7 * avgQuality + 0.3 * m;
  // The epsilon keeps 0.7 × 0.9 + 0.3 × 0.9 = 0.8999…9 from flooring to 89.
  const raw = Math.floor(100 * blended + 1e-9) - 5 * input.openCriticalAnomalies;
  const score = Math.min(100, Math.max(0, raw));
  return {
    available: true,
    score,
    grade: grade(score / 100),
    status: healthStatus(score),
    avgQuality: Math.round(avgQuality * 10_000) / 10_000,
    metricMean: m === null ? null : Math.round(m * 10_000) / 10_000,
  };
}

/** excellent ≥ 90, good ≥ 75, fair ≥ 60, else poor. */
export function healthStatus(score: number): HealthStatus {
  if (score >= 90) return 'excellent';
  if (score >= 75) return 'good';
  if (score >= 60) return 'fair';
  return 'poor';
}

/** Inputs of the per-upload recommendations. */
export interface RecommendationInput {
  report: Pick<
    UploadQualityReport,
    | 'totalRows'
    | 'acceptedRows'
    | 'phiRows'
    | 'missingFieldsRows'
    | 'duplicateRows'
    | 'identifierColumns'
    | 'ruleFailureCounts'
  >;
  criticalAnomalies: number;
  /** code → display name (rules and checks); unknown codes show as the code. */
  ruleNames?: Readonly<Record<string, string>>;
}

/** Recommendations (§4.3), in order, all that apply; otherwise the all-clear line. */
export function recommendations(input: RecommendationInput): string[] {
  const r = input.report;
  const out: string[] = [];
  const total = r.totalRows;
  if (total > 0 && r.acceptedRows * 100 < total * 80) {
    out.push(
      `Low acceptance rate (${percent1(r.acceptedRows, total)}%). Review data source quality and validation rules.`,
    );
  }
  let top: { code: string; count: number } | null = null;
  for (const [code, c] of Object.entries(r.ruleFailureCounts)) {
    const count = c.error + c.warning + c.info;
    if (!top || count > top.count) top = { code, count };
  }
  if (top && total > 0 && top.count * 10 > total) {
    const name = input.ruleNames?.[top.code] ?? top.code;
    out.push(
      `High failure rate for rule '${name}' (${top.count} failures). Consider reviewing this rule or data source.`,
    );
  }
  if (r.phiRows > 0) {
    out.push(
      `⚠️ ${r.phiRows} potential PHI detections. Review and remove any patient identifiable information.`,
    );
  }
  if (r.identifierColumns.length > 0) {
    out.push(
      `⚠️ Columns that look like patient identifiers were ignored: ${r.identifierColumns.join(', ')}. Remove them from your export.`,
    );
  }
  if (input.criticalAnomalies > 0) {
    out.push(
      `🚨 ${input.criticalAnomalies} critical anomalies detected. Review anomalies immediately before processing data.`,
    );
  }
  if (total > 0 && r.missingFieldsRows * 100 > total * 5) {
    out.push(
      `${r.missingFieldsRows} rows with missing required fields. Ensure all required fields are populated in source data.`,
    );
  }
  if (total > 0 && r.duplicateRows * 10 > total) {
    out.push(
      `${r.duplicateRows} duplicate rows were skipped. Include claim_id so re-adjudicated claims update in place.`,
    );
  }
  if (out.length === 0) out.push('✅ No major quality issues detected. Data looks good!');
  return out;
}

/** "Passed" on the upload quality page: score ≥ 0.95 and no open critical anomaly. */
export function uploadPassed(qualityScore: number, openCriticalAnomalies: number): boolean {
  return Math.round(qualityScore * 10_000) >= 9500 && openCriticalAnomalies === 0;
}

/**
 * Quality trend (§4.4): mean score of the newest 7 uploads vs the 7 before; needs ≥ 14. Change
 * > +0.05 improving, < −0.05 degrading, else stable. `scoresNewestFirst` are 0..1 scores.
 */
export function qualityTrend(scoresNewestFirst: readonly number[]): {
  direction: 'improving' | 'degrading' | 'stable' | 'insufficient';
  change: number | null;
  message: string;
} {
  if (scoresNewestFirst.length < 14) {
    return {
      direction: 'insufficient',
      change: null,
      message: 'Not enough uploads to show a trend (need 14)',
    };
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const change = mean(scoresNewestFirst.slice(0, 7)) - mean(scoresNewestFirst.slice(7, 14));
  const bp = Math.round(change * 10_000);
  const shown = (Math.abs(bp) / 100).toFixed(1);
  if (bp > 500) return { direction: 'improving', change, message: `Quality improving (+${shown}%)` };
  if (bp < -500) return { direction: 'degrading', change, message: `Quality degrading (−${shown}%)` };
  return { direction: 'stable', change, message: 'Quality stable' };
}
