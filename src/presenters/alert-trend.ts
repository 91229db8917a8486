import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import {
  addDays,
  daysBetween,
  fixed,
  formatMoney,
  parseCents,
  severityLabelTitle,
} from '../domain/analytics/index.ts';
import {
  type AlertTrend,
  DENIAL_TREND_WEEKS,
  type DenialDay,
  type DenialTrendData,
} from '../queries/alert-deep-dive.ts';
import { lineChartSvg } from '../web/charts.ts';
import { type ChartView, findingMarker, weekOf, wholeDollars } from './dashboard-common.ts';
import { delayGuardChart } from './delayguard-dashboard.ts';
import { driftWatchCharts } from './driftwatch-dashboard.ts';

/**
 * The deep dive's trend chart (alerts-reports §12 section 5): the chart of the finding's product
 * for its payer (and group or reason), with this finding marked. DriftWatch and DelayGuard draw
 * their dashboard's chart for the finding's payer; DenialScope draws the payer's weekly denied
 * dollars of the finding's reason. Pure.
 */

/**
 * Weekly denied dollars (denied claims when none of the payer's denials has an allowed amount,
 * as the dashboard's daily bars fall back) of the finding's payer and reason: 12 seven-day
 * periods ending with the finding's current window, the finding's baseline window as a weekly
 * mean line, and the finding marked on the last period.
 */
export function denialTrendChart(data: DenialTrendData, finding: FindingRecord): ChartView {
  const sums = (days: readonly DenialDay[]) => ({
    claims: days.reduce((n, d) => n + d.claimCount, 0),
    cents: days.reduce((c, d) => c + parseCents(d.allowedSum), 0n),
  });
  const weeks = Array.from({ length: DENIAL_TREND_WEEKS }, (_, i) => {
    const start = addDays(data.first, 7 * i);
    const end = addDays(start, 7);
    return { start, end, ...sums(data.days.filter((d) => d.day >= start && d.day < end)) };
  });
  const dollars = data.days.some((d) => d.allowedCount > 0);
  const value = (w: { claims: number; cents: bigint }) => (dollars ? Number(w.cents) / 100 : w.claims);
  const format = (v: number) => (dollars ? formatMoney(fixed(v, 2)) : fixed(v, 0));
  // The baseline as a weekly mean: the window's total over its days, times 7 (the detector
  // compares per-day values, so a shortened baseline compares the same way).
  const baselineDays = daysBetween(finding.baseline_start, finding.baseline_end);
  const baselineTotal = value(
    sums(data.days.filter((d) => d.day >= finding.baseline_start && d.day < finding.baseline_end)),
  );
  const baseline = baselineDays > 0 ? (baselineTotal / baselineDays) * 7 : null;
  const entity = finding.denial_reason ? `${finding.payer} · ${finding.denial_reason}` : finding.payer;
  const what = dollars ? 'denied dollars' : 'denied claims';
  const i = weekOf(finding.current_end, weeks);
  const current = weeks[i];
  const markers =
    current === undefined
      ? []
      : [
          findingMarker(
            finding,
            i,
            value(current),
            `${entity}: ${baseline === null ? '-' : format(baseline)} → ${format(value(current))} a week · ${severityLabelTitle(finding.severity_label)}`,
          ),
        ];
  return {
    svg: lineChartSvg({
      id: 'chart-alert-denials',
      title: `Weekly ${what} — ${entity}`,
      desc: `${dollars ? 'Denied dollars' : 'Denied claims'} of the 7-day periods up to the finding's current window (by decision date); the dashed line is the baseline weekly mean; the marker is this finding.`,
      points: weeks.map((w) => ({ label: w.start.slice(5), value: value(w) })),
      formatValue: dollars ? wholeDollars : format,
      baseline,
      markers,
      yMin: 0,
    }),
    columns: ['Week', 'Denied claims', 'Denied dollars'],
    rows: weeks.map((w) => [`${w.start} – ${addDays(w.end, -1)}`, String(w.claims), formatMoney(w.cents)]),
  };
}

/**
 * The chart of the alert's finding, or null when there is no live finding or its payer (or CPT
 * group) has no data in the charted weeks — the dashboard queries fall back to the busiest
 * payer then, and another payer's chart must not stand in for this one's.
 */
export function alertTrendChart(trend: AlertTrend | null, finding: FindingRecord | null): ChartView | null {
  if (!trend || !finding) return null;
  switch (trend.product) {
    case 'driftwatch': {
      const { data } = trend;
      if (data.payer !== finding.payer || (finding.cpt_group && data.group !== finding.cpt_group))
        return null;
      const charts = driftWatchCharts(data, [finding]);
      return finding.signal_type === 'DECISION_TIME' ? charts.decision : charts.rate;
    }
    case 'delayguard': {
      const chart = delayGuardChart(trend.data, [finding], { payer: finding.payer });
      return chart.payer === finding.payer ? chart.chart : null;
    }
    case 'denialscope':
      return trend.data.days.length ? denialTrendChart(trend.data, finding) : null;
  }
}
