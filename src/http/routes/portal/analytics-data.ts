import type { Kysely } from 'kysely';
import type { FindingRecord } from '../../../db/repositories/findings.repository.ts';
import {
  decisionOutcomeTotals,
  NO_HISTOGRAMS,
  payerDecisionGroups,
  payersByDecisions,
  rollupRowsInWindow,
  settlementRowsInWindow,
  weeklyDecisions,
} from '../../../db/repositories/rollups.repository.ts';
import type { DB } from '../../../db/schema.ts';
import {
  addDays,
  type DailyRollupRow,
  delayGuardWindows,
  earlierDate,
  fixed,
  formatMoney,
  formatRate,
  formatRateDelta,
  latestMondayOnOrBefore,
  parseCents,
  SEVERITY_COLOUR,
  settledRows,
  severityLabelTitle,
} from '../../../domain/analytics/index.ts';
import { histogramMean, histogramMedian, mergeHistograms } from '../../../domain/stats/histogram.ts';
import { barChartSvg, type ChartMarker, type LinePoint, lineChartSvg } from '../../../web/charts.ts';

/** Chart data of the product dashboards (analytics §13.3–§13.5), read from the rollups the detectors read. */

/** Axis ticks of dollar charts: whole dollars (`$20,000`), so wide values fit the axis margin. */
function wholeDollars(v: number): string {
  return formatMoney(fixed(Math.round(v), 2)).replace(/\.00$/, '');
}

export interface ChartView {
  svg: string;
  columns: string[];
  rows: string[][];
}

interface Week {
  start: string;
  end: string;
  rows: DailyRollupRow[];
}

/** Payers by claim count desc in the rows (selector options; the first is the default). */
function payersByVolume(rows: readonly DailyRollupRow[]): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.payer, (counts.get(r.payer) ?? 0) + r.claim_count);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([p]) => p);
}

function weekOf(findingEnd: string, weeks: ReadonlyArray<{ start: string; end: string }>): number {
  const day = addDays(findingEnd, -1);
  return weeks.findIndex((w) => day >= w.start && day < w.end);
}

function marker(f: FindingRecord, index: number, value: number, title: string): ChartMarker {
  return {
    index,
    value,
    colour: SEVERITY_COLOUR[f.severity_label],
    direction: f.direction === 'degrading' ? 'up' : 'down',
    title,
  };
}

export interface DriftCharts {
  payers: string[];
  groups: string[];
  payer: string | null;
  group: string;
  rate: ChartView | null;
  decision: ChartView | null;
}

/**
 * DriftWatch: weekly denial rate (16 weeks, baseline band ± 5 pts) and weekly median decision
 * days of the selected payer (and group), on the decision timeline the detector reads. Only the
 * selection's weekly sums are read (`weeklyDecisions`), never every payer's daily rows.
 */
