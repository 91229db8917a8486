import { grade } from '../domain/quality/index.ts';
import { lineChartSvg } from '../web/charts.ts';

/**
 * Server-rendered charts of the data-quality pages (ingestion spec §4.4): the quality score of
 * each upload over time (dashboard "Quality Trend (30 Days)", trends page) and one chart per
 * daily metric (trends page). Same shape as the product dashboards' charts, rendered by the
 * `_chart` partial: the SVG plus the data table behind it (`columns` empty when the page
 * already shows that table next to the chart). Null when there is nothing to draw.
 */

export interface QualityChartView {
  svg: string;
  columns: string[];
  rows: string[][];
}

export interface ReportScore {
  upload_id: number;
  created_at: Date;
  /** numeric(5,4) as read from upload_quality_reports. */
  quality_score: string | number;
}

export interface MetricPoint {
  date: string;
  score: number;
}

export const METRIC_TITLES = {
  completeness: 'Completeness',
  validity: 'Validity',
  timeliness: 'Timeliness',
  uniqueness: 'Uniqueness',
} as const;

export type MetricType = keyof typeof METRIC_TITLES;

const percent = (value: number): string => `${Math.round(value)}%`;

function isoDay(date: Date): string {
  return new Date(date).toISOString().slice(0, 10);
}

/**
 * Score × 100 of each upload, oldest first (reports arrive newest first, as the repository
 * lists them). Points are labelled with the processing day (MM-DD) and upload number so the
 * tooltip names the upload; the table gives the full date.
 */
export function uploadScoreChart(
  reports: readonly ReportScore[],
  options: { id: string; title: string; withTable: boolean },
): QualityChartView | null {
  if (reports.length === 0) return null;
  const ordered = [...reports].sort(
    (a, b) =>
      new Date(a.created_at).getTime() - new Date(b.created_at).getTime() || a.upload_id - b.upload_id,
  );
  const scores = ordered.map((r) => Number(r.quality_score) * 100);
  return {
    svg: lineChartSvg({
      id: options.id,
      title: options.title,
      desc: `Quality score of each of ${ordered.length} uploads, oldest first, from ${isoDay(ordered[0]!.created_at)} to ${isoDay(ordered[ordered.length - 1]!.created_at)}: accepted rows out of all rows, 0–100%.`,
      points: ordered.map((r, i) => ({
        label: `${isoDay(r.created_at).slice(5)} #${r.upload_id}`,
        value: scores[i]!,
      })),
      formatValue: percent,
      yMin: 0,
      yMax: 100,
    }),
    columns: options.withTable ? ['Upload', 'Processed', 'Score', 'Grade'] : [],
    rows: options.withTable
      ? ordered.map((r, i) => [
          `#${r.upload_id}`,
          isoDay(r.created_at),
          percent(scores[i]!),
          grade(Number(r.quality_score)),
        ])
      : [],
  };
}

/** One daily metric (score 0..1 per measurement date, oldest first) as a 0–100% line. */
export function metricChart(metricType: MetricType, series: readonly MetricPoint[]): QualityChartView | null {
  if (series.length === 0) return null;
  const title = METRIC_TITLES[metricType];
  return {
    svg: lineChartSvg({
      id: `chart-metric-${metricType}`,
      title: `${title} — daily score`,
      desc: `${title} score of the uploads completed each day, ${series[0]!.date} to ${series[series.length - 1]!.date}, 0–100%.`,
      points: series.map((p) => ({ label: p.date.slice(5), value: p.score * 100 })),
      formatValue: percent,
      yMin: 0,
      yMax: 100,
    }),
    columns: ['Date', 'Score', 'Grade'],
    rows: series.map((p) => [p.date, percent(p.score * 100), grade(p.score)]),
  };
}
