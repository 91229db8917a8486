import { describe, expect, it } from 'vitest';
import { addDays } from './dates.ts';
import { delayConfidence, delaySeverity, delayUrgency, runDelayGuard } from './delayguard.ts';
import type { FindingDraft } from './findings.ts';
import { type ClaimLine, rollupsFromClaims } from './rollup-fixtures.ts';

const T = '2026-03-04';
const at = (offset: number) => addDays(T, -offset);
const settlementRows = (list: readonly ClaimLine[]) => rollupsFromClaims(list, 'settled');

/**
 * A claim SETTLED on `settled` — paid then when `paymentAfter` is given (the payment date,
 * `paymentAfter` days after submission), else decided then, `decidedAfter` days after submission.
 * DelayGuard's windows hold settlements since issue 9; the spec's examples keep their numbers
 * with their dates read as settlement dates.
 */
function claim(
  payer: string,
  settled: string,
  decidedAfter: number,
  outcome: 'PAID' | 'DENIED',
  allowed: string | null,
  paymentAfter: number | null = null,
): ClaimLine {
  const submitted = addDays(settled, -(paymentAfter ?? decidedAfter));
  return {
    payer,
    submitted_date: submitted,
    decided_date: addDays(submitted, decidedAfter),
    outcome,
    allowed_amount: allowed,
    payment_date: paymentAfter === null ? null : addDays(submitted, paymentAfter),
  };
}

function only(findings: FindingDraft[]): FindingDraft {
  expect(findings).toHaveLength(1);
  return findings[0] as FindingDraft;
}

/** n + n claims with constant pay days b (baseline) and c (current). */
function simple(n: number, b: number, c: number): ClaimLine[] {
  return [
    ...Array.from({ length: n }, (_, i) => claim('P', at(60 - (i % 10)), b, 'PAID', '100.00')),
    ...Array.from({ length: n }, (_, i) => claim('P', at(10 - (i % 5)), c, 'PAID', '100.00')),
  ];
}

