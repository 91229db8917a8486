import { describe, expect, it } from 'vitest';
import { findingRecord } from '../../test/analytics-records.ts';
import { type WeeklyEmailInput, weeklyEmail, weeklyEmailContent } from './weekly-email.ts';

function input(overrides: Partial<WeeklyEmailInput> = {}): WeeklyEmailInput {
  return {
    customerName: 'Acme Family Practice',
    run: { id: 9, as_of: '2026-03-02' },
    findings: [],
    recoveredThisMonth: '0.00',
    portalBaseUrl: 'https://payrixa.example/',
    pdfAttached: false,
    ...overrides,
  };
}

describe('weekly report e-mail (§13.5)', () => {
  it('has the subject, the data-through line, the counts and the links', () => {
    const findings = [
      findingRecord({ id: 1, fingerprint: 'a', payer: 'Aetna', severity: 0.95, severity_label: 'critical' }),
      findingRecord({ id: 2, fingerprint: 'b', payer: 'Cigna', severity: 0.8, severity_label: 'high' }),
      findingRecord({ id: 3, fingerprint: 'c', payer: 'Aetna', severity: 0.5, severity_label: 'medium' }),
    ];
    const message = weeklyEmail(input({ findings, recoveredThisMonth: '30200.50', pdfAttached: true }));
    expect(message.subject).toBe('[Payrixa] Weekly Drift Report - Acme Family Practice - 2026-03-02');
    expect(message.text).toContain('Acme Family Practice • data through 2026-03-01');
    expect(message.text).toContain('3 drift findings across 2 payers (1 critical, 1 high, 1 medium, 0 low)');
    expect(message.text).toContain('1. Aetna · E&M · Denial rate: +10.0 pts · Critical (0.95)');
    expect(message.text).toContain('Recovered this month: $30,200.50');
    expect(message.text).toContain('The full report is attached as a PDF.');
    expect(message.text).toContain('DriftWatch: https://payrixa.example/portal/products/driftwatch/');
    expect(message.text).toContain('Reports: https://payrixa.example/portal/reports/');
    expect(message.html).toContain('Weekly Payer Drift Report');
    expect(message.html).toContain('href="https://payrixa.example/portal/reports/"');
    expect(message.html).toContain('E&amp;M');
    expect(message.html).not.toMatch(/<(script|img|link)\b/);
  });

  it('shows the top 10 in the PDF order and escapes every value', () => {
    const findings = Array.from({ length: 12 }, (_, i) =>
      findingRecord({
        id: i + 1,
        fingerprint: `fp${String(i).padStart(2, '0')}`,
        payer: i === 0 ? '<b>Evil & Co</b>' : `Payer ${String(i).padStart(2, '0')}`,
        severity: 0.5 + i / 100,
        severity_label: 'medium',
      }),
    );
    const content = weeklyEmailContent(input({ findings }));
    expect(content.topTitle).toBe('Top 10 findings');
    expect(content.top).toHaveLength(10);
    expect(content.top[0]?.payer).toBe('Payer 11');
    expect(content.top.at(-1)?.payer).toBe('Payer 02');
    const html = weeklyEmail(input({ findings: [findings[0] as (typeof findings)[number]] })).html;
    expect(html).toContain('&lt;b&gt;Evil &amp; Co&lt;/b&gt;');
    expect(html).not.toContain('<b>Evil');
  });

  it('says when there is nothing to report, in the singular where it is one', () => {
    const empty = weeklyEmail(input());
    expect(empty.text).toContain('0 drift findings across 0 payers (0 critical, 0 high, 0 medium, 0 low)');
    expect(empty.text).toContain('No drift findings in this period.');
    expect(empty.text).not.toContain('attached');
    const one = weeklyEmailContent(input({ findings: [findingRecord()] }));
    expect(one.summary).toBe('1 drift finding across 1 payer (0 critical, 1 high, 0 medium, 0 low)');
  });
});
