import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import {
  addDays,
  type DailyRollupRow,
  delayGuardWindows,
  fixed,
  formatMoney,
  severityLabelTitle,
} from '../domain/analytics/index.ts';
import { histogramMean, mergeHistograms } from '../domain/stats/histogram.ts';
import type { DelayGuardChartData, DelayGuardDashboard } from '../queries/delayguard-dashboard.ts';
import { DELAY_CHART_WEEKS } from '../queries/delayguard-dashboard.ts';
import { type ChartMarker, lineChartSvg } from '../web/charts.ts';
import { analysisCoverage, emergingRows, findingRow } from './analytics.ts';
import {
  type ChartView,
  chooseOption,
  findingMarker,
  findingsSince90Days,
  impactCents,
  payerFrequency,
  weekOf,
} from './dashboard-common.ts';

/** The DelayGuard dashboard (analytics §13.5): cards, days-to-payment chart, signals. Pure. */

/** Delay urgency of §13.5 (label and level 1–5 of a DelayGuard finding). */
export function delayUrgency(f: Pick<FindingRecord, 'delta_value' | 'severity_label'>): {
  level: number;
  label: string;
} {
  const d = f.delta_value;
  if (f.severity_label === 'critical' || d >= 15) return { level: 5, label: 'URGENT' };
  if (f.severity_label === 'high' || d >= 10) return { level: 4, label: 'HIGH' };
  if (f.severity_label === 'medium' || d >= 5) return { level: 3, label: 'MEDIUM' };
  if (d >= 3) return { level: 2, label: 'LOW' };
  return { level: 1, label: 'INFO' };
}

/** Payers by claim count desc in the rows, ties by name (selector options; the first is the default). */
function payersByVolume(rows: readonly DailyRollupRow[]): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.payer, (counts.get(r.payer) ?? 0) + r.claim_count);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([p]) => p);
}

/**
 * Weekly average days to payment of the selected payer (12 weeks) with the baseline mean line
 * and the payer's findings as markers on their current week.
 */
export function delayGuardChart(
  data: DelayGuardChartData,
  findings: readonly FindingRecord[],
  selection: { payer?: string },
): { payers: string[]; payer: string | null; chart: ChartView | null } {
  const baselineWindow = delayGuardWindows(data.asOf).baseline;
  const weeks = Array.from({ length: DELAY_CHART_WEEKS }, (_, i) => {
    const start = addDays(data.first, 7 * i);
    const end = addDays(start, 7);
    return { start, end, rows: data.rows.filter((r) => r.day >= start && r.day < end) };
  });
  const payers = payersByVolume(weeks.flatMap((w) => w.rows));
  const payer = chooseOption(selection.payer, payers);
  if (!payer) return { payers, payer: null, chart: null };
  const means = weeks.map((w) =>
    histogramMean(mergeHistograms(w.rows.filter((r) => r.payer === payer).map((r) => r.payment_days_hist))),
  );
  const baseRows = data.rows.filter(
    (r) => r.payer === payer && r.day >= baselineWindow.start && r.day < baselineWindow.end,
  );
  const baseline = histogramMean(mergeHistograms(baseRows.map((r) => r.payment_days_hist)));
  const markers: ChartMarker[] = [];
  for (const f of findings.filter((x) => x.payer === payer)) {
    const i = weekOf(f.current_end, weeks);
    if (i < 0) continue;
    markers.push(
      findingMarker(
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

/** "FastPay: message" lines of the run summary's data-quality warnings. */
function warningLines(summary: Readonly<Record<string, unknown>>): string[] {
  const warnings = summary['data_quality_warnings'];
  if (!Array.isArray(warnings)) return [];
  return (warnings as Array<Record<string, unknown>>).map(
    (w) => `${String(w['payer'] ?? '')}: ${String(w['message'] ?? '')}`,
  );
}

/** The template data of `/portal/products/delayguard/`. */
export function presentDelayGuardDashboard(
  view: DelayGuardDashboard,
  context: { today: string; payer: string | undefined; canRun: boolean },
) {
  const { run } = view;
  const active = view.latestFindings;
  const summary = (run?.summary_json ?? {}) as Record<string, unknown>;
  const meanDelta = active.length ? active.reduce((s, f) => s + f.delta_value, 0) / active.length : 0;
  return {
    run,
    coverage: analysisCoverage(run, context.today, view.latestDecision),
    emerging: emergingRows(summary),
    cards: {
      active: active.length,
      critical: active.filter((f) => f.severity_label === 'critical').length,
      high: active.filter((f) => f.severity_label === 'high').length,
      meanDelta: `${meanDelta >= 0 ? '+' : ''}${fixed(meanDelta, 1)} days`,
      atRisk: formatMoney(impactCents(active)),
    },
    chart: view.chart
      ? delayGuardChart(view.chart, view.history, context.payer ? { payer: context.payer } : {})
      : null,
    topPayers: payerFrequency(findingsSince90Days(view.history, context.today)),
    recent: view.history.slice(0, 50).map((f) => ({ ...findingRow(f), delayUrgency: delayUrgency(f) })),
    warnings: warningLines(summary),
    canRun: context.canRun,
  };
}
