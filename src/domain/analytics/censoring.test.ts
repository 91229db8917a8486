/**
 * Right-censoring (issue 9, item 1): claims appear in the data only once decided, so a window of
 * SUBMISSIONS that ends at as_of is missing every claim still pending. The detectors read windows
 * of DECISIONS instead (`claim_decision_rollups`, day = decided_date): every decision made before
 * as_of is in the data, whatever is still pending. These tests show the bias on the submission
 * timeline with hand-computed examples, its absence on the decision timeline, a stationary
 * history with realistic pending claims producing no time findings, and a real slowdown found.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../synthetic/prng.ts';
import { addDays, type HistoryCoverage } from './dates.ts';
import { runDelayGuard } from './delayguard.ts';
import { runDriftWatch } from './driftwatch.ts';
import { type ClaimLine, rollupsFromClaims } from './rollup-fixtures.ts';

const T = '2026-03-02';

/** Claims submitted on every day of `[from, T)`, kept only when decided before `T` (as an export at T). */
function export_(claims: ClaimLine[]): ClaimLine[] {
  return claims
    .filter((c) => c.decided_date < T)
    .map((c) => (c.payment_date && c.payment_date >= T ? { ...c, payment_date: null } : c));
}

function daily(
  fromOffset: number,
  perDay: readonly { lag: number; outcome: 'PAID' | 'DENIED' }[],
  payer = 'Aetna',
  group = 'E&M',
): ClaimLine[] {
  const claims: ClaimLine[] = [];
  for (let offset = fromOffset; offset >= 1; offset--) {
    const submitted = addDays(T, -offset);
    for (const { lag, outcome } of perDay) {
      claims.push({
        payer,
        cpt_group: group,
        submitted_date: submitted,
        decided_date: addDays(submitted, lag),
        outcome,
        allowed_amount: '100.00',
        paid_amount: outcome === 'PAID' ? '100.00' : '0.00',
      });
    }
  }
  return claims;
}

describe('hand-computed: the submission timeline is biased, the decision timeline is not', () => {
  it('decision time: half the claims take 5 days, half 12 — nothing changes', () => {
    // Every day since T−160: two claims decided after 5 days, two after 12, all PAID.
    const claims = export_(
      daily(160, [
        { lag: 5, outcome: 'PAID' },
        { lag: 5, outcome: 'PAID' },
        { lag: 12, outcome: 'PAID' },
        { lag: 12, outcome: 'PAID' },
      ]),
    );
    // Submission windows: the baseline [T−104, T−14) is complete (12 < 14) with median
    // (5 + 12)/2 = 8.5; the current window [T−14, T) holds the 5-day claims submitted T−14…T−6
    // (18) but the 12-day ones only from T−14…T−13 (4): median 5, a false "−3.5 days, faster".
    const bySubmission = runDriftWatch(rollupsFromClaims(claims, 'submitted'), { customerId: 1, asOf: T });
    expect(bySubmission.findings).toHaveLength(0); // 22 claims: below min_volume …
    const faster = bySubmission.summary.emerging.find((e) => e.signal_type === 'DECISION_TIME');
    expect(faster).toMatchObject({
      baseline_value: 8.5,
      current_value: 5,
      current_count: 22,
      direction: 'improving',
    });

    // Decision windows: [T−14, T) holds the 5-day claims submitted T−19…T−6 and the 12-day claims
    // submitted T−26…T−13: 28 + 28 claims, median 8.5, exactly as the baseline's 180 + 180.
    // U = μ → p = 1.
    const byDecision = runDriftWatch(rollupsFromClaims(claims, 'decided'), { customerId: 1, asOf: T });
    expect(byDecision.findings).toEqual([]);
    expect(byDecision.summary.emerging).toEqual([]);
    const time = byDecision.summary.tests_detail.find((t) => t.signal_type === 'DECISION_TIME');
    expect(time?.p_value).toBe(1);
  });

  it('denial rate: denials decided in 3 days, payments in 20 — the rate stays 1 in 10', () => {
    // Per day: 1 DENIED after 3 days and 9 PAID after 20 days.
    const perDay = [
      { lag: 3, outcome: 'DENIED' as const },
      ...Array.from({ length: 9 }, () => ({ lag: 20, outcome: 'PAID' as const })),
    ];
    const claims = export_(daily(160, perDay));
    // Submission windows: the current window holds 11 denials (submitted T−14…T−4) and no payment
    // at all (20 > 14): a 100 % denial rate.
    const bySubmission = rollupsFromClaims(claims, 'submitted').filter((r) => r.day >= addDays(T, -14));
    const deniedSub = bySubmission
      .filter((r) => r.outcome === 'DENIED')
      .reduce((n, r) => n + r.claim_count, 0);
    const allSub = bySubmission.reduce((n, r) => n + r.claim_count, 0);
    expect([deniedSub, allSub]).toEqual([11, 11]);

    // Decision windows: every day of [T−14, T) has 1 denial and 9 payments decided → 14/140.
    const byDecision = runDriftWatch(rollupsFromClaims(claims, 'decided'), { customerId: 1, asOf: T });
    expect(byDecision.findings).toEqual([]);
    const rate = byDecision.summary.tests_detail.find((t) => t.signal_type === 'DENIAL_RATE');
    expect(rate).toMatchObject({ p_value: 1, threshold_met: false });
  });
});

