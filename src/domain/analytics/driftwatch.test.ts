import { describe, expect, it } from 'vitest';
import { addDays } from './dates.ts';
import { runDriftWatch } from './driftwatch.ts';
import type { FindingDraft } from './findings.ts';
import { type ClaimLine, rollupsFromClaims } from './rollup-fixtures.ts';
import type { Outcome } from './rollups.ts';

const T = '2026-03-02';

/**
 * Claims of an example. Since issue 9 the windows hold the claims DECIDED in them, so `day` is the
 * decision date and the claim was submitted `decidedAfter` days earlier (the spec's examples keep
 * their numbers; docs/DECISIONS.md lists the restatement).
 */
interface Spec {
  payer: string;
  group: string;
  n: number;
  /** Decision date of claim i. */
  day: (i: number) => string;
  decidedAfter: (i: number) => number;
  outcome: (i: number) => Outcome;
  allowed?: string | null;
  paid?: (i: number) => string | null;
}

function makeClaims(s: Spec): ClaimLine[] {
  return Array.from({ length: s.n }, (_, i) => ({
    payer: s.payer,
    cpt_group: s.group,
    submitted_date: addDays(s.day(i), -s.decidedAfter(i)),
    decided_date: s.day(i),
    outcome: s.outcome(i),
    allowed_amount: s.allowed ?? null,
    paid_amount: s.paid ? s.paid(i) : null,
  }));
}

const decisionRows = (claims: readonly ClaimLine[]) => rollupsFromClaims(claims, 'decided');

const base = (offset: number) => addDays(T, -104 + offset);
const cur = (offset: number) => addDays(T, -14 + offset);

function only(findings: FindingDraft[]): FindingDraft {
  expect(findings).toHaveLength(1);
  return findings[0] as FindingDraft;
}

function a1Claims(): ClaimLine[] {
  return [
    ...makeClaims({
      payer: 'UnitedHealthcare',
      group: 'EVAL',
      n: 50,
      day: (i) => base(i % 30),
      decidedAfter: () => 5,
      outcome: (i) => (i < 10 ? 'DENIED' : 'PAID'),
      allowed: '200.00',
    }),
    ...makeClaims({
      payer: 'UnitedHealthcare',
      group: 'EVAL',
      n: 50,
      day: (i) => cur(i % 10),
      decidedAfter: () => 5,
      outcome: (i) => (i < 30 ? 'DENIED' : 'PAID'),
      allowed: '200.00',
    }),
  ];
}

