import { describe, expect, it } from 'vitest';
import { analysisRun, findingRecord } from '../../test/analytics-records.ts';
import { alertEventRow, findingCsvRow, sortFindingsForReport, workbookSummaryRows } from './report-rows.ts';

describe('report rows (alerts-reports §13.2, §13.3)', () => {
  it('orders as the PDF: severity desc, then payer, CPT group, signal, fingerprint', () => {
    const rows = [
      findingRecord({ fingerprint: 'f5', severity: 0.5, payer: 'B' }),
      findingRecord({ fingerprint: 'f4', severity: 0.8, payer: 'B', cpt_group: 'Lab', signal_type: 'X' }),
      findingRecord({ fingerprint: 'f3', severity: 0.8, payer: 'B', cpt_group: 'Lab', signal_type: 'A' }),
      findingRecord({ fingerprint: 'f2', severity: 0.8, payer: 'B', cpt_group: 'E&M' }),
      findingRecord({ fingerprint: 'f1', severity: 0.8, payer: 'A', cpt_group: 'Zed' }),
      findingRecord({ fingerprint: 'f0', severity: 0.8, payer: 'A', cpt_group: 'Zed' }),
    ];
    expect(sortFindingsForReport(rows).map((r) => r.fingerprint)).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'f4',
      'f5',
    ]);
  });

  it('a CSV record has 21 cells with inclusive window ends and upper-case labels', () => {
    const row = findingCsvRow(findingRecord({ baseline_end: '2026-03-01', current_end: '2026-03-02' }));
    expect(row).toHaveLength(21);
    expect(row[9]).toBe('2026-02-28');
    expect(row[11]).toBe('2026-03-01');
    expect(row[16]).toBe('HIGH');
    expect(row[19]).toEqual({ decimal: '1250.00' });
  });

  it('an alert row falls back to the payload rule name and shows the denial reason', () => {
    const row = alertEventRow({
      id: 9,
      triggered_at: new Date('2026-03-02T06:07:08.900Z'),
      rule_name: null,
      product: 'denialscope',
      signal_type: 'new_denial_reason',
      payer: 'Cigna',
      payload: { rule_name: 'Old rule', cpt_group: null, denial_reason: 'CO-197' },
      severity: 0.75,
      severity_label: 'high',
      status: 'needs_followup',
      suppressed: true,
      latest_verdict: 'needs_followup',
      recovered_amount: null,
      error_message: null,
    });
    expect(row.map((c) => c.value)).toEqual([
      9,
      '2026-03-02 06:07:08',
      'Old rule',
      'DenialScope',
      'new_denial_reason',
      'Cigna',
      'CO-197',
      0.75,
      'High',
      'Needs follow-up',
      'Yes',
      'Needs follow-up',
      null,
      '',
    ]);
  });

  it('the summary sums positive impacts of degrading findings in exact cents', () => {
    const rows = workbookSummaryRows({
      customerName: 'Acme',
      run: analysisRun(),
      findings: [
        findingRecord({ estimated_impact: '0.10' }),
        findingRecord({ estimated_impact: '0.20' }),
        findingRecord({ estimated_impact: '-5.00' }),
        findingRecord({ estimated_impact: '7.00', direction: 'improving' }),
      ],
      alertEventCount: 0,
    });
    const impact = rows.find(([label]) => label === 'Estimated Weekly Revenue Impact')?.[1];
    expect(impact).toEqual({ value: 0.3, numFmt: '$#,##0.00' });
    expect(rows.find(([label]) => label === 'Baseline Period')?.[1]).toEqual({ value: '-' });
  });
});
