import {
  addDays,
  type DailyRollupRow,
  type DenialReasonRow,
  fixed,
  formatMoney,
  formatTimestampCard,
  parseCents,
} from '../domain/analytics/index.ts';
import type { DenialScopeDashboard } from '../queries/denialscope-dashboard.ts';
import { barChartSvg } from '../web/charts.ts';
import { analysisCoverage, cut, emergingRows, findingRow } from './analytics.ts';
import { byLabelText, type ChartView, chooseOption, wholeDollars } from './dashboard-common.ts';

/** The DenialScope dashboard (analytics §13.4): 30-day cards, daily bars, reasons. Pure. */

export interface DenialCards {
  totalDenials: number;
  deniedDollars: string;
  topPayer: { name: string; count: number } | null;
  topReason: { name: string; count: number } | null;
}

export interface DenialScopeCharts {
  cards: DenialCards;
  /** Payers with denials, most denials first (the selector). */
  payers: string[];
  payer: string | null;
  daily: ChartView | null;
}

/** Entries by count desc, ties by name. */
function byCount(counts: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/**
 * Cards of the 30 days before `asOf` and the daily denied dollars (claims when no denial has an
 * allowed amount) of the selected payer, the recent 7 days highlighted, the baseline daily mean
 * of [T−28, T−7) as the reference line.
 */
export function denialScopeCharts(
  rows: readonly DailyRollupRow[],
  asOf: string,
  selection: { payer?: string },
): DenialScopeCharts {
  const start = addDays(asOf, -30);
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
  const top = (counts: ReadonlyMap<string, number>) => {
    const first = byCount(counts)[0];
    return first ? { name: first[0], count: first[1] } : null;
  };
  const cards: DenialCards = {
    totalDenials: total,
    deniedDollars: formatMoney(cents),
    topPayer: top(byPayer),
    topReason: top(byReason),
  };
  const payers = byCount(byPayer).map(([p]) => p);
  const payer = chooseOption(selection.payer, payers);
  if (!payer) return { cards, payers, payer: null, daily: null };
  const mine = denied.filter((r) => r.payer === payer);
  const hasAllowed = mine.some((r) => r.allowed_count > 0);
  const value = (rs: readonly DailyRollupRow[]) =>
    hasAllowed
      ? rs.reduce((s, r) => s + Number(parseCents(r.allowed_sum)) / 100, 0)
      : rs.reduce((s, r) => s + r.claim_count, 0);
  const days = Array.from({ length: 30 }, (_, i) => addDays(start, i));
  const perDay = days.map((d) => value(mine.filter((r) => r.day === d)));
  const baselineDays = days.slice(2, 23); // [T−28, T−7)
  const baseMean = baselineDays.reduce((s, d) => s + value(mine.filter((r) => r.day === d)), 0) / 21;
  const format = (v: number) => (hasAllowed ? formatMoney(fixed(v, 2)) : fixed(v, 0));
  const daily: ChartView = {
    svg: barChartSvg({
      id: 'chart-denied-dollars',
      title: `Daily denied ${hasAllowed ? 'dollars' : 'claims'} — ${payer}`,
      desc: 'Last 30 days; the recent 7 days are highlighted; the dashed line is the baseline daily mean.',
      bars: days.map((d, i) => ({ label: d.slice(5), value: perDay[i] ?? 0, highlight: i >= 23 })),
      formatValue: format,
      formatTick: hasAllowed ? wholeDollars : format,
      reference: baseMean,
    }),
    columns: ['Day', hasAllowed ? 'Denied dollars' : 'Denied claims'],
    rows: days.map((d, i) => [d, format(perDay[i] ?? 0)]),
  };
  return { cards, payers, payer, daily };
}

/** Denied dollars by reason across payers (top 10 of the period table). */
export function reasonBarChart(
  rows: ReadonlyArray<Pick<DenialReasonRow, 'denial_reason' | 'denied_dollars'>>,
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

/** The template data of `/portal/products/denialscope/`. */
export function presentDenialScopeDashboard(
  view: DenialScopeDashboard,
  context: { today: string; payer: string | undefined; canRun: boolean },
) {
  const { run, asOf } = view;
  const charts = denialScopeCharts(view.rows, asOf, context.payer ? { payer: context.payer } : {});
  return {
    periodText: `${addDays(asOf, -30)} – ${addDays(asOf, -1)}`,
    lastComputed: run?.finished_at ? formatTimestampCard(run.finished_at) : 'Never',
    coverage: analysisCoverage(run, context.today, view.latestDecision),
    emerging: emergingRows(run?.summary_json as Record<string, unknown> | undefined),
    cards: charts.cards,
    activeSignals: byLabelText(view.latestFindings),
    payers: charts.payers,
    payer: charts.payer,
    daily: charts.daily,
    reasonChart: reasonBarChart(view.reasons),
    reasons: view.reasons.map((r) => ({
      ...r,
      dollars: formatMoney(r.denied_dollars),
      share: `${fixed(r.share_percent, 1)}%`,
    })),
    recent: view.recent.map((f) => {
      const row = findingRow(f);
      return { ...row, plainShort: cut(row.plain, 120) };
    }),
    canRun: context.canRun,
  };
}
