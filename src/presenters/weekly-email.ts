import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import { addDays, formatMoney, formatSeverity, SEVERITY_COLOUR } from '../domain/analytics/index.ts';
import type { MailMessage } from '../notify/mail.ts';
import { escapeXml as escapeHtml } from '../web/charts.ts';
import { formatUnitDelta, signalLabel } from './analytics.ts';

/**
 * The weekly report e-mail (alerts-reports §13.5): subject, an HTML part (inline CSS, no
 * external resources, every value escaped) and a text part with the same content. Recipients
 * and the PDF attachment are the command's. Pure.
 */

export const WEEKLY_TOP_FINDINGS = 10;

export interface WeeklyEmailInput {
  customerName: string;
  run: { id: number; as_of: string };
  /** All findings of the run (any order; sorted here as the PDF sorts them). */
  findings: readonly FindingRecord[];
  /** Recovered this UTC month, decimal string ("1250.00"). */
  recoveredThisMonth: string;
  portalBaseUrl: string;
  /** Whether the PDF goes with the message (the text then says so). */
  pdfAttached: boolean;
}

/** "[Payrixa] Weekly Drift Report - Acme Family Practice - 2026-03-02". */
export function weeklyEmailSubject(input: Pick<WeeklyEmailInput, 'customerName' | 'run'>): string {
  return `[Payrixa] Weekly Drift Report - ${input.customerName} - ${input.run.as_of}`;
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'] as const;

/** The PDF's order (§13.1 item 4): severity desc, payer, CPT group, signal, fingerprint. */
function pdfOrder(a: FindingRecord, b: FindingRecord): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    b.severity - a.severity ||
    text(a.payer, b.payer) ||
    text(a.cpt_group ?? a.denial_reason ?? '', b.cpt_group ?? b.denial_reason ?? '') ||
    text(a.signal_type, b.signal_type) ||
    text(a.fingerprint, b.fingerprint)
  );
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

interface WeeklyRow {
  payer: string;
  group: string;
  signal: string;
  change: string;
  severity: string;
  colour: string;
}

/** What both parts show, in order. */
export function weeklyEmailContent(input: WeeklyEmailInput) {
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of input.findings) counts[f.severity_label] += 1;
  const payers = new Set(input.findings.map((f) => f.payer)).size;
  const base = input.portalBaseUrl.replace(/\/+$/, '');
  const top: WeeklyRow[] = [...input.findings]
    .sort(pdfOrder)
    .slice(0, WEEKLY_TOP_FINDINGS)
    .map((f) => ({
      payer: f.payer,
      group: f.cpt_group ?? f.denial_reason ?? '-',
      signal: signalLabel(f.signal_type),
      change: formatUnitDelta(f.unit, f.delta_value),
      severity: formatSeverity(f.severity, f.severity_label),
      colour: SEVERITY_COLOUR[f.severity_label],
    }));
  const breakdown = SEVERITY_ORDER.map((s) => `${counts[s]} ${s}`).join(', ');
  return {
    title: 'Weekly Payer Drift Report',
    // The run's as_of is the first day it does not cover (current windows end before it).
    subtitle: `${input.customerName} • data through ${addDays(input.run.as_of, -1)}`,
    summary: `${plural(input.findings.length, 'drift finding', 'drift findings')} across ${plural(payers, 'payer', 'payers')} (${breakdown})`,
    top,
    topTitle:
      input.findings.length > WEEKLY_TOP_FINDINGS
        ? `Top ${WEEKLY_TOP_FINDINGS} findings`
        : input.findings.length === 0
          ? 'Findings'
          : 'All findings',
    emptyText: 'No drift findings in this period.',
    recovered: `Recovered this month: ${formatMoney(input.recoveredThisMonth)}`,
    attachmentNote: input.pdfAttached ? 'The full report is attached as a PDF.' : null,
    driftWatchUrl: `${base}/portal/products/driftwatch/`,
    reportsUrl: `${base}/portal/reports/`,
    footer: `You receive this because the weekly report e-mail is enabled for ${input.customerName}.`,
  };
}

