import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import {
  BACKTEST_MAX_WEEKS,
  type BacktestEpisode,
  type BacktestWeek,
  fixed,
  severityLabelTitle,
  signedFixed,
} from '../domain/analytics/index.ts';
import { barChartSvg } from '../web/charts.ts';
import type { ChartView } from './dashboard-common.ts';

/** DriftWatch backtest pages (analytics §10.3): the form and one run's result. Pure. */

export const BACKTEST_NOTE =
  'claims are replayed as stored today, including adjudications that arrived later than the replayed date.';

export interface BacktestFormValues {
  from: string;
  to: string;
  sensitivity: string;
}

/** The template data of the backtest form (with the values typed and the error, if any). */
export function presentBacktestForm(
  values: BacktestFormValues,
  error: string | null,
  context: { canRun: boolean },
) {
  return {
    values,
    error,
    maxWeeks: BACKTEST_MAX_WEEKS,
    canRun: context.canRun,
    sensitivities: [
      { value: '', label: "Customer's setting", selected: values.sensitivity === '' },
      { value: 'strict', label: 'Strict', selected: values.sensitivity === 'strict' },
      { value: 'reference', label: 'Reference', selected: values.sensitivity === 'reference' },
    ],
    note: BACKTEST_NOTE,
  };
}

/** Δ of an episode's first detection in the signal's display unit (as the CLI prints it). */
export function backtestDeltaText(signal: string, delta: number): string {
  return signal === 'DECISION_TIME' ? `${signedFixed(delta, 1)} days` : `${signedFixed(delta * 100, 1)} pts`;
}

function weeksChart(weeks: readonly BacktestWeek[]): ChartView {
  return {
    svg: barChartSvg({
      id: 'chart-backtest-weeks',
      title: 'DriftWatch findings per replayed week',
      desc: 'Number of DriftWatch findings for each replayed Monday of the backtest.',
      bars: weeks.map((w) => ({ label: w.as_of, value: w.findings })),
      formatValue: (v) => String(Math.round(v)),
    }),
    columns: ['Week (as of)', 'Findings'],
    rows: weeks.map((w) => [w.as_of, String(w.findings)]),
  };
}

/** The template data of a backtest run's result page (pending, failed or done). */
export function presentBacktestResult(run: AnalysisRunRecord) {
  const params = (run.parameters ?? {}) as Record<string, unknown>;
  const summary = (run.summary_json ?? {}) as Record<string, unknown>;
  const weeks = (Array.isArray(summary['weeks']) ? summary['weeks'] : []) as BacktestWeek[];
  const episodes = (Array.isArray(summary['episodes']) ? summary['episodes'] : []) as BacktestEpisode[];
  const done = run.status === 'success';
  return {
    run,
    from: String(params['from'] ?? ''),
    to: String(params['to'] ?? run.as_of),
    sensitivity: params['sensitivity'] === 'reference' ? 'Reference' : 'Strict',
    done,
    pending: run.status === 'queued' || run.status === 'running',
    failed: run.status === 'failed',
    weeksCount: weeks.length,
    chart: done && weeks.length > 0 ? weeksChart(weeks) : null,
    episodes: episodes.map((e) => ({
      payer: e.payer,
      group: e.cpt_group,
      signal: e.signal_type,
      direction: e.direction,
      first: e.first_detected_as_of,
      last: e.last_detected_as_of,
      weeks: e.weeks_detected,
      firstSeverity: `${severityLabelTitle(e.first_severity_label)} (${fixed(e.first_severity, 2)})`,
      maxSeverity: `${severityLabelTitle(e.max_severity_label)} (${fixed(e.max_severity, 2)})`,
      firstDelta: backtestDeltaText(e.signal_type, e.first_delta),
      firstQ: e.first_q_value === null ? '-' : e.first_q_value.toPrecision(3),
    })),
    note: BACKTEST_NOTE,
  };
}
