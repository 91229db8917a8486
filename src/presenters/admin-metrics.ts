import { type RecentRequest, SLOW_REQUEST_MS } from '../obs/recent-requests.ts';
import type { AdminMetricsData, JobState } from '../queries/admin-metrics.ts';

/**
 * The staff metrics dashboard as shown (web-api-ops §5.4, thresholds of the deployment
 * checklist §7.7). Pure: the page template and the 30 s JSON feed render the same view, so
 * the script that refreshes the page only copies texts and classes.
 */

/** Card colours; `none` when there is nothing to judge (no requests yet). */
export type Health = 'green' | 'amber' | 'red' | 'none';

/** Response time (ms): green < 500, amber 500–1,000, red > 1,000. */
export function responseTimeHealth(ms: number | null): Health {
  if (ms === null) return 'none';
  if (ms < 500) return 'green';
  return ms <= 1_000 ? 'amber' : 'red';
}

/** 5xx share (percent): green < 1 %, amber 1–5 %, red > 5 %. */
export function errorRateHealth(percent: number | null): Health {
  if (percent === null) return 'none';
  if (percent < 1) return 'green';
  return percent <= 5 ? 'amber' : 'red';
}

/** Slow requests in the last hour: green < 5, amber 5–20, red > 20. */
export function slowRequestsHealth(count: number): Health {
  if (count < 5) return 'green';
  return count <= 20 ? 'amber' : 'red';
}

/** Cache hit rate (percent): green > 80 %, amber 70–80 %, red < 70 %. */
export function cacheHitRateHealth(percent: number | null): Health {
  if (percent === null) return 'none';
  if (percent > 80) return 'green';
  return percent >= 70 ? 'amber' : 'red';
}

/** `12.34ms`, or `N/A` when there is no measurement. */
export function formatMs(ms: number | null): string {
  return ms === null ? 'N/A' : `${ms.toFixed(2)}ms`;
}

export function formatPercent(percent: number | null): string {
  return percent === null ? 'N/A' : `${percent.toFixed(2)}%`;
}

