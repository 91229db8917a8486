import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import { VERDICT_LABELS } from '../domain/alerts/feedback.ts';
import { addDays, formatCentsDecimal, parseCents, severityLabelTitle } from '../domain/analytics/index.ts';
import type { AlertExportRow, ReportFinding } from '../queries/report-exports.ts';
import { type CsvCell, csvMoney } from '../reports/csv.ts';
import { STATUS_LABELS } from './alert-pages.ts';

/**
 * Rows of the Excel and CSV exports (alerts-reports §13.2, §13.3): findings and alert events
 * turned into typed cells. Pure; the builders read the rows and the writers lay them out.
 *
 * Window dates are shown inclusive (`end − 1 day`), as on the PDF and the reports page: a run
 * with as_of 2026-03-02 has "Current End" 2026-03-01, its last day of data. The API keeps the
 * stored exclusive ends.
 */

/** Excel number formats of §13.2. */
export const NUMBER_FORMATS = {
  rate: '0.0%',
  days: '0.0',
  money: '$#,##0.00',
  score: '0.00',
  probability: '0.00E+00',
  integer: '0',
  decimal: '0.0',
} as const;

/** One typed spreadsheet cell: a number with its format, or text (never a formula). */
export interface SheetCell {
  value: string | number | null;
  numFmt?: string;
}

export interface SheetColumn {
  header: string;
}

function text(value: string | null | undefined): SheetCell {
  return { value: value ?? '' };
}

function num(value: number | null | undefined, numFmt: string): SheetCell {
  return value === null || value === undefined || !Number.isFinite(value)
    ? { value: null }
    : { value, numFmt };
}

function moneyCell(decimal: string | null | undefined): SheetCell {
  // Exact decimal string → the spreadsheet's double; Excel keeps 15 significant digits, far
  // more than any amount of numeric(12,2).
  return decimal === null || decimal === undefined
    ? { value: null }
    : num(Number(decimal), NUMBER_FORMATS.money);
}

/** The format of a finding's values by its unit (rates 0.0%, days 0.0, money, counts). */
function unitFormat(unit: ReportFinding['unit']): string {
  switch (unit) {
    case 'rate':
      return NUMBER_FORMATS.rate;
    case 'days':
      return NUMBER_FORMATS.days;
    case 'usd_per_day':
      return NUMBER_FORMATS.money;
    case 'count':
      return NUMBER_FORMATS.integer;
    case 'count_per_day':
      return NUMBER_FORMATS.decimal;
  }
}

/** The second key of a finding: CPT group (DriftWatch), denial reason (DenialScope), or empty. */
export function findingSubkey(finding: Pick<ReportFinding, 'cpt_group' | 'denial_reason'>): string {
  return finding.cpt_group ?? finding.denial_reason ?? '';
}

