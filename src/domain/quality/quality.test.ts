import { describe, expect, it } from 'vitest';
import {
  detectAnomalies,
  detectDistributionShift,
  detectDuplicateSpike,
  detectMissingDataSpike,
  detectVolumeAnomaly,
} from './anomalies.ts';
import { grade, percent1, qualityScore, ratio, scoreBadge } from './grades.ts';
import { computeDailyMetrics, healthScore, qualityTrend, recommendations, uploadPassed } from './metrics.ts';
import { categoryLabels, QualityReportBuilder, type UploadQualityReport } from './report.ts';
import {
  DEFAULT_VALIDATION_RULES,
  effectiveRules,
  evaluateConfigurableRules,
  renderRuleMessage,
  validateRuleUpdate,
} from './rules.ts';

function reportWith(overrides: Partial<UploadQualityReport>): UploadQualityReport {
  const base = new QualityReportBuilder().build();
  return { ...base, ...overrides };
}

describe('grades and rounding', () => {
  it.each([
    [0.95, 'A+'],
    [0.9499, 'A'],
    [0.9, 'A'],
    [0.85, 'B+'],
    [0.8, 'B'],
    [0.75, 'C+'],
    [0.7, 'C'],
    [0.6, 'D'],
    [0.5999, 'F'],
    [0.5, 'F'],
  ])('%f → %s', (s, g) => {
    expect(grade(s)).toBe(g);
  });

  it('exact half-up rounding', () => {
    expect(qualityScore(5, 10)).toBe(0.5);
    expect(qualityScore(2, 3)).toBe(0.6667);
    expect(qualityScore(0, 0)).toBe(0);
    expect(ratio(1, 8, 2)).toBe(0.13);
    expect(percent1(5, 10)).toBe('50.0');
    expect(percent1(1, 3)).toBe('33.3');
    expect(percent1(2, 3)).toBe('66.7');
    expect(scoreBadge(0.95)).toBe('success');
    expect(scoreBadge(0.85)).toBe('info');
    expect(scoreBadge(0.7)).toBe('warning');
    expect(scoreBadge(0.69)).toBe('danger');
  });
});

describe('QualityReportBuilder', () => {
  it('caps rejection details and row warnings but keeps complete counts', () => {
    const b = new QualityReportBuilder({ rejectionDetails: 2, rowWarnings: 1 });
    for (let i = 2; i <= 4; i++) b.addRejection(i, 'missing_fields', 'Missing required field: cpt');
    b.addAccepted(5, [{ code: 'x', message: 'a' }], true);
    b.addAccepted(6, [{ code: 'x', message: 'b' }], false);
    b.addFileWarning({
      code: 'ignored_columns',
      severity: 'warning',
      message: 'Ignored 1 unrecognized column(s): a',
    });
    b.decide(5, 'insert');
    b.decide(6, 'update');
    const r = b.build();
    expect(r.rejectionDetails).toHaveLength(2);
    expect(r.rejectionDetailsTruncated).toBe(true);
    expect(r.warnings.map((w) => w.row)).toEqual([null, 5]);
    expect(r.warningCounts).toEqual({ x: 2, ignored_columns: 1 });
    expect(r).toMatchObject({
      totalRows: 5,
      acceptedRows: 2,
      warningRows: 2,
      completeRows: 1,
      updatedRows: 1,
    });
    expect(categoryLabels(r)).toEqual(['Missing fields: 3 rows']);
  });

  it('category labels, only non-zero', () => {
    expect(
      categoryLabels(reportWith({ phiRows: 2, missingFieldsRows: 2, invalidDatesRows: 1, duplicateRows: 3 })),
    ).toEqual([
      'PHI detected: 2 rows (patient-like names or identifiers)',
      'Missing fields: 2 rows',
      'Invalid dates: 1 rows',
      'Duplicates skipped: 3 rows',
    ]);
  });
});