describe('DelayGuard acceptance examples (analytics §14)', () => {
  it('A16 — critical payment delay', () => {
    const claims = [
      ...Array.from({ length: 15 }, (_, i) =>
        claim('FastPay Insurance', addDays(T, -65 + (i % 5)), 20 + (i % 3), 'PAID', '1000.00'),
      ),
      ...Array.from({ length: 15 }, (_, i) =>
        claim('FastPay Insurance', addDays(T, -10 + (i % 3)), 35 + (i % 3), 'PAID', '1000.00'),
      ),
    ];
    const r = runDelayGuard(settlementRows(claims), { customerId: 42, asOf: T });
    const f = only(r.findings);
    expect([f.baseline_value, f.current_value, f.delta_value]).toEqual([21, 36, 15]);
    expect(f.delta_percent).toBe(71.43);
    expect(f.details['delta_percent']).toBe(71.43);
    expect(f.details['current_completeness']).toBe(1);
    expect(f.confidence).toBe(0.825);
    expect(f.confidence_label).toBe('High');
    expect(f.severity).toBe(0.9);
    expect(f.severity_label).toBe('critical');
    expect(f.details['current_active_days']).toBe(3);
    expect(f.estimated_impact).toBe('75000.00');
    expect(f.impact_kind).toBe('dollars_at_risk');
    expect(f.direction).toBe('degrading');
    // Welch t on the days (issue 9): 20–22 vs 35–37 days, far beyond noise.
    expect(f.test).toBe('welch_t');
    expect(f.p_value).toBeLessThan(1e-10);
    expect(f.q_value).toBe(f.p_value);
    expect(f.summary_text).toBe(
      'FastPay Insurance payment latency increased from 21.0 to 36.0 days (+15.0 days, +71.4%)',
    );
    expect([f.current_start, f.current_end, f.baseline_start, f.baseline_end]).toEqual([
      '2026-02-18',
      '2026-03-04',
      '2025-12-20',
      '2026-02-18',
    ]);
    expect(f.fingerprint).toBe('80655821ace4ddce135f3083949d7c83');
    expect(r.summary).toMatchObject({
      payers_considered: 1,
      payers_evaluated: 1,
      tests: 1,
      held_back: 0,
      findings: 1,
      findings_by_severity_label: { critical: 1 },
      data_quality_warnings: [],
      emerging: [],
      mature_baselines: {},
      short_history_payers: [],
    });
  });

  it('A17 — payment dates replace decision days', () => {
    const claims = [
      ...Array.from({ length: 12 }, (_, i) => claim('SlowPay', at(40 + (i % 6)), 12, 'PAID', '250.00', 20)),
      ...Array.from({ length: 8 }, (_, i) => claim('SlowPay', at(5 + (i % 4)), 10, 'PAID', '250.00', 27)),
      ...Array.from({ length: 4 }, (_, i) => claim('SlowPay', at(5 + (i % 4)), 21, 'DENIED', '250.00')),
    ];
    const f = only(runDelayGuard(settlementRows(claims), { customerId: 42, asOf: T }).findings);
    expect([f.baseline_value, f.current_value, f.delta_value]).toEqual([20, 25, 5]);
    expect(f.delta_percent).toBe(25);
    expect(f.details['baseline_payment_date_share']).toBe(1);
    expect(f.details['current_payment_date_share']).toBeCloseTo(0.6667, 4);
    expect(f.confidence).toBe(0.72);
    expect(f.severity).toBe(0.5);
    expect(f.severity_label).toBe('medium');
    expect(f.estimated_impact).toBe('3750.00');
  });

  it('A18 — table edges', () => {
    // 12 + 12 claims, Δ = +12 → confidence 0.72 → not critical (needs 0.75) → high.
    const high = only(runDelayGuard(settlementRows(simple(12, 10, 22)), { customerId: 1, asOf: T }).findings);
    expect(high.confidence).toBe(0.72);
    expect(high.severity_label).toBe('high');
    expect(high.severity).toBe(0.75);
    // 20 + 20 claims, Δ = +1.5 → low and Δ < 2 → skipped.
    const halfDays = [
      ...Array.from({ length: 20 }, (_, i) => claim('P', at(60 - (i % 10)), 10, 'PAID', '100.00')),
      ...Array.from({ length: 20 }, (_, i) =>
        claim('P', at(10 - (i % 5)), i < 10 ? 11 : 12, 'PAID', '100.00'),
      ),
    ];
    const skipped = runDelayGuard(settlementRows(halfDays), { customerId: 1, asOf: T });
    expect(skipped.findings).toEqual([]);
    expect(skipped.summary.payers_evaluated).toBe(1);
    // 18 + 18 claims, Δ = +3 → confidence 0.93, low (0.25) and kept.
    const low = only(runDelayGuard(settlementRows(simple(18, 10, 13)), { customerId: 1, asOf: T }).findings);
    expect(low.confidence).toBe(0.93);
    expect(low.severity).toBe(0.25);
    expect(low.severity_label).toBe('low');
  });
});

describe('DelayGuard rules', () => {
  it('confidence and severity table', () => {
    expect(delayConfidence(15, 15, 1)).toBe(0.825);
    expect(delayConfidence(20, 20, 0.4)).toBe(0.85);
    expect(delaySeverity(10, 0.75)).toBe('critical');
    expect(delaySeverity(12, 0.72)).toBe('high');
    expect(delaySeverity(7, 0.64)).toBe('medium');
    expect(delaySeverity(4, 0.55)).toBe('medium');
    expect(delaySeverity(30, 0.5)).toBe('low');
  });

  it('delay urgency (§13.5)', () => {
    expect(delayUrgency('low', 15)).toEqual({ level: 5, label: 'URGENT' });
    expect(delayUrgency('critical', 2)).toEqual({ level: 5, label: 'URGENT' });
    expect(delayUrgency('low', 10)).toEqual({ level: 4, label: 'HIGH' });
    expect(delayUrgency('medium', 4)).toEqual({ level: 3, label: 'MEDIUM' });
    expect(delayUrgency('low', 3)).toEqual({ level: 2, label: 'LOW' });
    expect(delayUrgency('low', 2.5)).toEqual({ level: 1, label: 'INFO' });
  });

  it('skips speed-ups and samples under 10', () => {
    expect(runDelayGuard(settlementRows(simple(12, 20, 10)), { customerId: 1, asOf: T }).findings).toEqual(
      [],
    );
    const small = runDelayGuard(settlementRows(simple(9, 10, 30)), { customerId: 1, asOf: T });
    expect(small.findings).toEqual([]);
    expect(small.summary).toMatchObject({ payers_considered: 1, payers_evaluated: 0, tests: 0 });
    // 9 + 9 claims 20 days slower: watched, listed as emerging (needs more data).
    expect(small.summary.emerging).toMatchObject([
      { signal_type: 'payment_delay_drift', payer: 'P', reason: 'needs_more_data', delta_value: 20 },
    ]);
  });

  it('low current completeness → warning, no finding (guard against incomplete recent data)', () => {
    const rows = settlementRows(simple(12, 10, 30)).map((r) =>
      r.day >= at(14) ? { ...r, payment_days_hist: r.day >= at(7) ? {} : r.payment_days_hist } : r,
    );
    const result = runDelayGuard(rows, { customerId: 1, asOf: T });
    expect(result.findings).toEqual([]);
    expect(result.summary.data_quality_warnings).toEqual([
      { payer: 'P', message: 'Low date completeness (60.0%)' },
    ]);
  });
});