/** Log-normal whole days ≥ 1 with the given median and σ (Box–Muller on mulberry32). */
function lagSampler(seed: number) {
  const rnd = mulberry32(seed);
  return (median: number, sigma: number): number => {
    const u = 1 - rnd();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
    return Math.max(1, Math.round(median * Math.exp(sigma * z)));
  };
}

interface HistoryOptions {
  seed: number;
  /** First submission day, as days before T. */
  fromOffset?: number;
  perDay?: number;
  medianPaid?: number;
  medianDenied?: number;
  sigma?: number;
  /** Decisions that would happen on/after `T − slowdownOffset` happen `slowdownDays` later. */
  slowdownOffset?: number;
  slowdownDays?: number;
  slowPayers?: readonly string[];
}

const PAYERS = ['Aetna', 'Cigna', 'Humana', 'Medicare', 'UnitedHealthcare'];
const GROUPS = ['E&M', 'RAD', 'SURG', 'LAB'];

/**
 * A realistic stationary history as an export at T: 5 payers × 4 groups, 12 claims per cell and
 * day, ~10 % denied, decisions log-normal (PAID median 14 days, DENIED 9, σ 0.5), payments 0–5
 * days after a PAID decision; claims not decided before T are not in the data, payment dates on
 * or after T are not known yet.
 */
function history(o: HistoryOptions): ClaimLine[] {
  const rnd = mulberry32(o.seed * 7919);
  const lag = lagSampler(o.seed);
  const claims: ClaimLine[] = [];
  for (const payer of PAYERS) {
    for (const group of GROUPS) {
      for (let offset = o.fromOffset ?? 200; offset >= 1; offset--) {
        const submitted = addDays(T, -offset);
        for (let k = 0; k < (o.perDay ?? 12); k++) {
          const denied = rnd() < 0.1;
          let days = denied
            ? lag(o.medianDenied ?? 9, o.sigma ?? 0.5)
            : lag(o.medianPaid ?? 14, o.sigma ?? 0.5);
          const slow = o.slowdownOffset !== undefined && (o.slowPayers ?? PAYERS).includes(payer);
          if (slow && addDays(submitted, days) >= addDays(T, -(o.slowdownOffset as number))) {
            days += o.slowdownDays ?? 5;
          }
          const decided = addDays(submitted, days);
          claims.push({
            payer,
            cpt_group: group,
            submitted_date: submitted,
            decided_date: decided,
            outcome: denied ? 'DENIED' : 'PAID',
            allowed_amount: '150.00',
            paid_amount: denied ? '0.00' : '150.00',
            payment_date: denied ? null : addDays(decided, Math.floor(rnd() * 6)),
          });
        }
      }
    }
  }
  return export_(claims);
}

