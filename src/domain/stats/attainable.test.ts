import { describe, expect, it } from 'vitest';
import { mannWhitneyMinimumP, poissonRateMinimumP, twoProportionMinimumP } from './attainable.ts';
import { mannWhitneyUFromHistograms } from './mann-whitney.ts';
import { poissonRateTestUpper } from './poisson-rate.ts';
import { twoProportionZTest } from './two-proportion.ts';

describe('smallest attainable p-values (which tests can fire)', () => {
  it('two-proportion: no successes (or all) can never differ', () => {
    expect(twoProportionMinimumP(0, 50, 50, 'two-sided')).toBe(1);
    expect(twoProportionMinimumP(100, 50, 50, 'two-sided')).toBe(1);
  });

  it('two-proportion: 2 denials among 30 + 30 claims cannot reach 0.05; 8 can', () => {
    // Best split of 2: both in one window → 0/30 vs 2/30, z = 1.4382, p = 0.1504.
    expect(twoProportionMinimumP(2, 30, 30, 'two-sided')).toBeCloseTo(
      twoProportionZTest(0, 30, 2, 30, 'two-sided').pValue,
      15,
    );
    expect(twoProportionMinimumP(2, 30, 30, 'two-sided')).toBeGreaterThan(0.05);
    expect(twoProportionMinimumP(8, 30, 30, 'two-sided')).toBeLessThan(0.05);
  });

  it('two-proportion upper: successes go into the current window as far as they fit', () => {
    expect(twoProportionMinimumP(12, 100, 10, 'greater')).toBe(
      twoProportionZTest(2, 100, 10, 10, 'greater').pValue,
    );
  });

  it('is never above the p-value actually observed', () => {
    for (const [x1, n1, x2, n2] of [
      [3, 40, 9, 40],
      [10, 50, 30, 50],
      [0, 40, 5, 40],
    ] as const) {
      expect(twoProportionMinimumP(x1 + x2, n1, n2, 'two-sided')).toBeLessThanOrEqual(
        twoProportionZTest(x1, n1, x2, n2, 'two-sided').pValue,
      );
    }
  });

  it('Mann-Whitney: a single distinct value can never fire; otherwise the extreme split is the bound', () => {
    expect(mannWhitneyMinimumP({ '5': 50 }, { '5': 50 })).toBe(1);
    const b = { '3': 5, '4': 8, '5': 9, '6': 5, '8': 3 };
    const c = { '5': 4, '7': 6, '9': 8, '10': 6, '12': 6 };
    const bound = mannWhitneyMinimumP(b, c);
    expect(bound).toBeLessThanOrEqual(mannWhitneyUFromHistograms(b, c).pValue);
    // The 30 largest of the pooled 60 values in the current window.
    expect(bound).toBe(
      mannWhitneyUFromHistograms(
        { '3': 5, '4': 8, '5': 13, '6': 4 },
        { '6': 1, '7': 6, '8': 3, '9': 8, '10': 6, '12': 6 },
      ).pValue,
    );
  });

  it('Poisson rate: every event in the recent window (w = 0.25 for 7 vs 21 days)', () => {
    expect(poissonRateMinimumP(3, 7, 4, 21)).toBeCloseTo(0.25 ** 7, 15);
    expect(poissonRateMinimumP(1, 7, 1, 21)).toBe(poissonRateTestUpper(2, 7, 0, 21).pValue);
    expect(poissonRateMinimumP(1, 7, 1, 21)).toBeGreaterThan(0.05);
  });
});

describe('dollar-rate test (compound Poisson)', () => {
  it('A11: 12 denials of $100 over 21 days → 20 over 7 days: z = 3.4641, p = 2.66e-4', async () => {
    const { dollarRateTestUpper } = await import('./dollar-rate.ts');
    const r = dollarRateTestUpper(
      { sum: 1200, sumsq: 120_000, days: 21 },
      { sum: 2000, sumsq: 200_000, days: 7 },
    );
    // rates 57.142857 → 285.714286; se = √(200000/49 + 120000/441) = 65.98289
    expect(r.se).toBeCloseTo(65.98289, 4);
    expect(r.z).toBeCloseTo(3.4641, 4);
    expect(r.pValue).toBeCloseTo(2.66e-4, 6);
  });

  it('no dollars or no days: p = 1; a fall is not a spike', async () => {
    const { dollarRateTestUpper } = await import('./dollar-rate.ts');
    expect(dollarRateTestUpper({ sum: 0, sumsq: 0, days: 21 }, { sum: 0, sumsq: 0, days: 7 }).pValue).toBe(1);
    expect(
      dollarRateTestUpper({ sum: 100, sumsq: 10_000, days: 0 }, { sum: 100, sumsq: 10_000, days: 7 }).pValue,
    ).toBe(1);
    expect(
      dollarRateTestUpper({ sum: 2100, sumsq: 210_000, days: 21 }, { sum: 100, sumsq: 10_000, days: 7 })
        .pValue,
    ).toBeGreaterThan(0.5);
  });
});
