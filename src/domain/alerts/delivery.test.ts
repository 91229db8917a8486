import { describe, expect, it } from 'vitest';
import {
  alertStatusFromDeliveries,
  allChannelsFailedMessage,
  deliveryAfterAttempt,
  NO_CHANNEL_MESSAGE,
  type RoutableChannel,
  resolveChannels,
  SETTINGS_EMAIL_KEY,
  validRecipients,
  weeklyPdfFilename,
} from './delivery.ts';

const email: RoutableChannel = {
  id: 1,
  name: 'Billing',
  type: 'email',
  enabled: true,
  config: { recipients: ['a@x.example', 'b@x.example'] },
};
const slack: RoutableChannel = { id: 2, name: 'Payer desk', type: 'slack', enabled: true, config: {} };
const hook: RoutableChannel = {
  id: 3,
  name: 'Ops hook',
  type: 'webhook',
  enabled: true,
  config: { endpoint: 7 },
};
const settings = { to_email: 'billing@acme.example', cc_email: 'cfo@acme.example' };

describe('channel resolution (§5)', () => {
  it("uses the rule's enabled channels", () => {
    const targets = resolveChannels({ ruleChannelIds: [2], channels: [email, slack], settings });
    expect(targets).toEqual([
      {
        channelKey: 'channel:2',
        channelId: 2,
        channelType: 'slack',
        channelName: 'Payer desk',
        targetSummary: 'hooks.slack.com',
      },
    ]);
  });

  it('falls back to every enabled channel when the rule lists none or only disabled ones', () => {
    const all = resolveChannels({
      ruleChannelIds: [],
      channels: [slack, email, hook],
      settings,
      endpointNames: new Map([[7, 'Ops endpoint']]),
    });
    expect(all.map((t) => [t.channelKey, t.targetSummary])).toEqual([
      ['channel:1', '2 recipients'],
      ['channel:2', 'hooks.slack.com'],
      ['channel:3', 'Ops endpoint'],
    ]);
    const disabledOnly = resolveChannels({
      ruleChannelIds: [2],
      channels: [{ ...slack, enabled: false }, email],
      settings,
    });
    expect(disabledOnly.map((t) => t.channelKey)).toEqual(['channel:1']);
  });

  it('then the implicit Settings email channel, then nothing', () => {
    expect(
      resolveChannels({ ruleChannelIds: [], channels: [{ ...email, enabled: false }], settings }),
    ).toEqual([
      {
        channelKey: SETTINGS_EMAIL_KEY,
        channelId: null,
        channelType: 'email',
        channelName: 'Settings email',
        targetSummary: '2 recipients',
      },
    ]);
    expect(
      resolveChannels({
        ruleChannelIds: [],
        channels: [],
        settings: { to_email: '', cc_email: 'x@y.example' },
      }),
    ).toEqual([]);
    expect(NO_CHANNEL_MESSAGE).toBe('No notification channel configured');
  });

  it('keeps only valid recipients', () => {
    expect(validRecipients(['ok@acme.example', 'not-an-address', ' spaced@acme.example ', 'a@b'])).toEqual([
      'ok@acme.example',
      'spaced@acme.example',
    ]);
  });
});

describe('alert status from deliveries (§5)', () => {
  it('any success → sent; all terminal → failed; otherwise pending', () => {
    expect(alertStatusFromDeliveries(['success', 'retrying'])).toBe('sent');
    expect(alertStatusFromDeliveries(['failed', 'success'])).toBe('sent');
    expect(alertStatusFromDeliveries(['failed', 'skipped', 'cancelled'])).toBe('failed');
    expect(alertStatusFromDeliveries(['failed', 'retrying'])).toBe('pending');
    expect(alertStatusFromDeliveries(['pending'])).toBe('pending');
    expect(alertStatusFromDeliveries([])).toBe('failed');
  });

  it('summarises every failed channel (B8, B9)', () => {
    expect(
      allChannelsFailedMessage([
        { channel_type: 'email', last_error: 'SMTP Error', status: 'failed' },
        { channel_type: 'slack', last_error: 'Slack disabled', status: 'failed' },
      ]),
    ).toBe('All channels failed: email: SMTP Error; slack: Slack disabled');
  });
});

describe('attempts (§5, B7, B8)', () => {
  it('email failing five times: retrying at +2, +6, +14, +30 min, then failed', () => {
    let record = { attempts: 0, max_attempts: 5 };
    let now = new Date('2026-03-02T06:00:00Z');
    const seen: Array<[string, string | null]> = [];
    for (;;) {
      const update = deliveryAfterAttempt(
        record,
        { kind: 'retryable', error: '421 Service not available' },
        now,
      );
      seen.push([update.status, update.next_attempt_at?.toISOString().slice(11, 19) ?? null]);
      expect(update.last_error).toBe('421 Service not available');
      record = { ...record, attempts: update.attempts };
      if (!update.next_attempt_at) break;
      now = update.next_attempt_at;
    }
    expect(seen).toEqual([
      ['retrying', '06:02:00'],
      ['retrying', '06:06:00'],
      ['retrying', '06:14:00'],
      ['retrying', '06:30:00'],
      ['failed', null],
    ]);
    expect(record.attempts).toBe(5);
  });

  it('success stamps delivered_at; terminal failures never retry; errors are capped at 500', () => {
    const at = new Date('2026-03-02T06:00:01Z');
    expect(deliveryAfterAttempt({ attempts: 0 }, { kind: 'success', responseCode: 200 }, at)).toMatchObject({
      status: 'success',
      attempts: 1,
      delivered_at: at,
      response_code: 200,
      next_attempt_at: null,
    });
    expect(
      deliveryAfterAttempt({ attempts: 0 }, { kind: 'terminal', error: 'Slack disabled' }, at),
    ).toMatchObject({
      status: 'failed',
      next_attempt_at: null,
      last_error: 'Slack disabled',
    });
    expect(
      deliveryAfterAttempt({ attempts: 0 }, { kind: 'skipped', error: 'Webhook delivery unavailable' }, at)
        .status,
    ).toBe('skipped');
    expect(
      deliveryAfterAttempt({ attempts: 0 }, { kind: 'retryable', error: 'x'.repeat(900) }, at).last_error,
    ).toHaveLength(500);
  });
});

describe('weekly PDF attachment name (§7)', () => {
  it('is payrixa_weekly_drift_{slug}_{as_of}.pdf', () => {
    expect(weeklyPdfFilename('Acme Family Practice', '2026-03-02')).toBe(
      'payrixa_weekly_drift_acme_family_practice_2026-03-02.pdf',
    );
    expect(weeklyPdfFilename('St. Mary & Co--Clinic', '2026-03-02')).toBe(
      'payrixa_weekly_drift_st_mary_co_clinic_2026-03-02.pdf',
    );
  });
});
