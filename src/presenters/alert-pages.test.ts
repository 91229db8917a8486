import { describe, expect, it } from 'vitest';
import type { AlertListRow, DeliveryRecord } from '../queries/alerts-list.ts';
import { percent, presentAlertListRow, presentRecoveryCard, probabilityPercent } from './alert-pages.ts';

function alertRow(overrides: Partial<AlertListRow> = {}): AlertListRow {
  return {
    customer_id: 1,
    id: 981,
    rule_id: 1,
    rule_priority: 0,
    product: 'driftwatch',
    run_id: 1,
    finding_id: 5,
    finding_fingerprint: 'f'.repeat(32),
    signal_type: 'DENIAL_RATE',
    payer: 'Blue Cross Blue Shield',
    entity_key: 'blue cross blue shield|e&m',
    triggered_at: new Date('2026-03-02T06:00:00Z'),
    status: 'sent',
    payload: { cpt_group: 'E&M' },
    severity: 0.8,
    severity_label: 'high',
    suppressed: false,
    suppression_reason: null,
    notification_sent_at: null,
    error_message: null,
    request_id: null,
    created_at: new Date('2026-03-02T06:00:00Z'),
    updated_at: new Date('2026-03-02T06:00:00Z'),
    latest_verdict: null,
    ...overrides,
  };
}

function delivery(
  status: DeliveryRecord['status'],
  channel_type: DeliveryRecord['channel_type'],
): DeliveryRecord {
  return {
    customer_id: 1,
    id: 1,
    alert_event_id: 981,
    channel_key: 'x',
    channel_id: null,
    channel_type,
    channel_name: 'n',
    target_summary: '',
    status,
    attempts: 1,
    max_attempts: 5,
    last_attempt_at: null,
    next_attempt_at: null,
    delivered_at: null,
    response_code: null,
    last_error: null,
    webhook_delivery_id: null,
    attachment_error: null,
    created_at: new Date(),
    updated_at: new Date(),
  };
}

describe('alert page view models', () => {
  it('B7: the list shows ✓ Slack, ✗ email; skipped and cancelled as –, retrying as ↻', () => {
    const row = presentAlertListRow(alertRow(), [
      delivery('success', 'slack'),
      delivery('failed', 'email'),
      delivery('retrying', 'email'),
      delivery('skipped', 'webhook'),
      delivery('cancelled', 'webhook'),
    ]);
    expect(row.deliveries.map((d) => `${d.icon} ${d.channel}`)).toEqual([
      '✓ Slack',
      '✗ Email',
      '↻ Email',
      '– Webhook',
      '– Webhook',
    ]);
    expect(row).toMatchObject({
      url: '/portal/alerts/981/deep-dive/',
      triggered: '2026-03-02 06:00',
      product: 'DriftWatch',
      signal: 'Denial rate',
      entity: 'Blue Cross Blue Shield · E&M',
      severity: 'High (80%)',
      statusLabel: 'Sent',
      suppression: null,
      verdict: null,
    });
  });

  it('suppression badges and verdicts', () => {
    expect(
      presentAlertListRow(alertRow({ suppressed: true, suppression_reason: 'cooldown' }), []).suppression,
    ).toBe('Suppressed (cooldown)');
    expect(
      presentAlertListRow(alertRow({ suppressed: true, suppression_reason: 'noise_memory' }), []).suppression,
    ).toBe('Suppressed (noise memory)');
    expect(presentAlertListRow(alertRow({ latest_verdict: 'needs_followup' }), []).verdict).toEqual({
      verdict: 'needs_followup',
      label: 'Needs follow-up',
    });
  });

  it('the recovery card formats exact sums as money', () => {
    const card = presentRecoveryCard({
      thisMonth: { total: '25000.50', count: 1, since: '2026-03-01' },
      last30Days: { total: '26200.50', count: 2, since: '2026-02-18' },
      allTime: { total: '30200.50', count: 3, since: null },
      recent: [
        {
          judgmentId: 1,
          alertId: 981,
          payer: 'Aetna',
          product: 'delayguard',
          amount: '25000.50',
          recoveredDate: '2026-03-05',
        },
      ],
    });
    expect(card).toMatchObject({
      thisMonth: '$25,000.50',
      caption: '1 alert(s) resolved',
      last30Days: '$26,200.50',
      allTime: '$30,200.50',
      recent: [{ amount: '$25,000.50', payer: 'Aetna', product: 'DelayGuard', date: '2026-03-05' }],
    });
  });

  it('fractions ×100 with "%"', () => {
    expect(percent(0.4)).toBe('40.0%');
    expect(percent(null)).toBe('-');
    expect(probabilityPercent(0.001)).toBe('0.10%');
    expect(probabilityPercent(0.00001)).toBe('< 0.01%');
  });
});
