import { SEVERITY_COLOUR } from '../domain/analytics/index.ts';
import type { MailMessage } from '../notify/mail.ts';
import { escapeXml as escapeHtml } from '../web/charts.ts';
import {
  type AlertMessageInput,
  alertInterpretation,
  alertPayload,
  channelsUrl,
  deepDiveUrl,
  evidenceLines,
  evidenceTable,
  productName,
  ruleDescription,
  severityTitle,
} from './alert-message.ts';

/**
 * The alert email (alerts-reports §7): subject, an HTML part (inline CSS, no external resources,
 * every value escaped) and a text part with the same content, and the X-Payrixa-Alert-Id /
 * X-Request-Id headers. Recipients are the caller's (channel or Settings email). Pure.
 */

export const NOISE_WARNING = '⚠️ This alert may be noise. Review carefully before taking action.';

/** "[DriftWatch Alert] Acme Family Practice - High Severity". */
export function alertEmailSubject(input: AlertMessageInput): string {
  return `[${productName(input)} Alert] ${input.customerName} - ${severityTitle(input)} Severity`;
}

export function alertEmailHeaders(input: AlertMessageInput): Record<string, string> {
  return {
    'X-Payrixa-Alert-Id': String(input.alert.id),
    'X-Request-Id': input.alert.request_id ?? '',
  };
}

const URGENCY_COLOUR: Readonly<Record<string, string>> = {
  high: '#b71c1c',
  medium: '#ff9800',
  low: '#2196f3',
};

function section(title: string, body: string): string {
  return `<tr><td style="padding:16px 24px;border-top:1px solid #e0e0e0;"><h2 style="margin:0 0 8px;font-size:16px;color:#212121;">${escapeHtml(title)}</h2>${body}</td></tr>`;
}

function paragraph(text: string, style = ''): string {
  return `<p style="margin:0 0 8px;font-size:14px;line-height:1.5;color:#333333;${style}">${escapeHtml(text)}</p>`;
}