describe('DriftWatch acceptance examples (analytics §14)', () => {
  it('A1 — denial rate up', () => {
    const r = runDriftWatch(decisionRows(a1Claims()), { customerId: 42, asOf: T });
    const f = only(r.findings);
    expect(f.signal_type).toBe('DENIAL_RATE');
    expect(f.baseline_value).toBe(0.2);
    expect(f.current_value).toBe(0.6);
    expect(f.delta_value).toBeCloseTo(0.4, 12);
    expect(f.p_value).toBeCloseTo(4.456e-5, 8);
    // One family per signal: DENIAL_RATE has m = 1 (DECISION_TIME, all values 5, cannot fire).
    expect(f.q_value).toBe(f.p_value);
    expect(f.severity).toBe(0.8);
    expect(f.severity_label).toBe('high');
    expect(f.confidence).toBe(0.8333);
    expect(f.confidence_label).toBe('High');
    expect(f.direction).toBe('degrading');
    expect(f.estimated_impact).toBe('2000.00');
    expect(f.impact_kind).toBe('weekly_revenue');
    expect(f.unit).toBe('rate');
    expect(f.delta_percent).toBe(200);
    expect(f.baseline_count).toBe(50);
    expect(f.current_count).toBe(50);
    expect(f.test).toBe('z_two_proportion');
    expect([f.baseline_start, f.baseline_end, f.current_start, f.current_end]).toEqual([
      '2025-11-18',
      '2026-02-16',
      '2026-02-16',
      '2026-03-02',
    ]);
    expect(f.fingerprint).toBe('db6d509282e573ace8ed36c7f612f0fb');
    expect(f.summary_text).toBe(
      'Denial rate for UnitedHealthcare (EVAL) moved from 20.0% to 60.0% (+40.0 pts).',
    );
    expect(f.details['likely_causes']).toEqual([
      { cause: 'payer policy change', likelihood: 0.7 },
      { cause: 'coding issues', likelihood: 0.5 },
      { cause: 'documentation deficiency', likelihood: 0.4 },
    ]);
    expect(r.summary).toMatchObject({
      groups_considered: 1,
      groups_evaluated: 1,
      tests: 1,
      tests_by_signal: { DENIAL_RATE: 1 },
      held_back: 0,
      findings: 1,
      findings_by_signal: { DENIAL_RATE: 1 },
      findings_by_direction: { degrading: 1 },
      findings_by_severity_label: { high: 1 },
      new_fingerprints: 1,
      emerging: [],
      mature_baselines: {},
      short_history_payers: [],
    });
    // DECISION_TIME: all values 5 → σ = 0, p = 1; it can never fire, so it is not counted in
    // its family (q null) but still listed in tests_detail.
    expect(r.summary.tests_detail).toEqual([
      {
        signal_type: 'DECISION_TIME',
        payer: 'UnitedHealthcare',
        subkey: 'EVAL',
        test: 'mann_whitney_u',
        p_value: 1,
        q_value: null,
        threshold_met: false,
        held_back: false,
      },
    ]);
    expect(r.parameters).toEqual({
      baseline_days: 90,
      current_days: 14,
      min_volume: 30,
      watch_volume: 10,
      timeline: 'decided',
      fdr_family: 'signal',
      sensitivity: 'strict',
      fdr_q: 0.05,
    });
  });

  it('A19 — a re-run of the same as_of yields the same fingerprint; known fingerprints are not new', () => {
    const rows = decisionRows(a1Claims());
    const first = runDriftWatch(rows, { customerId: '42', asOf: T });
    const again = runDriftWatch(rows, {
      customerId: '42',
      asOf: T,
      existingFingerprints: new Set(first.findings.map((f) => f.fingerprint)),
    });
    expect(again.findings.map((f) => f.fingerprint)).toEqual(first.findings.map((f) => f.fingerprint));
    expect(again.summary.new_fingerprints).toBe(0);
  });

  it('A2 — decision time up', () => {
    const claims = [
      ...makeClaims({
        payer: 'Aetna',
        group: 'SURG',
        n: 40,
        day: (i) => base(i % 20),
        decidedAfter: () => 5,
        outcome: () => 'PAID',
      }),
      ...makeClaims({
        payer: 'Aetna',
        group: 'SURG',
        n: 40,
        day: (i) => cur(i % 10),
        decidedAfter: () => 15,
        outcome: () => 'PAID',
      }),
    ];
    const r = runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T });
    const f = only(r.findings);
    expect(f.signal_type).toBe('DECISION_TIME');
    expect([f.baseline_value, f.current_value, f.delta_value]).toEqual([5, 15, 10]);
    expect(f.unit).toBe('days');
    expect(f.p_value).toBe(1e-16);
    expect(f.q_value).toBe(1e-16);
    // Severity 1.00 is capped to High at Medium confidence (Critical needs High confidence).
    expect(f.severity).toBe(0.89);
    expect(f.severity_label).toBe('high');
    expect(f.details['uncapped_severity']).toBe(1);
    expect(f.confidence).toBe(0.6667);
    expect(f.confidence_label).toBe('Medium');
    expect(f.estimated_impact).toBeNull();
    expect(f.test).toBe('mann_whitney_u');
    expect(f.summary_text).toBe(
      'Median decision time for Aetna (SURG) moved from 5.0 to 15.0 days (+10.0 days).',
    );
    const rate = r.summary.tests_detail.find((t) => t.signal_type === 'DENIAL_RATE');
    expect(rate?.p_value).toBe(1); // 0 → 0, se = 0
  });

  it('A3 — below minimum volume', () => {
    const claims = [
      ...makeClaims({
        payer: 'Cigna',
        group: 'RAD',
        n: 20,
        day: (i) => base(i),
        decidedAfter: () => 5,
        outcome: () => 'PAID',
      }),
      ...makeClaims({
        payer: 'Cigna',
        group: 'RAD',
        n: 40,
        day: (i) => cur(i % 10),
        decidedAfter: () => 10,
        outcome: () => 'DENIED',
      }),
    ];
    const r = runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T });
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ groups_considered: 1, groups_evaluated: 0, tests: 0, findings: 0 });
    // 20 and 40 claims: below min_volume, above watch_volume — listed as emerging, needs more data.
    expect(r.summary.emerging.map((e) => [e.signal_type, e.reason, e.direction, e.consecutive_runs])).toEqual(
      [
        ['DENIAL_RATE', 'needs_more_data', 'degrading', 1],
        ['DECISION_TIME', 'needs_more_data', 'degrading', 1],
      ],
    );
    expect(r.summary.emerging[0]).toMatchObject({ baseline_value: 0, current_value: 1, q_value: null });
    expect(r.summary.tests_detail).toEqual([]);
  });

  it('A4 — zero baseline rate', () => {
    const claims = [
      ...makeClaims({
        payer: 'BlueCross',
        group: 'PATH',
        n: 40,
        day: (i) => base(i),
        decidedAfter: () => 5,
        outcome: () => 'PAID',
      }),
      ...makeClaims({
        payer: 'BlueCross',
        group: 'PATH',
        n: 40,
        day: (i) => cur(i % 14),
        decidedAfter: () => 5,
        outcome: (i) => (i < 5 ? 'DENIED' : 'PAID'),
      }),
    ];
    const f = only(runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T }).findings);
    expect(f.delta_value).toBe(0.125);
    expect(f.p_value).toBeCloseTo(0.020921, 6);
    expect(f.q_value).toBe(f.p_value); // m = 1 in the DENIAL_RATE family
    expect(f.severity).toBe(0.25);
    expect(f.severity_label).toBe('low');
    expect(f.confidence).toBe(0.6667);
    expect(f.delta_percent).toBeNull();
    expect(f.estimated_impact).toBeNull(); // no allowed amounts
  });

  function a5Claims(): ClaimLine[] {
    return [
      ...makeClaims({
        payer: 'Humana',
        group: 'RAD',
        n: 30,
        day: (i) => base(i),
        decidedAfter: () => 4,
        outcome: (i) => (i < 3 ? 'DENIED' : 'PAID'),
      }),
      ...makeClaims({
        payer: 'Humana',
        group: 'RAD',
        n: 30,
        day: (i) => cur(i % 14),
        decidedAfter: () => 4,
        outcome: (i) => (i < 6 ? 'DENIED' : 'PAID'),
      }),
    ];
  }

  it('A5 — strict holds back what reference reports', () => {
    const rows = decisionRows(a5Claims());
    const strict = runDriftWatch(rows, { customerId: 42, asOf: T, sensitivity: 'strict' });
    expect(strict.findings).toEqual([]);
    expect(strict.summary.held_back).toBe(1);
    const held = strict.summary.tests_detail.find((t) => t.held_back);
    expect(held?.p_value).toBeCloseTo(0.27808, 5);
    expect(held?.q_value).toBeCloseTo(0.27808, 5);
    // p = 0.28 is no evidence at all: not even emerging.
    expect(strict.summary.emerging).toEqual([]);

    const reference = runDriftWatch(rows, { customerId: 42, asOf: T, sensitivity: 'reference' });
    const f = only(reference.findings);
    expect(f.delta_value).toBeCloseTo(0.1, 12);
    expect(f.severity).toBe(0.2);
    expect(f.confidence).toBe(0.5);
    expect(f.p_value).toBeCloseTo(0.27808, 5);
    expect(f.q_value).toBeCloseTo(0.27808, 5);
    expect(reference.summary.held_back).toBe(0);
    expect(reference.parameters['sensitivity']).toBe('reference');
  });

  it('A7 — Mann-Whitney with ties', () => {
    const values = (spec: [number, number][]) => spec.flatMap(([v, c]) => Array<number>(c).fill(v));
    const b = values([
      [3, 5],
      [4, 8],
      [5, 9],
      [6, 5],
      [8, 3],
    ]);
    const c = values([
      [5, 4],
      [7, 6],
      [9, 8],
      [10, 6],
      [12, 6],
    ]);
    const claims = [
      ...makeClaims({
        payer: 'Cigna',
        group: 'E&M',
        n: 30,
        day: (i) => base(i),
        decidedAfter: (i) => b[i] as number,
        outcome: () => 'PAID',
      }),
      ...makeClaims({
        payer: 'Cigna',
        group: 'E&M',
        n: 30,
        day: (i) => cur(i % 14),
        decidedAfter: (i) => c[i] as number,
        outcome: () => 'PAID',
      }),
    ];
    const f = only(runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T }).findings);
    expect(f.signal_type).toBe('DECISION_TIME');
    expect([f.baseline_value, f.current_value, f.delta_value]).toEqual([5, 9, 4]);
    expect(f.p_value).toBeCloseTo(1.238e-8, 11);
    expect(f.q_value).toBe(f.p_value); // DENIAL_RATE 0/30 vs 0/30 cannot fire: m = 1
    expect(f.severity).toBe(0.4);
    expect(f.severity_label).toBe('medium');
    expect(f.confidence).toBe(0.5);
    expect(f.confidence_label).toBe('Low');
  });

  it('A8 — underpayment', () => {
    const claims = [
      ...makeClaims({
        payer: 'Aetna',
        group: 'IMAGING',
        n: 40,
        day: (i) => base(i),
        decidedAfter: () => 7,
        outcome: () => 'PAID',
        allowed: '100.00',
        paid: (i) => (i < 20 ? '100.00' : '90.00'),
      }),
      ...makeClaims({
        payer: 'Aetna',
        group: 'IMAGING',
        n: 40,
        day: (i) => cur(i % 14),
        decidedAfter: () => 7,
        outcome: () => 'PAID',
        allowed: '100.00',
        paid: (i) => (i < 20 ? '80.00' : '90.00'),
      }),
    ];
    const r = runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T });
    // Rate (0 denials) and time (all 7 days) cannot fire: only the Welch test is counted.
    expect(r.summary.tests).toBe(1);
    expect(r.summary.tests_by_signal).toEqual({ PAYMENT_AMOUNT: 1 });
    const f = only(r.findings);
    expect(f.signal_type).toBe('PAYMENT_AMOUNT');
    expect(f.baseline_value).toBeCloseTo(0.05, 12);
    expect(f.current_value).toBeCloseTo(0.15, 12);
    expect(f.delta_value).toBeCloseTo(0.1, 12);
    expect(f.p_value).toBeCloseTo(1.14e-13, 15);
    expect(f.q_value).toBe(f.p_value);
    expect(f.severity).toBe(0.75);
    expect(f.severity_label).toBe('high');
    expect(f.confidence).toBe(0.6667);
    expect(f.estimated_impact).toBe('200.00');
    expect(f.direction).toBe('degrading');
    expect(f.unit).toBe('rate');
    expect(f.test).toBe('welch_t');
    expect(f.details['likely_causes']).toEqual([
      { cause: 'contract not honoured', likelihood: 0.8 },
      { cause: 'reimbursement rate reduction', likelihood: 0.6 },
      { cause: 'modifier bundling', likelihood: 0.5 },
    ]);
    expect(f.summary_text).toBe(
      'Average underpayment for Aetna (IMAGING) rose from 5.0% to 15.0% of allowed (+10.0 pts).',
    );
  });

  it('A9 — improvement', () => {
    const claims = [
      ...makeClaims({
        payer: 'Medicare',
        group: 'E&M',
        n: 100,
        day: (i) => base(i % 90),
        decidedAfter: () => 6,
        outcome: (i) => (i < 30 ? 'DENIED' : 'PAID'),
        allowed: '120.00',
      }),
      ...makeClaims({
        payer: 'Medicare',
        group: 'E&M',
        n: 100,
        day: (i) => cur(i % 14),
        decidedAfter: () => 6,
        outcome: (i) => (i < 15 ? 'DENIED' : 'PAID'),
        allowed: '120.00',
      }),
    ];
    const f = only(runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T }).findings);
    expect(f.delta_value).toBeCloseTo(-0.15, 12);
    expect(f.p_value).toBeCloseTo(0.011085, 6);
    expect(f.q_value).toBe(f.p_value);
    expect(f.direction).toBe('improving');
    expect(f.severity).toBe(0.3);
    expect(f.confidence).toBe(1);
    expect(f.estimated_impact).toBe('-900.00');
    expect(f.summary_text).toBe('Denial rate for Medicare (E&M) moved from 30.0% to 15.0% (-15.0 pts).');
  });

  it('A10 — floating-point boundaries', () => {
    const rates = (bDenied: number, cDenied: number, sensitivity: 'reference' | 'strict' = 'reference') =>
      runDriftWatch(
        decisionRows([
          ...makeClaims({
            payer: 'P',
            group: 'G',
            n: 100,
            day: (i) => base(i % 90),
            decidedAfter: () => 3,
            outcome: (i) => (i < bDenied ? 'DENIED' : 'PAID'),
          }),
          ...makeClaims({
            payer: 'P',
            group: 'G',
            n: 100,
            day: (i) => cur(i % 14),
            decidedAfter: () => 3,
            outcome: (i) => (i < cDenied ? 'DENIED' : 'PAID'),
          }),
        ]),
        { customerId: 42, asOf: T, sensitivity },
      );
    // 10/100 → 15/100: Δ = 0.04999999999999999 meets 0.05 thanks to the tolerance.
    const small = only(rates(10, 15).findings);
    expect(small.delta_value).toBe(0.04999999999999999);
    expect(small.severity).toBe(0.1);
    // 0.15 → 0.60: raw severity 0.8999999999999999 rounds to 0.9 → Critical.
    const big = only(rates(15, 60).findings);
    expect(big.delta_value).toBe(0.44999999999999996);
    expect(big.severity).toBe(0.9);
    expect(big.severity_label).toBe('critical');
  });
});

