import { describe, expect, it } from 'vitest';
import { addDays } from './dates.ts';
import { denialReasonTable, runDenialScope } from './denialscope.ts';
import type { FindingDraft } from './findings.ts';
import { type ClaimLine, rollupsFromClaims } from './rollup-fixtures.ts';

const T = '2026-03-04';

/** `n` claims DECIDED on `day` (submitted 3 days before): windows hold decisions since issue 9. */
function claims(
  n: number,
  payer: string,
  day: string,
  outcome: 'PAID' | 'DENIED',
  reason: string | null,
  allowed: string | null,
): ClaimLine[] {
  return Array.from({ length: n }, () => ({
    payer,
    cpt_group: 'E&M',
    submitted_date: addDays(day, -3),
    decided_date: day,
    outcome,
    allowed_amount: allowed,
    denial_reason_code: outcome === 'DENIED' ? reason : null,
  }));
}

const at = (offset: number) => addDays(T, -offset);
const decisionRows = (list: readonly ClaimLine[]) => rollupsFromClaims(list, 'decided');

function bySignal(findings: FindingDraft[], signal: string): FindingDraft {
  const f = findings.find((x) => x.signal_type === signal);
  expect(f, signal).toBeDefined();
  return f as FindingDraft;
}

describe('DenialScope acceptance examples (analytics §14)', () => {
  it('A11 — dollars spike, compared per day', () => {
    const rows = decisionRows([
      ...claims(12, 'Cigna', at(20), 'DENIED', 'CO-97', '100.00'),
      ...claims(12, 'Cigna', at(20), 'PAID', null, '100.00'),
      ...claims(20, 'Cigna', at(3), 'DENIED', 'CO-97', '100.00'),
      ...claims(20, 'Cigna', at(3), 'PAID', null, '100.00'),
    ]);
    const r = runDenialScope(rows, { customerId: 42, asOf: T });
    expect(r.summary).toMatchObject({
      baseline_start: '2026-02-04',
      baseline_end: '2026-02-25',
      recent_start: '2026-02-25',
      recent_end: '2026-03-04',
      keys_considered: 1,
      // The rate test and (since issue 9) the dollar test, each its own family.
      tests: 2,
      tests_by_signal: { denial_rate_spike: 1, denial_dollars_spike: 1 },
      held_back: 0,
      findings: 1,
    });
    // The rate test 12/24 vs 20/40: z = 0, p = 0.5, m = 1 → q = 0.5.
    expect(r.summary.tests_detail).toEqual([
      {
        signal_type: 'denial_rate_spike',
        payer: 'Cigna',
        subkey: 'CO-97',
        test: 'z_two_proportion',
        p_value: 0.5,
        q_value: 0.5,
        threshold_met: false,
        held_back: false,
      },
    ]);
    const f = bySignal(r.findings, 'denial_dollars_spike');
    expect(f.baseline_value).toBe(57.14);
    expect(f.current_value).toBe(285.71);
    expect(f.unit).toBe('usd_per_day');
    expect(f.details['relative_increase']).toBe(4);
    expect(f.details['metric']).toBe('dollars');
    expect(f.details['baseline_total']).toBe('1200.00');
    expect(f.details['recent_total']).toBe('2000.00');
    expect([f.details['baseline_denied_count'], f.details['recent_denied_count']]).toEqual([12, 20]);
    expect([f.baseline_count, f.current_count]).toEqual([12, 20]);
    expect(f.severity).toBe(0.9);
    expect(f.severity_label).toBe('critical');
    expect(f.confidence).toBe(0.8);
    expect(f.estimated_impact).toBe('1600.00');
    expect(f.impact_kind).toBe('weekly_denied_dollars');
    // Compound Poisson: se = √(200000/49 + 120000/441) = $65.98/day, z = 3.4641, p = 2.66e-4.
    expect(f.test).toBe('poisson_rate');
    expect(f.p_value).toBeCloseTo(2.66e-4, 6);
    expect(f.q_value).toBe(f.p_value);
    expect((f.details['statistics'] as Record<string, number>)['z']).toBeCloseTo(3.4641, 4);
    expect(f.delta_percent).toBe(400);
    expect(f.denial_reason).toBe('CO-97');
    expect(f.summary_text).toBe(
      'Denial dollars spiked for Cigna (CO-97) from $57.14/day to $285.71/day (+400.0%).',
    );
  });

  it('A12 — rate and dollars spikes together', () => {
    const list: ClaimLine[] = [];
    for (let d = 28; d >= 8; d--) {
      list.push(...claims(1, 'Blue Cross Blue Shield', at(d), 'DENIED', 'CO-197', '150.00'));
      list.push(...claims(9, 'Blue Cross Blue Shield', at(d), 'PAID', null, '150.00'));
    }
    for (let d = 7; d >= 1; d--) {
      list.push(...claims(5, 'Blue Cross Blue Shield', at(d), 'DENIED', 'CO-197', '150.00'));
      list.push(...claims(5, 'Blue Cross Blue Shield', at(d), 'PAID', null, '150.00'));
    }
    const r = runDenialScope(decisionRows(list), { customerId: 42, asOf: T });
    expect(r.findings.map((f) => f.signal_type)).toEqual(['denial_rate_spike', 'denial_dollars_spike']);
    expect(r.summary.tests).toBe(2);

    const dollars = bySignal(r.findings, 'denial_dollars_spike');
    expect([dollars.baseline_value, dollars.current_value]).toEqual([150, 750]);
    expect(dollars.details['relative_increase']).toBe(4);
    expect(dollars.severity_label).toBe('critical');
    expect(dollars.confidence).toBe(1);
    expect(dollars.estimated_impact).toBe('4200.00');

    const rate = bySignal(r.findings, 'denial_rate_spike');
    expect(rate.baseline_value).toBeCloseTo(0.1, 12);
    expect(rate.current_value).toBe(0.5);
    expect(rate.delta_value).toBeCloseTo(0.4, 12);
    expect(rate.details['relative_increase']).toBeCloseTo(4, 12);
    expect(rate.severity).toBe(0.9);
    expect(rate.severity_label).toBe('critical');
    expect(rate.p_value).toBeCloseTo(2.15e-13, 15);
    expect(rate.q_value).toBe(rate.p_value);
    expect(rate.confidence).toBe(1);
    expect(rate.unit).toBe('rate');
    expect([rate.baseline_count, rate.current_count]).toEqual([210, 70]);
    expect(rate.estimated_impact).toBeNull();
    expect(rate.summary_text).toBe(
      'Denial rate spiked for Blue Cross Blue Shield (CO-197) from 10.0% to 50.0%.',
    );
  });

  it('A13 — new denial reason', () => {
    const rows = decisionRows(claims(12, 'Aetna', at(2), 'DENIED', 'CO-16', '180.00'));
    const r = runDenialScope(rows, { customerId: 42, asOf: T });
    expect(r.findings).toHaveLength(1);
    const f = bySignal(r.findings, 'new_denial_reason');
    expect(f.severity).toBe(0.75);
    expect(f.severity_label).toBe('high');
    expect(f.confidence).toBe(0.8);
    expect(f.p_value).toBeCloseTo(5.96e-8, 10);
    expect(f.q_value).toBe(f.p_value);
    expect(f.estimated_impact).toBe('2160.00');
    expect(f.impact_kind).toBe('recent_denied_dollars');
    expect([f.baseline_value, f.current_value, f.baseline_count, f.current_count]).toEqual([0, 12, 0, 12]);
    expect(f.unit).toBe('count');
    expect(f.details['relative_increase']).toBeNull();
    expect(f.summary_text).toBe("New denial reason 'CO-16' appeared for Aetna with 12 denials.");
  });

  function a14(baselineDenials: number, recentDenials: number): ClaimLine[] {
    // Rates held equal (5%) so the rate test is z = 0, p = 0.5. No allowed amounts.
    const list: ClaimLine[] = [];
    list.push(...claims(baselineDenials, 'Humana', at(15), 'DENIED', 'CO-50', null));
    list.push(...claims(baselineDenials * 19, 'Humana', at(15), 'PAID', null, null));
    list.push(...claims(recentDenials, 'Humana', at(2), 'DENIED', 'CO-50', null));
    list.push(...claims(recentDenials * 19, 'Humana', at(2), 'PAID', null, null));
    return list;
  }

  it('A14 — volume spike without dollars', () => {
    const r = runDenialScope(decisionRows(a14(42, 25)), { customerId: 42, asOf: T });
    expect(r.summary.tests).toBe(2);
    expect(r.findings).toHaveLength(1);
    const f = bySignal(r.findings, 'denial_volume_spike');
    expect(f.baseline_value).toBe(2);
    expect(f.current_value).toBeCloseTo(3.5714, 4);
    expect(f.details['relative_increase']).toBeCloseTo(0.7857, 4);
    expect(f.severity).toBe(0.75);
    expect(f.severity_label).toBe('high');
    expect(f.p_value).toBeCloseTo(0.017143, 6);
    expect(f.q_value).toBe(f.p_value); // the volume family has m = 1 (the rate test is its own family)
    expect(f.confidence).toBe(1);
    expect(f.estimated_impact).toBeNull();
    expect(f.unit).toBe('count_per_day');
    expect(f.summary_text).toBe('Denial volume spiked for Humana (CO-50) from 2.0/day to 3.6/day (+78.6%).');
    const rate = r.summary.tests_detail.find((t) => t.signal_type === 'denial_rate_spike');
    expect(rate?.p_value).toBe(0.5);
  });

  it('A14 counter-case — 18 → 12: held back in strict, critical in thresholds-only', () => {
    // rel = (12 × 21)/(18 × 7) − 1 = 1.0 → critical; Poisson p = 0.05066 > 0.05 (m = 1 in its family).
    const rows = decisionRows(a14(18, 12));
    const strict = runDenialScope(rows, { customerId: 42, asOf: T });
    expect(strict.findings).toEqual([]);
    expect(strict.summary.held_back).toBe(1);
    const held = strict.summary.tests_detail.find((t) => t.held_back);
    expect(held?.p_value).toBeCloseTo(0.05066, 5);
    expect(held?.q_value).toBe(held?.p_value);
    const reference = runDenialScope(rows, { customerId: 42, asOf: T, sensitivity: 'reference' });
    const f = bySignal(reference.findings, 'denial_volume_spike');
    expect(f.severity_label).toBe('critical');
    expect(f.confidence).toBe(0.75);
    expect(f.q_value).toBeCloseTo(0.05066, 5);
  });

  it('A15 — reason buckets hold denied claims only', () => {
    const list: ClaimLine[] = [
      ...claims(1, 'Aetna', at(5), 'DENIED', 'CO-45', null),
      ...claims(1, 'Aetna', at(5), 'PAID', null, null),
      ...claims(1, 'Aetna', at(6), 'DENIED', 'CO-45', null),
    ];
    const rows = decisionRows(list);
    const buckets = rows
      .map((r) => [r.payer, r.denial_reason, r.outcome, r.claim_count])
      .reduce<Record<string, number>>((acc, [p, reason, o, n]) => {
        const k = `${p}|${reason}|${o}`;
        acc[k] = (acc[k] ?? 0) + (n as number);
        return acc;
      }, {});
    expect(buckets).toEqual({ 'Aetna|CO-45|DENIED': 2, 'Aetna||PAID': 1 });
    expect(denialReasonTable(rows, T, { payer: 'Aetna' })).toEqual([
      {
        payer: 'Aetna',
        denial_reason: 'CO-45',
        denied_count: 2,
        denied_dollars: '0.00',
        payer_claims: 3,
        share_percent: 66.7,
      },
    ]);
    const r = runDenialScope(rows, { customerId: 42, asOf: T });
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ keys_considered: 1, tests: 0 });
  });
});