describe('validation rules (§4.1)', () => {
  it('has the 14 defaults with the locked set', () => {
    expect(DEFAULT_VALIDATION_RULES).toHaveLength(14);
    expect(DEFAULT_VALIDATION_RULES.filter((r) => !r.locked).map((r) => r.code)).toEqual([
      'FMT_CPT',
      'FMT_DENIAL_CODE',
      'RNG_ALLOWED_AMT',
      'BIZ_DENIAL_REASON',
    ]);
    expect(renderRuleMessage(DEFAULT_VALIDATION_RULES[7]!, null)).toBe(
      'Allowed amount should be between $0 and $1,000,000',
    );
  });

  it('locked rules cannot be relaxed; configurable ones can', () => {
    const stored = DEFAULT_VALIDATION_RULES.map((r) => ({ ...r, enabled: false, severity: 'info' as const }));
    const eff = effectiveRules(stored);
    expect(eff.find((r) => r.code === 'REQ_PAYER')).toMatchObject({ enabled: true, severity: 'error' });
    expect(eff.find((r) => r.code === 'FMT_CPT')).toMatchObject({ enabled: false, severity: 'info' });
    const reqPayer = DEFAULT_VALIDATION_RULES[0]!;
    expect(validateRuleUpdate(reqPayer, { enabled: false })).toBe(
      'Rule REQ_PAYER is locked and cannot be changed',
    );
    const rng = DEFAULT_VALIDATION_RULES.find((r) => r.code === 'RNG_ALLOWED_AMT')!;
    expect(validateRuleUpdate(rng, { min: 10, max: 5 })).toBe('Minimum must not exceed maximum');
    expect(validateRuleUpdate(rng, { severity: 'error', max: 5000 })).toBeNull();
  });

  it('evaluators: empty optional values pass; CLAIM skipped', () => {
    const rules = effectiveRules(undefined);
    expect(
      evaluateConfigurableRules(rules, {
        cpt: 'CLAIM',
        denialReasonCode: null,
        allowedAmount: null,
        outcome: 'PAID',
      }),
    ).toEqual([]);
    const f = evaluateConfigurableRules(rules, {
      cpt: '99213',
      denialReasonCode: 'CO-197',
      allowedAmount: '1000000.01',
      outcome: 'DENIED',
    });
    expect(f.map((x) => x.rule.code)).toEqual(['RNG_ALLOWED_AMT']);
    const g = evaluateConfigurableRules(rules, {
      cpt: '0001F',
      denialReasonCode: null,
      allowedAmount: '1000000.00',
      outcome: 'DENIED',
    });
    expect(g.map((x) => x.rule.code)).toEqual(['BIZ_DENIAL_REASON']);
  });

  it('never echoes a PHI-looking value', () => {
    const fmt = DEFAULT_VALIDATION_RULES.find((r) => r.code === 'FMT_DENIAL_CODE')!;
    expect(renderRuleMessage(fmt, 'JOHN SMITH 555-123-4567')).toBe(
      'Denial code should follow format XX-NNN (e.g. CO-45, PR-96)',
    );
  });
});