function paragraph(text: string, style = ''): string {
  return `<p style="margin:0 0 8px;font-size:14px;line-height:1.5;color:#333333;${style}">${escapeHtml(text)}</p>`;
}

function link(url: string, label: string): string {
  return `<a href="${escapeHtml(url)}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 14px;background:#1565c0;color:#ffffff;text-decoration:none;border-radius:4px;font-size:14px;">${escapeHtml(label)}</a>`;
}

export function weeklyEmailHtml(input: WeeklyEmailInput): string {
  const c = weeklyEmailContent(input);
  const cell = 'padding:4px 8px;border:1px solid #e0e0e0;font-size:13px;text-align:left;';
  const head = ['Payer', 'Group', 'Signal', 'Change', 'Severity']
    .map((h) => `<th style="${cell}background:#f5f5f5;">${h}</th>`)
    .join('');
  const rows = c.top
    .map(
      (r) =>
        `<tr><td style="${cell}">${escapeHtml(r.payer)}</td><td style="${cell}">${escapeHtml(r.group)}</td>` +
        `<td style="${cell}">${escapeHtml(r.signal)}</td><td style="${cell}">${escapeHtml(r.change)}</td>` +
        `<td style="${cell}color:${r.colour};font-weight:bold;">${escapeHtml(r.severity)}</td></tr>`,
    )
    .join('');
  const findings =
    c.top.length === 0
      ? paragraph(c.emptyText)
      : `<table style="border-collapse:collapse;width:100%;"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head>',
    '<body style="margin:0;padding:0;background:#f5f5f5;font-family:Arial,Helvetica,sans-serif;">',
    '<table role="presentation" style="width:100%;max-width:680px;margin:0 auto;background:#ffffff;border-collapse:collapse;">',
    `<tr><td style="padding:20px 24px;background:#1f3a5f;color:#ffffff;"><h1 style="margin:0;font-size:20px;">${escapeHtml(c.title)}</h1>`,
    `<p style="margin:4px 0 0;font-size:14px;">${escapeHtml(c.subtitle)}</p></td></tr>`,
    `<tr><td style="padding:16px 24px;">${paragraph(c.summary, 'font-weight:bold;')}</td></tr>`,
    `<tr><td style="padding:0 24px 16px;"><h2 style="margin:0 0 8px;font-size:16px;color:#212121;">${escapeHtml(c.topTitle)}</h2>${findings}</td></tr>`,
    `<tr><td style="padding:16px 24px;border-top:1px solid #e0e0e0;">${paragraph(c.recovered)}${c.attachmentNote ? paragraph(c.attachmentNote) : ''}</td></tr>`,
    `<tr><td style="padding:0 24px 16px;">${link(c.driftWatchUrl, 'Open DriftWatch')}${link(c.reportsUrl, 'Open Reports')}</td></tr>`,
    `<tr><td style="padding:12px 24px;border-top:1px solid #e0e0e0;">${paragraph(c.footer, 'font-size:12px;color:#757575;')}</td></tr>`,
    '</table></body></html>',
  ].join('');
}

export function weeklyEmailText(input: WeeklyEmailInput): string {
  const c = weeklyEmailContent(input);
  const lines = [c.title, c.subtitle, '', c.summary, '', `${c.topTitle}:`];
  if (c.top.length === 0) lines.push(c.emptyText);
  c.top.forEach((r, i) => {
    lines.push(`${i + 1}. ${r.payer} · ${r.group} · ${r.signal}: ${r.change} · ${r.severity}`);
  });
  lines.push('', c.recovered);
  if (c.attachmentNote) lines.push(c.attachmentNote);
  lines.push('', `DriftWatch: ${c.driftWatchUrl}`, `Reports: ${c.reportsUrl}`, '', c.footer);
  return `${lines.join('\n')}\n`;
}

export function weeklyEmail(input: WeeklyEmailInput): Omit<MailMessage, 'to'> {
  return {
    subject: weeklyEmailSubject(input),
    html: weeklyEmailHtml(input),
    text: weeklyEmailText(input),
    headers: { 'X-Payrixa-Report-Run-Id': String(input.run.id) },
  };
}
