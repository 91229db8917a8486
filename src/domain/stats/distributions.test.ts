import { describe, expect, it } from 'vitest';
import {
  erfc,
  normalCdf,
  normalTwoSided,
  normalUpper,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTUpper,
} from './distributions.ts';

/** Relative closeness: |a − b| <= rel·|b|. */
function expectRel(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe('normal distribution (reference values from SciPy)', () => {
  it.each([
    [-0.5, 0.3085375387259869],
    [-1.96, 0.024997895148220435],
    [-3, 0.0013498980316300933],
    [-5.6944, 6.1903261501366495e-9],
    [-7.2457, 2.1510571063203223e-13],
    [-8.0867, 3.0651507483142195e-16],
    [-10, 7.61985302416047e-24],
    [-37, 5.7255712225239266e-300],
    [0, 0.5],
    [1.5, 0.9331927987311419],
  ])('Φ(%d)', (x, expected) => {
    expectRel(normalCdf(x), expected, 1e-12);
  });

  it('keeps precision in the far tail where 1 + erf would cancel (A23 needs Φ(−8.0867))', () => {
    expectRel(normalTwoSided(8.086715329925388), 6.129530289850228e-16, 1e-9);
  });

  it('erfc matches SciPy', () => {
    expectRel(erfc(0.1), 0.8875370839817152, 1e-14);
    expectRel(erfc(1), 0.15729920705028516, 1e-14);
    expectRel(erfc(3), 2.2090496998585445e-5, 1e-13);
    expectRel(erfc(6), 2.1519736712498913e-17, 1e-13);
    expectRel(erfc(26), 5.663192408856145e-296, 1e-12);
    expectRel(erfc(-1), 2 - 0.15729920705028516, 1e-15);
  });

  it('tails are symmetric and computed at −|z|', () => {
    expect(normalTwoSided(-2.5)).toBe(normalTwoSided(2.5));
    expect(normalUpper(3)).toBe(normalCdf(-3));
    expectRel(normalUpper(-3), 1 - 0.0013498980316300933, 1e-15);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
  });
});

describe('Student t and incomplete beta (SciPy references)', () => {
  it('lower and upper tails', () => {
    expectRel(studentTCdf(-2.5, 7.3), 0.019825117332800214, 1e-7);
    expectRel(studentTCdf(1.2, 12), 0.8733526348732028, 1e-7);
    expectRel(studentTUpper(8.831760866327846, 78), 1.1443084393421443e-13, 1e-6);
  });

  it('I_x(a, b) including the degenerate ends', () => {
    expectRel(regularizedIncompleteBeta(0.25, 12, 1), 0.25 ** 12, 1e-9);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });
});
