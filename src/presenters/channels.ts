import type { ChannelRecord } from '../db/repositories/notification-channels.repository.ts';
import type { ChannelType } from '../db/schema-alerts.ts';
import { channelTargetSummary, maskedSecret } from '../domain/alerts/channel-input.ts';

/**
 * The `channels` resource (web-api-ops §4.6) and the rows of the channels page. The Slack URL
 * is never shown: only `webhook_url_masked` ("…abcd", from the stored last 4 characters).
 */

export interface ChannelConfigView {
  recipients?: string[];
  webhook_url_masked?: string | null;
  endpoint?: number | null;
}

export interface ChannelView {
  id: number;
  customer: number;
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: ChannelConfigView;
}

export function presentChannelConfig(row: ChannelRecord): ChannelConfigView {
  switch (row.type) {
    case 'email':
      return { recipients: row.config?.recipients ?? [] };
    case 'slack':
      return { webhook_url_masked: maskedSecret(row.secret_last4) };
    case 'webhook':
      return { endpoint: row.config?.endpoint ?? null };
  }
}

export function presentChannel(row: ChannelRecord): ChannelView {
  return {
    id: Number(row.id),
    customer: Number(row.customer_id),
    name: row.name,
    type: row.type,
    enabled: row.enabled,
    config: presentChannelConfig(row),
  };
}

export const CHANNEL_TYPE_LABELS: Readonly<Record<ChannelType, string>> = {
  email: 'Email',
  slack: 'Slack',
  webhook: 'Webhook',
};

export interface ChannelRow {
  id: number;
  name: string;
  type: ChannelType;
  typeLabel: string;
  target: string;
  enabled: boolean;
  /** Form values of the edit page (never the Slack URL). */
  recipients: string;
  endpoint: string;
  webhookUrlMasked: string | null;
}

export function presentChannelRow(
  row: ChannelRecord,
  endpointNames: ReadonlyMap<number, string>,
): ChannelRow {
  const endpoint = row.config?.endpoint ?? null;
  return {
    id: Number(row.id),
    name: row.name,
    type: row.type,
    typeLabel: CHANNEL_TYPE_LABELS[row.type],
    target: channelTargetSummary(row, endpoint ? endpointNames.get(endpoint) : null),
    enabled: row.enabled,
    recipients: (row.config?.recipients ?? []).join('\n'),
    endpoint: endpoint ? String(endpoint) : '',
    webhookUrlMasked: maskedSecret(row.secret_last4),
  };
}
