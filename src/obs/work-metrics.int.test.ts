import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { a1Claims, createAnalyticsCustomer, writeClaims } from '../../test/analytics.ts';
import { cliEnv } from '../../test/cli.ts';
import { testConfig } from '../../test/config.ts';
import { createTestDatabase, onPostgres, type TestDatabase, testRedisUrl } from '../../test/db.ts';
import { csv } from '../../test/ingestion.ts';
import { FAILING_KIND, registerJobs as registerFailingJobs } from '../../test/jobs/failing-jobs.ts';
import { freePort, spawnPayrixa } from '../../test/processes.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { waitFor } from '../../test/wait.ts';
import { type RunningServer, startServer } from '../cli/serve.ts';
import { runAnalysis } from '../commands/run-analysis.ts';
import { type UploadClaimsFileDeps, uploadClaimsFile } from '../commands/upload-claims-file.ts';
import type { Config } from '../config/env.ts';
import type { Database } from '../db/database.ts';
import { countJobsByState, findJob } from '../db/repositories/jobs.repository.ts';
import { findUpload, type UploadRecord } from '../db/repositories/uploads.repository.ts';
import { createServices, type Services } from '../services.ts';
import { silentLogger } from './logger.ts';
import { createWorkMetrics } from './work-metrics.ts';

/**
 * The background-work metrics of web-api-ops §5.2 where they are counted: in this thread (the
 * in-process job runner, PGlite or PostgreSQL), in job threads (forwarded to this thread's
 * registry, which `/metrics` exposes), and in a `payrixa worker` process (its own port).
 */

const FAILING_JOBS = new URL('../../test/jobs/failing-jobs.ts', import.meta.url).href;
const HEADER =
  'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount,denial_reason_code,denial_reason_text';

/** First file: 3 new claims, 3 rejected rows (missing payer, bad date, person-like payer).
 * With the default rules no row is rejected for `invalid_values` (unparseable amounts are warnings). */
const FIRST = [
  'CLM-1,PayerOne,99213,2024-01-02,2024-01-10,PAID,100.00,80.00,,',
  'CLM-2,PayerOne,99214,2024-01-03,2024-01-11,PAID,150,120,,',
  'CLM-3,PayerTwo,36415,2024-01-04,2024-01-12,DENIED,,,CO-197,',
  'CLM-4,,99213,2024-01-05,2024-01-13,PAID,10,10,,',
  'CLM-5,PayerOne,99213,2024-13-45,2024-01-13,PAID,10,10,,',
  'CLM-6,John Smith,99213,2024-01-05,2024-01-13,PAID,10,10,,',
];
/** Second file: CLM-1 unchanged (duplicate), CLM-2 with a new paid amount (updated), one new claim. */
const SECOND = [
  'CLM-1,PayerOne,99213,2024-01-02,2024-01-10,PAID,100.00,80.00,,',
  'CLM-2,PayerOne,99214,2024-01-03,2024-01-11,PAID,150,125,,',
  'CLM-8,PayerTwo,99215,2024-01-06,2024-01-14,PAID,90,90,,',
];

type Labels = Record<string, string>;