export function alertEmailHtml(input: AlertMessageInput): string {
  const { evidence, rule } = alertPayload(input);
  const interpretation = alertInterpretation(evidence);
  const product = productName(input);
  const severity = severityTitle(input);
  const colour = SEVERITY_COLOUR[input.alert.severity_label] ?? '#616161';
  const cell = 'padding:4px 8px;border:1px solid #e0e0e0;font-size:13px;text-align:left;';

  const meaning = [
    paragraph(interpretation.plain_language),
    interpretation.historical_context ? paragraph(interpretation.historical_context) : '',
    interpretation.is_likely_noise ? paragraph(NOISE_WARNING, 'font-weight:bold;color:#e65100;') : '',
  ].join('');
  const urgency = `<p style="margin:0 0 8px;"><span style="display:inline-block;padding:2px 8px;border-radius:4px;background:${URGENCY_COLOUR[interpretation.urgency_level] ?? '#616161'};color:#ffffff;font-size:13px;font-weight:bold;">${escapeHtml(interpretation.urgency_label)}</span></p>`;
  const steps = `<ol style="margin:0;padding-left:20px;font-size:14px;color:#333333;">${interpretation.action_steps
    .map((s) => `<li style="margin-bottom:4px;">${escapeHtml(s)}</li>`)
    .join('')}</ol>`;
  const lines = `<table style="border-collapse:collapse;width:100%;margin-bottom:12px;">${evidenceLines(
    evidence,
  )
    .map(
      (l) =>
        `<tr><th style="${cell}background:#fafafa;width:40%;">${escapeHtml(l.label)}</th><td style="${cell}">${escapeHtml(l.value)}</td></tr>`,
    )
    .join('')}</table>`;
  const table = evidenceTable(evidence);
  const rows =
    table.columns.length === 0
      ? ''
      : `<table style="border-collapse:collapse;width:100%;"><tr>${table.columns
          .map((c) => `<th style="${cell}background:#fafafa;">${escapeHtml(c)}</th>`)
          .join('')}</tr>${table.rows
          .map((r) => `<tr>${r.map((v) => `<td style="${cell}">${escapeHtml(v)}</td>`).join('')}</tr>`)
          .join('')}</table>`;
  const causes =
    interpretation.possible_causes.length === 0
      ? ''
      : section(
          'Possible causes',
          `<ul style="margin:0;padding-left:20px;font-size:14px;color:#333333;">${interpretation.possible_causes
            .map((c) => `<li>${escapeHtml(c.cause)}</li>`)
            .join('')}</ul>`,
        );
  const url = deepDiveUrl(input);
  const button = `<tr><td style="padding:16px 24px;border-top:1px solid #e0e0e0;text-align:center;"><a href="${escapeHtml(url)}" style="display:inline-block;padding:10px 20px;background:#1565c0;color:#ffffff;text-decoration:none;border-radius:4px;font-size:14px;font-weight:bold;">View alert in Payrixa</a></td></tr>`;
  const footer = `<tr><td style="padding:16px 24px;border-top:1px solid #e0e0e0;font-size:12px;color:#757575;">${[
    `Rule: ${ruleDescription(rule)}`,
    `Request ID: ${input.alert.request_id ?? '-'}`,
    `You receive this because you are a recipient of ${input.channelName} for ${input.customerName}.`,
  ]
    .map((t) => `<p style="margin:0 0 4px;">${escapeHtml(t)}</p>`)
    .join(
      '',
    )}<p style="margin:0;"><a href="${escapeHtml(channelsUrl(input))}" style="color:#1565c0;">Manage notification channels</a></p></td></tr>`;

  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${escapeHtml(alertEmailSubject(input))}</title></head>`,
    '<body style="margin:0;padding:0;background:#f5f5f5;font-family:Arial,Helvetica,sans-serif;">',
    '<table role="presentation" style="width:100%;max-width:640px;margin:0 auto;border-collapse:collapse;background:#ffffff;">',
    `<tr><td style="padding:20px 24px;background:${colour};color:#ffffff;"><h1 style="margin:0;font-size:20px;">${escapeHtml(`${product} Alert`)}</h1><p style="margin:4px 0 0;font-size:14px;">${escapeHtml(`${input.customerName} • ${severity} Severity`)}</p></td></tr>`,
    `<tr><td style="padding:16px 24px;">${paragraph(evidence.one_sentence_explanation ?? '', 'font-size:15px;')}</td></tr>`,
    section('💡 What This Means', meaning),
    section('✅ Recommended Action', urgency + steps),
    section('📊 Evidence', lines + rows),
    causes,
    button,
    footer,
    '</table></body></html>',
  ].join('');
}

export function alertEmailText(input: AlertMessageInput): string {
  const { evidence, rule } = alertPayload(input);
  const interpretation = alertInterpretation(evidence);
  const out: string[] = [
    `${productName(input)} Alert - ${input.customerName}`,
    `Severity: ${severityTitle(input)} · Urgency: ${interpretation.urgency_label}`,
    '',
    evidence.one_sentence_explanation ?? '',
    '',
    'What this means:',
    interpretation.plain_language,
  ];
  if (interpretation.historical_context) out.push(interpretation.historical_context);
  if (interpretation.is_likely_noise) out.push(NOISE_WARNING);
  out.push('', 'Recommended actions:');
  interpretation.action_steps.forEach((s, i) => {
    out.push(`${i + 1}. ${s}`);
  });
  out.push('', 'Evidence:');
  for (const l of evidenceLines(evidence)) out.push(`${l.label}: ${l.value}`);
  if (interpretation.possible_causes.length > 0) {
    out.push('', 'Possible causes:');
    for (const c of interpretation.possible_causes) out.push(`- ${c.cause}`);
  }
  out.push(
    '',
    `View the alert: ${deepDiveUrl(input)}`,
    `Rule: ${ruleDescription(rule)}`,
    `Request ID: ${input.alert.request_id ?? '-'}`,
    `You receive this because you are a recipient of ${input.channelName} for ${input.customerName}.`,
    `Manage notification channels: ${channelsUrl(input)}`,
  );
  return `${out.join('\n')}\n`;
}

/** The message without recipients and attachment (the sender adds them). */
export function alertEmail(input: AlertMessageInput): Omit<MailMessage, 'to'> {
  return {
    subject: alertEmailSubject(input),
    html: alertEmailHtml(input),
    text: alertEmailText(input),
    headers: alertEmailHeaders(input),
  };
}