/** `HH:MM:SS` in UTC. */
export function utcTime(iso: string | Date): string {
  return new Date(iso).toISOString().slice(11, 19);
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
export function utcDateTime(time: Date): string {
  return time.toISOString().slice(0, 19).replace('T', ' ');
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Nearest-rank percentile (the value at rank ⌈p·n⌉ of the sorted sample). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? null;
}

export interface MetricCard {
  key: string;
  label: string;
  value: string;
  detail: string;
  health: Health;
}

export interface RequestRow {
  time: string;
  method: string;
  path: string;
  route: string;
  status: number;
  status_class: string;
  duration: string;
  duration_class: string;
  user: string;
}

export interface MetricsView {
  last_updated: string;
  cards: MetricCard[];
  recent_requests: RequestRow[];
  slow_requests: RequestRow[];
  endpoints: Array<{ route: string; requests: number }>;
  errors: Array<{ route: string; client_errors: number; server_errors: number }>;
  job_queues: Array<{ queue: string } & Record<JobState, number>>;
  analysis_runs: Array<{ product: string; last_success: string; last_failure: string }>;
  activity: { uploads: number; rows_ingested: number; alerts_sent: number; webhook_failures: number };
  system: {
    database: { version: string; mode: string; name: string; pool: string };
    versions: { payrixa: string; node: string; postgres: string; redis: string };
    cache: { backend: string; hits: number; misses: number };
  };
}

/** Cards and tables over the last 100 requests / the last hour (§5.4). */
const AVERAGE_SAMPLE = 100;
const RECENT_ROWS = 20;
const TOP_ROWS = 10;

const PRODUCT_LABELS: Record<string, string> = {
  denialscope: 'DenialScope',
  driftwatch: 'DriftWatch',
  delayguard: 'DelayGuard',
};

function requestRow(request: RecentRequest): RequestRow {
  return {
    time: utcTime(request.timestamp),
    method: request.method,
    path: request.path,
    route: request.route,
    status: request.status,
    status_class: request.status >= 500 ? 'error' : request.status >= 400 ? 'warning' : '',
    duration: formatMs(request.duration_ms),
    duration_class: request.duration_ms > SLOW_REQUEST_MS ? 'slow' : '',
    user: request.user ?? '-',
  };
}

const orNever = (time: Date | null): string => (time ? `${utcDateTime(time)} UTC` : '-');

export function presentAdminMetrics(data: AdminMetricsData): MetricsView {
  const { recent, routes, cache } = data.requests;
  const sample = recent.slice(0, AVERAGE_SAMPLE).map((r) => r.duration_ms);
  const average = mean(sample);
  const p95 = percentile(sample, 0.95);
  const total = routes.reduce((sum, r) => sum + r.requests, 0);
  const serverErrors = routes.reduce((sum, r) => sum + r.serverErrors, 0);
  const slow = routes.reduce((sum, r) => sum + r.slow, 0);
  const errorRate = total > 0 ? (serverErrors / total) * 100 : null;
  const lookups = cache.hits + cache.misses;
  const hitRate = lookups > 0 ? (cache.hits / lookups) * 100 : null;
  const activeSince = data.now.getTime() - 5 * 60 * 1000;
  const activeUsers = new Set(
    recent.filter((r) => r.user !== null && Date.parse(r.timestamp) >= activeSince).map((r) => r.user),
  ).size;

  const cards: MetricCard[] = [
    {
      key: 'avg_response',
      label: 'Average Response Time',
      value: formatMs(average),
      detail: `Last ${sample.length} requests`,
      health: responseTimeHealth(average),
    },
    {
      key: 'p95_response',
      label: 'p95 Response Time',
      value: formatMs(p95),
      detail: `Last ${sample.length} requests`,
      health: responseTimeHealth(p95),
    },
    {
      key: 'requests',
      label: 'Requests (last hour)',
      value: String(total),
      detail: 'All routes',
      health: 'none',
    },
    {
      key: 'error_rate',
      label: 'Error Rate (last hour)',
      value: formatPercent(errorRate),
      detail: `${serverErrors} server errors`,
      health: errorRateHealth(errorRate),
    },
    {
      key: 'active_users',
      label: 'Active Users',
      value: String(activeUsers),
      detail: 'Last 5 minutes',
      health: 'none',
    },
    {
      key: 'slow_requests',
      label: 'Slow Requests (last hour)',
      value: String(slow),
      detail: 'Slower than 2 s',
      health: slowRequestsHealth(slow),
    },
    {
      key: 'cache_hit_rate',
      label: 'Cache Hit Rate',
      value: formatPercent(hitRate),
      detail: `${cache.hits} hits / ${cache.misses} misses (last hour)`,
      health: cacheHitRateHealth(hitRate),
    },
  ];

  const slowRequests = recent
    .filter((r) => r.duration_ms > SLOW_REQUEST_MS)
    .sort((a, b) => b.duration_ms - a.duration_ms)
    .slice(0, TOP_ROWS);
  const byRequests = [...routes].sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
  const withErrors = routes
    .filter((r) => r.clientErrors + r.serverErrors > 0)
    .sort(
      (a, b) =>
        b.serverErrors - a.serverErrors || b.clientErrors - a.clientErrors || a.route.localeCompare(b.route),
    );
  const db = data.database;
  return {
    last_updated: utcDateTime(data.now),
    cards,
    recent_requests: recent.slice(0, RECENT_ROWS).map(requestRow),
    slow_requests: slowRequests.map(requestRow),
    endpoints: byRequests.slice(0, TOP_ROWS).map((r) => ({ route: r.route, requests: r.requests })),
    errors: withErrors
      .slice(0, TOP_ROWS)
      .map((r) => ({ route: r.route, client_errors: r.clientErrors, server_errors: r.serverErrors })),
    job_queues: data.queues.map((q) => ({ queue: q.queue, ...q.counts })),
    analysis_runs: data.analysisRuns.map((r) => ({
      product: PRODUCT_LABELS[r.product] ?? r.product,
      last_success: orNever(r.lastSuccessAt),
      last_failure: orNever(r.lastFailureAt),
    })),
    activity: {
      uploads: data.activity.uploads,
      rows_ingested: data.activity.rowsIngested,
      alerts_sent: data.activity.alertsSent,
      webhook_failures: data.activity.webhookFailures,
    },
    system: {
      database: {
        version: db.version ?? 'unknown',
        mode: db.mode,
        name: db.name ?? 'unknown',
        pool: `${db.pool.total} total / ${db.pool.idle} idle / ${db.pool.waiting} waiting`,
      },
      versions: {
        payrixa: data.versions.payrixa,
        node: data.versions.node,
        postgres: data.versions.postgres ?? 'unknown',
        redis: data.versions.redis,
      },
      cache: { backend: data.cache.backend, hits: data.cache.hits, misses: data.cache.misses },
    },
  };
}