/** The value of one series of `name` (a histogram's `_count` / `_sum` with `series`); 0 when absent. */
async function sample(
  registry: Registry,
  name: string,
  labels: Labels,
  series?: 'count' | 'sum',
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const wanted = series ? `${name}_${series}` : name;
  const match = values.find(
    (value) =>
      ((value as { metricName?: string }).metricName ?? name) === wanted &&
      Object.keys(value.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return match?.value ?? 0;
}

/** The series this test looks at, read from one registry; `delta` subtracts an earlier reading. */
async function uploadSeries(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const result of ['inserted', 'updated', 'duplicate', 'rejected']) {
    out[`rows.${result}`] = await sample(registry, 'payrixa_ingest_rows_total', { format: 'csv', result });
  }
  for (const category of ['phi', 'missing_fields', 'invalid_dates', 'invalid_values']) {
    out[`rejected.${category}`] = await sample(registry, 'payrixa_ingest_rejected_rows_total', { category });
  }
  out['uploads.partial'] = await sample(registry, 'payrixa_uploads_total', {
    source: 'api',
    status: 'partial',
  });
  out['uploads.success'] = await sample(registry, 'payrixa_uploads_total', {
    source: 'api',
    status: 'success',
  });
  const job = { queue: 'ingest', kind: 'ingest-upload' };
  out['jobs.succeeded'] = await sample(registry, 'payrixa_jobs_processed_total', {
    ...job,
    result: 'succeeded',
  });
  out['jobs.duration_count'] = await sample(registry, 'payrixa_job_duration_seconds', job, 'count');
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

const EXPECTED_UPLOAD_DELTA = {
  'rows.inserted': 4,
  'rows.updated': 1,
  'rows.duplicate': 1,
  'rows.rejected': 3,
  'rejected.phi': 1,
  'rejected.missing_fields': 1,
  'rejected.invalid_dates': 1,
  'rejected.invalid_values': 0,
  'uploads.partial': 1,
  'uploads.success': 1,
  'jobs.succeeded': 2,
  'jobs.duration_count': 2,
};

async function settled(db: Database['db'], customerId: number, uploadId: number): Promise<UploadRecord> {
  return waitFor(async () => {
    const upload = await findUpload(db, customerId, uploadId);
    return upload && ['success', 'partial', 'failed'].includes(upload.status) ? upload : null;
  }, 120_000);
}

/** Submits the two files one after the other through the real command and the job queue. */
async function ingestBoth(services: UploadClaimsFileDeps): Promise<void> {
  const db = services.database.db;
  const customer = await db
    .insertInto('customers')
    .values({ name: 'Metrics Clinic' })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const [name, rows] of [
    ['first.csv', FIRST],
    ['second.csv', SECOND],
  ] as const) {
    const { upload } = await uploadClaimsFile(services, {
      customerId: customer.id,
      filename: name,
      body: Buffer.from(csv(HEADER, rows), 'utf8'),
      source: 'api',
    });
    await settled(db, customer.id, upload.id);
  }
}

describe('work metrics counted in this thread (in-process job runner)', () => {
  let services: TestServices | null = null;
  let handle: TestDatabase | null = null;

  afterEach(async () => {
    await services?.dispose();
    services = null;
    await handle?.close();
    handle = null;
  });

  it('an upload through the job queue counts rows by result, rejections by category, the upload and its job', async () => {
    services = await createTestServices({ registerJobs: registerFailingJobs });
    await services.startJobs({ queues: ['ingest'], scheduler: false });
    const before = await uploadSeries(register);
    await ingestBoth(services);
    // The job's own count follows its record's final status: wait for it, then compare all.
    await waitFor(
      async () =>
        ((await uploadSeries(register))['jobs.succeeded'] ?? 0) - (before['jobs.succeeded'] ?? 0) >= 2,
    );
    expect(delta(await uploadSeries(register), before)).toEqual(EXPECTED_UPLOAD_DELTA);
  }, 120_000);

  it('a job that fails counts result="failed" with its duration', async () => {
    services = await createTestServices({ registerJobs: registerFailingJobs });
    await services.startJobs({ queues: ['maintenance'], scheduler: false });
    const labels = { queue: 'maintenance', kind: FAILING_KIND };
    const failedBefore = await sample(register, 'payrixa_jobs_processed_total', {
      ...labels,
      result: 'failed',
    });
    const { id } = await services.queue.enqueue(FAILING_KIND, {});
    await waitFor(async () => (await findJob(services!.database.db, id))?.status === 'failed');
    await waitFor(
      async () =>
        (await sample(register, 'payrixa_jobs_processed_total', { ...labels, result: 'failed' })) >
        failedBefore,
    );
    expect(await sample(register, 'payrixa_jobs_processed_total', { ...labels, result: 'failed' })).toBe(
      failedBefore + 1,
    );
    expect(await sample(register, 'payrixa_jobs_processed_total', { ...labels, result: 'succeeded' })).toBe(
      0,
    );
    expect(await sample(register, 'payrixa_job_duration_seconds', labels, 'count')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('an analysis run counts the run, its duration and its new findings by signal type; a failed one counts failed', async () => {
    handle = await createTestDatabase();
    const db = handle.database.db;
    const registry = new Registry();
    const metrics = createWorkMetrics(registry);
    const T = '2026-03-02';
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));

    const result = await runAnalysis(
      { db, metrics },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual' },
    );
    expect(result.newFingerprints).toBe(1);
    const findings = await db
      .selectFrom('findings')
      .select('signal_type')
      .where('customer_id', '=', 42)
      .execute();
    expect(findings).toHaveLength(1);
    const signalType = findings[0]!.signal_type;
    const run = { product: 'driftwatch', trigger: 'manual' };
    expect(await sample(registry, 'payrixa_analysis_runs_total', { ...run, status: 'success' })).toBe(1);
    expect(
      await sample(registry, 'payrixa_analysis_run_duration_seconds', { product: 'driftwatch' }, 'count'),
    ).toBe(1);
    expect(
      await sample(registry, 'payrixa_findings_created_total', {
        product: 'driftwatch',
        signal_type: signalType,
      }),
    ).toBe(1);

    // The same run again finds the same finding: a run is counted, no finding is "created".
    await runAnalysis({ db, metrics }, { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual' });
    expect(await sample(registry, 'payrixa_analysis_runs_total', { ...run, status: 'success' })).toBe(2);
    expect(
      await sample(registry, 'payrixa_findings_created_total', {
        product: 'driftwatch',
        signal_type: signalType,
      }),
    ).toBe(1);

    // A failure inside the result transaction: the run is counted failed, with its duration.
    await expect(
      runAnalysis(
        {
          db,
          metrics,
          hooks: {
            beforeCommit: async () => {
              throw new Error('injected failure');
            },
          },
        },
        { customerId: 42, product: 'driftwatch', asOf: T, runType: 'scheduled' },
      ),
    ).rejects.toThrow('injected failure');
    expect(
      await sample(registry, 'payrixa_analysis_runs_total', {
        product: 'driftwatch',
        trigger: 'scheduled',
        status: 'failed',
      }),
    ).toBe(1);
    expect(
      await sample(registry, 'payrixa_analysis_run_duration_seconds', { product: 'driftwatch' }, 'count'),
    ).toBe(3);
  });

  it('the queue gauge reports waiting and delayed jobs per queue, sampled at scrape', async () => {
    services = await createTestServices({ registerJobs: registerFailingJobs, redis: false });
    const db = services.database.db;
    const registry = new Registry();
    const metrics = createWorkMetrics(registry);
    // Not sampling: no series at all.
    expect(await registry.metrics()).not.toContain('payrixa_job_queue_jobs{');
    metrics.sampleQueuesFrom(() => countJobsByState(db));
    for (let i = 0; i < 3; i++) await services.queue.enqueue(FAILING_KIND, { i });
    await services.queue.enqueue(FAILING_KIND, { later: true }, { delayMs: 3_600_000 });
    expect(await sample(registry, 'payrixa_job_queue_jobs', { queue: 'maintenance', state: 'waiting' })).toBe(
      3,
    );
    expect(await sample(registry, 'payrixa_job_queue_jobs', { queue: 'maintenance', state: 'delayed' })).toBe(
      1,
    );
    expect(await sample(registry, 'payrixa_job_queue_jobs', { queue: 'maintenance', state: 'active' })).toBe(
      0,
    );
    // Every queue and state is present (closed set), zero when empty.
    const text = await registry.metrics();
    expect(text).toContain('payrixa_job_queue_jobs{queue="ingest",state="failed"} 0');
    expect(text).toContain('payrixa_job_queue_jobs{queue="maintenance",state="waiting"} 3');
  });
});

/**
 * The product's arrangement: `payrixa serve` runs jobs in worker threads (embedded default, or
 * PostgreSQL when TEST_DATABASE_URL is set; PGlite in memory cannot be shared with threads).
 * Everything counted in a thread must show in this thread's global registry.
 */
describe('work metrics counted in job threads reach the owning process', () => {
  let server: RunningServer | null = null;
  let handle: TestDatabase | null = null;

  afterEach(async () => {
    await server?.stop(3_000);
    server = null;
    await handle?.close();
    handle = null;
  });

  async function start(): Promise<RunningServer> {
    let config: Config;
    if (onPostgres) {
      handle = await createTestDatabase({ env: { BIND: '127.0.0.1:0' } });
      config = { ...handle.config, redisUrl: null };
    } else {
      config = testConfig({ BIND: '127.0.0.1:0', WORKER_CONCURRENCY: '1' });
    }
    server = await startServer(config, silentLogger(), { jobModules: [FAILING_JOBS] });
    await server.jobsStarted;
    expect(server.services.jobRunner).toBe('threads');
    return server;
  }

  it('uploads, ingest rows, rejections and job counts made in threads appear in this registry; a failing kind counts failed', async () => {
    const running = await start();
    const before = await uploadSeries(register);
    const labels = { queue: 'maintenance', kind: FAILING_KIND };
    const failedBefore = await sample(register, 'payrixa_jobs_processed_total', {
      ...labels,
      result: 'failed',
    });

    await ingestBoth(running.services);
    const { id } = await running.services.queue.enqueue(FAILING_KIND, {});
    await waitFor(async () => (await findJob(running.services.database.db, id))?.status === 'failed');

    // The thread posts a job's counts when the job ends, just after its record is final.
    await waitFor(async () => {
      const now = delta(await uploadSeries(register), before);
      const failed = await sample(register, 'payrixa_jobs_processed_total', { ...labels, result: 'failed' });
      return now['jobs.succeeded']! >= 2 && failed > failedBefore;
    });
    expect(delta(await uploadSeries(register), before)).toEqual(EXPECTED_UPLOAD_DELTA);
    expect(await sample(register, 'payrixa_jobs_processed_total', { ...labels, result: 'failed' })).toBe(
      failedBefore + 1,
    );
    // The queue gauge of the process that runs the threads: nothing waits any more.
    expect(await sample(register, 'payrixa_job_queue_jobs', { queue: 'ingest', state: 'waiting' })).toBe(0);
    expect(await sample(register, 'payrixa_job_queue_jobs', { queue: 'maintenance', state: 'failed' })).toBe(
      1,
    );
  }, 180_000);
});

describe.skipIf(!onPostgres || !testRedisUrl)('payrixa worker serves its own /metrics', () => {
  let child: ChildProcessWithoutNullStreams | null = null;
  let handle: TestDatabase | null = null;
  let enqueuer: Services | null = null;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    child = null;
    await enqueuer?.close(0);
    enqueuer = null;
    await handle?.close();
    handle = null;
  });

  it('answers on WORKER_METRICS_PORT with the job metrics of its threads; 401 without the token', async () => {
    handle = await createTestDatabase();
    const port = await freePort();
    const prefix = `payrixa-test-${Math.random().toString(36).slice(2, 10)}`;
    const token = 'worker-metrics-token-123';
    const env = cliEnv({
      DATABASE_URL: handle.url as string,
      REDIS_URL: testRedisUrl as string,
      REDIS_PREFIX: prefix,
      WORKER_METRICS_PORT: String(port),
      METRICS_TOKEN: token,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    const started = spawnPayrixa(['worker', '--no-scheduler'], env);
    child = started.child;
    const output = started.output;
    await waitFor(() => output().includes('worker started'), 90_000, 50);

    const url = `http://127.0.0.1:${port}/metrics`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toBe('Unauthorized');

    // Enqueue through BullMQ from this process (no worker here): the worker's threads run it.
    enqueuer = await createServices(
      { ...handle.config, redisUrl: testRedisUrl, redisPrefix: prefix } as Config,
      { logger: silentLogger(), database: handle.database },
    );
    expect(enqueuer.queue.kind).toBe('bullmq');
    await ingestBoth(enqueuer);

    const scrape = async (): Promise<string> => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    const text = await waitFor(async () => {
      const body = await scrape();
      return /payrixa_jobs_processed_total\{queue="ingest",kind="ingest-upload",result="succeeded"\} 2/.test(
        body,
      )
        ? body
        : null;
    }, 60_000);
    expect(text).toContain('payrixa_uploads_total{source="api",status="partial"} 1');
    expect(text).toContain('payrixa_ingest_rows_total{format="csv",result="inserted"} 4');
    expect(text).toContain('payrixa_job_duration_seconds_count{queue="ingest",kind="ingest-upload"} 2');
    expect(text).toContain('payrixa_job_queue_jobs{queue="ingest",state="waiting"} 0');
  }, 180_000);
});
