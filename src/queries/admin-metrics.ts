import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { countJobsByState } from '../db/repositories/jobs.repository.ts';
import type { AnalysisProduct, DB } from '../db/schema.ts';
import { QUEUE_NAMES, type QueueName } from '../jobs/types.ts';
import type { CacheCounts, RequestStats, RequestStatsSnapshot } from '../obs/recent-requests.ts';

/**
 * Read model of the staff metrics dashboard (web-api-ops §5.4): the request buffer and its
 * counters, job queues, latest analysis runs, the last 24 hours' activity and what the
 * process runs on. Cross-customer by design (staff only); every figure is a count or a time,
 * never a customer's data.
 */

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface QueueCounts {
  queue: QueueName;
  counts: Record<JobState, number>;
}

export interface LatestRuns {
  product: AnalysisProduct;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
}

export interface Activity24h {
  uploads: number;
  rowsIngested: number;
  alertsSent: number;
  webhookFailures: number;
}

export interface DatabaseInfo {
  /** e.g. `15.10`; null when the server could not be asked. */
  version: string | null;
  mode: 'embedded' | 'external';
  name: string | null;
  pool: { total: number; idle: number; waiting: number };
}

export interface AdminMetricsData {
  now: Date;
  requests: RequestStatsSnapshot;
  queues: QueueCounts[];
  analysisRuns: LatestRuns[];
  activity: Activity24h;
  database: DatabaseInfo;
  versions: { payrixa: string; node: string; postgres: string | null; redis: string };
  cache: { backend: 'redis' | 'memory' } & CacheCounts;
}

export interface AdminMetricsDeps {
  db: Kysely<DB>;
  database: Database;
  redis: Redis | null;
  requestStats: RequestStats;
  cacheKind: 'redis' | 'memory';
  version: string;
  now: Date;
}

const ANALYSIS_PRODUCTS: readonly AnalysisProduct[] = ['denialscope', 'driftwatch', 'delayguard'];
/** Version look-ups must not hold the page up when a backend is slow. */
const PROBE_TIMEOUT_MS = 2_000;

/** Every queue with all four states (zero when the table has no such job). */
export async function jobQueueCounts(db: Kysely<DB>): Promise<QueueCounts[]> {
  const rows = await countJobsByState(db);
  return QUEUE_NAMES.map((queue) => {
    const counts: Record<JobState, number> = { waiting: 0, active: 0, delayed: 0, failed: 0 };
    for (const row of rows) {
      if (row.queue === queue && (JOB_STATES as readonly string[]).includes(row.state))
        counts[row.state as JobState] += row.count;
    }
    return { queue, counts };
  });
}

/**
 * Per product, when its last successful and last failed run finished (all customers;
 * backtests are what-if runs and left out). One grouped pass over analysis_runs with
 * conditional aggregates rather than two queries per product.
 */
export async function latestAnalysisRuns(db: Kysely<DB>): Promise<LatestRuns[]> {
  const result = await sql<{
    product: AnalysisProduct;
    last_success: Date | null;
    last_failure: Date | null;
  }>`
    SELECT product,
           max(finished_at) FILTER (WHERE status = 'success') AS last_success,
           max(finished_at) FILTER (WHERE status = 'failed') AS last_failure
      FROM analysis_runs
     WHERE run_type <> 'backtest'
     GROUP BY product`.execute(db);
  return ANALYSIS_PRODUCTS.map((product) => {
    const row = result.rows.find((r) => r.product === product);
    return {
      product,
      lastSuccessAt: row?.last_success ? new Date(row.last_success) : null,
      lastFailureAt: row?.last_failure ? new Date(row.last_failure) : null,
    };
  });
}

/**
 * The last 24 hours (of the database clock): uploads received, rows accepted from them,
 * alerts delivered (notification_sent_at) and webhook deliveries that gave up (status
 * `failed`, dated by their last change). Four scalar subqueries in one round trip.
 */
export async function activityLast24h(db: Kysely<DB>): Promise<Activity24h> {
  const result = await sql<{
    uploads: number;
    rows_ingested: string | number;
    alerts_sent: number;
    webhook_failures: number;
  }>`
    SELECT (SELECT count(*)::int FROM uploads WHERE created_at >= now() - interval '24 hours') AS uploads,
           (SELECT coalesce(sum(accepted_rows), 0)::bigint FROM uploads
             WHERE created_at >= now() - interval '24 hours') AS rows_ingested,
           (SELECT count(*)::int FROM alert_events
             WHERE notification_sent_at >= now() - interval '24 hours') AS alerts_sent,
           (SELECT count(*)::int FROM webhook_deliveries
             WHERE status = 'failed' AND updated_at >= now() - interval '24 hours') AS webhook_failures`.execute(
    db,
  );
  const row = result.rows[0];
  return {
    uploads: row?.uploads ?? 0,
    rowsIngested: Number(row?.rows_ingested ?? 0),
    alertsSent: row?.alerts_sent ?? 0,
    webhookFailures: row?.webhook_failures ?? 0,
  };
}

export async function databaseInfo(db: Kysely<DB>, database: Database): Promise<DatabaseInfo> {
  const mode = database.kind === 'pglite' || database.embedded !== null ? 'embedded' : 'external';
  try {
    const result = await sql<{ version: string; name: string }>`
      SELECT current_setting('server_version') AS version, current_database() AS name`.execute(db);
    const row = result.rows[0];
    // `15.10 (Ubuntu 15.10-1.pgdg22.04+1)` → `15.10`
    return {
      version: row?.version.split(' ')[0] ?? null,
      mode,
      name: row?.name ?? null,
      pool: database.poolStats(),
    };
  } catch {
    return { version: null, mode, name: null, pool: database.poolStats() };
  }
}

/** The Redis server's version, or `in-process` without Redis, `unavailable` when it does not answer. */
export async function redisVersion(redis: Redis | null): Promise<string> {
  if (!redis) return 'in-process';
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      redis.info('server'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
      }),
    ]);
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

export async function adminMetrics(deps: AdminMetricsDeps): Promise<AdminMetricsData> {
  const [requests, queues, analysisRuns, activity, database, redis] = await Promise.all([
    deps.requestStats.snapshot(deps.now),
    jobQueueCounts(deps.db),
    latestAnalysisRuns(deps.db),
    activityLast24h(deps.db),
    databaseInfo(deps.db, deps.database),
    redisVersion(deps.redis),
  ]);
  return {
    now: deps.now,
    requests,
    queues,
    analysisRuns,
    activity,
    database,
    versions: { payrixa: deps.version, node: process.version, postgres: database.version, redis },
    cache: { backend: deps.cacheKind, ...requests.cache },
  };
}