export async function driftWatchCharts(
  db: Kysely<DB>,
  customerId: number,
  run: { as_of: string; summary_json: Record<string, unknown> },
  findings: readonly FindingRecord[],
  selection: { payer?: string; group?: string },
): Promise<DriftCharts> {
  const lastWeek = latestMondayOnOrBefore(addDays(run.as_of, -1));
  const first = addDays(lastWeek, -7 * 15);
  const span = { start: first, end: addDays(lastWeek, 7) };
  const payers = (await payersByDecisions(db, customerId, span)).map((p) => p.payer);
  const payer = selection.payer && payers.includes(selection.payer) ? selection.payer : (payers[0] ?? null);
  if (!payer) return { payers, groups: [], payer: null, group: '', rate: null, decision: null };
  const groups = await payerDecisionGroups(db, customerId, span, payer);
  const group = selection.group && groups.includes(selection.group) ? selection.group : '';
  const chosen = { payer, ...(group !== '' && { cptGroup: group }) };
  const sel = findings.filter((f) => f.payer === payer && (group === '' || f.cpt_group === group));
  const series = await weeklyDecisions(db, customerId, { start: first, weeks: 16, ...chosen });
  const weeks = Array.from({ length: 16 }, (_, i) => {
    const start = addDays(first, 7 * i);
    const row = series.find((w) => w.week === i);
    const decided = (row?.denied ?? 0) + (row?.paid ?? 0);
    return {
      start,
      end: addDays(start, 7),
      decided,
      rate: decided === 0 ? null : (row?.denied ?? 0) / decided,
      median: row ? histogramMedian(row.decisionDaysHist) : null,
    };
  });

  const bs = run.summary_json['baseline_start'];
  const be = run.summary_json['baseline_end'];
  let baseline: number | null = null;
  if (typeof bs === 'string' && typeof be === 'string') {
    const totals = await decisionOutcomeTotals(db, customerId, { start: bs, end: be }, chosen);
    const decided = totals.denied + totals.paid;
    baseline = decided === 0 ? null : totals.denied / decided;
  }
  const ratePoints: LinePoint[] = weeks.map((w) => ({
    label: w.start.slice(5),
    value: w.rate === null ? null : w.rate * 100,
    hollow: w.decided < 10,
  }));
  const rateMarkers: ChartMarker[] = [];
  for (const f of sel.filter((x) => x.signal_type === 'DENIAL_RATE')) {
    const i = weekOf(f.current_end, weeks);
    if (i < 0) continue;
    rateMarkers.push(
      marker(
        f,
        i,
        ratePoints[i]?.value ?? f.current_value * 100,
        `${f.cpt_group ?? ''}: ${formatRate(f.baseline_value)} → ${formatRate(f.current_value)} (${formatRateDelta(f.delta_value)}) · ${severityLabelTitle(f.severity_label)}`,
      ),
    );
  }
  const pct = (v: number) => `${fixed(v, 1)}%`;
  const title = `Weekly denial rate — ${payer}${group ? ` (${group})` : ''}`;
  const rate: ChartView = {
    svg: lineChartSvg({
      id: 'chart-denial-rate',
      title,
      desc: 'Denied / (paid + denied) of the claims decided in each ISO week; dashed line is the baseline rate, the band is baseline ± 5 pts; hollow points have fewer than 10 decided claims.',
      points: ratePoints,
      formatValue: pct,
      baseline: baseline === null ? null : baseline * 100,
      band:
        baseline === null
          ? null
          : { low: Math.max(0, baseline * 100 - 5), high: Math.min(100, baseline * 100 + 5) },
      markers: rateMarkers,
      yMin: 0,
      yMax: 100,
    }),
    columns: ['Week', 'Denial rate', 'Decided claims'],
    rows: weeks.map((w) => [w.start, w.rate === null ? '-' : formatRate(w.rate), String(w.decided)]),
  };

  const medians = weeks.map((w) => w.median);
  const decisionMarkers: ChartMarker[] = [];
  for (const f of sel.filter((x) => x.signal_type === 'DECISION_TIME')) {
    const i = weekOf(f.current_end, weeks);
    if (i < 0) continue;
    decisionMarkers.push(
      marker(
        f,
        i,
        medians[i] ?? f.current_value,
        `${f.cpt_group ?? ''}: ${fixed(f.baseline_value, 1)} → ${fixed(f.current_value, 1)} days · ${severityLabelTitle(f.severity_label)}`,
      ),
    );
  }
  const decision: ChartView = {
    svg: lineChartSvg({
      id: 'chart-decision-days',
      title: `Weekly median decision days — ${payer}${group ? ` (${group})` : ''}`,
      desc: 'Median days from submission to decision of the claims decided in each ISO week.',
      points: weeks.map((w, i) => ({ label: w.start.slice(5), value: medians[i] ?? null })),
      formatValue: (v) => fixed(v, 1),
      markers: decisionMarkers,
      yMin: 0,
    }),
    columns: ['Week', 'Median decision days'],
    rows: weeks.map((w, i) => [w.start, medians[i] == null ? '-' : fixed(medians[i] as number, 1)]),
  };
  return { payers, groups, payer, group, rate, decision };
}

