import { describe, expect, it } from 'vitest';
import { addDays } from './dates.ts';
import { runDelayGuard } from './delayguard.ts';
import { runDriftWatch } from './driftwatch.ts';
import {
  buildEvidencePayload,
  delayGuardEvidenceRows,
  driftWatchEvidenceRows,
  entityLabel,
} from './evidence.ts';
import type { FindingDraft } from './findings.ts';
import { interpret } from './interpretation.ts';
import { type ClaimLine, rollupsFromClaims } from './rollup-fixtures.ts';

const T = '2026-03-02';

function rateClaims(
  payer: string,
  group: string,
  n: number,
  bDenied: number,
  cDenied: number,
  allowed: string | null,
): ClaimLine[] {
  const mk = (day: string, denied: boolean): ClaimLine => ({
    payer,
    cpt_group: group,
    // Windows hold decisions: `day` is the decision date (submitted 5 days before).
    submitted_date: addDays(day, -5),
    decided_date: day,
    outcome: denied ? 'DENIED' : 'PAID',
    allowed_amount: allowed,
  });
  return [
    ...Array.from({ length: n }, (_, i) => mk(addDays(T, -104 + (i % 30)), i < bDenied)),
    ...Array.from({ length: n }, (_, i) => mk(addDays(T, -14 + (i % 10)), i < cDenied)),
  ];
}

function driftFinding(claims: ClaimLine[]): FindingDraft {
  const r = runDriftWatch(rollupsFromClaims(claims), { customerId: 42, asOf: T });
  expect(r.findings).toHaveLength(1);
  return r.findings[0] as FindingDraft;
}

describe('evidence payload (§12.1)', () => {
  it('A1 finding → payload', () => {
    const f = {
      ...driftFinding(rateClaims('UnitedHealthcare', 'EVAL', 50, 10, 30, '200.00')),
      id: 7,
      run_id: 3,
    };
    const p = buildEvidencePayload({
      product: 'driftwatch',
      finding: f,
      asOf: T,
      evidenceRows: driftWatchEvidenceRows([f]),
      portalUrl: '/portal/products/driftwatch/',
    });
    expect(p).toMatchObject({
      product: 'driftwatch',
      product_name: 'DriftWatch',
      signal_type: 'DENIAL_RATE',
      signal_label: 'Denial rate',
      finding_id: 7,
      run_id: 3,
      as_of: T,
      entity_label: 'UnitedHealthcare · EVAL',
      date_range: '2025-11-18 → 2026-03-01',
      windows: {
        baseline_start: '2025-11-18',
        baseline_end: '2026-02-16',
        current_start: '2026-02-16',
        current_end: '2026-03-02',
      },
      severity: 0.8,
      severity_label: 'high',
      confidence: 0.8333,
      estimated_impact: '2000.00',
      impact_kind: 'weekly_revenue',
      one_sentence_explanation:
        'Denial rate for UnitedHealthcare (EVAL) moved from 20.0% to 60.0% (+40.0 pts).',
    });
    expect(p.evidence_rows).toHaveLength(1);
    expect(p.evidence_rows[0]).toMatchObject({
      payer: 'UnitedHealthcare',
      cpt_group: 'EVAL',
      signal_type: 'DENIAL_RATE',
      unit: 'rate',
    });
  });

  it('no finding: entity "-", "No <Product> signals yet.", no rows', () => {
    const p = buildEvidencePayload({
      product: 'delayguard',
      finding: null,
      portalUrl: '/portal/products/delayguard/',
    });
    expect(p.entity_label).toBe('-');
    expect(p.date_range).toBe('-');
    expect(p.one_sentence_explanation).toBe('No DelayGuard signals yet.');
    expect(p.evidence_rows).toEqual([]);
    expect(interpret(p)).toEqual({
      urgency_level: 'medium',
      urgency_label: 'Review This Week',
      plain_language: 'This signal indicates a change in payer behavior that falls outside normal patterns.',
      historical_context: null,
      action_steps: [
        'Review the evidence table for the affected codes and reasons.',
        'Compare with previous weeks to see if the change continues.',
        'Schedule a review with billing leadership this week.',
        'Document the finding for your next contract discussion.',
      ],
      is_likely_noise: false,
      possible_causes: [],
    });
  });

  it('entity labels', () => {
    expect(entityLabel({ payer: 'Aetna', cpt_group: null, denial_reason: 'CO-16' })).toBe('Aetna · CO-16');
    expect(entityLabel({ payer: 'FastPay', cpt_group: null, denial_reason: null })).toBe('FastPay');
    expect(entityLabel(null)).toBe('-');
  });
});