describe('stationary histories with pending claims produce no time findings', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: DriftWatch has no DECISION_TIME finding, DelayGuard no delay finding`, () => {
      const rows = rollupsFromClaims(history({ seed }), 'decided');
      const drift = runDriftWatch(rows, { customerId: 1, asOf: T });
      expect(drift.findings.filter((f) => f.signal_type === 'DECISION_TIME')).toEqual([]);
      expect(drift.summary.groups_evaluated).toBe(20);
      const delay = runDelayGuard(rollupsFromClaims(history({ seed }), 'settled'), {
        customerId: 1,
        asOf: T,
      });
      expect(delay.findings).toEqual([]);
      expect(delay.summary.payers_evaluated).toBe(5);
    });
  }

  it('the same export read by submission date makes nearly every cell look faster (the bug this fixes)', () => {
    const rows = rollupsFromClaims(history({ seed: 1 }), 'submitted');
    const drift = runDriftWatch(rows, { customerId: 1, asOf: T, sensitivity: 'reference' });
    // Most current windows keep fewer than 30 decided claims (findings) or 10–29 (emerging): both
    // count, every one of them "faster" because the slow claims are still pending.
    const faster = [...drift.findings, ...drift.summary.emerging].filter(
      (f) => f.signal_type === 'DECISION_TIME' && f.direction === 'improving',
    );
    expect(faster.length).toBeGreaterThanOrEqual(15);
  });
});

describe('a real slowdown is found', () => {
  it('decisions +5 days from a date on: found by the second weekly run after it (DriftWatch and DelayGuard)', () => {
    // The payer's decisions from T−14 on happen 5 days later (the run at T is the second weekly run
    // after the change). Only Cigna slows down.
    const rows = rollupsFromClaims(
      history({ seed: 4, slowdownOffset: 14, slowdownDays: 5, slowPayers: ['Cigna'] }),
      'decided',
    );
    const drift = runDriftWatch(rows, { customerId: 1, asOf: T });
    const time = drift.findings.filter((f) => f.signal_type === 'DECISION_TIME');
    expect(time.length).toBeGreaterThanOrEqual(3);
    expect(time.every((f) => f.payer === 'Cigna' && f.direction === 'degrading')).toBe(true);
    const delay = runDelayGuard(
      rollupsFromClaims(
        history({ seed: 4, slowdownOffset: 14, slowdownDays: 5, slowPayers: ['Cigna'] }),
        'settled',
      ),
      { customerId: 1, asOf: T },
    );
    expect(delay.findings.map((f) => f.payer)).toEqual(['Cigna']);
    expect(delay.findings[0]?.delta_value).toBeGreaterThan(3);
  });
});

describe('short histories: baselines start where the data is mature (left truncation)', () => {
  // Heavy tails (PAID median 18 days, σ 0.8: 1 claim in 15 takes more than 2 months) and data that
  // begins only 110 days before T: decisions early in the baseline can only be fast ones (a slow
  // claim decided then would have been submitted before the data begins).
  const claims = history({ seed: 5, fromOffset: 110, medianPaid: 18, medianDenied: 12, sigma: 0.8 });
  const rows = rollupsFromClaims(claims, 'decided');

  it('without the maturity rule the early baseline looks fast and the current window slow', () => {
    const naive = runDriftWatch(rows, { customerId: 1, asOf: T });
    expect(naive.findings.filter((f) => f.signal_type === 'DECISION_TIME').length).toBeGreaterThan(0);
  });

  /** Every payer of the history with the same start and 95th percentile. */
  const everyPayer = (dataStart: string, maturityDays: number): HistoryCoverage =>
    Object.fromEntries(PAYERS.map((payer) => [payer, { dataStart, maturityDays }]));

  it('with it, each baseline starts at data start + the 95th percentile of decision days: no false finding', () => {
    const history = everyPayer(addDays(T, -110), 60);
    const mature = runDriftWatch(rows, { customerId: 1, asOf: T, history });
    expect(mature.summary.baseline_start).toBe(addDays(T, -104)); // the nominal window …
    expect(mature.summary.mature_baselines).toEqual(
      Object.fromEntries(PAYERS.map((p) => [p, addDays(T, -50)])),
    );
    expect(mature.findings.filter((f) => f.signal_type === 'DECISION_TIME')).toEqual([]);
    expect(mature.findings.every((f) => f.baseline_start === addDays(T, -50))).toBe(true); // … per finding
    expect(mature.parameters['history']).toMatchObject({
      Aetna: { data_start: addDays(T, -110), maturity_days: 60 },
    });
  });

  it('a payer whose mature baseline is shorter than 28 days is not evaluated yet, and the run says so', () => {
    const history: HistoryCoverage = { Cigna: { dataStart: addDays(T, -80), maturityDays: 60 } };
    const short = runDriftWatch(rows, { customerId: 1, asOf: T, history });
    expect(short.summary.short_history_payers).toEqual(['Cigna']);
    expect(short.summary.groups_evaluated).toBe(16); // 4 payers × 4 groups, Cigna left out
    expect(short.findings.some((f) => f.payer === 'Cigna')).toBe(false);
  });
});

describe('DelayGuard sees a payment slowdown although recent payments are still pending', () => {
  /**
   * 3 payers, 15 PAID claims per day decided after 10 days and paid 2 days later; from T−14 on,
   * UnitedHealthcare pays 8 days later (decisions unchanged). An export at T has no payment date
   * for claims not paid yet.
   */
  function paymentLagHistory(): ClaimLine[] {
    const claims: ClaimLine[] = [];
    for (const payer of ['Aetna', 'Cigna', 'UnitedHealthcare']) {
      for (let offset = 150; offset >= 1; offset--) {
        const submitted = addDays(T, -offset);
        for (let k = 0; k < 15; k++) {
          const decided = addDays(submitted, 10 + (k % 3));
          const late = payer === 'UnitedHealthcare' && decided >= addDays(T, -14) ? 8 : 0;
          claims.push({
            payer,
            cpt_group: 'E&M',
            submitted_date: submitted,
            decided_date: decided,
            outcome: 'PAID',
            allowed_amount: '100.00',
            paid_amount: '100.00',
            payment_date: addDays(decided, 2 + late),
          });
        }
      }
    }
    return export_(claims);
  }

  it('on the settlement timeline (payments made in the window) the slowdown is found', () => {
    const f = runDelayGuard(rollupsFromClaims(paymentLagHistory(), 'settled'), {
      customerId: 1,
      asOf: T,
    }).findings;
    expect(f.map((x) => x.payer)).toEqual(['UnitedHealthcare']);
    expect(f[0]?.delta_value).toBeGreaterThan(4);
  });
});