describe('DenialScope rules', () => {
  it('creation order: new reasons, rate spikes, dollar/volume spikes; ties by payer then reason', () => {
    const list: ClaimLine[] = [];
    for (const payer of ['Zeta', 'Alpha']) {
      list.push(...claims(10, payer, at(2), 'DENIED', 'NEW-1', '20.00'));
      list.push(...claims(2, payer, at(20), 'DENIED', 'CO-1', '100.00'));
      list.push(...claims(40, payer, at(20), 'PAID', null, '100.00'));
      list.push(...claims(12, payer, at(2), 'DENIED', 'CO-1', '100.00'));
      list.push(...claims(10, payer, at(2), 'PAID', null, '100.00'));
    }
    const r = runDenialScope(decisionRows(list), { customerId: 1, asOf: T });
    expect(r.findings.map((f) => `${f.signal_type}:${f.payer}:${f.denial_reason}`)).toEqual([
      'new_denial_reason:Alpha:NEW-1',
      'new_denial_reason:Zeta:NEW-1',
      'denial_rate_spike:Alpha:CO-1',
      'denial_rate_spike:Zeta:CO-1',
      'denial_dollars_spike:Alpha:CO-1',
      'denial_dollars_spike:Zeta:CO-1',
    ]);
  });

  it('ignores data outside the windows (incl. on or after as_of)', () => {
    const rows = decisionRows([
      ...claims(30, 'Aetna', T, 'DENIED', 'CO-16', '10.00'),
      ...claims(30, 'Aetna', at(29), 'DENIED', 'CO-16', '10.00'),
    ]);
    const r = runDenialScope(rows, { customerId: 42, asOf: T });
    expect(r.summary.keys_considered).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('a customer without claims gets an empty, successful result', () => {
    const r = runDenialScope([], { customerId: 42, asOf: T });
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ keys_considered: 0, tests: 0, findings: 0 });
  });
});