describe('interpretation (§12.3)', () => {
  const payloadOf = (f: FindingDraft) =>
    buildEvidencePayload({ product: f.product, finding: f, portalUrl: '/x' });

  it('A22 — interpretation of A1', () => {
    const i = interpret(
      payloadOf(driftFinding(rateClaims('UnitedHealthcare', 'EVAL', 50, 10, 30, '200.00'))),
    );
    expect(i.urgency_level).toBe('high');
    expect(i.urgency_label).toBe('Investigate Today');
    expect(i.plain_language).toBe(
      "UnitedHealthcare's denial rate for EVAL has increased by 40.0 percentage points. This means more of your claims are being denied. This is a significant shift that warrants immediate attention.",
    );
    expect(i.is_likely_noise).toBe(false);
    expect(i.action_steps).toEqual([
      'Pull 5–10 sample claims from UnitedHealthcare · EVAL (listed on the deep dive).',
      'Review denial reasons and payer correspondence for a common pattern.',
      'Check for recent contract, policy or fee-schedule updates from UnitedHealthcare · EVAL.',
      'Brief your billing team today.',
      'Consider contacting your UnitedHealthcare · EVAL provider representative.',
    ]);
    expect(i.historical_context).toBe(
      "This appears to be a new or escalating pattern that hasn't been seen at this level recently.",
    );
    expect(i.possible_causes[0]).toEqual({ cause: 'payer policy change', likelihood: 0.7 });
  });

  it('A4 — low severity but |Δ| >= 0.10 on a rate → high urgency, not noise', () => {
    const claims = rateClaims('BlueCross', 'PATH', 40, 0, 5, null);
    const i = interpret(payloadOf(driftFinding(claims)));
    expect(i.urgency_level).toBe('high');
    expect(i.urgency_label).toBe('Investigate Today');
    expect(i.plain_language.endsWith('This is a significant shift that warrants immediate attention.')).toBe(
      true,
    );
    expect(i.is_likely_noise).toBe(false);
    expect(i.historical_context).toBe(
      'This is a minor variance that may resolve on its own. Watch for continuation.',
    );
  });

  it('A9 — improvement plain language', () => {
    const i = interpret(payloadOf(driftFinding(rateClaims('Medicare', 'E&M', 100, 30, 15, '120.00'))));
    expect(i.urgency_level).toBe('high');
    expect(i.plain_language).toBe(
      "Medicare's denial rate for E&M has decreased by 15.0 percentage points. This means fewer claims are being denied (good news, verify it's real). This is a significant shift that warrants immediate attention.",
    );
  });

  it('A18 — DelayGuard Δ = +3 with 18 + 18 claims: low urgency, likely noise', () => {
    const T2 = '2026-03-04';
    const claims: ClaimLine[] = [
      ...Array.from({ length: 18 }, (_, i) => ({
        payer: 'P',
        submitted_date: addDays(T2, -60 + (i % 10) - 10),
        decided_date: addDays(T2, -60 + (i % 10)),
        outcome: 'PAID' as const,
        allowed_amount: '100.00',
      })),
      ...Array.from({ length: 18 }, (_, i) => ({
        payer: 'P',
        submitted_date: addDays(T2, -10 + (i % 5) - 13),
        decided_date: addDays(T2, -10 + (i % 5)),
        outcome: 'PAID' as const,
        allowed_amount: '100.00',
      })),
    ];
    const r = runDelayGuard(rollupsFromClaims(claims), { customerId: 1, asOf: T2 });
    const f = r.findings[0] as FindingDraft;
    const p = buildEvidencePayload({
      product: 'delayguard',
      finding: f,
      evidenceRows: delayGuardEvidenceRows(r.findings),
      portalUrl: '/x',
    });
    expect(p.entity_label).toBe('P');
    expect(p.evidence_rows[0]).toMatchObject({
      payer: 'P',
      delta_days: 3,
      severity_label: 'low',
      dollars_at_risk: '1080.00',
    });
    const i = interpret(p);
    expect(i.urgency_level).toBe('low');
    expect(i.urgency_label).toBe('Monitor for Trend');
    expect(i.is_likely_noise).toBe(true);
    expect(i.plain_language).toBe(
      'P is paying 3.0 days slower than usual (10.0 → 13.0 days), with about $1,080.00 of cash at risk. This is a small change—watch for it to continue before acting.',
    );
    expect(i.action_steps).toHaveLength(4);
  });

  it('similar-alert context replaces the severity text', () => {
    const f = driftFinding(rateClaims('UnitedHealthcare', 'EVAL', 50, 10, 30, '200.00'));
    expect(interpret(payloadOf(f), 'Similar alert marked as noise 6 days ago').historical_context).toBe(
      'Similar alert marked as noise 6 days ago',
    );
  });

  it('DenialScope dollars spike uses the entity sentences by urgency', () => {
    const base = buildEvidencePayload({ product: 'denialscope', finding: null, portalUrl: '/x' });
    const p = {
      ...base,
      signal_type: 'denial_dollars_spike' as const,
      entity_label: 'Cigna · CO-97',
      payer: 'Cigna',
      denial_reason: 'CO-97',
      severity: 0.9,
      delta: 228.57,
    };
    expect(interpret(p).plain_language).toBe(
      "There's a significant spike in denial dollars from Cigna · CO-97. This could indicate a contract change, policy update, or systemic coding issue that needs investigation today.",
    );
    expect(interpret({ ...p, severity: 0.5 }).plain_language).toBe(
      'Denial dollars from Cigna · CO-97 have increased above normal variance. This is worth reviewing this week to understand the cause.',
    );
    expect(interpret({ ...p, severity: 0.25 }).urgency_level).toBe('low'); // dollars never use the Δ rule
  });

  it('new reason and spikes', () => {
    const base = buildEvidencePayload({ product: 'denialscope', finding: null, portalUrl: '/x' });
    const newReason = {
      ...base,
      signal_type: 'new_denial_reason' as const,
      entity_label: 'Aetna · CO-16',
      payer: 'Aetna',
      denial_reason: 'CO-16',
      severity: 0.75,
      baseline_value: 0,
      current_value: 12,
      current_count: 12,
      delta: 12,
      unit: 'count' as const,
    };
    expect(interpret(newReason).plain_language).toBe(
      'Aetna started denying claims with reason CO-16 (12 denials in the last 7 days, none in the 3 weeks before). New reasons often follow a payer policy or edit change. This is a significant shift that warrants immediate attention.',
    );
    const rate = {
      ...newReason,
      signal_type: 'denial_rate_spike' as const,
      baseline_value: 0.1,
      current_value: 0.5,
      delta: 0.4,
      unit: 'rate' as const,
      severity: 0.9,
    };
    expect(interpret(rate).plain_language).toBe(
      'Aetna is denying more claims for CO-16 (10.0% → 50.0%). This is a significant shift that warrants immediate attention.',
    );
  });
});