describe('DelayGuard significance (issue 9)', () => {
  /** `n` claims per window with pay days cycling through `days` (baseline) and `daysC` (current). */
  function spread(n: number, days: readonly number[], daysC: readonly number[]): ClaimLine[] {
    return [
      ...Array.from({ length: n }, (_, i) =>
        claim('P', at(60 - (i % 30)), days[i % days.length] as number, 'PAID', '100.00'),
      ),
      ...Array.from({ length: n }, (_, i) =>
        claim('P', at(1 + (i % 13)), daysC[i % daysC.length] as number, 'PAID', '100.00'),
      ),
    ];
  }

  it('a noisy +4 days on 12 claims is not significant: held back in strict, a finding in reference', () => {
    // Baseline 5…35 days, current 9…39 days: Δ = +4 but the spread is ±10 days.
    const base = [5, 15, 25, 35];
    const cur = [9, 19, 29, 39];
    const rows = settlementRows(spread(12, base, cur));
    const strict = runDelayGuard(rows, { customerId: 1, asOf: T });
    expect(strict.findings).toEqual([]);
    expect(strict.summary).toMatchObject({ tests: 1, held_back: 1 });
    const reference = runDelayGuard(rows, { customerId: 1, asOf: T, sensitivity: 'reference' });
    expect(only(reference.findings).delta_value).toBe(4);
    expect(reference.parameters['sensitivity']).toBe('reference');
  });

  it('the same +4 days on 200 claims per window is found', () => {
    const f = only(
      runDelayGuard(settlementRows(spread(200, [5, 15, 25, 35], [9, 19, 29, 39])), { customerId: 1, asOf: T })
        .findings,
    );
    expect(f.delta_value).toBe(4);
    expect(f.q_value).toBeLessThan(0.05);
    expect(f.severity_label).toBe('medium');
  });
});

describe('DelayGuard: payments not made yet are pending (issue 9)', () => {
  it('a payer whose PAID claims carry payment dates: PAID claims without one are left out of both windows', () => {
    const claims = [
      // Baseline: 20 PAID claims paid 20 days after submission (decided after 12).
      ...Array.from({ length: 20 }, (_, i) => claim('SlowPay', at(40 + (i % 10)), 12, 'PAID', '100.00', 20)),
      // Current: 12 paid after 25 days, and 30 decided after 10 days whose payment is still due.
      ...Array.from({ length: 12 }, (_, i) => claim('SlowPay', at(2 + (i % 6)), 12, 'PAID', '100.00', 25)),
      ...Array.from({ length: 30 }, (_, i) => claim('SlowPay', at(1 + (i % 10)), 10, 'PAID', '100.00')),
    ];
    const f = only(runDelayGuard(settlementRows(claims), { customerId: 1, asOf: T }).findings);
    // Counted at their decision days the 30 would make the mean (12·25 + 30·10)/42 = 14.3: "faster".
    expect([f.baseline_value, f.current_value, f.delta_value]).toEqual([20, 25, 5]);
    expect(f.current_count).toBe(12);
  });

  it('a payer without payment dates keeps every claim at its decision day (the fallback of §2)', () => {
    const claims = [
      ...Array.from({ length: 20 }, (_, i) => claim('NoDates', at(40 + (i % 10)), 10, 'PAID', '100.00')),
      ...Array.from({ length: 20 }, (_, i) => claim('NoDates', at(1 + (i % 10)), 16, 'PAID', '100.00')),
    ];
    const f = only(runDelayGuard(settlementRows(claims), { customerId: 1, asOf: T }).findings);
    expect([f.baseline_value, f.current_value, f.current_count]).toEqual([10, 16, 20]);
  });
});