export interface DenialCards {
  totalDenials: number;
  deniedDollars: string;
  topPayer: { name: string; count: number } | null;
  topReason: { name: string; count: number } | null;
}

/** DenialScope: 30-day cards and the daily denied-dollars bars of the selected payer. */
export async function denialScopeData(
  db: Kysely<DB>,
  customerId: number,
  asOf: string,
  selection: { payer?: string },
): Promise<{ cards: DenialCards; payers: string[]; payer: string | null; daily: ChartView | null }> {
  const start = addDays(asOf, -30);
  const rows = await rollupRowsInWindow(db, customerId, { start, end: asOf }, 'denialscope', {
    histograms: NO_HISTOGRAMS,
  });
  const denied = rows.filter((r) => r.outcome === 'DENIED');
  let total = 0;
  let cents = 0n;
  const byPayer = new Map<string, number>();
  const byReason = new Map<string, number>();
  for (const r of denied) {
    total += r.claim_count;
    cents += parseCents(r.allowed_sum);
    byPayer.set(r.payer, (byPayer.get(r.payer) ?? 0) + r.claim_count);
    byReason.set(r.denial_reason, (byReason.get(r.denial_reason) ?? 0) + r.claim_count);
  }
  const top = (m: Map<string, number>) => {
    const e = [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    return e ? { name: e[0], count: e[1] } : null;
  };
  const cards: DenialCards = {
    totalDenials: total,
    deniedDollars: formatMoney(cents),
    topPayer: top(byPayer),
    topReason: top(byReason),
  };
  const payers = [...byPayer.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([p]) => p);
  const payer = selection.payer && payers.includes(selection.payer) ? selection.payer : (payers[0] ?? null);
  if (!payer) return { cards, payers, payer: null, daily: null };
  const mine = denied.filter((r) => r.payer === payer);
  const hasAllowed = mine.some((r) => r.allowed_count > 0);
  const value = (rs: readonly DailyRollupRow[]) =>
    hasAllowed
      ? rs.reduce((s, r) => s + Number(parseCents(r.allowed_sum)) / 100, 0)
      : rs.reduce((s, r) => s + r.claim_count, 0);
  const days: string[] = [];
  for (let i = 0; i < 30; i++) days.push(addDays(start, i));
  const perDay = days.map((d) => value(mine.filter((r) => r.day === d)));
  const baselineDays = days.slice(2, 23); // [T−28, T−7)
  const baseMean = baselineDays.reduce((s, d) => s + value(mine.filter((r) => r.day === d)), 0) / 21;
  const fmt = (v: number) => (hasAllowed ? formatMoney(fixed(v, 2)) : fixed(v, 0));
  const daily: ChartView = {
    svg: barChartSvg({
      id: 'chart-denied-dollars',
      title: `Daily denied ${hasAllowed ? 'dollars' : 'claims'} — ${payer}`,
      desc: 'Last 30 days; the recent 7 days are highlighted; the dashed line is the baseline daily mean.',
      bars: days.map((d, i) => ({ label: d.slice(5), value: perDay[i] ?? 0, highlight: i >= 23 })),
      formatValue: fmt,
      formatTick: hasAllowed ? wholeDollars : fmt,
      reference: baseMean,
    }),
    columns: ['Day', hasAllowed ? 'Denied dollars' : 'Denied claims'],
    rows: days.map((d, i) => [d, fmt(perDay[i] ?? 0)]),
  };
  return { cards, payers, payer, daily };
}

/** DenialScope: denied dollars by reason (top 10 of the period table). */
export function reasonBarChart(
  rows: ReadonlyArray<{ denial_reason: string; denied_dollars: string; payer: string }>,
): ChartView | null {
  const byReason = new Map<string, bigint>();
  for (const r of rows)
    byReason.set(r.denial_reason, (byReason.get(r.denial_reason) ?? 0n) + parseCents(r.denied_dollars));
  const top = [...byReason.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).slice(0, 10);
  if (top.length === 0) return null;
  return {
    svg: barChartSvg({
      id: 'chart-reason-dollars',
      title: 'Denied dollars by reason (last 30 days)',
      desc: 'Top denial reasons by denied dollars across payers.',
      bars: top.map(([reason, c]) => ({ label: reason, value: Number(c) / 100 })),
      formatValue: (v) => formatMoney(fixed(v, 2)),
      formatTick: wholeDollars,
    }),
    columns: ['Denial reason', 'Denied dollars'],
    rows: top.map(([reason, c]) => [reason, formatMoney(c)]),
  };
}

/**
 * DelayGuard: weekly average days to payment (12 weeks) with the baseline mean line, on the
 * settlement timeline the detector reads (payments made in each week; a paying payer's PAID
 * claims without a payment date yet are left out, as the detector leaves them out).
 */
export async function delayGuardChart(
  db: Kysely<DB>,
  customerId: number,
  asOf: string,
  findings: readonly FindingRecord[],
  selection: { payer?: string },
): Promise<{ payers: string[]; payer: string | null; chart: ChartView | null }> {
  const lastWeek = latestMondayOnOrBefore(addDays(asOf, -1));
  const first = addDays(lastWeek, -7 * 11);
  const baselineWindow = delayGuardWindows(asOf).baseline;
  const start = earlierDate(first, baselineWindow.start);
  const rows = settledRows(
    await settlementRowsInWindow(db, customerId, { start, end: addDays(lastWeek, 7) }),
    asOf,
  );
  const weeks: Week[] = Array.from({ length: 12 }, (_, i) => {
    const weekStart = addDays(first, 7 * i);
    const weekEnd = addDays(weekStart, 7);
    return {
      start: weekStart,
      end: weekEnd,
      rows: rows.filter((r) => r.day >= weekStart && r.day < weekEnd),
    };
  });
  const payers = payersByVolume(weeks.flatMap((w) => w.rows));
  const payer = selection.payer && payers.includes(selection.payer) ? selection.payer : (payers[0] ?? null);
  if (!payer) return { payers, payer: null, chart: null };
  const means = weeks.map((w) =>
    histogramMean(mergeHistograms(w.rows.filter((r) => r.payer === payer).map((r) => r.payment_days_hist))),
  );
  const baseRows = rows.filter(
    (r) => r.payer === payer && r.day >= baselineWindow.start && r.day < baselineWindow.end,
  );
  const baseline = histogramMean(mergeHistograms(baseRows.map((r) => r.payment_days_hist)));
  const markers: ChartMarker[] = [];
  for (const f of findings.filter((x) => x.payer === payer)) {
    const i = weekOf(f.current_end, weeks);
    if (i < 0) continue;
    markers.push(
      marker(
        f,
        i,
        means[i] ?? f.current_value,
        `${fixed(f.baseline_value, 1)} → ${fixed(f.current_value, 1)} days · ${severityLabelTitle(f.severity_label)}`,
      ),
    );
  }
  return {
    payers,
    payer,
    chart: {
      svg: lineChartSvg({
        id: 'chart-days-to-pay',
        title: `Weekly average days to payment — ${payer}`,
        desc: 'Average days from submission to payment of the claims paid in each ISO week (decided, for claims without payment); the dashed line is the baseline mean.',
        points: weeks.map((w, i) => ({ label: w.start.slice(5), value: means[i] ?? null })),
        formatValue: (v) => fixed(v, 1),
        baseline,
        markers,
        yMin: 0,
      }),
      columns: ['Week', 'Average days to payment'],
      rows: weeks.map((w, i) => [w.start, means[i] == null ? '-' : fixed(means[i] as number, 1)]),
    },
  };
}