describe('DenialScope minimum evidence and severity (issue 9)', () => {
  /** A dollars spike of one key: `b` denials in the baseline, `r` in the recent window, $500 each. */
  function spike(b: number, r: number): ClaimLine[] {
    return [
      ...claims(b, 'Cigna', at(20), 'DENIED', 'CO-97', '500.00'),
      ...claims(60, 'Cigna', at(20), 'PAID', null, '500.00'),
      ...claims(r, 'Cigna', at(3), 'DENIED', 'CO-97', '500.00'),
      ...claims(30, 'Cigna', at(3), 'PAID', null, '500.00'),
    ];
  }

  it('no dollar or rate spike on fewer than 10 recent denials — a "needs more data" emerging entry instead', () => {
    const r = runDenialScope(decisionRows(spike(2, 6)), { customerId: 42, asOf: T });
    expect(r.findings).toEqual([]);
    const entries = r.summary.emerging.map((e) => [e.signal_type, e.reason]);
    expect(entries).toContainEqual(['denial_dollars_spike', 'needs_more_data']);
    expect(entries).toContainEqual(['denial_rate_spike', 'needs_more_data']);
    expect(r.summary.emerging.every((e) => e.payer === 'Cigna' && e.subkey === 'CO-97')).toBe(true);
  });

  it('2 recent denials are not even emerging (no evidence: p = 0.125)', () => {
    const r = runDenialScope(decisionRows(spike(1, 2)), { customerId: 42, asOf: T });
    expect(r.findings).toEqual([]);
    expect(r.summary.emerging.filter((e) => e.signal_type === 'denial_dollars_spike')).toEqual([]);
  });

  it('a critical spike on thin evidence is capped: Low confidence → at most Medium', () => {
    // 10 recent vs 2 baseline denials: rel = (10 × 21)/(2 × 7) − 1 = 14 → critical by size,
    // but confidence = (10 + 2)/40 = 0.3 (Low).
    const r = runDenialScope(decisionRows(spike(2, 10)), { customerId: 42, asOf: T });
    const f = bySignal(r.findings, 'denial_dollars_spike');
    expect(f.confidence).toBe(0.3);
    expect(f.confidence_label).toBe('Low');
    expect(f.severity_label).toBe('medium');
    expect(f.severity).toBe(0.5);
    expect(f.details['uncapped_severity_level']).toBe('critical');
  });

  it('a new reason with 5–9 denials is emerging, not a finding, and is not counted in the family', () => {
    const r = runDenialScope(decisionRows(claims(7, 'Aetna', at(2), 'DENIED', 'CO-16', '180.00')), {
      customerId: 42,
      asOf: T,
    });
    expect(r.findings).toEqual([]);
    expect(r.summary.tests).toBe(0);
    expect(r.summary.emerging).toMatchObject([
      {
        signal_type: 'new_denial_reason',
        payer: 'Aetna',
        subkey: 'CO-16',
        reason: 'needs_more_data',
        current_count: 7,
      },
    ]);
  });

  it('a short history shortens the baseline to its mature part and scales the per-day values', () => {
    const list = [
      ...claims(10, 'Cigna', at(10), 'DENIED', 'CO-97', '100.00'),
      ...claims(20, 'Cigna', at(3), 'DENIED', 'CO-97', '100.00'),
    ];
    // Data from T−40, claims decided within 26 days: the baseline starts at T−14 (7 days long).
    const history = { Cigna: { dataStart: at(40), maturityDays: 26 } };
    const r = runDenialScope(decisionRows(list), { customerId: 42, asOf: T, history });
    expect(r.summary.mature_baselines).toEqual({ Cigna: at(14) });
    const f = bySignal(r.findings, 'denial_dollars_spike');
    expect([f.baseline_start, f.baseline_end]).toEqual([at(14), at(7)]);
    // 10 denials over 7 baseline days = $142.86/day → 20 over 7 recent days = $285.71/day (rel 1.0).
    expect([f.baseline_value, f.current_value]).toEqual([142.86, 285.71]);
    expect(f.details['relative_increase']).toBe(1);
    expect(f.details['baseline_days']).toBe(7);
    // With less than 7 mature baseline days nothing is evaluated.
    const tooShort = runDenialScope(decisionRows(list), {
      customerId: 42,
      asOf: T,
      history: { Cigna: { dataStart: at(20), maturityDays: 20 } },
    });
    expect(tooShort.summary.short_history_payers).toEqual(['Cigna']);
    expect(tooShort.findings).toEqual([]);
  });
});