function compareText(a: string, b: string): number {
  // Code-point order: the same in every database and locale.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The PDF's order (§13.1 item 4): severity desc, payer, CPT group, signal, fingerprint. */
export function compareFindingsForReport(a: ReportFinding, b: ReportFinding): number {
  return (
    b.severity - a.severity ||
    compareText(a.payer, b.payer) ||
    compareText(findingSubkey(a), findingSubkey(b)) ||
    compareText(a.signal_type, b.signal_type) ||
    compareText(a.fingerprint, b.fingerprint)
  );
}

export function sortFindingsForReport(findings: readonly ReportFinding[]): ReportFinding[] {
  return [...findings].sort(compareFindingsForReport);
}

/** Window ends repeat across a run's findings: each distinct date is computed once. */
const inclusiveEnds = new Map<string, string>();

function inclusiveEnd(exclusiveEnd: string): string {
  let end = inclusiveEnds.get(exclusiveEnd);
  if (end === undefined) {
    end = addDays(exclusiveEnd, -1);
    // Bounded: a long-lived process sees a few dates a week; never let it grow without limit.
    if (inclusiveEnds.size > 10_000) inclusiveEnds.clear();
    inclusiveEnds.set(exclusiveEnd, end);
  }
  return end;
}

// ---- Findings CSV (§13.3) ----

export const FINDINGS_CSV_HEADER = [
  'payer',
  'cpt_group',
  'drift_type',
  'baseline_value',
  'current_value',
  'delta_value',
  'severity',
  'confidence',
  'baseline_start',
  'baseline_end',
  'current_start',
  'current_end',
  'direction',
  'unit',
  'baseline_count',
  'current_count',
  'severity_label',
  'p_value',
  'q_value',
  'estimated_weekly_impact',
  'fingerprint',
] as const;

/**
 * One CSV record. DenialScope/DelayGuard findings use the same columns: `drift_type` is the
 * signal type, `cpt_group` the denial reason (or empty), `estimated_weekly_impact` the finding's
 * impact.
 */
export function findingCsvRow(finding: ReportFinding): CsvCell[] {
  return [
    finding.payer,
    findingSubkey(finding),
    finding.signal_type,
    finding.baseline_value,
    finding.current_value,
    finding.delta_value,
    finding.severity,
    finding.confidence,
    finding.baseline_start,
    inclusiveEnd(finding.baseline_end),
    finding.current_start,
    inclusiveEnd(finding.current_end),
    finding.direction,
    finding.unit,
    finding.baseline_count,
    finding.current_count,
    finding.severity_label.toUpperCase(),
    finding.p_value,
    finding.q_value,
    csvMoney(finding.estimated_impact),
    finding.fingerprint,
  ];
}

// ---- Workbook (§13.2) ----

export const DRIFT_EVENT_COLUMNS: readonly SheetColumn[] = [
  'Payer',
  'CPT Group',
  'Drift Type',
  'Direction',
  'Baseline Value',
  'Current Value',
  'Delta',
  'Unit',
  'Baseline Count',
  'Current Count',
  'Severity',
  'Severity Label',
  'Confidence',
  'P Value',
  'Q Value',
  'Est. Weekly Impact (USD)',
  'Baseline Start',
  'Baseline End',
  'Current Start',
  'Current End',
].map((header) => ({ header }));

export function driftEventRow(finding: ReportFinding): SheetCell[] {
  const valueFormat = unitFormat(finding.unit);
  return [
    text(finding.payer),
    text(findingSubkey(finding)),
    text(finding.signal_type),
    text(finding.direction),
    num(finding.baseline_value, valueFormat),
    num(finding.current_value, valueFormat),
    num(finding.delta_value, valueFormat),
    text(finding.unit),
    num(finding.baseline_count, NUMBER_FORMATS.integer),
    num(finding.current_count, NUMBER_FORMATS.integer),
    num(finding.severity, NUMBER_FORMATS.score),
    text(severityLabelTitle(finding.severity_label)),
    num(finding.confidence, NUMBER_FORMATS.score),
    num(finding.p_value, NUMBER_FORMATS.probability),
    num(finding.q_value, NUMBER_FORMATS.probability),
    moneyCell(finding.estimated_impact),
    text(finding.baseline_start),
    text(inclusiveEnd(finding.baseline_end)),
    text(finding.current_start),
    text(inclusiveEnd(finding.current_end)),
  ];
}

export const ALERT_EVENT_COLUMNS: readonly SheetColumn[] = [
  'Alert ID',
  'Triggered At',
  'Alert Rule',
  'Product',
  'Signal Type',
  'Payer',
  'CPT Group / Reason',
  'Severity',
  'Severity Label',
  'Status',
  'Suppressed',
  'Latest Verdict',
  'Recovered Amount',
  'Error Message',
].map((header) => ({ header }));

function payloadText(payload: unknown, key: string): string | null {
  if (payload === null || typeof payload !== 'object') return null;
  const value = (payload as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** UTC "YYYY-MM-DD HH:MM:SS". */
export function sheetTimestamp(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

export function alertEventRow(alert: AlertExportRow): SheetCell[] {
  return [
    num(alert.id, NUMBER_FORMATS.integer),
    text(sheetTimestamp(alert.triggered_at)),
    // A deleted rule keeps its name in the alert's payload snapshot.
    text(alert.rule_name ?? payloadText(alert.payload, 'rule_name')),
    text(PRODUCTS[alert.product].label),
    text(alert.signal_type),
    text(alert.payer),
    text(payloadText(alert.payload, 'cpt_group') ?? payloadText(alert.payload, 'denial_reason')),
    num(alert.severity, NUMBER_FORMATS.score),
    text(severityLabelTitle(alert.severity_label)),
    text(STATUS_LABELS[alert.status]),
    text(alert.suppressed ? 'Yes' : 'No'),
    text(alert.latest_verdict ? VERDICT_LABELS[alert.latest_verdict] : ''),
    moneyCell(alert.recovered_amount),
    text(alert.error_message),
  ];
}

/** "start to end" with the inclusive end, "-" when the run has no windows (a failed run). */
function periodText(summary: Record<string, unknown>, start: string, end: string): string {
  const from = summary[start];
  const to = summary[end];
  return typeof from === 'string' && typeof to === 'string' ? `${from} to ${inclusiveEnd(to)}` : '-';
}

/**
 * The Summary sheet: label / value pairs (§13.2), over the findings in the file (a filtered
 * download summarises what it contains). "Estimated Weekly Revenue Impact" is the DriftWatch
 * dashboard's figure: the sum of positive impacts of degrading findings, summed in exact cents.
 */
export function workbookSummaryRows(input: {
  customerName: string;
  run: AnalysisRunRecord;
  findings: readonly ReportFinding[];
  alertEventCount: number;
}): Array<[string, SheetCell | null]> {
  const { run, findings } = input;
  const summary = (run.summary_json ?? {}) as Record<string, unknown>;
  const parameters = (run.parameters ?? {}) as Record<string, unknown>;
  const count = (label: ReportFinding['severity_label']) =>
    num(findings.filter((f) => f.severity_label === label).length, NUMBER_FORMATS.integer);
  let impactCents = 0n;
  for (const f of findings) {
    if (f.direction !== 'degrading' || f.estimated_impact === null) continue;
    const cents = parseCents(f.estimated_impact);
    if (cents > 0n) impactCents += cents;
  }
  const sensitivity = typeof parameters['sensitivity'] === 'string' ? parameters['sensitivity'] : '-';
  return [
    ['Weekly Drift Report Summary', null],
    ['', null],
    ['Customer', text(input.customerName)],
    ['As Of', text(run.as_of)],
    ['Baseline Period', text(periodText(summary, 'baseline_start', 'baseline_end'))],
    ['Current Period', text(periodText(summary, 'current_start', 'current_end'))],
    ['Sensitivity', text(sensitivity)],
    ['', null],
    ['Total Drift Findings', num(findings.length, NUMBER_FORMATS.integer)],
    ['Critical (>= 0.9)', count('critical')],
    ['High (0.7–0.9)', count('high')],
    ['Medium (0.4–0.7)', count('medium')],
    ['Low (< 0.4)', count('low')],
    ['Unique Payers Affected', num(new Set(findings.map((f) => f.payer)).size, NUMBER_FORMATS.integer)],
    ['Alert Events', num(input.alertEventCount, NUMBER_FORMATS.integer)],
    ['Estimated Weekly Revenue Impact', moneyCell(formatCentsDecimal(impactCents))],
  ];
}