describe('anomaly detectors (§4.2)', () => {
  it('volume', () => {
    expect(detectVolumeAnomaly(1000, [100, 100])).toBeNull();
    expect(detectVolumeAnomaly(1000, [100, 100, 100])).toBeNull(); // σ = 0
    const a = detectVolumeAnomaly(130, [100, 110, 90]);
    // mean 100, σ = 8.165 → z = 3.674
    expect(a).toMatchObject({ severity: 'medium', confidence: 0.9, affectedRowCount: 130 });
    expect(a?.description).toBe(
      'Upload volume (130 rows) is 3.7 standard deviations from average (100.0 rows)',
    );
    expect(a?.recommendedAction).toBe('Review upload source - significant volume change detected');
    expect(detectVolumeAnomaly(150, [100, 110, 90])?.severity).toBe('high');
    expect(detectVolumeAnomaly(1000, [100, 110, 90])).toMatchObject({
      severity: 'critical',
      anomalyScore: 1,
    });
    expect(detectVolumeAnomaly(120, [100, 110, 90])).toBeNull();
  });

  it('missing data spike: worst field, DENIED share', () => {
    const r = reportWith({
      totalRows: 20,
      fieldStats: {
        emptyRequired: { payer: 0, cpt: 5, submitted_date: 11, decided_date: 0, outcome: 0 },
        deniedRows: 10,
        deniedWithoutCode: 3,
        outcomeCounts: { PAID: 0, DENIED: 10, OTHER: 0 },
      },
    });
    const a = detectMissingDataSpike(r);
    expect(a).toMatchObject({
      fieldName: 'submitted_date',
      severity: 'high',
      affectedRowCount: 11,
      anomalyScore: 0.55,
    });
    expect(a?.description).toBe("Field 'submitted_date' has 55.0% missing values");
    expect(a?.statisticalDetails['fields']).toHaveLength(3);
    const d = detectMissingDataSpike(
      reportWith({
        totalRows: 9,
        fieldStats: {
          emptyRequired: { payer: 9, cpt: 0, submitted_date: 0, decided_date: 0, outcome: 0 },
          deniedRows: 10,
          deniedWithoutCode: 10,
          outcomeCounts: { PAID: 0, DENIED: 10, OTHER: 0 },
        },
      }),
    );
    expect(d).toMatchObject({ fieldName: 'denial_reason_code', severity: 'critical' });
    expect(d?.description).toBe("Field 'denial_reason_code' is missing on 100.0% of DENIED rows");
  });

  it('distribution shift against default and trailing mix', () => {
    const actual = { PAID: 10, DENIED: 10, OTHER: 0 };
    const def = detectDistributionShift(actual, null);
    expect(def.map((a) => [a.description, a.severity])).toEqual([
      ["Outcome 'PAID' is 50.0% (expected ~75.0%, default mix)", 'medium'],
      ["Outcome 'DENIED' is 50.0% (expected ~15.0%, default mix)", 'high'],
    ]);
    const trailing = detectDistributionShift(actual, { PAID: 100, DENIED: 100, OTHER: 0 });
    expect(trailing).toEqual([]);
    expect(detectDistributionShift({ PAID: 18, DENIED: 0, OTHER: 1 }, null)).toEqual([]);
    // 0.90 vs 0.75 is exactly 0.15: not more than 0.15.
    expect(detectDistributionShift({ PAID: 18, DENIED: 1, OTHER: 1 }, null)).toEqual([]);
  });

  it('A9 duplicate spike high', () => {
    const a = detectDuplicateSpike({ totalRows: 20, duplicateRows: 20 });
    expect(a).toMatchObject({ severity: 'high', affectedRowCount: 20 });
    expect(a?.description).toBe('100.0% of rows were duplicates and were skipped');
    expect(detectDuplicateSpike({ totalRows: 20, duplicateRows: 2 })).toBeNull();
    expect(detectDuplicateSpike({ totalRows: 20, duplicateRows: 3 })?.severity).toBe('medium');
    expect(detectDuplicateSpike({ totalRows: 19, duplicateRows: 19 })).toBeNull();
  });

  it('A1 mixed file raises no anomaly', () => {
    const r = reportWith({
      totalRows: 10,
      acceptedRows: 5,
      fieldStats: {
        emptyRequired: { payer: 0, cpt: 1, submitted_date: 1, decided_date: 0, outcome: 0 },
        deniedRows: 0,
        deniedWithoutCode: 0,
        outcomeCounts: { PAID: 5, DENIED: 0, OTHER: 0 },
      },
    });
    expect(detectAnomalies(r, { priorUploadTotals: [], trailingOutcomeMix: null })).toEqual([]);
  });
});

