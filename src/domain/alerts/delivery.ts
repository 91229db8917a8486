/**
 * Routing and delivery records (alerts-reports §5): which channels an alert goes to, the
 * outcome of one attempt on a delivery record, and the alert status that follows from its
 * records. Pure.
 */

import { customerSlug } from '../reports/artifacts.ts';
import { MAX_DELIVERY_ATTEMPTS, nextAttemptAfterFailure } from './retry.ts';

export type ChannelType = 'email' | 'slack' | 'webhook';
export type DeliveryStatus = 'pending' | 'success' | 'retrying' | 'failed' | 'skipped' | 'cancelled';

/** `channel_key` of the implicit Settings email channel. */
export const SETTINGS_EMAIL_KEY = 'settings-email';
export const SETTINGS_EMAIL_NAME = 'Settings email';
export const NO_CHANNEL_MESSAGE = 'No notification channel configured';
export const LAST_ERROR_MAX = 500;
export const ERROR_MESSAGE_MAX = 2000;

/** A notification channel of the customer (secrets are not needed to route). */
export interface RoutableChannel {
  readonly id: number;
  readonly name: string;
  readonly type: ChannelType;
  readonly enabled: boolean;
  readonly config: { readonly recipients?: readonly string[]; readonly endpoint?: number };
}

/** One delivery record to create. */
export interface ResolvedTarget {
  readonly channelKey: string;
  readonly channelId: number | null;
  readonly channelType: ChannelType;
  readonly channelName: string;
  readonly targetSummary: string;
}

export function channelKey(channelId: number): string {
  return `channel:${channelId}`;
}

