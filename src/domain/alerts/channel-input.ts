import type { ChannelConfig, ChannelType } from '../../db/schema-alerts.ts';
import { isSlackWebhookUrl } from '../../notify/slack.ts';
import type { Permission } from '../accounts/permissions.ts';
import { isValidEmail } from '../accounts/settings.ts';
import { parseFlag } from './rule-input.ts';

/**
 * Notification channel input (alerts-reports §5, web-api-ops §4.6 `channels`): validation and
 * normalisation shared by `channels/` and the channels page.
 *
 * Pure: the caller passes the stored channel (or null for a create) and the ids of the
 * customer's webhook endpoints; name uniqueness is the command's. The Slack URL is a secret: it
 * is returned separately (`slackUrl`) for the command to seal and never goes into `config`.
 */

export const CHANNEL_TYPES = ['email', 'slack', 'webhook'] as const satisfies readonly ChannelType[];
export const CHANNEL_NAME_MAX = 100;
export const MAX_RECIPIENTS = 20;
const URL_MAX = 500;

export const CHANNEL_MESSAGES = {
  required: 'This field is required.',
  nameLength: `Ensure this field has no more than ${CHANNEL_NAME_MAX} characters.`,
  nameDuplicate: (name: string) => `A channel named '${name}' already exists.`,
  choice: (value: string) => `"${value}" is not a valid choice.`,
  typeFixed: 'The type of a channel cannot be changed; create a new channel instead.',
  boolean: 'Must be a valid boolean.',
  configObject: 'Config must be an object.',
  recipientsCount: `Enter 1 to ${MAX_RECIPIENTS} email addresses.`,
  recipientInvalid: (value: string) => `Enter a valid email address: '${value}'.`,
  slackUrlRequired: 'A Slack channel needs its incoming-webhook URL (https://hooks.slack.com/...).',
  slackUrlInvalid: 'Enter a Slack incoming-webhook URL starting with https://hooks.slack.com/.',
  endpointRequired: 'Choose one of your webhook endpoints.',
  endpointUnknown: (id: string) => `Invalid pk "${id}" - object does not exist.`,
  saved: (name: string) => `Channel '${name}' saved.`,
  deleted: (name: string) => `Channel '${name}' deleted.`,
  testSent: (name: string) => `Test notification sent to '${name}'.`,
  testFailed: (name: string, reason: string) => `Test notification to '${name}' failed: ${reason}`,
} as const;

/** The permission that writes a channel of this type (web-api-ops §2.3). */
export function channelWritePermission(type: ChannelType): Permission {
  return type === 'webhook' ? 'manage_webhooks' : 'manage_alerts';
}

export interface ChannelValues {
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: ChannelConfig;
}

export interface StoredChannel extends ChannelValues {
  /** Whether a sealed Slack URL is stored (a Slack channel may keep it on edit). */
  hasSecret: boolean;
}

export type ChannelValidation =
  | {
      ok: true;
      values: ChannelValues;
      /** A new Slack URL to seal (null: keep the stored one / not Slack). */
      slackUrl: string | null;
      changed: (keyof ChannelValues | 'webhook_url')[];
    }
  | { ok: false; errors: Record<string, string[]> };

export interface ChannelValidationOptions {
  /** PATCH: absent fields keep their stored value. */
  partial: boolean;
  /** Ids of the customer's webhook endpoints. */
  endpointIds: ReadonlySet<number>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const SINGLE_LINE_CONTROL = /[\u0000-\u001f\u007f]/;

/** Recipients from a JSON list or a text with commas, semicolons or line breaks. */
export function parseRecipients(raw: unknown): string[] | null {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[,;\r\n]+/) : null;
  if (!items) return null;
  const recipients: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return null;
    const address = item.trim();
    if (address === '') continue;
    if (!recipients.some((r) => r.toLowerCase() === address.toLowerCase())) recipients.push(address);
  }
  return recipients;
}

function parseEndpointId(raw: unknown): number | null {
  const id =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\s*\d{1,15}\s*$/.test(raw)
        ? Number(raw)
        : Number.NaN;
  return Number.isSafeInteger(id) && id >= 1 ? id : null;
}

/**
 * Validates `input` (`name`, `type`, `enabled`, `config`) against the stored channel (null for
 * a create). `config` carries `recipients` (email), `webhook_url` (Slack, write-only) or
 * `endpoint` (webhook). On an edit, a Slack channel without a new URL keeps its stored one; a
 * Slack channel with no URL at all is refused (B9).
 */