describe('metrics, health, recommendations (§4.3)', () => {
  const up = (o: Partial<UploadQualityReport>) =>
    ({
      totalRows: 10,
      acceptedRows: 8,
      warningRows: 2,
      completeRows: 6,
      duplicateRows: 1,
      dateMax: '2026-11-17',
      ...o,
    }) as const;

  it('daily metrics', () => {
    const m = computeDailyMetrics(
      [
        up({}),
        up({
          totalRows: 10,
          acceptedRows: 10,
          warningRows: 0,
          completeRows: 10,
          duplicateRows: 0,
          dateMax: '2026-10-01',
        }),
      ],
      '2026-11-27',
    );
    const by = Object.fromEntries(m.map((x) => [x.metricType, x.score]));
    expect(by).toEqual({
      completeness: 0.8889, // 16/18
      validity: 0.8, // (18 − 2)/20
      timeliness: 0.3333, // mean(1 − 10/30, 0)
      uniqueness: 0.95, // 1 − 1/20
    });
  });

  it('health score', () => {
    expect(healthScore({ reports: [], latestMetricScores: [], openCriticalAnomalies: 0 })).toEqual({
      available: false,
      message: 'No uploads in the last 30 days',
    });
    const h = healthScore({
      reports: [{ acceptedRows: 9, totalRows: 10 }],
      latestMetricScores: [0.9, 0.9],
      openCriticalAnomalies: 0,
    });
    expect(h).toMatchObject({ available: true, score: 90, grade: 'A', status: 'excellent' });
    const c = healthScore({
      reports: [{ acceptedRows: 5, totalRows: 10 }],
      latestMetricScores: [],
      openCriticalAnomalies: 2,
    });
    expect(c).toMatchObject({ score: 40, grade: 'F', status: 'poor' });
    expect(
      healthScore({
        reports: [{ acceptedRows: 0, totalRows: 10 }],
        latestMetricScores: [],
        openCriticalAnomalies: 3,
      }),
    ).toMatchObject({ score: 0 });
  });

  it('recommendations in order', () => {
    const r = reportWith({
      totalRows: 10,
      acceptedRows: 5,
      phiRows: 2,
      missingFieldsRows: 2,
      duplicateRows: 2,
      identifierColumns: ['patient_name', 'ssn'],
      ruleFailureCounts: {
        REQ_CPT: { error: 2, warning: 0, info: 0 },
        PHI_PAYER: { error: 1, warning: 0, info: 0 },
      },
    });
    expect(
      recommendations({ report: r, criticalAnomalies: 1, ruleNames: { REQ_CPT: 'CPT code required' } }),
    ).toEqual([
      'Low acceptance rate (50.0%). Review data source quality and validation rules.',
      "High failure rate for rule 'CPT code required' (2 failures). Consider reviewing this rule or data source.",
      '⚠️ 2 potential PHI detections. Review and remove any patient identifiable information.',
      '⚠️ Columns that look like patient identifiers were ignored: patient_name, ssn. Remove them from your export.',
      '🚨 1 critical anomalies detected. Review anomalies immediately before processing data.',
      '2 rows with missing required fields. Ensure all required fields are populated in source data.',
      '2 duplicate rows were skipped. Include claim_id so re-adjudicated claims update in place.',
    ]);
    expect(
      recommendations({ report: reportWith({ totalRows: 10, acceptedRows: 10 }), criticalAnomalies: 0 }),
    ).toEqual(['✅ No major quality issues detected. Data looks good!']);
  });

  it('passed and trend', () => {
    expect(uploadPassed(0.95, 0)).toBe(true);
    expect(uploadPassed(0.95, 1)).toBe(false);
    expect(qualityTrend([1, 1, 1]).message).toBe('Not enough uploads to show a trend (need 14)');
    const up7 = [...Array(7).fill(0.9), ...Array(7).fill(0.8)];
    expect(qualityTrend(up7).message).toBe('Quality improving (+10.0%)');
    expect(qualityTrend([...up7].reverse()).message).toBe('Quality degrading (−10.0%)');
    expect(qualityTrend(Array(14).fill(0.9)).message).toBe('Quality stable');
  });
});
