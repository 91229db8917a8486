import { describe, expect, it } from 'vitest';
import {
  capNumericSeverity,
  capSeverityLevel,
  deltaPercent,
  emergingKey,
  emergingRunCounts,
  findingFingerprint,
  finishEmerging,
  gateTests,
  maxSeverityForConfidence,
} from './findings.ts';

describe('findings helpers', () => {
  it('A6 — BH + strict gating: keeps the first two, holds back p = 0.04 (q = 0.0533)', () => {
    const tests = [0.001, 0.02, 0.04, 0.3].map((p, i) => ({
      pValue: p,
      thresholdMet: true,
      family: 'DENIAL_RATE' as const,
      payload: i,
    }));
    const strict = gateTests(tests, 'strict', 0.05);
    expect(strict.map((t) => Number(t.qValue?.toFixed(4)))).toEqual([0.004, 0.04, 0.0533, 0.3]);
    expect(strict.map((t) => t.accepted)).toEqual([true, true, false, false]);
    expect(strict[2]?.heldBack).toBe(true);
    const reference = gateTests(tests, 'reference', 0.05);
    expect(reference.every((t) => t.accepted && !t.heldBack)).toBe(true);
  });

  it('a test below threshold is neither a finding nor held back', () => {
    const [t] = gateTests(
      [{ pValue: 1e-10, thresholdMet: false, family: 'DENIAL_RATE', payload: null }],
      'strict',
      0.05,
    );
    expect(t?.accepted).toBe(false);
    expect(t?.heldBack).toBe(false);
  });

  it('BH runs per signal family: a family of one keeps q = p whatever the other families hold', () => {
    const gated = gateTests(
      [
        { pValue: 0.02, thresholdMet: true, family: 'DENIAL_RATE', payload: 'rate' },
        { pValue: 0.5, thresholdMet: false, family: 'DECISION_TIME', payload: 't1' },
        { pValue: 0.6, thresholdMet: false, family: 'DECISION_TIME', payload: 't2' },
      ],
      'strict',
      0.05,
    );
    expect(gated.map((t) => t.qValue)).toEqual([0.02, 0.6, 0.6]);
    expect(gated[0]?.accepted).toBe(true);
  });

  it('a test that cannot fire (minimum attainable p above fdr_q) is not counted and has no q', () => {
    const gated = gateTests(
      [
        { pValue: 0.01, thresholdMet: true, family: 'DENIAL_RATE', payload: 'a' },
        { pValue: 0.3, thresholdMet: false, family: 'DENIAL_RATE', minimumP: 0.2, payload: 'b' },
      ],
      'strict',
      0.05,
    );
    expect(gated.map((t) => [t.counted, t.qValue])).toEqual([
      [true, 0.01],
      [false, null],
    ]);
  });

  it('minimum evidence: a significant candidate below it is emerging (needs more data), not a finding', () => {
    const [strict] = gateTests(
      [{ pValue: 1e-6, thresholdMet: true, family: 'denial_rate_spike', evidenceMet: false, payload: 0 }],
      'strict',
      0.05,
    );
    expect(strict).toMatchObject({
      accepted: false,
      heldBack: false,
      counted: true,
      emerging: 'needs_more_data',
    });
    const [reference] = gateTests(
      [{ pValue: 1e-6, thresholdMet: true, family: 'denial_rate_spike', evidenceMet: false, payload: 0 }],
      'reference',
      0.05,
    );
    expect(reference?.accepted).toBe(false);
  });

  it('emerging: held back with nominal evidence (p ≤ 0.05) is not_significant; p > 0.05 is not listed', () => {
    const gated = gateTests(
      [0.001, 0.002, 0.003, 0.03, 0.2].map((p, i) => ({
        pValue: p,
        thresholdMet: true,
        family: 'DENIAL_RATE' as const,
        payload: i,
      })),
      'strict',
      0.05,
    );
    // q = 0.005, 0.005, 0.005, 0.0375, 0.2
    expect(gated.map((t) => t.emerging)).toEqual([null, null, null, null, null]);
    const weak = gateTests(
      [0.03, 0.04, 0.2, 0.5, 0.9].map((p, i) => ({
        pValue: p,
        thresholdMet: true,
        family: 'DENIAL_RATE' as const,
        payload: i,
      })),
      'strict',
      0.05,
    );
    expect(weak.map((t) => t.emerging)).toEqual(['not_significant', 'not_significant', null, null, null]);
    expect(weak.filter((t) => t.heldBack)).toHaveLength(5);
  });

  it('emerging lists count consecutive runs from the previous run', () => {
    const draft = {
      signal_type: 'DENIAL_RATE' as const,
      payer: 'Aetna',
      subkey: 'E&M',
      reason: 'not_significant' as const,
      direction: 'degrading' as const,
      baseline_value: 0.1,
      current_value: 0.16,
      delta_value: 0.06,
      unit: 'rate' as const,
      baseline_count: 900,
      current_count: 140,
      p_value: 0.01,
      q_value: 0.08,
    };
    const first = finishEmerging([draft]);
    expect(first[0]?.consecutive_runs).toBe(1);
    const second = finishEmerging([draft], new Map([[emergingKey(first[0]!), first[0]!.consecutive_runs]]));
    expect(second[0]?.consecutive_runs).toBe(2);
    // Read back from a stored summary (JSON round trip), as the next run does.
    const stored = JSON.parse(JSON.stringify({ emerging: second }));
    expect(finishEmerging([draft], emergingRunCounts(stored))[0]?.consecutive_runs).toBe(3);
    // Older runs without the list, and malformed entries, continue nothing.
    expect(emergingRunCounts({}).size).toBe(0);
    expect(emergingRunCounts({ emerging: [{ payer: 'Aetna' }, 'x', null] }).size).toBe(0);
  });

  it('severity is capped by confidence: Critical needs High confidence, High needs Medium', () => {
    expect(maxSeverityForConfidence(0.8333)).toBe('critical');
    expect(maxSeverityForConfidence(0.75)).toBe('critical');
    expect(maxSeverityForConfidence(0.6667)).toBe('high');
    expect(maxSeverityForConfidence(0.5)).toBe('medium');
    expect(capNumericSeverity(1, 0.6667)).toBe(0.89);
    expect(capNumericSeverity(1, 0.3)).toBe(0.69);
    expect(capNumericSeverity(0.4, 0.3)).toBe(0.4);
    expect(capSeverityLevel('critical', 0.05)).toBe('medium');
    expect(capSeverityLevel('critical', 0.7)).toBe('high');
    expect(capSeverityLevel('low', 0.05)).toBe('low');
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