describe('DenialScope dollar spikes are tested (issue 9)', () => {
  it('two large denials in an ordinary week are not a spike: held back in strict, a finding in reference', () => {
    // Baseline: 30 denials of $100 over 21 days. Recent: 8 of $100 and 2 of $1,500 (10 denials).
    // rel = (3800 × 21)/(3000 × 7) − 1 = 2.8 ("critical" by size), but the compound-Poisson se is
    // √(4,580,000/49 + 300,000/441) = $306.8/day for a $400/day difference: z = 1.304, p = 0.0962.
    const list = [
      ...claims(30, 'Cigna', at(15), 'DENIED', 'CO-97', '100.00'),
      ...claims(90, 'Cigna', at(15), 'PAID', null, '100.00'),
      ...claims(8, 'Cigna', at(3), 'DENIED', 'CO-97', '100.00'),
      ...claims(2, 'Cigna', at(3), 'DENIED', 'CO-97', '1500.00'),
      ...claims(30, 'Cigna', at(3), 'PAID', null, '100.00'),
    ];
    const strict = runDenialScope(decisionRows(list), { customerId: 42, asOf: T });
    expect(strict.findings.filter((f) => f.signal_type === 'denial_dollars_spike')).toEqual([]);
    const held = strict.summary.tests_detail.find((t) => t.signal_type === 'denial_dollars_spike');
    expect(held).toMatchObject({ held_back: true, threshold_met: true });
    expect(held?.p_value).toBeCloseTo(0.0962, 4);
    const reference = runDenialScope(decisionRows(list), {
      customerId: 42,
      asOf: T,
      sensitivity: 'reference',
    });
    expect(bySignal(reference.findings, 'denial_dollars_spike').details['relative_increase']).toBeCloseTo(
      2.8,
      12,
    );
  });
});