describe('DriftWatch emerging underpayment on a thin paid population (issue 9)', () => {
  it('an eligible group with 10–29 paid claims per window lists underpayment as "needs more data"', () => {
    const claims = [
      ...makeClaims({
        payer: 'Aetna',
        group: 'IMAGING',
        n: 40,
        day: (i) => base(i),
        decidedAfter: () => 7,
        outcome: (i) => (i < 20 ? 'PAID' : 'DENIED'),
        allowed: '100.00',
        paid: (i) => (i < 20 ? (i < 10 ? '100.00' : '90.00') : '0.00'),
      }),
      ...makeClaims({
        payer: 'Aetna',
        group: 'IMAGING',
        n: 40,
        day: (i) => cur(i % 14),
        decidedAfter: () => 7,
        outcome: (i) => (i < 20 ? 'PAID' : 'DENIED'),
        allowed: '100.00',
        paid: (i) => (i < 20 ? (i < 10 ? '80.00' : '70.00') : '0.00'),
      }),
    ];
    const r = runDriftWatch(decisionRows(claims), { customerId: 42, asOf: T });
    expect(r.findings).toEqual([]);
    expect(r.summary.tests_by_signal['PAYMENT_AMOUNT']).toBeUndefined();
    expect(r.summary.emerging).toMatchObject([
      { signal_type: 'PAYMENT_AMOUNT', reason: 'needs_more_data', baseline_count: 20, current_count: 20 },
    ]);
  });
});
