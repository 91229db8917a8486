import type { AnalysisRequestResult } from '../commands/request-analysis.ts';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { ReportArtifactRecord } from '../db/repositories/report-artifacts.repository.ts';
import type { AnalysisProduct } from '../db/schema.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import { addDays, formatTimestampTable } from '../domain/analytics/index.ts';
import { downloadFormats, type ReportFormat } from '../domain/reports/artifacts.ts';
import { RUNS_PAGE_SIZE, type RunsPage } from '../queries/analysis-runs-page.ts';
import type { ReportArtifact } from './analytics.ts';

/** The portal's analysis runs: reports page rows, live progress and the "run now" message. Pure. */

/** What a run that has not finished is doing, in words for the reports page. */
const RUN_PHASE_LABELS: Readonly<Record<string, string>> = {
  queued: 'Waiting to start',
  running: 'Running',
};

/** Link labels of the Downloads column (§13.4), in column order. */
const FORMAT_LABELS: Readonly<Record<ReportFormat, string>> = { pdf: 'PDF', xlsx: 'Excel', csv: 'CSV' };

export function runDownloadUrl(runId: number, format: ReportFormat): string {
  return `/portal/reports/${runId}/download/${format}/`;
}

/** The API's download URL of a run's file (relative, as the API's other links). */
export function apiRunDownloadUrl(runId: number, format: ReportFormat): string {
  return `/api/v1/reports/${runId}/download/?format=${format}`;
}

/** The `artifacts` of the API's run detail (web-api-ops §4.6): the stored files, in kind order. */
export function presentRunArtifacts(
  runId: number,
  artifacts: readonly Pick<ReportArtifactRecord, 'run_id' | 'kind' | 'format' | 'size_bytes' | 'sha256'>[],
): ReportArtifact[] {
  return artifacts
    .filter((a) => a.run_id === runId)
    .map((a) => ({
      kind: a.kind,
      format: a.format,
      size_bytes: Number(a.size_bytes),
      sha256: a.sha256,
      download_url: apiRunDownloadUrl(runId, a.format),
    }));
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The Window column (§13.4): "baseline a – b" and "current c – d", inclusive dates (the run
 * stores exclusive ends); null when the run has no windows (queued, failed early).
 */
export function runWindowLines(run: AnalysisRunRecord): { baseline: string; current: string } | null {
  const s = run.summary_json as Record<string, unknown>;
  const str = (k: string) => (typeof s[k] === 'string' ? (s[k] as string) : null);
  const bs = str('baseline_start');
  const be = str('baseline_end');
  const cs = str('current_start') ?? str('recent_start');
  const ce = str('current_end') ?? str('recent_end');
  if (!bs || !be || !cs || !ce) return null;
  return { baseline: `baseline ${bs} – ${addDays(be, -1)}`, current: `current ${cs} – ${addDays(ce, -1)}` };
}

/** The reports page's URL of a page (page 1 has no `page`). */
export function runsPageUrl(page: number): string {
  return page > 1 ? `/portal/reports/?page=${page}` : '/portal/reports/';
}

/** The template data of `/portal/reports/` (§13.4). */
export function presentRunsPage(view: RunsPage, context: { canRun: boolean; page: number }) {
  const pages = Math.max(1, Math.ceil(view.count / RUNS_PAGE_SIZE));
  const { page } = context;
  return {
    runs: view.runs.map((r) => {
      const stored = new Map(
        view.artifacts.filter((a) => a.run_id === r.id).map((a) => [a.format, a] as const),
      );
      const formats = downloadFormats({ product: r.product, runType: r.run_type, status: r.status });
      return {
        id: r.id,
        status: r.status,
        statusClass: r.status === 'success' ? 'ok' : r.status === 'failed' ? 'bad' : 'pending',
        product: PRODUCTS[r.product].label,
        type: r.run_type,
        asOf: r.as_of,
        started: r.started_at ? formatTimestampTable(r.started_at) : '-',
        finished: r.finished_at ? formatTimestampTable(r.finished_at) : '-',
        events: view.findingCounts.get(r.id) ?? 0,
        window: runWindowLines(r),
        error: r.status === 'failed' ? (r.error_message ?? 'The run failed without a message.') : null,
        downloads: formats.map((format) => {
          const artifact = stored.get(format);
          return {
            format,
            label: FORMAT_LABELS[format],
            url: runDownloadUrl(r.id, format),
            // Stored files say their size; the others are built when the link is followed.
            title: artifact
              ? `${FORMAT_LABELS[format]}, ${sizeText(Number(artifact.size_bytes))}`
              : `${FORMAT_LABELS[format]}, built when you download it`,
          };
        }),
        // "Generate now" (re)builds the weekly PDF: runs that have one (§13.1).
        canGenerate: context.canRun && formats.includes('pdf'),
      };
    }),
    canRun: context.canRun,
    pending: view.pending,
    page,
    pages,
    count: view.count,
    prev: page > 1 ? runsPageUrl(page - 1) : null,
    next: page < pages ? runsPageUrl(page + 1) : null,
  };
}

/** The flash after "Generate now" on a run's row. */
export function generateRequestMessage(run: Pick<AnalysisRunRecord, 'id' | 'as_of'>): string {
  return `PDF generation queued for the run of ${run.as_of} (#${run.id}). Its download uses the new file once it is ready.`;
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
