import { fixed, SEVERITY_COLOUR } from '../domain/analytics/index.ts';
import {
  type AlertMessageInput,
  alertPayload,
  changeText,
  confidenceText,
  deepDiveUrl,
  impactText,
  productName,
  severityTitle,
  utcTimestamp,
} from './alert-message.ts';

/** The Slack incoming-webhook message of an alert (alerts-reports §8). Pure. */

const EMOJI: Readonly<Record<string, string>> = { critical: '🚨', high: '🚨', medium: '⚠️', low: 'ℹ️' };

/** Slack's required escaping of `&`, `<`, `>` in message text. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function alertSlackMessage(input: AlertMessageInput) {
  const { evidence, rule } = alertPayload(input);
  const emoji = EMOJI[input.alert.severity_label] ?? 'ℹ️';
  const product = productName(input);
  const payer = evidence.payer ?? '-';
  const signal = evidence.signal_label ?? evidence.signal_type ?? '-';
  const sub = evidence.cpt_group ?? evidence.denial_reason;
  const severity =
    typeof evidence.severity === 'number'
      ? `${severityTitle(input)} (${fixed(evidence.severity, 2)})`
      : severityTitle(input);
  const field = (label: string, value: string) => ({
    type: 'mrkdwn',
    text: `*${label}:*\n${slackEscape(value)}`,
  });
  return {
    text: slackEscape(`${emoji} ${product} Alert: ${payer} ${signal}`),
    blocks: [
      {
        type: 'header',
        text: {
          type: 'plain_text',
          text: `${emoji} ${product} Alert: ${severityTitle(input)} Severity`,
          emoji: true,
        },
      },
      {
        type: 'section',
        fields: [
          field('Customer', input.customerName),
          field('Rule', rule.name),
          field('Payer', payer),
          field('Signal', sub ? `${signal} · ${sub}` : signal),
          field('Change', changeText(evidence) ?? 'n/a'),
          field('Severity', severity),
          field('Confidence', confidenceText(evidence) ?? 'n/a'),
          field('Est. impact', impactText(evidence) ?? 'n/a'),
        ],
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: slackEscape(evidence.one_sentence_explanation ?? '') },
      },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'View in Payrixa' }, url: deepDiveUrl(input) },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Alert ID: ${input.alert.id} | Triggered: ${utcTimestamp(input.alert.triggered_at)}`,
          },
        ],
      },
    ],
    attachments: [
      {
        color: SEVERITY_COLOUR[input.alert.severity_label] ?? '#2196f3',
        text: `This alert was triggered by the *${slackEscape(rule.name)}* rule.`,
      },
    ],
  };
}
