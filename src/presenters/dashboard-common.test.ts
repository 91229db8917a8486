import { describe, expect, it } from 'vitest';
import { analysisRun, findingRecord } from '../../test/analytics-records.ts';
import {
  byLabelText,
  chooseOption,
  findingsSince90Days,
  impactCents,
  payerFrequency,
  presentAxisTile,
  weekOf,
  wholeDollars,
} from './dashboard-common.ts';

describe('dashboard building blocks', () => {
  it('keeps a selected option that exists, else the first, else none', () => {
    expect(chooseOption('Cigna', ['Aetna', 'Cigna'])).toBe('Cigna');
    expect(chooseOption('Unknown', ['Aetna', 'Cigna'])).toBe('Aetna');
    expect(chooseOption(undefined, ['Aetna'])).toBe('Aetna');
    expect(chooseOption('Aetna', [])).toBeNull();
  });

  it('formats axis dollars as whole dollars', () => {
    expect(wholeDollars(20000)).toBe('$20,000');
    expect(wholeDollars(1234.56)).toBe('$1,235');
  });

  it('places a finding on the week holding its last current day', () => {
    const weeks = [
      { start: '2026-11-16', end: '2026-11-23' },
      { start: '2026-11-23', end: '2026-11-30' },
    ];
    expect(weekOf('2026-11-30', weeks)).toBe(1); // last day 2026-11-29
    expect(weekOf('2026-11-23', weeks)).toBe(0);
    expect(weekOf('2026-12-07', weeks)).toBe(-1);
  });

  it('sums impacts exactly (null counts 0; positiveOnly skips gains)', () => {
    const findings = [
      findingRecord({ estimated_impact: '1250.10' }),
      findingRecord({ estimated_impact: '-300.00' }),
      findingRecord({ estimated_impact: null }),
      findingRecord({ estimated_impact: '0.20' }),
    ];
    expect(impactCents(findings)).toBe(95030n);
    expect(impactCents(findings, { positiveOnly: true })).toBe(125030n);
  });

  it('counts findings by label from critical down', () => {
    expect(byLabelText([])).toBe('No findings');
    expect(
      byLabelText([
        findingRecord({ severity_label: 'low' }),
        findingRecord({ severity_label: 'high' }),
        findingRecord({ severity_label: 'high' }),
      ]),
    ).toBe('2 high · 1 low');
  });

  it('keeps the findings of the last 90 days', () => {
    const old = findingRecord({ id: 1, as_of: '2026-09-07' });
    const recent = findingRecord({ id: 2, as_of: '2026-09-08' });
    expect(findingsSince90Days([old, recent], '2026-12-07').map((f) => f.id)).toEqual([2]);
  });

  it('lists the five payers with most findings (ties by name) with their figures', () => {
    const findings = [
      findingRecord({
        payer: 'Cigna',
        severity: 0.5,
        delta_value: 0.1,
        as_of: '2026-11-23',
        estimated_impact: '100.00',
      }),
      findingRecord({
        payer: 'Cigna',
        severity: 0.9,
        delta_value: 0.3,
        direction: 'improving',
        as_of: '2026-11-30',
        estimated_impact: null,
      }),
      findingRecord({ payer: 'Aetna' }),
      findingRecord({ payer: 'Humana' }),
      ...['P1', 'P2', 'P3'].map((payer) => findingRecord({ payer })),
    ];
    const table = payerFrequency(findings);
    expect(table.map((r) => r.payer)).toEqual(['Cigna', 'Aetna', 'Humana', 'P1', 'P2']);
    expect(table[0]).toEqual({
      payer: 'Cigna',
      findings: 2,
      degrading: 1,
      avgSeverity: '0.70',
      maxSeverity: '0.90',
      latestAsOf: '2026-11-30',
      avgDelta: '0.2',
      maxDelta: '0.3',
      atRisk: '$100.00',
    });
  });

  it('an Axis tile shows the latest run and its worst payer; no run, nothing', () => {
    const run = analysisRun({ finished_at: new Date('2026-11-30T06:07:00Z') });
    const tile = presentAxisTile('driftwatch', run, [
      findingRecord({ payer: 'Cigna', severity_label: 'critical' }),
      findingRecord({ payer: 'Aetna', severity_label: 'low' }),
    ]);
    expect(tile).toMatchObject({
      label: 'DriftWatch',
      asOf: '2026-11-30',
      status: 'success',
      lastRun: 'Nov 30, 2026 06:07 UTC',
      openFindings: 2,
      byLabel: '1 critical · 1 low',
      worstPayer: 'Cigna (Critical)',
    });
    expect(presentAxisTile('delayguard', undefined, [])).toMatchObject({
      label: 'DelayGuard',
      asOf: null,
      status: null,
      lastRun: null,
      openFindings: 0,
      byLabel: 'No findings',
      worstPayer: null,
    });
  });
});
