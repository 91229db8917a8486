import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import type { AnalysisProduct } from '../db/schema.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import {
  addDays,
  fixed,
  formatMoney,
  formatTimestampCard,
  parseCents,
  SEVERITY_COLOUR,
  severityLabelTitle,
} from '../domain/analytics/index.ts';
import type { ChartMarker } from '../web/charts.ts';

/**
 * Pieces shared by the product dashboards (analytics §13.2–§13.5) and the Axis tiles. Pure: the
 * read models in src/queries/ hand over rows, these turn them into what the pages show.
 */

/** The signal types of each product, in the order the filters list them (§13.3, §13.6). */
export const SIGNAL_TYPES: Readonly<Record<AnalysisProduct, readonly string[]>> = {
  driftwatch: ['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_AMOUNT'],
  denialscope: ['new_denial_reason', 'denial_rate_spike', 'denial_dollars_spike', 'denial_volume_spike'],
  delayguard: ['payment_delay_drift'],
};

/** A chart: its SVG and the same numbers as a data table (accessibility). */
export interface ChartView {
  svg: string;
  columns: string[];
  rows: string[][];
}

/** The selected option when it is one of `options`, else the first (null when there is none). */
export function chooseOption(selected: string | undefined, options: readonly string[]): string | null {
  return selected !== undefined && options.includes(selected) ? selected : (options[0] ?? null);
}

/** Axis ticks of dollar charts: whole dollars (`$20,000`), so wide values fit the axis margin. */
export function wholeDollars(v: number): string {
  return formatMoney(fixed(Math.round(v), 2)).replace(/\.00$/, '');
}

/** The index of the week holding a finding's last current day (−1 when outside the weeks). */
export function weekOf(findingEnd: string, weeks: ReadonlyArray<{ start: string; end: string }>): number {
  const day = addDays(findingEnd, -1);
  return weeks.findIndex((w) => day >= w.start && day < w.end);
}

/** A finding's marker on a weekly chart (colour of its severity, arrow of its direction). */
export function findingMarker(f: FindingRecord, index: number, value: number, title: string): ChartMarker {
  return {
    index,
    value,
    colour: SEVERITY_COLOUR[f.severity_label],
    direction: f.direction === 'degrading' ? 'up' : 'down',
    title,
  };
}

/** The sum of the findings' estimated impacts (null impacts count 0; `positiveOnly` skips gains). */
export function impactCents(
  findings: readonly FindingRecord[],
  options: { positiveOnly?: boolean } = {},
): bigint {
  return findings.reduce((sum, f) => {
    const cents = f.estimated_impact ? parseCents(f.estimated_impact) : 0n;
    return options.positiveOnly && cents <= 0n ? sum : sum + cents;
  }, 0n);
}

/** "2 high · 1 low" (labels from critical down), or "No findings". */
export function byLabelText(findings: readonly FindingRecord[]): string {
  const parts: string[] = [];
  for (const label of ['critical', 'high', 'medium', 'low'] as const) {
    const n = findings.filter((f) => f.severity_label === label).length;
    if (n > 0) parts.push(`${n} ${label}`);
  }
  return parts.length ? parts.join(' · ') : 'No findings';
}

/** One row of a dashboard's "top payers" table. */
export interface PayerFrequency {
  payer: string;
  findings: number;
  degrading: number;
  avgSeverity: string;
  maxSeverity: string;
  latestAsOf: string;
  avgDelta: string;
  maxDelta: string;
  atRisk: string;
}

/** The five payers with the most findings (ties by name), with their severity and delta figures. */
export function payerFrequency(findings: readonly FindingRecord[]): PayerFrequency[] {
  const byPayer = new Map<string, FindingRecord[]>();
  for (const f of findings) byPayer.set(f.payer, [...(byPayer.get(f.payer) ?? []), f]);
  return [...byPayer.entries()]
    .map(([payer, fs]) => ({
      payer,
      findings: fs.length,
      degrading: fs.filter((f) => f.direction === 'degrading').length,
      avgSeverity: fixed(fs.reduce((s, f) => s + f.severity, 0) / fs.length, 2),
      maxSeverity: fixed(Math.max(...fs.map((f) => f.severity)), 2),
      latestAsOf:
        fs
          .map((f) => f.as_of)
          .sort()
          .at(-1) ?? '-',
      avgDelta: fixed(fs.reduce((s, f) => s + f.delta_value, 0) / fs.length, 1),
      maxDelta: fixed(Math.max(...fs.map((f) => f.delta_value)), 1),
      atRisk: formatMoney(impactCents(fs)),
    }))
    .sort((a, b) => b.findings - a.findings || (a.payer < b.payer ? -1 : 1))
    .slice(0, 5);
}

/** Findings of the last 90 days before `today` (the "top payers" tables). */
export function findingsSince90Days(findings: readonly FindingRecord[], today: string): FindingRecord[] {
  const since = addDays(today, -90);
  return findings.filter((f) => f.as_of >= since);
}

/** A product's Axis tile: latest run and its findings by label, worst payer first (§13.2). */
export function presentAxisTile(
  product: AnalysisProduct,
  run: AnalysisRunRecord | undefined,
  latestFindings: readonly FindingRecord[],
) {
  const worst = latestFindings[0];
  return {
    ...PRODUCTS[product],
    asOf: run?.as_of ?? null,
    status: run?.status ?? null,
    lastRun: run?.finished_at ? formatTimestampCard(run.finished_at) : null,
    openFindings: latestFindings.length,
    byLabel: byLabelText(latestFindings),
    worstPayer: worst ? `${worst.payer} (${severityLabelTitle(worst.severity_label)})` : null,
  };
}
