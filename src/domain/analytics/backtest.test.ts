import { describe, expect, it } from 'vitest';
import { mondaysBetween, runBacktest, validateBacktestRange } from './backtest.ts';
import { addDays } from './dates.ts';
import { runDriftWatch } from './driftwatch.ts';
import { type ClaimLine, rollupsFromClaims } from './rollup-fixtures.ts';

/**
 * A23: 10 claims decided per day from 2025-09-01 (submitted 5 days before), 1 denied/day, 6
 * denied/day from 2026-02-09 — days are decision dates since issue 9.
 */
function a23Claims(): ClaimLine[] {
  const claims: ClaimLine[] = [];
  for (let day = '2025-09-01'; day < '2026-03-02'; day = addDays(day, 1)) {
    const denied = day >= '2026-02-09' ? 6 : 1;
    for (let i = 0; i < 10; i++) {
      claims.push({
        payer: 'UnitedHealthcare',
        cpt_group: 'EVAL',
        submitted_date: addDays(day, -5),
        decided_date: day,
        outcome: i < denied ? 'DENIED' : 'PAID',
      });
    }
  }
  return claims;
}

describe('DriftWatch backtest (§10.3)', () => {
  it('Mondays and range validation', () => {
    expect(mondaysBetween('2026-01-05', '2026-03-02')).toHaveLength(9);
    expect(mondaysBetween('2026-01-06', '2026-01-19')).toEqual(['2026-01-12', '2026-01-19']);
    expect(validateBacktestRange('2026-03-02', '2026-01-05', '2026-03-04')).not.toBeNull();
    expect(validateBacktestRange('2026-01-05', '2026-03-09', '2026-03-04')).not.toBeNull();
    expect(validateBacktestRange('2024-01-01', '2026-03-02', '2026-03-04')).not.toBeNull();
    expect(validateBacktestRange('2026-01-05', '2026-03-02', '2026-03-04')).toBeNull();
  });

  it('A23 — one episode first detected 2026-02-16', () => {
    const rows = rollupsFromClaims(a23Claims());
    const weekly = (asOf: string) => runDriftWatch(rows, { customerId: 42, asOf }).findings[0];
    const w1 = weekly('2026-02-16');
    expect(w1?.baseline_value).toBeCloseTo(0.1, 12);
    expect(w1?.current_value).toBe(0.35);
    expect(w1?.delta_value).toBeCloseTo(0.25, 12);
    expect(w1?.p_value).toBeCloseTo(6.13e-16, 18);
    expect(w1?.severity).toBe(0.5);
    const w2 = weekly('2026-02-23');
    expect([w2?.current_value, w2?.severity]).toEqual([0.6, 1]);
    const w3 = weekly('2026-03-02');
    expect(w3?.baseline_value).toBeCloseTo(125 / 900, 12);
    expect(w3?.delta_value).toBeCloseTo(0.4611, 4);
    expect(w3?.severity).toBe(0.9222);
    expect(w3?.severity_label).toBe('critical');

    const result = runBacktest(rows, { customerId: 42, from: '2026-01-05', to: '2026-03-02' });
    expect(result.weeks.map((w) => w.findings)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(result.weeks[6]).toEqual({ as_of: '2026-02-16', findings: 1, by_signal: { DENIAL_RATE: 1 } });
    expect(result.episodes).toHaveLength(1);
    expect(result.episodes[0]).toMatchObject({
      payer: 'UnitedHealthcare',
      cpt_group: 'EVAL',
      signal_type: 'DENIAL_RATE',
      direction: 'degrading',
      first_detected_as_of: '2026-02-16',
      last_detected_as_of: '2026-03-02',
      weeks_detected: 3,
      first_severity: 0.5,
      first_severity_label: 'medium',
      max_severity: 1,
      max_severity_label: 'critical',
    });
    expect(result.episodes[0]?.first_delta).toBeCloseTo(0.25, 12);
  });
});
