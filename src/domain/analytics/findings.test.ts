import { describe, expect, it } from 'vitest';
import { deltaPercent, findingFingerprint, gateTests } from './findings.ts';

describe('findings helpers', () => {
  it('A6 — BH + strict gating: keeps the first two, holds back p = 0.04 (q = 0.0533)', () => {
    const tests = [0.001, 0.02, 0.04, 0.3].map((p, i) => ({ pValue: p, thresholdMet: true, payload: i }));
    const strict = gateTests(tests, 'strict', 0.05);
    expect(strict.map((t) => Number(t.qValue.toFixed(4)))).toEqual([0.004, 0.04, 0.0533, 0.3]);
    expect(strict.map((t) => t.accepted)).toEqual([true, true, false, false]);
    expect(strict[2]?.heldBack).toBe(true);
    const reference = gateTests(tests, 'reference', 0.05);
    expect(reference.every((t) => t.accepted && !t.heldBack)).toBe(true);
  });

  it('a test below threshold is neither a finding nor held back', () => {
    const [t] = gateTests([{ pValue: 1e-10, thresholdMet: false, payload: null }], 'strict', 0.05);
    expect(t?.accepted).toBe(false);
    expect(t?.heldBack).toBe(false);
  });

  it('fingerprints (A1, A16)', () => {
    expect(
      findingFingerprint(
        '42',
        'driftwatch',
        'DENIAL_RATE',
        'UnitedHealthcare',
        'EVAL',
        '2026-02-16',
        '2026-03-02',
      ),
    ).toBe('db6d509282e573ace8ed36c7f612f0fb');
    expect(
      findingFingerprint(
        '42',
        'delayguard',
        'payment_delay_drift',
        'FastPay Insurance',
        '',
        '2026-02-18',
        '2026-03-04',
      ),
    ).toBe('80655821ace4ddce135f3083949d7c83');
  });

  it('delta percent: 2 decimals, null on a zero baseline', () => {
    expect(deltaPercent(15, 21)).toBe(71.43);
    expect(deltaPercent(0.125, 0)).toBeNull();
  });
});
