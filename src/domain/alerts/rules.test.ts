import { describe, expect, it } from 'vitest';
import {
  compareWithThreshold,
  type MatchableFinding,
  type MatchableRule,
  matchingRules,
  metricValue,
  orderRules,
  ruleMatches,
} from './rules.ts';

function rule(overrides: Partial<MatchableRule> = {}): MatchableRule {
  return {
    id: 1,
    name: 'R',
    enabled: true,
    product: 'any',
    scope: {},
    metric: 'severity',
    threshold_type: 'gte',
    threshold_value: 0.7,
    priority: 0,
    ...overrides,
  };
}

function finding(overrides: Partial<MatchableFinding> = {}): MatchableFinding {
  return {
    product: 'driftwatch',
    signal_type: 'DENIAL_RATE',
    payer: 'UnitedHealthcare',
    cpt_group: 'EVAL',
    severity: 0.8,
    severity_label: 'high',
    confidence: 0.9,
    delta_value: 0.4,
    estimated_impact: '2000.00',
    details: {},
    ...overrides,
  };
}

describe('rule matching (§2, B2)', () => {
  const denialDelta = rule({ metric: 'denial_rate_delta', threshold_value: 0.1 });

  it('a metric that does not apply never matches and never falls back to severity', () => {
    const decisionTime = finding({ signal_type: 'DECISION_TIME', delta_value: 10, severity: 1 });
    expect(metricValue('denial_rate_delta', decisionTime)).toBeNull();
    expect(ruleMatches(denialDelta, decisionTime, true)).toBe(false);
  });

  it('deltas are signed: an improvement never trips a positive gte threshold', () => {
    expect(ruleMatches(denialDelta, finding({ delta_value: -0.15 }), true)).toBe(false);
  });

  it('compares with the 1e-9 tolerance', () => {
    expect(ruleMatches(denialDelta, finding({ delta_value: 0.09999999999 }), true)).toBe(true);
    expect(ruleMatches(denialDelta, finding({ delta_value: 0.0999 }), true)).toBe(false);
    expect(compareWithThreshold(0.7 + 5e-10, 'gt', 0.7)).toBe(false);
    expect(compareWithThreshold(0.7 + 2e-9, 'gt', 0.7)).toBe(true);
    expect(compareWithThreshold(0.7 - 5e-10, 'lt', 0.7)).toBe(false);
    expect(compareWithThreshold(0.7 + 5e-10, 'lte', 0.7)).toBe(true);
    expect(compareWithThreshold(0.7 + 5e-10, 'eq', 0.7)).toBe(true);
    expect(compareWithThreshold(0.7 + 2e-9, 'eq', 0.7)).toBe(false);
  });

  it('scope: cpt_group never matches a finding without a group; keys compare case-insensitively', () => {
    const eval_ = rule({ scope: { cpt_group: 'EVAL' } });
    const delay = finding({ product: 'delayguard', signal_type: 'payment_delay_drift', cpt_group: null });
    expect(ruleMatches(eval_, delay, true)).toBe(false);
    expect(
      ruleMatches(rule({ scope: { cpt_group: 'eval', payer: 'unitedhealthcare' } }), finding(), true),
    ).toBe(true);
    expect(ruleMatches(rule({ scope: { payer: 'Aetna' } }), finding(), true)).toBe(false);
  });

  it('product, enabled flags and the DelayGuard low/low-confidence rule', () => {
    expect(ruleMatches(rule({ product: 'denialscope' }), finding(), true)).toBe(false);
    expect(ruleMatches(rule({ product: 'driftwatch' }), finding(), true)).toBe(true);
    expect(ruleMatches(rule({ enabled: false }), finding(), true)).toBe(false);
    expect(ruleMatches(rule(), finding(), false)).toBe(false);
    const lowDelay = finding({
      product: 'delayguard',
      signal_type: 'payment_delay_drift',
      cpt_group: null,
      severity: 0.25,
      severity_label: 'low',
      confidence: 0.49,
    });
    expect(ruleMatches(rule({ threshold_value: 0.1 }), lowDelay, true)).toBe(false);
    expect(ruleMatches(rule({ threshold_value: 0.1 }), { ...lowDelay, confidence: 0.5 }, true)).toBe(true);
  });

  it('metric values per the metric table', () => {
    const spike = finding({
      product: 'denialscope',
      signal_type: 'denial_rate_spike',
      cpt_group: null,
      details: { relative_increase: 1.5 },
    });
    expect(metricValue('relative_increase', spike)).toBe(1.5);
    expect(metricValue('relative_increase', finding())).toBeNull();
    expect(metricValue('impact_usd', finding({ estimated_impact: '-900.50' }))).toBe(-900.5);
    expect(metricValue('impact_usd', finding({ estimated_impact: null }))).toBeNull();
    expect(
      metricValue('decision_time_delta', finding({ signal_type: 'DECISION_TIME', delta_value: 3 })),
    ).toBe(3);
    expect(
      metricValue('underpayment_delta', finding({ signal_type: 'PAYMENT_AMOUNT', delta_value: 0.2 })),
    ).toBe(0.2);
    expect(
      metricValue('delay_days_delta', finding({ signal_type: 'payment_delay_drift', delta_value: 7 })),
    ).toBe(7);
    expect(metricValue('severity', finding())).toBe(0.8);
  });

  it('rules evaluate by priority desc, then name, then id', () => {
    const rules = [
      rule({ id: 1, name: 'a', priority: 0 }),
      rule({ id: 2, name: 'b', priority: 5 }),
      rule({ id: 3, name: 'c', priority: 10 }),
      rule({ id: 5, name: 'a', priority: 5 }),
      rule({ id: 4, name: 'a', priority: 5 }),
    ];
    expect(orderRules(rules).map((r) => r.id)).toEqual([3, 4, 5, 2, 1]);
    expect(matchingRules(rules, finding(), true).map((r) => r.priority)).toEqual([10, 5, 5, 5, 0]);
  });
});