function splitAddresses(list: string): string[] {
  return list
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const EMAIL_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** The syntactically valid addresses of a list (an invalid one is dropped, never sent to). */
export function validRecipients(addresses: readonly string[]): string[] {
  return addresses.map((a) => a.trim()).filter((a) => a.length <= 254 && EMAIL_PATTERN.test(a));
}

/** Settings email recipients: `to_email` (To) and `cc_email` (Cc), each possibly a list. */
export function settingsRecipients(settings: { to_email: string; cc_email: string } | null): {
  to: string[];
  cc: string[];
} {
  if (!settings) return { to: [], cc: [] };
  return {
    to: validRecipients(splitAddresses(settings.to_email)),
    cc: validRecipients(splitAddresses(settings.cc_email)),
  };
}

function recipientsSummary(count: number): string {
  return count === 1 ? '1 recipient' : `${count} recipients`;
}

function targetSummary(channel: RoutableChannel, endpointNames: ReadonlyMap<number, string>): string {
  switch (channel.type) {
    case 'email':
      return recipientsSummary(channel.config.recipients?.length ?? 0);
    case 'slack':
      // Saving a Slack channel only accepts https://hooks.slack.com/... URLs (§5).
      return 'hooks.slack.com';
    case 'webhook': {
      const id = channel.config.endpoint;
      return (id !== undefined && endpointNames.get(id)) || 'webhook endpoint';
    }
  }
}

/**
 * Channel resolution (§5): the rule's listed channels that are enabled; if none, every enabled
 * channel of the customer; if none, the implicit Settings email channel; if `to_email` is empty,
 * no target at all (the alert fails with {@link NO_CHANNEL_MESSAGE}).
 */
export function resolveChannels(input: {
  ruleChannelIds: readonly number[];
  channels: readonly RoutableChannel[];
  settings: { to_email: string; cc_email: string } | null;
  endpointNames?: ReadonlyMap<number, string>;
}): ResolvedTarget[] {
  const enabled = input.channels.filter((c) => c.enabled).sort((a, b) => a.id - b.id);
  const listed = new Set(input.ruleChannelIds);
  let chosen = enabled.filter((c) => listed.has(c.id));
  if (chosen.length === 0) chosen = enabled;
  const names = input.endpointNames ?? new Map<number, string>();
  if (chosen.length > 0) {
    return chosen.map((c) => ({
      channelKey: channelKey(c.id),
      channelId: c.id,
      channelType: c.type,
      channelName: c.name,
      targetSummary: targetSummary(c, names),
    }));
  }
  const { to, cc } = settingsRecipients(input.settings);
  if (to.length === 0) return [];
  return [
    {
      channelKey: SETTINGS_EMAIL_KEY,
      channelId: null,
      channelType: 'email',
      channelName: SETTINGS_EMAIL_NAME,
      targetSummary: recipientsSummary(to.length + cc.length),
    },
  ];
}

const TERMINAL: ReadonlySet<DeliveryStatus> = new Set(['failed', 'skipped', 'cancelled']);

export function isTerminalDelivery(status: DeliveryStatus): boolean {
  return TERMINAL.has(status) || status === 'success';
}

/**
 * Alert status from its delivery records (§5): any success → sent; else all terminal → failed;
 * else pending. `skipped` and `failed` are never a success. No record → failed.
 */
export function alertStatusFromDeliveries(
  statuses: readonly DeliveryStatus[],
): 'sent' | 'failed' | 'pending' {
  if (statuses.includes('success')) return 'sent';
  if (statuses.every((s) => TERMINAL.has(s))) return 'failed';
  return 'pending';
}

/** "All channels failed: email: SMTP Error; slack: Slack disabled" (§4), capped for the column. */
export function allChannelsFailedMessage(
  deliveries: ReadonlyArray<{ channel_type: ChannelType; last_error: string | null; status: DeliveryStatus }>,
): string {
  const parts = deliveries.map((d) => `${d.channel_type}: ${d.last_error ?? d.status}`);
  return `All channels failed: ${parts.join('; ')}`.slice(0, ERROR_MESSAGE_MAX);
}

/** The outcome of one attempt on a delivery record. */
export type AttemptOutcome =
  | { readonly kind: 'success'; readonly responseCode?: number | null }
  /** Retried on the §5 schedule until the last attempt. */
  | { readonly kind: 'retryable'; readonly error: string; readonly responseCode?: number | null }
  /** Failed at once, no retry (no recipients, Slack disabled). */
  | { readonly kind: 'terminal'; readonly error: string; readonly responseCode?: number | null }
  | { readonly kind: 'skipped'; readonly error: string };

/** The record's columns after an attempt. */
export interface DeliveryUpdate {
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly last_attempt_at: Date;
  readonly next_attempt_at: Date | null;
  readonly delivered_at: Date | null;
  readonly response_code: number | null;
  readonly last_error: string | null;
}

/** Applies one attempt made at `at` to a record that had `attempts` attempts so far. */
export function deliveryAfterAttempt(
  record: { attempts: number; max_attempts?: number },
  outcome: AttemptOutcome,
  at: Date,
): DeliveryUpdate {
  const attempts = record.attempts + 1;
  const responseCode = 'responseCode' in outcome ? (outcome.responseCode ?? null) : null;
  const base = { attempts, last_attempt_at: at, response_code: responseCode };
  switch (outcome.kind) {
    case 'success':
      return { ...base, status: 'success', next_attempt_at: null, delivered_at: at, last_error: null };
    case 'terminal':
    case 'skipped':
      return {
        ...base,
        status: outcome.kind === 'skipped' ? 'skipped' : 'failed',
        next_attempt_at: null,
        delivered_at: null,
        last_error: outcome.error.slice(0, LAST_ERROR_MAX),
      };
    case 'retryable': {
      const next = nextAttemptAfterFailure(attempts, at, record.max_attempts ?? MAX_DELIVERY_ATTEMPTS);
      return {
        ...base,
        status: next ? 'retrying' : 'failed',
        next_attempt_at: next,
        delivered_at: null,
        last_error: outcome.error.slice(0, LAST_ERROR_MAX),
      };
    }
  }
}

/** `payrixa_weekly_drift_{customer_slug}_{as_of}.pdf` (§7 "Attachment"; the same name as the download, §13.2). */
export function weeklyPdfFilename(customerName: string, asOf: string): string {
  return `payrixa_weekly_drift_${customerSlug(customerName)}_${asOf}.pdf`;
}
