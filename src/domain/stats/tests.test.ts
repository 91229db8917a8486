import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from './benjamini-hochberg.ts';
import { histogramFromValues } from './histogram.ts';
import { mannWhitneyUFromHistograms } from './mann-whitney.ts';
import { clampPValue, reaches, roundHalfAwayFromZero, toScore } from './numeric.ts';
import { poissonRateTestUpper } from './poisson-rate.ts';
import { twoProportionZTest } from './two-proportion.ts';
import { summaryFromSums, welchTTestUpper } from './welch-t.ts';

/** Round to n significant digits, as the spec quotes numbers. */
function sig(x: number, n: number): number {
  return Number(x.toPrecision(n));
}

function expectRel(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe('numeric conventions (§1)', () => {
  it('threshold tolerance: 0.15 − 0.10 reaches 0.05 (A10)', () => {
    const delta = 15 / 100 - 10 / 100;
    expect(delta).toBe(0.04999999999999999);
    expect(reaches(delta, 0.05)).toBe(true);
    expect(reaches(0.0499, 0.05)).toBe(false);
  });

  it('scores clip and round half away from zero to 4 decimals (A10)', () => {
    expect(toScore(0.8999999999999999)).toBe(0.9);
    expect(toScore(100 / 120)).toBe(0.8333);
    expect(toScore(80 / 120)).toBe(0.6667);
    expect(toScore(1.7)).toBe(1);
    expect(toScore(-0.2)).toBe(0);
    expect(roundHalfAwayFromZero(-0.00005, 4)).toBe(-0.0001);
    expect(roundHalfAwayFromZero(1.005, 2)).toBe(1.01);
    expect(roundHalfAwayFromZero(71.42857142857143, 2)).toBe(71.43);
  });

  it('p-values are floored at 1e-16 and capped at 1', () => {
    expect(clampPValue(6.5e-19)).toBe(1e-16);
    expect(clampPValue(1.3)).toBe(1);
    expect(clampPValue(Number.NaN)).toBe(1);
  });
});

describe('two-proportion z-test', () => {
  it('A1: 10/50 → 30/50', () => {
    const r = twoProportionZTest(10, 50, 30, 50, 'two-sided');
    expect(r.pooled).toBe(0.4);
    expect(r.se).toBeCloseTo(0.09798, 5);
    expect(r.z).toBeCloseTo(4.0825, 4);
    expect(sig(r.pValue, 4)).toBe(4.456e-5);
  });

  it('A4: zero baseline rate 0/40 → 5/40', () => {
    const r = twoProportionZTest(0, 40, 5, 40, 'two-sided');
    expect(r.se).toBeCloseTo(0.054127, 6);
    expect(r.z).toBeCloseTo(2.3094, 4);
    expect(r.pValue).toBeCloseTo(0.020921, 6);
  });

  it('A5: 3/30 → 6/30', () => {
    const r = twoProportionZTest(3, 30, 6, 30, 'two-sided');
    expect(r.se).toBeCloseTo(0.092195, 6);
    expect(r.z).toBeCloseTo(1.0847, 4);
    expect(r.pValue).toBeCloseTo(0.27808, 5);
  });

  it('A9: improvement 30/100 → 15/100 (two-sided uses −|z|)', () => {
    const r = twoProportionZTest(30, 100, 15, 100, 'two-sided');
    expect(r.pooled).toBeCloseTo(0.225, 12);
    expect(r.se).toBeCloseTo(0.059055, 6);
    expect(r.z).toBeCloseTo(-2.54, 4);
    expect(r.pValue).toBeCloseTo(0.011085, 6);
  });

  it('A12: one-sided upper 21/210 → 35/70', () => {
    const r = twoProportionZTest(21, 210, 35, 70, 'greater');
    expect(r.se).toBeCloseTo(0.055205, 6);
    expect(r.z).toBeCloseTo(7.2457, 4);
    expect(sig(r.pValue, 3)).toBe(2.15e-13);
  });

  it('A11/A14: equal rates give z = 0 and one-sided p = 0.5', () => {
    expect(twoProportionZTest(12, 24, 20, 40, 'greater').pValue).toBe(0.5);
    expect(twoProportionZTest(42, 840, 25, 500, 'greater').pValue).toBe(0.5);
  });

  it('A23: p = 6.13e-16 (far tail precision)', () => {
    expect(sig(twoProportionZTest(90, 900, 49, 140, 'two-sided').pValue, 3)).toBe(6.13e-16);
  });

  it('se = 0 → p = 1; a decrease is not evidence for the upper alternative', () => {
    expect(twoProportionZTest(0, 40, 0, 40, 'two-sided').pValue).toBe(1);
    expect(twoProportionZTest(40, 40, 40, 40, 'two-sided').pValue).toBe(1);
    expect(twoProportionZTest(0, 0, 3, 10, 'two-sided').pValue).toBe(1);
    expect(twoProportionZTest(30, 100, 15, 100, 'greater').pValue).toBeGreaterThan(0.99);
  });
});

describe('Mann-Whitney U from histograms', () => {
  it('A2: 40 × 5 days → 40 × 15 days', () => {
    const r = mannWhitneyUFromHistograms({ '5': 40 }, { '15': 40 });
    expect(r.rankSumCurrent).toBe(2420);
    expect(r.uCurrent).toBe(1600);
    expect(r.mu).toBe(800);
    expect(r.tieTerm).toBe(127920);
    expect(r.sigma ** 2).toBeCloseTo(8101.27, 2);
    expect(r.sigma).toBeCloseTo(90.007, 3);
    expect(r.z).toBeCloseTo(8.8826, 4);
    expect(r.pValue).toBe(1e-16); // 6.5e-19 floored
  });

  it('A7: ties on both sides', () => {
    const baseline = { '3': 5, '4': 8, '5': 9, '6': 5, '8': 3 };
    const current = { '5': 4, '7': 6, '9': 8, '10': 6, '12': 6 };
    const r = mannWhitneyUFromHistograms(baseline, current);
    expect(r.rankSumCurrent).toBe(1297);
    expect(r.uCurrent).toBe(832);
    expect(r.mu).toBe(450);
    expect(r.tieTerm).toBe(4086);
    expect(r.sigma ** 2).toBeCloseTo(4488.43, 2);
    expect(r.sigma).toBeCloseTo(66.996, 3);
    expect(r.z).toBeCloseTo(5.6944, 4);
    expect(sig(r.pValue, 4)).toBe(1.238e-8);
  });

  it('A1: every value identical → σ = 0 → p = 1', () => {
    expect(mannWhitneyUFromHistograms({ '5': 50 }, { '5': 50 }).pValue).toBe(1);
    expect(mannWhitneyUFromHistograms({}, { '5': 3, '6': 2 }).pValue).toBe(1);
  });

  it.each([
    [
      {
        '9': 3,
        '10': 3,
        '15': 3,
        '19': 2,
        '0': 2,
        '2': 4,
        '16': 4,
        '18': 2,
        '4': 1,
        '6': 3,
        '17': 2,
        '8': 3,
        '5': 2,
        '12': 1,
        '1': 1,
        '7': 1,
      },
      {
        '6': 1,
        '13': 4,
        '8': 5,
        '2': 2,
        '19': 4,
        '3': 2,
        '4': 3,
        '24': 3,
        '18': 3,
        '14': 2,
        '23': 2,
        '5': 1,
        '9': 1,
        '11': 3,
        '16': 3,
        '12': 3,
        '10': 2,
        '22': 1,
      },
      1044.5,
      0.04834678917126281,
    ],
    [
      {
        '15': 4,
        '17': 5,
        '4': 2,
        '11': 3,
        '16': 5,
        '5': 1,
        '6': 2,
        '10': 3,
        '13': 3,
        '19': 1,
        '1': 3,
        '2': 1,
        '3': 2,
        '7': 1,
        '9': 1,
      },
      {
        '12': 4,
        '16': 3,
        '8': 3,
        '23': 3,
        '2': 3,
        '21': 4,
        '7': 2,
        '18': 1,
        '11': 2,
        '24': 3,
        '6': 1,
        '17': 3,
        '20': 2,
        '22': 4,
        '5': 1,
        '13': 2,
        '9': 1,
        '15': 2,
        '3': 1,
      },
      1119.5,
      0.007486592877221705,
    ],
  ])('matches scipy.stats.mannwhitneyu (asymptotic, continuity) on random data', (b, c, u, p) => {
    const r = mannWhitneyUFromHistograms(b, c);
    expect(r.uCurrent).toBe(u);
    expectRel(r.pValue, p, 1e-9);
  });

  it('is symmetric in direction (two-sided)', () => {
    const a = histogramFromValues([1, 2, 3, 3, 4, 8]);
    const b = histogramFromValues([5, 6, 6, 7, 9, 9, 10]);
    expect(mannWhitneyUFromHistograms(a, b).pValue).toBeCloseTo(mannWhitneyUFromHistograms(b, a).pValue, 14);
  });
});

describe('Welch t-test (one-sided upper)', () => {
  it('A8: underpayment 0.05 → 0.15', () => {
    const b = summaryFromSums(40, 20 * 0.1, 20 * 0.01);
    const c = summaryFromSums(40, 20 * 0.2 + 20 * 0.1, 20 * 0.04 + 20 * 0.01);
    expect(b.variance).toBeCloseTo(0.0025641, 7);
    expect(c.variance).toBeCloseTo(0.0025641, 7);
    const r = welchTTestUpper(b, c);
    expect(r.se).toBeCloseTo(0.011323, 6);
    expect(r.t).toBeCloseTo(8.8318, 4);
    expect(r.df).toBeCloseTo(78, 9);
    expect(sig(r.pValue, 3)).toBe(1.14e-13);
  });

  it.each([
    [
      33, 1.4070010065605907, 0.08432674375663611, 41, 2.8104373508323457, 0.31675314632459445,
      2.607820487728355, 0.005720539831196076, 61.00170997890996,
    ],
    [
      33, 1.53908208782521, 0.0942792287923424, 41, 2.3156895260714965, 0.1987792038509, 1.2422507526761057,
      0.10917714814274812, 68.92347665148104,
    ],
  ])('matches scipy ttest_ind(equal_var=False, greater)', (n1, s1, ss1, n2, s2, ss2, t, p, df) => {
    const r = welchTTestUpper(summaryFromSums(n1, s1, ss1), summaryFromSums(n2, s2, ss2));
    expectRel(r.t, t, 1e-9);
    expectRel(r.df, df, 1e-9);
    expectRel(r.pValue, p, 1e-6);
  });

  it('a decrease gives p near 1', () => {
    const b = summaryFromSums(3, 1.05, 0.3 ** 2 + 0.4 ** 2 + 0.35 ** 2);
    const c = summaryFromSums(3, 0.45, 0.1 ** 2 + 0.2 ** 2 + 0.15 ** 2);
    expect(welchTTestUpper(b, c).pValue).toBeCloseTo(0.9959750534495811, 6);
  });

  it('se = 0: 1e-16 when the mean rose, else 1', () => {
    const b = summaryFromSums(30, 30 * 0.1, 30 * 0.01);
    const up = summaryFromSums(30, 30 * 0.2, 30 * 0.04);
    expect(b.variance).toBe(0);
    expect(welchTTestUpper(b, up).pValue).toBe(1e-16);
    expect(welchTTestUpper(up, b).pValue).toBe(1);
    expect(welchTTestUpper(b, b).pValue).toBe(1);
  });
});

describe('Poisson rate test (conditional binomial)', () => {
  it('A13: k_b = 0 gives 0.25^k_r', () => {
    expectRel(poissonRateTestUpper(12, 7, 0, 21).pValue, 0.25 ** 12, 1e-9);
    expect(sig(poissonRateTestUpper(12, 7, 0, 21).pValue, 3)).toBe(5.96e-8);
  });

  it('A14: 42 baseline vs 25 recent denials, and the 21 → 14 counter-case', () => {
    expect(poissonRateTestUpper(25, 7, 42, 21).pValue).toBeCloseTo(0.017143, 6);
    expect(poissonRateTestUpper(14, 7, 21, 21).pValue).toBeCloseTo(0.03633, 5);
  });

  it('matches scipy binom.sf and handles k_r = 0', () => {
    expectRel(poissonRateTestUpper(30, 7, 99, 21).pValue, 0.707857159705585, 1e-7);
    expect(poissonRateTestUpper(0, 7, 5, 21).pValue).toBe(1);
  });
});

describe('Benjamini-Hochberg', () => {
  it('A6: p = 0.001, 0.02, 0.04, 0.30', () => {
    const q = benjaminiHochberg([0.001, 0.02, 0.04, 0.3]);
    expect(q[0]).toBeCloseTo(0.004, 12);
    expect(q[1]).toBeCloseTo(0.04, 12);
    expect(q[2]).toBeCloseTo(0.0533, 4);
    expect(q[3]).toBeCloseTo(0.3, 12);
  });

  it('keeps input order, enforces monotonicity and caps at 1', () => {
    const q = benjaminiHochberg([0.9, 0.01, 0.04, 0.03]);
    // sorted: 0.01 (0.04), 0.03 (0.06→0.0533), 0.04 (0.0533), 0.9 (0.9)
    expect(q[1]).toBeCloseTo(0.04, 12);
    expect(q[3]).toBeCloseTo(0.16 / 3, 12);
    expect(q[2]).toBeCloseTo(0.16 / 3, 12);
    expect(q[0]).toBeCloseTo(0.9, 12);
    expect(benjaminiHochberg([0.8, 1])).toEqual([1, 1]);
  });

  it('ties get identical q; A1/A2 floors: m = 2 → q = 2e-16', () => {
    const q = benjaminiHochberg([0.02, 0.02, 0.5]);
    expect(q[0]).toBe(q[1]);
    expect(benjaminiHochberg([1e-16, 1])).toEqual([2e-16, 1]);
    expect(benjaminiHochberg([4.455709060405606e-5, 1])[0]).toBeCloseTo(8.911e-5, 8);
    expect(benjaminiHochberg([])).toEqual([]);
  });
});
