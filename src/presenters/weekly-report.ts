import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import { addDays } from '../domain/analytics/dates.ts';
import { fixed, formatMoney, formatPValue } from '../domain/analytics/format.ts';
import { SEVERITY_COLOUR, type SeverityLabel, severityLabelTitle } from '../domain/analytics/labels.ts';
import { divRoundHalfAwayFromZero } from '../domain/analytics/money.ts';
import type { WeeklyReportData, WeeklyReportFinding } from '../queries/weekly-report.ts';
import { formatUnitDelta, formatUnitValue, signalLabel } from './analytics.ts';

/**
 * View model of the weekly drift report (alerts-reports §13.1): every text the PDF prints, in
 * order, already formatted. Pure — the PDF renderer only lays it out, and the weekly e-mail
 * (§13.5) reuses the figures and rows.
 */

/** Highest first: the order of the distribution and of the table. */
export const SEVERITY_ORDER: readonly SeverityLabel[] = ['critical', 'high', 'medium', 'low'];

export interface WeeklyReportInfoRow {
  label: string;
  value: string;
}

export interface SeverityShare {
  label: SeverityLabel;
  title: string;
  count: number;
  /** Whole percent of the total, rounded half away from zero, each share on its own (§13.1). */
  percent: number;
  percentText: string;
  /** The severity badge colour (#rrggbb). */
  colour: string;
}

export interface WeeklyReportRow {
  cells: string[];
  severityLabel: SeverityLabel;
  severityColour: string;
}

export interface WeeklyReportView {
  title: string;
  subtitle: string;
  info: WeeklyReportInfoRow[];
  total: number;
  uniquePayers: number;
  /** Empty when the run has no findings (the section is left out, §13.1 item 3). */
  distribution: SeverityShare[];
  tableTitle: string;
  columns: string[];
  rows: WeeklyReportRow[];
  /** Shown instead of the table when there are no findings. */
  emptyText: string;
  footerLines: [string, string];
  /** "Page x of y". */
  pageLabel: (page: number, pages: number) => string;
}

export const WEEKLY_REPORT_COLUMNS = [
  'Payer',
  'CPT Group',
  'Metric',
  'Baseline',
  'Current',
  'Change',
  'Direction',
  'Severity',
  'Confidence',
  'q',
  'Est. weekly impact',
] as const;

/** `count` of `total` as a whole percent, half away from zero, exactly (12.5 → 13, 37.5 → 38). */
export function wholePercent(count: number, total: number): number {
  if (total <= 0) return 0;
  return Number(divRoundHalfAwayFromZero(BigInt(count) * 100n, BigInt(total)));
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** "{start} to {end}" with the inclusive end (windows are stored half-open), or "-". */
function periodText(start: string | null, endExclusive: string | null): string {
  if (!start || !endExclusive) return '-';
  return `${start} to ${addDays(endExclusive, -1)}`;
}

function sensitivityText(run: Pick<AnalysisRunRecord, 'parameters'>): string {
  const value = (run.parameters as Record<string, unknown>)['sensitivity'];
  if (value === 'reference') return 'Reference';
  if (value === 'strict') return 'Strict';
  return '-';
}

function directionText(direction: WeeklyReportFinding['direction']): string {
  return direction === 'degrading' ? 'Degrading' : 'Improving';
}

function findingRow(f: WeeklyReportFinding): WeeklyReportRow {
  return {
    cells: [
      f.payer,
      f.cpt_group ?? '-',
      signalLabel(f.signal_type),
      formatUnitValue(f.unit, f.baseline_value),
      formatUnitValue(f.unit, f.current_value),
      formatUnitDelta(f.unit, f.delta_value),
      directionText(f.direction),
      `${severityLabelTitle(f.severity_label)} ${fixed(f.severity, 2)}`,
      fixed(f.confidence, 2),
      formatPValue(f.q_value),
      f.estimated_impact === null ? '-' : formatMoney(f.estimated_impact),
    ],
    severityLabel: f.severity_label,
    severityColour: SEVERITY_COLOUR[f.severity_label],
  };
}

export function presentWeeklyReport(input: {
  customerName: string;
  run: Pick<AnalysisRunRecord, 'as_of' | 'summary_json' | 'parameters'>;
  data: WeeklyReportData;
}): WeeklyReportView {
  const { customerName, run, data } = input;
  const summary = run.summary_json as Record<string, unknown>;
  const { total, uniquePayers, bySeverity } = data.figures;
  return {
    title: 'Payrixa',
    subtitle: 'Weekly Payer Drift Report',
    info: [
      { label: 'Customer', value: customerName },
      { label: 'Report Type', value: 'Weekly Drift Summary' },
      { label: 'Data as of', value: run.as_of },
      {
        label: 'Baseline Period',
        value: periodText(text(summary['baseline_start']), text(summary['baseline_end'])),
      },
      {
        label: 'Current Period',
        value: periodText(text(summary['current_start']), text(summary['current_end'])),
      },
      { label: 'Sensitivity', value: sensitivityText(run) },
      { label: 'Total Findings', value: String(total) },
    ],
    total,
    uniquePayers,
    distribution:
      total === 0
        ? []
        : SEVERITY_ORDER.map((label) => {
            const count = bySeverity[label];
            const percent = wholePercent(count, total);
            return {
              label,
              title: severityLabelTitle(label),
              count,
              percent,
              percentText: `${percent}%`,
              colour: SEVERITY_COLOUR[label],
            };
          }),
    tableTitle: 'Detailed Drift Findings',
    columns: [...WEEKLY_REPORT_COLUMNS],
    rows: data.findings.map(findingRow),
    emptyText: 'No drift findings in this period.',
    footerLines: [
      'Generated by Payrixa - Early-warning intelligence for healthcare revenue operations',
      `This report contains ${total} drift findings across ${uniquePayers} unique payers`,
    ],
    pageLabel: (page, pages) => `Page ${page} of ${pages}`,
  };
}
