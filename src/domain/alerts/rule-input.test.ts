import { describe, expect, it } from 'vitest';
import {
  ALERT_RULE_DEFAULTS,
  type AlertRuleValues,
  ruleConditionText,
  ruleScopeText,
  validateAlertRuleInput,
} from './rule-input.ts';

const channels = new Set([3, 7]);
const create = (input: Record<string, unknown>) =>
  validateAlertRuleInput(ALERT_RULE_DEFAULTS, input, { partial: false, channelIds: channels });

function errorsOf(input: Record<string, unknown>) {
  const result = create(input);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('validateAlertRuleInput', () => {
  it('fills the §2 defaults', () => {
    const result = create({ name: '  Rule  ' });
    expect(result).toEqual({
      ok: true,
      values: { ...ALERT_RULE_DEFAULTS, name: 'Rule' },
      changed: ['name'],
    });
    expect(ALERT_RULE_DEFAULTS).toMatchObject({
      product: 'any',
      metric: 'severity',
      threshold_type: 'gte',
      threshold_value: 0.7,
      severity: 'warning',
      priority: 0,
      enabled: true,
      channel_ids: [],
    });
  });

  it('requires a name of 1–100 characters', () => {
    expect(errorsOf({})).toEqual({ name: ['This field is required.'] });
    expect(errorsOf({ name: '   ' })).toEqual({ name: ['This field is required.'] });
    expect(errorsOf({ name: 'x'.repeat(101) })).toEqual({
      name: ['Ensure this field has no more than 100 characters.'],
    });
    expect(create({ name: 'é'.repeat(100) }).ok).toBe(true);
  });

  it('allows only payer and cpt_group in the scope', () => {
    expect(create({ name: 'R', scope: { payer: ' Aetna ', cpt_group: '' } })).toMatchObject({
      ok: true,
      values: { scope: { payer: 'Aetna' } },
    });
    expect(errorsOf({ name: 'R', scope: { payer: 'A', region: 'x' } })).toEqual({
      scope: ['Unknown scope key "region": only "payer" and "cpt_group" are allowed.'],
    });
    expect(errorsOf({ name: 'R', scope: ['payer'] })).toEqual({
      scope: ['Scope must be an object with optional "payer" and "cpt_group".'],
    });
    expect(errorsOf({ name: 'R', scope: { payer: 5 } })).toEqual({
      scope: ['Scope "payer" must be text of at most 255 characters.'],
    });
    expect(create({ name: 'R', scope: null })).toMatchObject({ ok: true, values: { scope: {} } });
  });

  it('checks the enumerations', () => {
    expect(
      errorsOf({ name: 'R', product: 'x', metric: 'volume', threshold_type: 'ge', severity: 'high' }),
    ).toEqual({
      product: ['"x" is not a valid choice.'],
      metric: ['"volume" is not a valid choice.'],
      threshold_type: ['"ge" is not a valid choice.'],
      severity: ['"high" is not a valid choice.'],
    });
    for (const metric of [
      'severity',
      'denial_rate_delta',
      'decision_time_delta',
      'underpayment_delta',
      'delay_days_delta',
      'relative_increase',
      'impact_usd',
    ]) {
      expect(create({ name: 'R', metric }).ok).toBe(true);
    }
    for (const product of ['any', 'driftwatch', 'denialscope', 'delayguard']) {
      expect(create({ name: 'R', product }).ok).toBe(true);
    }
  });

  it('takes numbers and integers as JSON or form text', () => {
    expect(create({ name: 'R', threshold_value: '-0.25', priority: '12' })).toMatchObject({
      ok: true,
      values: { threshold_value: -0.25, priority: 12 },
    });
    expect(errorsOf({ name: 'R', threshold_value: 'abc', priority: '1.5' })).toEqual({
      threshold_value: ['A valid number is required.'],
      priority: ['A valid integer is required.'],
    });
    expect(errorsOf({ name: 'R', priority: 3_000_000_000 })).toEqual({
      priority: ['Ensure this value is between -2147483647 and 2147483647.'],
    });
    expect(errorsOf({ name: 'R', threshold_value: Number.NaN })).toEqual({
      threshold_value: ['A valid number is required.'],
    });
  });

  it("accepts only the customer's channel ids", () => {
    expect(create({ name: 'R', channels: ['7', 3, 7] })).toMatchObject({
      ok: true,
      values: { channel_ids: [7, 3] },
    });
    expect(errorsOf({ name: 'R', channels: [3, 99] })).toEqual({
      channels: ['Invalid pk "99" - object does not exist.'],
    });
    expect(errorsOf({ name: 'R', channels: 'x' })).toEqual({ channels: ['Expected a list of channel ids.'] });
    expect(errorsOf({ name: 'R', channels: [0] })).toEqual({ channels: ['Expected a list of channel ids.'] });
  });

  it('parses flags and routing tags', () => {
    expect(create({ name: 'R', enabled: 'off', routing_tags: 'billing, ops,,billing' })).toMatchObject({
      ok: true,
      values: { enabled: false, routing_tags: ['billing', 'ops'] },
    });
    expect(errorsOf({ name: 'R', enabled: 'maybe' })).toEqual({ enabled: ['Must be a valid boolean.'] });
    expect(errorsOf({ name: 'R', routing_tags: ['x'.repeat(51)] })).toEqual({
      routing_tags: ['Expected a list of at most 20 tags of at most 50 characters.'],
    });
  });

  it('PATCH keeps what is not sent and reports the changed fields', () => {
    const stored: AlertRuleValues = {
      ...ALERT_RULE_DEFAULTS,
      name: 'R',
      priority: 4,
      scope: { payer: 'Aetna' },
    };
    const result = validateAlertRuleInput(
      stored,
      { enabled: false },
      { partial: true, channelIds: channels },
    );
    expect(result).toEqual({ ok: true, values: { ...stored, enabled: false }, changed: ['enabled'] });
    const put = validateAlertRuleInput(stored, { name: 'R' }, { partial: false, channelIds: channels });
    expect(put).toMatchObject({
      ok: true,
      values: { priority: 0, scope: {} },
      changed: ['scope', 'priority'],
    });
  });
});

describe('rule texts', () => {
  it('shows the condition with two decimals and the scope', () => {
    expect(ruleConditionText({ metric: 'severity', threshold_type: 'gte', threshold_value: 0.7 })).toBe(
      'severity ≥ 0.70',
    );
    expect(ruleConditionText({ metric: 'impact_usd', threshold_type: 'lt', threshold_value: -5000 })).toBe(
      'impact_usd < -5000.00',
    );
    expect(
      ruleConditionText({ metric: 'denial_rate_delta', threshold_type: 'gt', threshold_value: 0.125 }),
    ).toBe('denial_rate_delta > 0.125');
    expect(ruleScopeText({})).toBe('all');
    expect(ruleScopeText({ payer: 'Aetna', cpt_group: 'E&M' })).toBe('payer = Aetna, cpt_group = E&M');
  });
});
