/**
 * Anomaly detectors (ingestion spec §4.2), run per upload after success/partial. Pure: the
 * caller supplies the upload's report and the history it needs (prior upload sizes, the
 * trailing outcome mix from rollups); each detector returns zero or more anomalies to store in
 * `data_anomalies` (and announce as `data_quality_anomaly`).
 */
import type { UploadQualityReport } from './report.ts';

export type AnomalyType = 'volume_anomaly' | 'missing_data_spike' | 'distribution_shift' | 'duplicate_spike';
export type AnomalySeverity = 'low' | 'medium' | 'high' | 'critical';

/** An anomaly to store (camel-cased `data_anomalies` columns). */
export interface DetectedAnomaly {
  anomalyType: AnomalyType;
  fieldName: string | null;
  severity: AnomalySeverity;
  /** 0..1, 4 decimals. */
  anomalyScore: number;
  confidence: number;
  description: string;
  statisticalDetails: Record<string, unknown>;
  affectedRowCount: number;
  recommendedAction: string;
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/** P.P for percentages in descriptions (share 0..1 → one decimal). */
function pct(share: number): string {
  return (Math.round(share * 1000) / 10).toFixed(1);
}

/**
 * volume_anomaly: prior = row counts of the customer's success/partial uploads of the same
 * format created in the 30 days before this one. Needs ≥ 3 of them and population σ > 0;
 * z = |n − mean| / σ; anomaly when z > 3 (medium; high > 5; critical > 10).
 */
export function detectVolumeAnomaly(
  totalRows: number,
  priorTotals: readonly number[],
): DetectedAnomaly | null {
  if (priorTotals.length < 3) return null;
  const mean = priorTotals.reduce((a, b) => a + b, 0) / priorTotals.length;
  const variance = priorTotals.reduce((a, b) => a + (b - mean) ** 2, 0) / priorTotals.length;
  const sigma = Math.sqrt(variance);
  if (!(sigma > 0)) return null;
  const z = Math.abs(totalRows - mean) / sigma;
  if (!(z > 3)) return null;
  const severity: AnomalySeverity = z > 10 ? 'critical' : z > 5 ? 'high' : 'medium';
  return {
    anomalyType: 'volume_anomaly',
    fieldName: null,
    severity,
    anomalyScore: round(Math.min(z / 10, 1), 4),
    confidence: 0.9,
    description: `Upload volume (${totalRows} rows) is ${z.toFixed(1)} standard deviations from average (${mean.toFixed(1)} rows)`,
    statisticalDetails: {
      z: round(z, 4),
      mean: round(mean, 4),
      std: round(sigma, 4),
      prior_uploads: priorTotals.length,
    },
    affectedRowCount: totalRows,
    recommendedAction: 'Review upload source - significant volume change detected',
  };
}

/**
 * missing_data_spike: the empty share of each required column over all data rows, and the share
 * of DENIED rows without denial_reason_code; each needs a denominator ≥ 10 and is problematic
 * above 0.20. One anomaly for the worst; all problematic shares in the details.
 */
export function detectMissingDataSpike(
  report: Pick<UploadQualityReport, 'totalRows' | 'fieldStats'>,
): DetectedAnomaly | null {
  type Candidate = { field: string; missing: number; denominator: number; share: number; denied: boolean };
  const candidates: Candidate[] = [];
  if (report.totalRows >= 10) {
    for (const [field, missing] of Object.entries(report.fieldStats.emptyRequired)) {
      candidates.push({
        field,
        missing,
        denominator: report.totalRows,
        share: missing / report.totalRows,
        denied: false,
      });
    }
  }
  const { deniedRows, deniedWithoutCode } = report.fieldStats;
  if (deniedRows >= 10) {
    candidates.push({
      field: 'denial_reason_code',
      missing: deniedWithoutCode,
      denominator: deniedRows,
      share: deniedWithoutCode / deniedRows,
      denied: true,
    });
  }
  const problems = candidates.filter((c) => c.share > 0.2);
  if (problems.length === 0) return null;
  // Worst share; ties keep the first (required columns in contract order, then denial codes).
  const worst = problems.reduce((a, b) => (b.share > a.share ? b : a));
  const severity: AnomalySeverity = worst.share >= 0.9 ? 'critical' : worst.share > 0.5 ? 'high' : 'medium';
  return {
    anomalyType: 'missing_data_spike',
    fieldName: worst.field,
    severity,
    anomalyScore: round(worst.share, 4),
    confidence: 0.95,
    description: worst.denied
      ? `Field 'denial_reason_code' is missing on ${pct(worst.share)}% of DENIED rows`
      : `Field '${worst.field}' has ${pct(worst.share)}% missing values`,
    statisticalDetails: {
      fields: problems.map((p) => ({
        field: p.field,
        missing: p.missing,
        denominator: p.denominator,
        share: round(p.share, 4),
        ...(p.denied ? { scope: 'DENIED rows' } : {}),
      })),
    },
    affectedRowCount: worst.missing,
    recommendedAction: 'Check the export for empty columns or a changed layout',
  };
}

/** Outcome counts (accepted rows of the upload, or stored claims of the trailing window). */
export interface OutcomeMix {
  PAID: number;
  DENIED: number;
  OTHER: number;
}

/** Default expected mix when the trailing window has fewer than 200 claims. */
export const DEFAULT_OUTCOME_MIX = { PAID: 0.75, DENIED: 0.15, OTHER: 0.1 } as const;

/**
 * distribution_shift: needs ≥ 20 accepted rows. Expected = the PAID/DENIED/OTHER shares of the
 * customer's stored claims with submitted_date in the 90 days before this upload's earliest
 * submitted date (read from rollups before this upload) when there are ≥ 200, else the default
 * 0.75/0.15/0.10. One anomaly per outcome deviating by more than 0.15 (high > 0.30).
 */
export function detectDistributionShift(actual: OutcomeMix, trailing: OutcomeMix | null): DetectedAnomaly[] {
  const accepted = actual.PAID + actual.DENIED + actual.OTHER;
  if (accepted < 20) return [];
  const trailingTotal = trailing ? trailing.PAID + trailing.DENIED + trailing.OTHER : 0;
  const useTrailing = trailing !== null && trailingTotal >= 200;
  const out: DetectedAnomaly[] = [];
  for (const outcome of ['PAID', 'DENIED', 'OTHER'] as const) {
    const share = actual[outcome] / accepted;
    const expected =
      useTrailing && trailing ? trailing[outcome] / trailingTotal : DEFAULT_OUTCOME_MIX[outcome];
    const dev = Math.abs(share - expected);
    // Compare in basis points: 0.9 - 0.75 must not count as > 0.15 through float noise.
    const devBp = Math.round(dev * 10_000);
    if (devBp <= 1500) continue;
    out.push({
      anomalyType: 'distribution_shift',
      fieldName: 'outcome',
      severity: devBp > 3000 ? 'high' : 'medium',
      anomalyScore: round(Math.min(dev / 0.5, 1), 4),
      confidence: 0.8,
      description: `Outcome '${outcome}' is ${pct(share)}% (expected ~${pct(expected)}%, ${useTrailing ? 'trailing 90-day mix' : 'default mix'})`,
      statisticalDetails: {
        outcome,
        actual_share: round(share, 4),
        expected_share: round(expected, 4),
        deviation: round(dev, 4),
        baseline: useTrailing ? 'trailing_90_days' : 'default',
        baseline_claims: trailingTotal,
      },
      affectedRowCount: accepted,
      recommendedAction:
        'Confirm the export covers the usual claims; a payer or filter change can shift outcomes',
    });
  }
  return out;
}

/** duplicate_spike: total ≥ 20 and duplicate share > 0.10 (high > 0.50). */
export function detectDuplicateSpike(
  report: Pick<UploadQualityReport, 'totalRows' | 'duplicateRows'>,
): DetectedAnomaly | null {
  const { totalRows, duplicateRows } = report;
  if (totalRows < 20 || duplicateRows * 10 <= totalRows) return null;
  const share = duplicateRows / totalRows;
  return {
    anomalyType: 'duplicate_spike',
    fieldName: null,
    severity: duplicateRows * 2 > totalRows ? 'high' : 'medium',
    anomalyScore: round(share, 4),
    confidence: 0.95,
    description: `${pct(share)}% of rows were duplicates and were skipped`,
    statisticalDetails: { duplicates: duplicateRows, total: totalRows, share: round(share, 4) },
    affectedRowCount: duplicateRows,
    recommendedAction:
      'Avoid re-exporting rows already uploaded, or include claim_id so corrections update in place',
  };
}

/** History the detectors need, read by the caller before detection. */
export interface AnomalyHistory {
  /** total_rows of prior success/partial uploads of the same format in the 30 days before. */
  priorUploadTotals: readonly number[];
  /** Outcome counts of stored claims in the 90 days before the upload's earliest submitted date. */
  trailingOutcomeMix: OutcomeMix | null;
}

/** All four detectors for one upload, in §4.2 order. */
export function detectAnomalies(report: UploadQualityReport, history: AnomalyHistory): DetectedAnomaly[] {
  const out: DetectedAnomaly[] = [];
  const volume = detectVolumeAnomaly(report.totalRows, history.priorUploadTotals);
  if (volume) out.push(volume);
  const missing = detectMissingDataSpike(report);
  if (missing) out.push(missing);
  out.push(...detectDistributionShift(report.fieldStats.outcomeCounts, history.trailingOutcomeMix));
  const dup = detectDuplicateSpike(report);
  if (dup) out.push(dup);
  return out;
}

/** Feed label of a `data_quality_anomaly` event. */
export function anomalyEventLabel(uploadId: number | string, anomaly: DetectedAnomaly): string {
  return `Data quality anomaly in upload #${uploadId}: ${anomaly.description}`;
}
