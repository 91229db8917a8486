import { describe, expect, it } from 'vitest';
import { DEMO_SCENARIOS, parseScenarioSpec, ScenarioSpecError } from './scenarios.ts';

describe('parseScenarioSpec', () => {
  it('parses every key, fills defaults and canonicalizes payer and group names', () => {
    expect(parseScenarioSpec('denial_spike:payer=bcbs,group=e&m office visit,delta=0.25')).toEqual({
      name: 'denial_spike',
      payer: 'Blue Cross Blue Shield',
      group: 'E&M Office Visit',
      delta: 0.25,
      windowDays: 14,
      spec: 'denial_spike:payer=Blue Cross Blue Shield,group=E&M Office Visit,delta=0.25,window=14',
    });
    // Slowdowns: the window defaults to days + 14 (the backlog's gap, then the current window).
    expect(parseScenarioSpec('payment_delay:payer=Cigna')).toMatchObject({
      days: 12,
      windowDays: 26,
      spec: 'payment_delay:payer=Cigna,days=12,window=26',
    });
    expect(parseScenarioSpec('decision_drift:payer=Medicare, group=E&M')).toMatchObject({
      group: 'E&M',
      days: 8,
      windowDays: 22,
    });
    expect(parseScenarioSpec('decision_drift:payer=Medicare,days=3,window=10')).toMatchObject({
      windowDays: 10,
    });
    expect(parseScenarioSpec('payment_delay:payer=Cigna,days=90').windowDays).toBe(104);
    expect(parseScenarioSpec('denial_dollars_spike:payer=UHC')).toEqual({
      name: 'denial_dollars_spike',
      payer: 'UnitedHealthcare',
      code: 'CO-197',
      factor: 3,
      share: 1,
      delta: 0.3,
      windowDays: 7,
      spec: 'denial_dollars_spike:payer=UnitedHealthcare,code=CO-197,factor=3,share=1,delta=0.3,window=7',
    });
    expect(parseScenarioSpec('denial_dollars_spike:payer=UHC,share=0.7,delta=0')).toMatchObject({
      share: 0.7,
      delta: 0,
    });
    expect(parseScenarioSpec('new_denial_reason:payer=Aetna')).toMatchObject({
      code: 'CO-252',
      text: 'Documentation required',
      count: 15,
      windowDays: 7,
    });
    expect(
      parseScenarioSpec('new_denial_reason:payer=Aetna,code=co-11,text=Wrong site,count=4'),
    ).toMatchObject({ code: 'CO-11', text: 'Wrong site', count: 4 });
    expect(parseScenarioSpec('underpayment:payer=Aetna,points=0.05,window=28')).toMatchObject({
      group: null,
      points: 0.05,
      windowDays: 28,
    });
  });

  it('accepts the demo scenarios', () => {
    expect(DEMO_SCENARIOS.map((s) => parseScenarioSpec(s).name)).toEqual([
      'denial_spike',
      'decision_drift',
      'denial_dollars_spike',
      'new_denial_reason',
      'payment_delay',
      'underpayment',
    ]);
  });

  it.each([
    ['', /Empty scenario\. Expected name:key=value/],
    [
      'spike:payer=Aetna',
      /Unknown scenario 'spike' in 'spike:payer=Aetna'\. Known scenarios: denial_spike, /,
    ],
    ['denial_spike', /Scenario 'denial_spike' needs payer=<payer>/],
    ['denial_spike:group=E&M', /needs payer=<payer>.*Payers: Blue Cross Blue Shield, UnitedHealthcare/],
    ['denial_spike:payer=Acme', /Unknown payer 'Acme' in scenario 'denial_spike'\. Payers: /],
    ['denial_spike:payer=Aetna,group=Dental', /Unknown CPT group 'Dental'.*Groups: .*E&M Office Visit/],
    ['denial_spike:payer=Aetna,delta', /Malformed parameter 'delta' .*expected key=value/],
    [
      'denial_spike:payer=Aetna,days=3',
      /Unknown key 'days' for scenario 'denial_spike'\. Allowed keys: payer, group, delta, window/,
    ],
    ['denial_spike:payer=Aetna,payer=Cigna', /Key 'payer' is given twice/],
    ['denial_spike:payer=Aetna,delta=', /Key 'delta' has no value/],
    ['denial_spike:payer=Aetna,delta=abc', /Invalid delta 'abc' .*greater than 0 and at most 0\.95/],
    ['denial_spike:payer=Aetna,delta=1.5', /Invalid delta '1\.5'/],
    ['decision_drift:payer=Aetna,days=2.5', /Invalid days '2\.5' .*a whole number at least 1/],
    ['payment_delay:payer=Aetna,days=-3', /Invalid days '-3'/],
    ['denial_dollars_spike:payer=UHC,code=197', /Invalid code '197' .*like CO-197/],
    ['denial_dollars_spike:payer=UHC,factor=0', /Invalid factor '0'/],
    ['denial_dollars_spike:payer=UHC,share=1.5', /Invalid share '1\.5' .*a number at least 0 and at most 1/],
    ['new_denial_reason:payer=Aetna,count=0', /Invalid count '0'/],
    ['underpayment:payer=Aetna,window=0', /Invalid window '0'/],
  ])('rejects %j with a clear message', (spec, message) => {
    expect(() => parseScenarioSpec(spec)).toThrow(ScenarioSpecError);
    expect(() => parseScenarioSpec(spec)).toThrow(message);
  });
});
