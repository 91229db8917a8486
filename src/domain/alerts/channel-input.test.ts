import { describe, expect, it } from 'vitest';
import {
  CHANNEL_MESSAGES,
  channelTargetSummary,
  channelWritePermission,
  type StoredChannel,
  validateChannelInput,
} from './channel-input.ts';

const endpoints = new Set([11]);
const create = (input: Record<string, unknown>) =>
  validateChannelInput(null, input, { partial: false, endpointIds: endpoints });
function errorsOf(input: Record<string, unknown>, stored: StoredChannel | null = null, partial = false) {
  const result = validateChannelInput(stored, input, { partial, endpointIds: endpoints });
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

const SLACK = 'https://hooks.slack.com/services/T1/B2/abcd';

describe('validateChannelInput', () => {
  it('email: 1–20 valid recipients, trimmed and de-duplicated', () => {
    expect(
      create({ name: 'Mail', type: 'email', config: { recipients: ['a@x.org', 'A@x.org', ' b@x.org'] } }),
    ).toEqual({
      ok: true,
      values: { name: 'Mail', type: 'email', enabled: true, config: { recipients: ['a@x.org', 'b@x.org'] } },
      slackUrl: null,
      changed: ['name', 'type', 'enabled', 'config'],
    });
    expect(
      create({ name: 'Mail', type: 'email', config: { recipients: 'a@x.org; b@x.org\nc@x.org' } }),
    ).toMatchObject({
      values: { config: { recipients: ['a@x.org', 'b@x.org', 'c@x.org'] } },
    });
    expect(errorsOf({ name: 'M', type: 'email', config: { recipients: [] } })).toEqual({
      config: [CHANNEL_MESSAGES.recipientsCount],
    });
    expect(errorsOf({ name: 'M', type: 'email' })).toEqual({ config: [CHANNEL_MESSAGES.recipientsCount] });
    const many = Array.from({ length: 21 }, (_, i) => `u${i}@x.org`);
    expect(errorsOf({ name: 'M', type: 'email', config: { recipients: many } })).toEqual({
      config: ['Enter 1 to 20 email addresses.'],
    });
    expect(create({ name: 'M', type: 'email', config: { recipients: many.slice(0, 20) } }).ok).toBe(true);
    expect(errorsOf({ name: 'M', type: 'email', config: { recipients: ['a@x.org', 'bad', 'x@y'] } })).toEqual(
      {
        config: ["Enter a valid email address: 'bad'.", "Enter a valid email address: 'x@y'."],
      },
    );
  });

  it('slack: an https://hooks.slack.com URL, returned apart from the config; none → 400 (B9)', () => {
    expect(create({ name: 'S', type: 'slack', config: { webhook_url: ` ${SLACK} ` } })).toEqual({
      ok: true,
      values: { name: 'S', type: 'slack', enabled: true, config: {} },
      slackUrl: SLACK,
      changed: ['name', 'type', 'enabled', 'config', 'webhook_url'],
    });
    expect(errorsOf({ name: 'S', type: 'slack' })).toEqual({ config: [CHANNEL_MESSAGES.slackUrlRequired] });
    expect(errorsOf({ name: 'S', type: 'slack', config: { webhook_url: '' } })).toEqual({
      config: [CHANNEL_MESSAGES.slackUrlRequired],
    });
    for (const url of [
      'http://hooks.slack.com/services/x',
      'https://hooks.slack.com.evil.org/services/x',
      'https://hooks.slack.com/',
      'not a url',
    ]) {
      expect(errorsOf({ name: 'S', type: 'slack', config: { webhook_url: url } })).toEqual({
        config: [CHANNEL_MESSAGES.slackUrlInvalid],
      });
    }
  });

  it('slack edit: no URL keeps the stored one; a stored channel without one still needs it', () => {
    const stored: StoredChannel = { name: 'S', type: 'slack', enabled: true, config: {}, hasSecret: true };
    expect(
      validateChannelInput(stored, { name: 'S', enabled: 'off' }, { partial: false, endpointIds: endpoints }),
    ).toEqual({
      ok: true,
      values: { name: 'S', type: 'slack', enabled: false, config: {} },
      slackUrl: null,
      changed: ['enabled'],
    });
    expect(errorsOf({ name: 'S' }, { ...stored, hasSecret: false })).toEqual({
      config: [CHANNEL_MESSAGES.slackUrlRequired],
    });
  });

  it("webhook: the endpoint must be one of the customer's", () => {
    expect(create({ name: 'W', type: 'webhook', config: { endpoint: '11' } })).toMatchObject({
      ok: true,
      values: { config: { endpoint: 11 } },
    });
    expect(errorsOf({ name: 'W', type: 'webhook', config: { endpoint: 12 } })).toEqual({
      config: ['Invalid pk "12" - object does not exist.'],
    });
    expect(errorsOf({ name: 'W', type: 'webhook', config: {} })).toEqual({
      config: [CHANNEL_MESSAGES.endpointRequired],
    });
  });

  it('name, type and flag rules', () => {
    expect(errorsOf({ type: 'email', config: { recipients: ['a@x.org'] } })).toEqual({
      name: ['This field is required.'],
    });
    expect(errorsOf({ name: 'x'.repeat(101), type: 'sms' })).toEqual({
      name: ['Ensure this field has no more than 100 characters.'],
      type: ['"sms" is not a valid choice.'],
    });
    expect(
      errorsOf({ name: 'M', type: 'email', enabled: 'perhaps', config: { recipients: ['a@x.org'] } }),
    ).toEqual({
      enabled: ['Must be a valid boolean.'],
    });
    expect(errorsOf({ name: 'M', type: 'email', config: 'x' })).toEqual({
      config: ['Config must be an object.'],
    });
    const stored: StoredChannel = {
      name: 'M',
      type: 'email',
      enabled: true,
      config: { recipients: ['a@x.org'] },
      hasSecret: false,
    };
    expect(errorsOf({ type: 'slack' }, stored, true)).toEqual({ type: [CHANNEL_MESSAGES.typeFixed] });
    expect(
      validateChannelInput(stored, { name: 'M2' }, { partial: true, endpointIds: endpoints }),
    ).toMatchObject({
      ok: true,
      values: { name: 'M2', config: { recipients: ['a@x.org'] } },
      changed: ['name'],
    });
  });

  it('permissions and target summaries', () => {
    expect(channelWritePermission('email')).toBe('manage_alerts');
    expect(channelWritePermission('slack')).toBe('manage_alerts');
    expect(channelWritePermission('webhook')).toBe('manage_webhooks');
    expect(
      channelTargetSummary({ type: 'email', config: { recipients: ['a', 'b'] }, secret_last4: null }),
    ).toBe('2 recipients');
    expect(channelTargetSummary({ type: 'slack', config: {}, secret_last4: 'abcd' })).toBe(
      'hooks.slack.com …abcd',
    );
    expect(
      channelTargetSummary({ type: 'webhook', config: { endpoint: 11 }, secret_last4: null }, 'Ops'),
    ).toBe('Ops');
  });
});
