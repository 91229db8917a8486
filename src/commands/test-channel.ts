import type { Kysely } from 'kysely';
import type { Config } from '../config/env.ts';
import { describeError, NotFoundError } from '../config/errors.ts';
import { findChannel } from '../db/repositories/notification-channels.repository.ts';
import type { DB } from '../db/schema.ts';
import type { Mailer } from '../notify/mail.ts';
import { openSecret } from '../notify/secrets.ts';
import { postSlackMessage } from '../notify/slack.ts';

/**
 * "Send test notification" (alerts-reports §5): a one-off "Payrixa test notification for
 * {Customer}" through the channel, with no alert record and no delivery row. The outcome is
 * returned, never thrown: `{status: "sent"}` or `{status: "failed", detail: <reason>}`, which
 * the API answers with 200 and the portal flashes. A reason never contains the Slack URL.
 */

export interface TestChannelOutcome {
  status: 'sent' | 'failed';
  detail: string;
}

/**
 * Sends a test event through a webhook endpoint (built with the webhook endpoints; wired by the
 * caller). Without it, a webhook-type channel answers that the test belongs on the endpoint.
 */
export type WebhookEndpointTester = (customerId: number, endpointId: number) => Promise<TestChannelOutcome>;

export interface TestChannelDeps {
  db: Kysely<DB>;
  config: Config;
  mailer: Pick<Mailer, 'send'>;
  /** Slack transport override (tests: no network). */
  fetch?: typeof fetch;
  sendWebhookTest?: WebhookEndpointTester;
}

export const TEST_MESSAGES = {
  slackDisabled: 'Slack disabled',
  noRecipients: 'Email channel has no recipients',
  noSlackUrl: 'Slack channel has no webhook URL',
  webhookElsewhere: "Send a test event from the webhook endpoint's page.",
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
  input: { customerId: number; customerName: string; channelId: number },
): Promise<TestChannelOutcome> {
  const channel = await findChannel(deps.db, input.customerId, input.channelId);
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
      const endpoint = channel.config?.endpoint;
      if (!deps.sendWebhookTest || !endpoint)
        return { status: 'failed', detail: TEST_MESSAGES.webhookElsewhere };
      try {
        return await deps.sendWebhookTest(input.customerId, endpoint);
      } catch (error) {
        return { status: 'failed', detail: describeError(error).slice(0, 500) };
      }
    }
  }
}
