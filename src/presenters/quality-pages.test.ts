import { describe, expect, it } from 'vitest';
import type { AnomalyRecord, QualityReportRecord } from '../db/repositories/quality.repository.ts';
import type { UploadRecord } from '../db/repositories/uploads.repository.ts';
import type { ValidationRule } from '../domain/quality/index.ts';
import { failuresByRule, presentAnomaliesPage, presentUploadQualityPage, stamp } from './quality-pages.ts';
import { presentMetricChartData, presentRulesPage, presentValidationChartData } from './quality-trends.ts';

// Only the fields the presenters read; the rest of a stored row does not matter to them.
const report = (fields: Partial<QualityReportRecord>) => fields as QualityReportRecord;
const anomaly = (fields: Partial<AnomalyRecord>) =>
  ({ detected_at: null, acknowledged_at: null, ...fields }) as AnomalyRecord;
const rule = (fields: Partial<ValidationRule>) =>
  ({ fieldName: null, enabled: true, locked: false, executionOrder: 1, ...fields }) as ValidationRule;

const counts = (error: number, warning = 0, info = 0) => ({ error, warning, info });

describe('stamp', () => {
  it('is the UTC minute, or a dash without a date', () => {
    expect(stamp(new Date('2026-03-01T09:05:59Z'))).toBe('2026-03-01 09:05');
    expect(stamp(null)).toBe('-');
  });
});

describe('failuresByRule', () => {
  it('adds errors, warnings and infos of every report per rule code', () => {
    const failures = failuresByRule([
      report({ rule_failure_counts: { A: counts(1, 2, 3), B: counts(0) } }),
      report({ rule_failure_counts: { A: counts(4) } }),
    ]);
    expect([...failures.entries()]).toEqual([
      ['A', 10],
      ['B', 0],
    ]);
  });
});

describe('presentValidationChartData', () => {
  it('counts failures per rule type, most first; an unknown code counts under its own name', () => {
    const data = presentValidationChartData({
      reports: [
        report({ rule_failure_counts: { REQ_A: counts(2), REQ_B: counts(1), FMT_C: counts(5) } }),
        report({ rule_failure_counts: { GONE: counts(1) } }),
      ],
      rules: [
        rule({ code: 'REQ_A', ruleType: 'required_field' }),
        rule({ code: 'REQ_B', ruleType: 'required_field' }),
        rule({ code: 'FMT_C', ruleType: 'format_check' }),
      ],
    });
    expect(data).toEqual({ labels: ['format_check', 'required_field', 'GONE'], counts: [5, 3, 1] });
  });
});

describe('presentMetricChartData', () => {
  it('gives each day its score and grade', () => {
    expect(
      presentMetricChartData([
        { date: '2026-03-01', score: 1 },
        { date: '2026-03-02', score: 0.5 },
      ]),
    ).toEqual({ labels: ['2026-03-01', '2026-03-02'], scores: [1, 0.5], grades: ['A+', 'F'] });
  });
});

describe('presentRulesPage', () => {
  it('totals the 30-day failures and names the rules that failed most, ties by code', () => {
    const page = presentRulesPage(
      {
        rules: [
          rule({ code: 'A', name: 'Rule A', severity: 'warning' }),
          rule({ code: 'B', name: 'Rule B', enabled: false, locked: true }),
        ],
        reports: [report({ rule_failure_counts: { B: counts(3), A: counts(3), Z: counts(0) } })],
        recent: [],
      },
      { canEdit: false },
    );
    expect(page.totalRules).toBe(2);
    expect(page.enabledRules).toBe(1);
    expect(page.failures30).toBe(6);
    expect(page.canEdit).toBe(false);
    expect(page.topRules).toEqual([
      { code: 'A', name: 'Rule A', count: 3 },
      { code: 'B', name: 'Rule B', count: 3 },
    ]);
    expect(page.rules[0]?.severities).toEqual([
      { value: 'error', selected: false },
      { value: 'warning', selected: true },
      { value: 'info', selected: false },
    ]);
  });
});

describe('presentAnomaliesPage', () => {
  it('counts open and critical anomalies and marks the chosen window', () => {
    const page = presentAnomaliesPage(
      [
        anomaly({ id: 1, severity: 'critical', acknowledged: false }),
        anomaly({ id: 2, severity: 'low', acknowledged: true }),
        anomaly({ id: 3, severity: 'critical', acknowledged: true }),
      ],
      { days: 60, dayOptions: [30, 60, 90], canAcknowledge: true },
    );
    expect(page.unacknowledged).toBe(1);
    expect(page.critical).toBe(2);
    expect(page.total).toBe(3);
    expect(page.dayOptions.filter((o) => o.selected).map((o) => o.value)).toEqual([60]);
    expect(page.anomalies.map((a) => a.id)).toEqual([1, 2, 3]);
  });
});

describe('presentUploadQualityPage', () => {
  const upload = (fields: Partial<UploadRecord>) =>
    ({
      id: 9,
      filename: 'claims.csv',
      status: 'complete',
      rows_total: 100,
      created_at: new Date('2026-03-01T10:00:00Z'),
      processing_started_at: new Date('2026-03-01T10:00:00Z'),
      processing_completed_at: new Date('2026-03-01T10:00:02Z'),
      uploaded_by: null,
      source: 'web_ui',
      ...fields,
    }) as UploadRecord;
  const view = (fields: Partial<UploadRecord>, uploaderName: string | null) => ({
    upload: upload(fields),
    uploaderName,
    report: undefined,
    sample: [],
    anomalies: [],
    rules: [],
  });

  it('names the uploader, or the source of an upload without one', () => {
    const page = (fields: Partial<UploadRecord>, name: string | null) =>
      presentUploadQualityPage(view(fields, name), { canAcknowledge: false }).upload.by;
    expect(page({ uploaded_by: 4 }, 'owner_a')).toBe('owner_a');
    expect(page({ uploaded_by: 4 }, null)).toBe('Unknown user');
    expect(page({ source: 'web_ui' }, null)).toBe('Unknown user');
    expect(page({ source: 'api' }, null)).toBe('api');
  });

  it('reports the processing time and speed, and no report while there is none', () => {
    const page = presentUploadQualityPage(view({}, null), { canAcknowledge: true });
    expect(page.upload.seconds).toBe('2.0');
    expect(page.upload.rowsPerSecond).toBe(50);
    expect(page.report).toBeNull();
    expect(page.canAcknowledge).toBe(true);
  });
});
