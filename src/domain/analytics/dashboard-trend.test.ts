import { describe, expect, it } from 'vitest';
import { dashboardTrendSpan, denialRatePercent, denialRateTrend, topBySeverity } from './dashboard-trend.ts';

describe('dashboard denial-rate trend', () => {
  it('spans twelve Monday weeks ending with the week that holds today', () => {
    // 2026-03-12 is a Thursday: its week starts Monday 2026-03-09.
    expect(dashboardTrendSpan('2026-03-12')).toEqual({ start: '2025-12-22', end: '2026-03-16' });
    // On a Monday the current week is the one that starts today.
    expect(dashboardTrendSpan('2026-03-09')).toEqual({ start: '2025-12-22', end: '2026-03-16' });
    expect(dashboardTrendSpan('2026-03-09', 1)).toEqual({ start: '2026-03-09', end: '2026-03-16' });
  });

  it('rounds the percentage half up to two decimals without float noise', () => {
    expect(denialRatePercent(1, 8)).toBe(12.5);
    expect(denialRatePercent(1, 3)).toBe(33.33);
    expect(denialRatePercent(2, 3)).toBe(66.67);
    expect(denialRatePercent(1, 20_000)).toBe(0.01); // 0.005 % rounds up
    expect(denialRatePercent(1, 20_001)).toBe(0); // just below half a hundredth
    expect(denialRatePercent(7, 7)).toBe(100);
    expect(denialRatePercent(0, 0)).toBe(0);
  });

  it('fills weeks without claims with zeros and keeps the series length fixed', () => {
    const trend = denialRateTrend('2026-01-05', 4, [
      { week: 0, total: 10, denied: 1 },
      { week: 2, total: 4, denied: 4 },
    ]);
    expect(trend).toEqual([
      { weekStart: '2026-01-05', totalClaims: 10, deniedClaims: 1, denialRate: 10 },
      { weekStart: '2026-01-12', totalClaims: 0, deniedClaims: 0, denialRate: 0 },
      { weekStart: '2026-01-19', totalClaims: 4, deniedClaims: 4, denialRate: 100 },
      { weekStart: '2026-01-26', totalClaims: 0, deniedClaims: 0, denialRate: 0 },
    ]);
  });

  it('ignores counts outside the span', () => {
    const trend = denialRateTrend('2026-01-05', 1, [{ week: 3, total: 9, denied: 9 }]);
    expect(trend).toEqual([{ weekStart: '2026-01-05', totalClaims: 0, deniedClaims: 0, denialRate: 0 }]);
  });

  it('ranks drift findings by severity, newer first on ties, at most five', () => {
    const findings = [
      { id: 1, payer: 'A', severity: 0.5 },
      { id: 2, payer: 'B', severity: 0.9 },
      { id: 3, payer: 'C', severity: 0.5 },
      { id: 4, payer: 'D', severity: 0.1 },
      { id: 5, payer: 'E', severity: 0.7 },
      { id: 6, payer: 'F', severity: 0.2 },
    ];
    expect(topBySeverity(findings).map((f) => f.payer)).toEqual(['B', 'E', 'C', 'A', 'F']);
    expect(topBySeverity(findings, 2).map((f) => f.id)).toEqual([2, 5]);
    // The input is not reordered.
    expect(findings.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
