import { Counter, collectDefaultMetrics, Gauge, Histogram, type Metric, register } from 'prom-client';
import type { FinishedRequest, RequestListener } from '../http/plugins/request-observer.ts';

/**
 * The HTTP, database, security and runtime metrics of web-api-ops §5.2 on prom-client's global
 * registry (what a process's `/metrics` exposes). Every label is a closed set or a route
 * template — never a raw path, user, customer or payer — so series stay few and carry no
 * tenant data. Each metric is created once per module instance: a registry refuses duplicates,
 * and job threads (their own module instances) get their own.
 *
 * Cache and active-user, job/ingest/analysis/upload/findings and alert metrics live in their
 * own modules on the same registry.
 */

/** Latency buckets of §5.2, in seconds (`+Inf` is implicit). */
export const HTTP_LATENCY_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 25, 50, 75,
] as const;

/**
 * Query buckets (the spec names none): 1 ms to 10 s, finer at the low end where healthy
 * queries sit, so a p95 shift from 5 ms to 50 ms is visible.
 */
export const DB_QUERY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export type QueryOperation = 'select' | 'insert' | 'update' | 'delete' | 'other';
export type LoginResult = 'success' | 'failure' | 'locked';
export type ThrottleScope = 'portal' | 'api_anon' | 'api_user' | 'ingest' | 'upload' | 'login';

/** The metric `name` of the global registry, created by `create` on first use. */
function once<M extends Metric>(name: string, create: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? create();
}

const httpDuration = once(
  'payrixa_http_request_duration_seconds',
  () =>
    new Histogram({
      name: 'payrixa_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [...HTTP_LATENCY_BUCKETS],
    }),
);
const httpRequests = once(
  'payrixa_http_requests_total',
  () =>
    new Counter({
      name: 'payrixa_http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
    }),
);
const httpErrors = once(
  'payrixa_http_errors_total',
  () =>
    new Counter({
      name: 'payrixa_http_errors_total',
      help: 'HTTP responses with status >= 500 (unhandled exceptions answer 500)',
      labelNames: ['method', 'route', 'status'] as const,
    }),
);
const httpInFlight = once(
  'payrixa_http_requests_in_flight',
  () =>
    new Gauge({
      name: 'payrixa_http_requests_in_flight',
      help: 'HTTP requests being served',
    }),
);
const dbQueryDuration = once(
  'payrixa_db_query_duration_seconds',
  () =>
    new Histogram({
      name: 'payrixa_db_query_duration_seconds',
      help: 'Database query duration by statement kind',
      labelNames: ['operation'] as const,
      buckets: [...DB_QUERY_BUCKETS],
    }),
);
const loginAttempts = once(
  'payrixa_login_attempts_total',
  () =>
    new Counter({
      name: 'payrixa_login_attempts_total',
      help: 'Login attempts (portal and API) by result',
      labelNames: ['result'] as const,
    }),
);
const throttledRequests = once(
  'payrixa_throttled_requests_total',
  () =>
    new Counter({
      name: 'payrixa_throttled_requests_total',
      help: 'Requests refused by a rate limit or the login lockout, by scope',
      labelNames: ['scope'] as const,
    }),
);
const csrfFailures = once(
  'payrixa_csrf_failures_total',
  () => new Counter({ name: 'payrixa_csrf_failures_total', help: 'Requests refused by the CSRF check' }),
);

/** Pool statistics of one database handle (see `Database.poolStats`). */
export type PoolStatsSource = () => { total: number; idle: number; waiting: number };
const poolSources = new Set<PoolStatsSource>();

once(
  'payrixa_db_pool_connections',
  () =>
    new Gauge({
      name: 'payrixa_db_pool_connections',
      help: 'Database pool connections (total, idle, waiting clients), sampled at scrape',
      labelNames: ['state'] as const,
      // Sampled when scraped rather than tracked on every checkout: exact and free.
      collect() {
        let total = 0;
        let idle = 0;
        let waiting = 0;
        for (const source of poolSources) {
          const stats = source();
          total += stats.total;
          idle += stats.idle;
          waiting += stats.waiting;
        }
        this.set({ state: 'total' }, total);
        this.set({ state: 'idle' }, idle);
        this.set({ state: 'waiting' }, waiting);
      },
    }),
);

/**
 * Reports a database handle's pool in `payrixa_db_pool_connections` until the returned function
 * is called (a web process has one; the sum covers a process with several).
 */
export function trackDatabasePool(source: PoolStatsSource): () => void {
  poolSources.add(source);
  return () => poolSources.delete(source);
}

/** The listener of the request observer (§1.1 step 11) that records the HTTP metrics. */
export function httpMetricsListener(): RequestListener {
  return (finished: FinishedRequest) => {
    const labels = { method: finished.method, route: finished.route, status: String(finished.status) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, finished.durationMs / 1000);
    if (finished.status >= 500) httpErrors.inc(labels);
  };
}

/** One more request being served; call the returned function exactly once when it ends. */
export function requestInFlight(): () => void {
  httpInFlight.inc();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    httpInFlight.dec();
  };
}

/** The statement kind of a SQL text from its first keyword (`with …` counts as `other`). */
export function queryOperationOf(sqlText: string): QueryOperation {
  // Leading comments and parentheses do not change what a statement does.
  const stripped = sqlText.replace(/^(\s|\(|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  const keyword = /^[A-Za-z]+/.exec(stripped)?.[0]?.toLowerCase();
  switch (keyword) {
    case 'select':
    case 'insert':
    case 'update':
    case 'delete':
      return keyword;
    default:
      return 'other';
  }
}

/** Records one database query (Kysely's log hook; failed queries too). */
export function observeQuery(sqlText: string, durationMs: number): void {
  dbQueryDuration.observe({ operation: queryOperationOf(sqlText) }, durationMs / 1000);
}

export function countLoginAttempt(result: LoginResult): void {
  loginAttempts.inc({ result });
}

export function countThrottled(scope: ThrottleScope): void {
  throttledRequests.inc({ scope });
}

export function countCsrfFailure(): void {
  csrfFailures.inc();
}

let runtimeStarted = false;

/**
 * Starts the standard runtime collectors (`process_*`, `nodejs_*`) and sets
 * `payrixa_build_info`; once per process (web server and job worker call it at start).
 */
export function startRuntimeMetrics(version: string): void {
  if (!runtimeStarted) {
    runtimeStarted = true;
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register });
    // prom-client drops the start time when it aggregates a cluster ('omit'); the earliest
    // start of the processes is what a restart alert needs.
    const startTime = register.getSingleMetric('process_start_time_seconds');
    if (startTime) (startTime as unknown as { aggregator: string }).aggregator = 'min';
  }
  const buildInfo = once(
    'payrixa_build_info',
    () =>
      new Gauge({
        name: 'payrixa_build_info',
        help: 'Build information (value 1)',
        labelNames: ['version', 'node_version'] as const,
        // Aggregated over a cluster's processes: still 1, not the number of processes.
        aggregator: 'max',
      }),
  );
  buildInfo.set({ version, node_version: process.version }, 1);
}
