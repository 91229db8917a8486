import { describe, expect, it } from 'vitest';
import { findingRecord } from '../../test/analytics-records.ts';
import { toStoredFinding } from '../db/repositories/findings.repository.ts';
import { buildEvidencePayload, type JsonObject } from '../domain/analytics/index.ts';
import { alertEmail, alertEmailSubject, NOISE_WARNING } from './alert-email.ts';
import type { AlertMessageInput } from './alert-message.ts';
import { alertSlackMessage, slackEscape } from './alert-slack.ts';

function input(
  overrides: Partial<Parameters<typeof findingRecord>[0]> = {},
  customerName = 'Acme Family Practice',
): AlertMessageInput {
  const finding = findingRecord({
    payer: 'UnitedHealthcare',
    cpt_group: 'EVAL',
    baseline_start: '2025-11-17',
    baseline_end: '2026-02-16',
    current_start: '2026-02-16',
    current_end: '2026-03-02',
    baseline_value: 0.2,
    current_value: 0.6,
    delta_value: 0.4,
    baseline_count: 50,
    current_count: 50,
    severity: 0.8,
    severity_label: 'high',
    confidence: 0.83,
    confidence_label: 'High',
    p_value: 0.000045,
    q_value: 0.000089,
    estimated_impact: '2000.00',
    impact_kind: 'weekly_revenue',
    summary_text: 'UnitedHealthcare EVAL denial rate rose from 20.0% to 60.0%.',
    ...overrides,
  });
  const evidence = buildEvidencePayload({
    product: 'driftwatch',
    finding: toStoredFinding(finding),
    asOf: '2026-03-02',
    evidenceRows: [{ payer: finding.payer, cpt_group: finding.cpt_group, severity: 0.8 }],
    portalUrl: 'https://payrixa.example/portal/alerts/981/deep-dive/',
  });
  return {
    alert: {
      id: 981,
      request_id: 'req-01',
      triggered_at: new Date('2026-03-02T06:00:00Z'),
      severity_label: finding.severity_label,
      product: 'driftwatch',
      payload: {
        ...(evidence as unknown as JsonObject),
        rule_name: 'High Denial Rate Alert',
        rule_metric: 'severity',
        rule_threshold_type: 'gte',
        rule_threshold: 0.7,
      },
    },
    customerName,
    channelName: 'Settings email',
    portalBaseUrl: 'https://payrixa.example',
  };
}

describe('alert email (§7)', () => {
  it('subject, headers, HTML sections in order and the text part', () => {
    const email = alertEmail(input());
    expect(email.subject).toBe('[DriftWatch Alert] Acme Family Practice - High Severity');
    expect(email.headers).toEqual({ 'X-Payrixa-Alert-Id': '981', 'X-Request-Id': 'req-01' });
    const html = email.html;
    const order = [
      'DriftWatch Alert',
      'Acme Family Practice • High Severity',
      'UnitedHealthcare EVAL denial rate rose',
      '💡 What This Means',
      '✅ Recommended Action',
      '📊 Evidence',
      'Possible causes',
      'View alert in Payrixa',
      'Rule: High Denial Rate Alert (severity &gt;= 0.7)',
      'Request ID: req-01',
      'You receive this because you are a recipient of Settings email for Acme Family Practice.',
    ].map((s) => html.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('background:#d32f2f');
    expect(html).toContain('href="https://payrixa.example/portal/alerts/981/deep-dive/"');
    expect(html).toContain('href="https://payrixa.example/portal/alerts/channels/"');
    expect(html).toContain('2025-11-17 – 2026-02-15');
    expect(html).toContain('20.0%');
    expect(html).toContain('p 4.5e-5 · q 8.9e-5');
    expect(html).toContain('Estimated impact (weekly revenue)');
    expect(html).toContain('$2,000.00');
    expect(html).not.toMatch(/<link|<script|src="http/);

    const text = email.text;
    expect(text.split('\n')[0]).toBe('DriftWatch Alert - Acme Family Practice');
    for (const part of [
      'What this means:',
      'Recommended actions:',
      '1. ',
      'Evidence:',
      'Signal: Denial rate',
      'Confidence: High (0.83)',
      'View the alert: https://payrixa.example/portal/alerts/981/deep-dive/',
      'Request ID: req-01',
    ]) {
      expect(text).toContain(part);
    }
  });

  it('escapes every value and warns when the finding is likely noise', () => {
    const email = alertEmail(
      input(
        { payer: '<script>x</script> & Co', severity: 0.2, severity_label: 'low', delta_value: 0.01 },
        'A <b>&</b> B',
      ),
    );
    expect(email.html).not.toContain('<script>x');
    expect(email.html).toContain('&lt;script&gt;x&lt;/script&gt; &amp; Co');
    expect(email.html).toContain('A &lt;b&gt;&amp;&lt;/b&gt; B');
    expect(email.html).toContain('This alert may be noise. Review carefully before taking action.');
    expect(email.text).toContain(NOISE_WARNING);
    expect(alertEmailSubject(input({ severity_label: 'critical', severity: 0.95 }))).toBe(
      '[DriftWatch Alert] Acme Family Practice - Critical Severity',
    );
  });

  it('a finding without a p-value shows "not tested"', () => {
    expect(alertEmail(input({ p_value: null, q_value: null })).text).toContain('Significance: not tested');
  });
});

describe('alert Slack message (§8)', () => {
  it('fallback text, header, fields, button, context and coloured attachment', () => {
    const message = alertSlackMessage(input());
    expect(message.text).toBe('🚨 DriftWatch Alert: UnitedHealthcare Denial rate');
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: '🚨 DriftWatch Alert: High Severity' },
    });
    const fields = (message.blocks[1] as { fields: Array<{ text: string }> }).fields.map((f) => f.text);
    expect(fields).toEqual([
      '*Customer:*\nAcme Family Practice',
      '*Rule:*\nHigh Denial Rate Alert',
      '*Payer:*\nUnitedHealthcare',
      '*Signal:*\nDenial rate · EVAL',
      '*Change:*\n20.0% → 60.0% (+40.0 pts)',
      '*Severity:*\nHigh (0.80)',
      '*Confidence:*\nHigh (0.83)',
      '*Est. impact:*\n$2,000.00',
    ]);
    expect(message.blocks[3]).toMatchObject({
      type: 'actions',
      elements: [
        { text: { text: 'View in Payrixa' }, url: 'https://payrixa.example/portal/alerts/981/deep-dive/' },
      ],
    });
    expect(message.blocks[4]).toMatchObject({
      elements: [{ text: 'Alert ID: 981 | Triggered: 2026-03-02 06:00:00 UTC' }],
    });
    expect(message.attachments).toEqual([
      { color: '#d32f2f', text: 'This alert was triggered by the *High Denial Rate Alert* rule.' },
    ]);
  });

  it('escapes &, < and > and labels colours/emoji by severity', () => {
    expect(slackEscape('a & <b> c')).toBe('a &amp; &lt;b&gt; c');
    const message = alertSlackMessage(
      input({ payer: 'Smith & <Jones>', estimated_impact: null, severity: 0.5, severity_label: 'medium' }),
    );
    expect(message.text).toBe('⚠️ DriftWatch Alert: Smith &amp; &lt;Jones&gt; Denial rate');
    const fields = (message.blocks[1] as { fields: Array<{ text: string }> }).fields.map((f) => f.text);
    expect(fields).toContain('*Payer:*\nSmith &amp; &lt;Jones&gt;');
    expect(fields).toContain('*Est. impact:*\nn/a');
    expect(message.attachments[0]?.color).toBe('#ff9800');
  });
});
