import type { AnalysisRequestResult } from '../commands/request-analysis.ts';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { AnalysisProduct } from '../db/schema.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import { formatTimestampTable } from '../domain/analytics/index.ts';
import type { RunsPage } from '../queries/analysis-runs-page.ts';
import { runWindowText } from './analytics.ts';

/** The portal's analysis runs: reports page rows, live progress and the "run now" message. Pure. */

/** What a run that has not finished is doing, in words for the reports page. */
const RUN_PHASE_LABELS: Readonly<Record<string, string>> = {
  queued: 'Waiting to start',
  running: 'Running',
};

function isPending(run: Pick<AnalysisRunRecord, 'status'>): boolean {
  return run.status === 'queued' || run.status === 'running';
}

/** The template data of `/portal/reports/`. */
export function presentRunsPage(view: RunsPage, context: { canRun: boolean }) {
  return {
    runs: view.runs.map((r) => ({
      id: r.id,
      status: r.status,
      statusClass: r.status === 'success' ? 'ok' : r.status === 'failed' ? 'bad' : 'pending',
      product: PRODUCTS[r.product].label,
      type: r.run_type,
      asOf: r.as_of,
      started: r.started_at ? formatTimestampTable(r.started_at) : '-',
      finished: r.finished_at ? formatTimestampTable(r.finished_at) : '-',
      events: view.findingCounts.get(r.id) ?? 0,
      window: runWindowText(r),
      error: r.error_message,
    })),
    canRun: context.canRun,
    pending: view.runs.some(isPending),
  };
}

/** The JSON of `/portal/reports/progress/`: done when nothing is queued or running. */
export function presentRunProgress(pending: readonly AnalysisRunRecord[]) {
  return {
    done: pending.length === 0,
    pending: pending.map((run) => ({
      id: run.id,
      product: PRODUCTS[run.product].label,
      status: run.status,
      phase_label: RUN_PHASE_LABELS[run.status] ?? run.status,
      as_of: run.as_of,
    })),
  };
}

/** The flash after "Run analysis now" (analytics §10.2), from the outcome of each product. */
export function runRequestMessage(
  results: ReadonlyArray<{ product: AnalysisProduct; outcome: AnalysisRequestResult['outcome'] }>,
): {
  level: 'warning' | 'info' | 'success';
  message: string;
} {
  if (results.length === 0)
    return { level: 'warning', message: 'No products are enabled for this customer.' };
  const started = results.filter((r) => r.outcome === 'enqueued');
  if (started.length === 0) return { level: 'info', message: 'Analysis is already running.' };
  const names = started.map((r) => PRODUCTS[r.product].label);
  return {
    level: 'success',
    message: `Analysis started for ${names.join(', ')}. This page updates when it finishes.`,
  };
}
