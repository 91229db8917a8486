import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { describeError, NotFoundError } from '../config/errors.ts';
import { findChannel } from '../db/repositories/notification-channels.repository.ts';
import { findWebhookEndpoint } from '../db/repositories/webhook-endpoints.repository.ts';
import type { DB } from '../db/schema.ts';
import type { Mailer } from '../notify/mail.ts';
import { openSecret } from '../notify/secrets.ts';
import { postSlackMessage } from '../notify/slack.ts';
import type { CustomerActor } from './customer-audit.ts';
import {
  alertWebhookSkipReason,
  ENDPOINT_NOT_FOUND_MESSAGE,
  sendWebhookTestEvent,
  type WebhookDeliveryDeps,
} from './deliver-webhook.ts';

/**
 * "Send test notification" (alerts-reports §5): a one-off "Payrixa test notification for
 * {Customer}" through the channel, with no alert record and no alert delivery row. The outcome
 * is returned, never thrown: `{status: "sent"}` or `{status: "failed", detail: <reason>}`, which
 * the API answers with 200 and the portal flashes. A reason never contains the Slack URL.
 *
 * A webhook-type channel sends its endpoint's test event (`ping`, §9 "Test send") through the
 * webhook deliverer, so it is signed, guarded and logged in the endpoint's delivery log like
 * the endpoint page's "Send test event". Unlike that button it first asks what an alert would
 * meet: an endpoint that is inactive or not subscribed to `alert.triggered` would skip every
 * alert, so the test fails with that reason and sends nothing.
 */

export interface TestChannelOutcome {
  status: 'sent' | 'failed';
  detail: string;
}

export interface TestChannelDeps {
  db: Kysely<DB>;
  config: Config;
  clock: { now(): Date };
  mailer: Pick<Mailer, 'send'>;
  /** Slack transport override (tests: no network). */
  fetch?: typeof fetch;
  logger?: Pick<Logger, 'warn'>;
  /** Options of the webhook deliverer (DNS and TLS of its tests). */
  webhook?: Pick<WebhookDeliveryDeps, 'resolve' | 'timeoutMs' | 'tls'>;
}

export const TEST_MESSAGES = {
  slackDisabled: 'Slack disabled',
  noRecipients: 'Email channel has no recipients',
  noSlackUrl: 'Slack channel has no webhook URL',
  noEndpoint: 'Webhook channel has no endpoint',
} as const;

export function testNotificationText(customerName: string): string {
  return `Payrixa test notification for ${customerName}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Slack mrkdwn needs `&`, `<`, `>` escaped (§8). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function sendTestNotification(
  deps: TestChannelDeps,
  input: { actor: CustomerActor; customerName: string; channelId: number },
): Promise<TestChannelOutcome> {
  const channel = await findChannel(deps.db, input.actor.customerId, input.channelId);
  if (!channel) throw new NotFoundError();
  const text = testNotificationText(input.customerName);
  switch (channel.type) {
    case 'email': {
      const recipients = channel.config?.recipients ?? [];
      if (recipients.length === 0) return { status: 'failed', detail: TEST_MESSAGES.noRecipients };
      try {
        await deps.mailer.send({
          to: recipients.join(', '),
          subject: text,
          text: `${text}.\n\nThis message confirms that the channel "${channel.name}" can reach you. No alert was raised.\n`,
          html: `<p>${escapeHtml(text)}.</p><p>This message confirms that the channel “${escapeHtml(channel.name)}” can reach you. No alert was raised.</p>`,
        });
      } catch (error) {
        return { status: 'failed', detail: describeError(error).slice(0, 500) };
      }
      const count = recipients.length;
      return { status: 'sent', detail: `Sent to ${count} recipient${count === 1 ? '' : 's'}.` };
    }
    case 'slack': {
      // B9: disabled means no HTTP call at all.
      if (!deps.config.slackEnabled) return { status: 'failed', detail: TEST_MESSAGES.slackDisabled };
      if (!channel.secret_enc) return { status: 'failed', detail: TEST_MESSAGES.noSlackUrl };
      let url: string;
      try {
        url = openSecret(deps.config, channel.secret_enc);
      } catch {
        return { status: 'failed', detail: 'The stored Slack URL cannot be read; enter it again.' };
      }
      const outcome = await postSlackMessage(
        url,
        { text: `:white_check_mark: ${escapeSlack(text)}` },
        deps.fetch ? { fetch: deps.fetch } : {},
      );
      return outcome.ok
        ? { status: 'sent', detail: `Slack answered HTTP ${outcome.status}.` }
        : { status: 'failed', detail: outcome.error ?? 'Slack request failed' };
    }
    case 'webhook': {
      const endpointId = channel.config?.endpoint;
      if (!endpointId) return { status: 'failed', detail: TEST_MESSAGES.noEndpoint };
      return testWebhookEndpoint(deps, input.actor, endpointId);
    }
  }
}

async function testWebhookEndpoint(
  deps: TestChannelDeps,
  actor: CustomerActor,
  endpointId: number,
): Promise<TestChannelOutcome> {
  const endpoint = await findWebhookEndpoint(deps.db, actor.customerId, endpointId);
  if (!endpoint) return { status: 'failed', detail: ENDPOINT_NOT_FOUND_MESSAGE };
  const skipReason = alertWebhookSkipReason(endpoint);
  if (skipReason !== null) return { status: 'failed', detail: skipReason };
  const { delivery } = await sendWebhookTestEvent(
    {
      db: deps.db,
      config: deps.config,
      clock: deps.clock,
      ...deps.webhook,
      ...(deps.logger && { logger: deps.logger }),
    },
    actor,
    endpoint.id,
  );
  return delivery.status === 'success'
    ? { status: 'sent', detail: `Endpoint '${endpoint.name}' answered HTTP ${delivery.response_code}.` }
    : { status: 'failed', detail: delivery.last_error ?? 'Webhook request failed' };
}