export function validateChannelInput(
  stored: StoredChannel | null,
  input: Readonly<Record<string, unknown>>,
  options: ChannelValidationOptions,
): ChannelValidation {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    const list = errors[field] ?? [];
    if (!list.includes(message)) list.push(message);
    errors[field] = list;
  };
  const has = (name: string) => Object.hasOwn(input, name) && input[name] !== undefined;
  const keep = options.partial && stored !== null;

  let name = keep ? stored.name : '';
  if (has('name')) {
    const text = typeof input['name'] === 'string' ? input['name'].trim() : '';
    if (text === '') add('name', CHANNEL_MESSAGES.required);
    else if (Array.from(text).length > CHANNEL_NAME_MAX) add('name', CHANNEL_MESSAGES.nameLength);
    else if (SINGLE_LINE_CONTROL.test(text)) add('name', 'Control characters are not allowed.');
    else name = text;
  } else if (!keep) {
    add('name', CHANNEL_MESSAGES.required);
  }

  let type: ChannelType | null = stored?.type ?? null;
  if (has('type')) {
    const raw = input['type'];
    const choice =
      typeof raw === 'string' && (CHANNEL_TYPES as readonly string[]).includes(raw)
        ? (raw as ChannelType)
        : null;
    if (choice === null) add('type', CHANNEL_MESSAGES.choice(typeof raw === 'string' ? raw : ''));
    else if (stored && stored.type !== choice) add('type', CHANNEL_MESSAGES.typeFixed);
    else type = choice;
  } else if (!stored) {
    add('type', CHANNEL_MESSAGES.required);
  }

  let enabled = keep ? stored.enabled : true;
  if (has('enabled')) {
    const value = parseFlag(input['enabled']);
    if (value === null) add('enabled', CHANNEL_MESSAGES.boolean);
    else enabled = value;
  }

  let configInput: Record<string, unknown> | null = null;
  if (has('config')) {
    const raw = input['config'];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      add('config', CHANNEL_MESSAGES.configObject);
    else configInput = raw as Record<string, unknown>;
  }

  let config: ChannelConfig = keep ? { ...stored.config } : {};
  let slackUrl: string | null = null;
  if (type && !errors['config']) {
    const sent = configInput ?? {};
    const given = (key: string) => Object.hasOwn(sent, key) && sent[key] !== undefined && sent[key] !== null;
    if (type === 'email') {
      if (given('recipients') || !keep) {
        const recipients = given('recipients') ? parseRecipients(sent['recipients']) : [];
        if (recipients === null || recipients.length === 0 || recipients.length > MAX_RECIPIENTS) {
          add('config', CHANNEL_MESSAGES.recipientsCount);
        } else {
          const bad = recipients.filter((address) => !isValidEmail(address));
          for (const address of bad) add('config', CHANNEL_MESSAGES.recipientInvalid(address));
          if (bad.length === 0) config = { recipients };
        }
      }
    } else if (type === 'slack') {
      const raw = sent['webhook_url'];
      const url = typeof raw === 'string' ? raw.trim() : '';
      if (url !== '') {
        if (url.length > URL_MAX || SINGLE_LINE_CONTROL.test(url) || !isSlackWebhookUrl(url)) {
          add('config', CHANNEL_MESSAGES.slackUrlInvalid);
        } else slackUrl = url;
      } else if (raw !== undefined && raw !== null && typeof raw !== 'string') {
        add('config', CHANNEL_MESSAGES.slackUrlInvalid);
      } else if (!stored?.hasSecret) {
        add('config', CHANNEL_MESSAGES.slackUrlRequired);
      }
      // Nothing readable is stored for Slack: the URL lives sealed beside the config.
      config = {};
    } else if (given('endpoint') || !keep) {
      const endpoint = given('endpoint') ? parseEndpointId(sent['endpoint']) : null;
      if (endpoint === null) add('config', CHANNEL_MESSAGES.endpointRequired);
      else if (!options.endpointIds.has(endpoint))
        add('config', CHANNEL_MESSAGES.endpointUnknown(String(endpoint)));
      else config = { endpoint };
    }
  }

  if (Object.keys(errors).length > 0 || type === null) return { ok: false, errors };
  const values: ChannelValues = { name, type, enabled, config };
  const changed: (keyof ChannelValues | 'webhook_url')[] = [];
  if (!stored || stored.name !== name) changed.push('name');
  if (!stored) changed.push('type');
  if (!stored || stored.enabled !== enabled) changed.push('enabled');
  if (!stored || JSON.stringify(stored.config) !== JSON.stringify(config)) changed.push('config');
  if (slackUrl !== null) changed.push('webhook_url');
  return { ok: true, values, slackUrl, changed };
}

/** The masked Slack URL shown after creation: "…abcd". */
export function maskedSecret(last4: string | null): string | null {
  return last4 ? `…${last4}` : null;
}

/** "2 recipients", "hooks.slack.com …abcd", the endpoint's name (§5 `target_summary`). */
export function channelTargetSummary(
  channel: { type: ChannelType; config: ChannelConfig; secret_last4: string | null },
  endpointName?: string | null,
): string {
  switch (channel.type) {
    case 'email': {
      const count = channel.config.recipients?.length ?? 0;
      return count === 1 ? '1 recipient' : `${count} recipients`;
    }
    case 'slack':
      return channel.secret_last4 ? `hooks.slack.com ${maskedSecret(channel.secret_last4)}` : 'no URL';
    case 'webhook':
      return (
        endpointName ?? (channel.config.endpoint ? `endpoint #${channel.config.endpoint}` : 'no endpoint')
      );
  }
}
