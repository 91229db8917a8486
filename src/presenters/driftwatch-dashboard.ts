import type { FindingRecord } from '../db/repositories/findings.repository.ts';
import {
  addDays,
  fixed,
  formatMoney,
  formatRate,
  formatRateDelta,
  SIGNAL_LABEL,
  type SignalType,
  severityLabelTitle,
} from '../domain/analytics/index.ts';
import { histogramMedian } from '../domain/stats/histogram.ts';
import type { DriftWatchChartData, DriftWatchDashboard } from '../queries/driftwatch-dashboard.ts';
import { DRIFT_CHART_WEEKS } from '../queries/driftwatch-dashboard.ts';
import { type ChartMarker, type LinePoint, lineChartSvg } from '../web/charts.ts';
import {
  analysisCoverage,
  cut,
  emergingRows,
  findingRow,
  formatUnitDelta,
  formatUnitValue,
} from './analytics.ts';
import {
  type ChartView,
  findingMarker,
  findingsSince90Days,
  impactCents,
  payerFrequency,
  SIGNAL_TYPES,
  weekOf,
} from './dashboard-common.ts';

/** The DriftWatch dashboard (analytics §13.3): cards, charts, evidence, recent findings. Pure. */

export interface DriftCharts {
  payers: string[];
  groups: string[];
  payer: string | null;
  group: string;
  rate: ChartView | null;
  decision: ChartView | null;
}

/**
 * Weekly denial rate (baseline band ± 5 pts) and weekly median decision days of the selected
 * payer (and group), with the findings of that selection as markers on their current week.
 */
export function driftWatchCharts(data: DriftWatchChartData, findings: readonly FindingRecord[]): DriftCharts {
  const { payers, groups, payer, group } = data;
  if (!payer) return { payers, groups: [], payer: null, group: '', rate: null, decision: null };
  const selected = findings.filter((f) => f.payer === payer && (group === '' || f.cpt_group === group));
  const weeks = Array.from({ length: DRIFT_CHART_WEEKS }, (_, i) => {
    const start = addDays(data.first, 7 * i);
    const row = data.weeks.find((w) => w.week === i);
    const decided = (row?.denied ?? 0) + (row?.paid ?? 0);
    return {
      start,
      end: addDays(start, 7),
      decided,
      rate: decided === 0 ? null : (row?.denied ?? 0) / decided,
      median: row ? histogramMedian(row.decisionDaysHist) : null,
    };
  });
  const baselineDecided = data.baseline ? data.baseline.denied + data.baseline.paid : 0;
  const baseline = data.baseline && baselineDecided > 0 ? data.baseline.denied / baselineDecided : null;
  const ratePoints: LinePoint[] = weeks.map((w) => ({
    label: w.start.slice(5),
    value: w.rate === null ? null : w.rate * 100,
    hollow: w.decided < 10,
  }));
  const rateMarkers: ChartMarker[] = [];
  for (const f of selected.filter((x) => x.signal_type === 'DENIAL_RATE')) {
    const i = weekOf(f.current_end, weeks);
    if (i < 0) continue;
    rateMarkers.push(
      findingMarker(
        f,
        i,
        ratePoints[i]?.value ?? f.current_value * 100,
        `${f.cpt_group ?? ''}: ${formatRate(f.baseline_value)} → ${formatRate(f.current_value)} (${formatRateDelta(f.delta_value)}) · ${severityLabelTitle(f.severity_label)}`,
      ),
    );
  }
  const subject = `${payer}${group ? ` (${group})` : ''}`;
  const rate: ChartView = {
    svg: lineChartSvg({
      id: 'chart-denial-rate',
      title: `Weekly denial rate — ${subject}`,
      desc: 'Denied / (paid + denied) of the claims decided in each ISO week; dashed line is the baseline rate, the band is baseline ± 5 pts; hollow points have fewer than 10 decided claims.',
      points: ratePoints,
      formatValue: (v) => `${fixed(v, 1)}%`,
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
  for (const f of selected.filter((x) => x.signal_type === 'DECISION_TIME')) {
    const i = weekOf(f.current_end, weeks);
    if (i < 0) continue;
    decisionMarkers.push(
      findingMarker(
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
      title: `Weekly median decision days — ${subject}`,
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

/** One row of the evidence table of the latest run's top finding. */
function evidenceRow(r: Readonly<Record<string, unknown>>) {
  const unit = r['unit'] as FindingRecord['unit'];
  return {
    payer: String(r['payer'] ?? ''),
    group: String(r['cpt_group'] ?? ''),
    signal: SIGNAL_LABEL[r['signal_type'] as SignalType] ?? String(r['signal_type']),
    baseline: formatUnitValue(unit, Number(r['baseline_value'])),
    current: formatUnitValue(unit, Number(r['current_value'])),
    change: formatUnitDelta(unit, Number(r['delta_value'])),
    severity: severityLabelTitle(r['severity_label'] as FindingRecord['severity_label']),
  };
}

/** The template data of `/portal/products/driftwatch/`. */
export function presentDriftWatchDashboard(
  view: DriftWatchDashboard,
  context: { today: string; signal: string | undefined; canRun: boolean },
) {
  const { run } = view;
  const summary = (run?.summary_json ?? {}) as Record<string, unknown>;
  const parameters = (run?.parameters ?? {}) as Record<string, unknown>;
  const sensitivity = parameters['sensitivity'] === 'reference' ? 'Reference' : 'Strict';
  const period =
    run && typeof summary['baseline_start'] === 'string'
      ? `Decisions: baseline ${summary['baseline_start']} – ${addDays(String(summary['baseline_end']), -1)} · current ${summary['current_start']} – ${addDays(String(summary['current_end']), -1)} · Sensitivity: ${sensitivity}`
      : null;
  const degrading = view.latestFindings.filter((f) => f.direction === 'degrading');
  return {
    run,
    period,
    coverage: analysisCoverage(run, context.today, view.latestDecision),
    emerging: emergingRows(summary),
    cards: {
      active: view.latestFindings.length,
      degrading: degrading.length,
      improving: view.latestFindings.length - degrading.length,
      impact: formatMoney(impactCents(degrading, { positiveOnly: true })),
      heldBack: typeof summary['held_back'] === 'number' ? summary['held_back'] : 0,
      showHeldBack: sensitivity === 'Strict',
    },
    charts: view.charts ? driftWatchCharts(view.charts, view.recent) : null,
    evidence: view.evidence,
    evidenceRows: view.evidence.evidence_rows.map(evidenceRow),
    topPayers: payerFrequency(findingsSince90Days(view.history, context.today)),
    recent: view.recent.map((f) => {
      const row = findingRow(f);
      return { ...row, plainShort: cut(row.plain, 80) };
    }),
    signals: SIGNAL_TYPES.driftwatch.map((s) => ({
      value: s,
      label: SIGNAL_LABEL[s as SignalType],
      selected: s === context.signal,
    })),
    canRun: context.canRun,
  };
}
