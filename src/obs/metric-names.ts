/**
 * Every metric name of web-api-ops §5.2, in one place: the deploy files (Prometheus alerts,
 * Grafana dashboard) and their test use only these, so a renamed metric breaks a test rather
 * than a dashboard in production. `process_` and `nodejs_` stand for the standard runtime
 * collectors (any name with that prefix).
 */
export const SPEC_METRIC_NAMES = [
  'payrixa_http_request_duration_seconds',
  'payrixa_http_requests_total',
  'payrixa_http_errors_total',
  'payrixa_http_requests_in_flight',
  'payrixa_db_pool_connections',
  'payrixa_db_query_duration_seconds',
  'payrixa_job_queue_jobs',
  'payrixa_jobs_processed_total',
  'payrixa_job_duration_seconds',
  'payrixa_ingest_rows_total',
  'payrixa_ingest_rejected_rows_total',
  'payrixa_uploads_total',
  'payrixa_analysis_runs_total',
  'payrixa_analysis_run_duration_seconds',
  'payrixa_findings_created_total',
  'payrixa_alerts_created_total',
  'payrixa_alerts_sent_total',
  'payrixa_alert_deliveries_total',
  'payrixa_alerts_suppressed_total',
  'payrixa_cache_requests_total',
  'payrixa_login_attempts_total',
  'payrixa_throttled_requests_total',
  'payrixa_csrf_failures_total',
  'payrixa_active_users',
  'payrixa_build_info',
] as const;

export type SpecMetricName = (typeof SPEC_METRIC_NAMES)[number];

/** Prefixes of the standard runtime collectors (prom-client's default metrics). */
export const RUNTIME_METRIC_PREFIXES = ['process_', 'nodejs_'] as const;

/** Series names a histogram adds to its metric name in queries. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

const HISTOGRAMS: ReadonlySet<string> = new Set([
  'payrixa_http_request_duration_seconds',
  'payrixa_db_query_duration_seconds',
  'payrixa_job_duration_seconds',
  'payrixa_analysis_run_duration_seconds',
]);

/**
 * True when `series` (a name as written in a PromQL query) is a §5.2 metric: the name
 * itself, a histogram's `_bucket`/`_sum`/`_count`, or a runtime collector.
 */
export function isSpecSeries(series: string): boolean {
  if (RUNTIME_METRIC_PREFIXES.some((prefix) => series.startsWith(prefix))) return true;
  if ((SPEC_METRIC_NAMES as readonly string[]).includes(series)) return true;
  return HISTOGRAM_SUFFIXES.some(
    (suffix) => series.endsWith(suffix) && HISTOGRAMS.has(series.slice(0, -suffix.length)),
  );
}
