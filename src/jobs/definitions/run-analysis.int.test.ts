import { afterEach, describe, expect, it } from 'vitest';
import { a1Claims, a23Claims, createAnalyticsCustomer, writeClaims } from '../../../test/analytics.ts';
import { onPostgres } from '../../../test/db.ts';
import { createTestServices, type TestServices } from '../../../test/services.ts';
import { waitFor } from '../../../test/wait.ts';
import { requestBacktest } from '../../commands/backtest-drift-watch.ts';
import {
  analysisJobKey,
  POST_UPLOAD_MAX_DELAY_MS,
  requestAnalysesForCustomer,
  requestAnalysisRun,
  requestPostUploadAnalysis,
} from '../../commands/request-analysis.ts';
import { createDatabase } from '../../db/database.ts';
import { findRun, findRunByKey, listRuns } from '../../db/repositories/analysis-runs.repository.ts';
import { listFindings } from '../../db/repositories/findings.repository.ts';
import { findJob } from '../../db/repositories/jobs.repository.ts';
import { latestMondayOnOrBefore } from '../../domain/analytics/dates.ts';
import { silentLogger } from '../../obs/logger.ts';
import { createServices, type Services } from '../../services.ts';
import { Scheduler } from '../scheduler.ts';
import { configuredSchedules } from './index.ts';

const T = '2026-03-02';

async function jobDone(services: Services, id: number) {
  return waitFor(async () => {
    const job = await findJob(services.database.db, id);
    return job && (job.status === 'succeeded' || job.status === 'failed') ? job : null;
  });
}

async function countEvents(services: Services, customerId: number, type: string): Promise<number> {
  const rows = await services.database.db
    .selectFrom('system_events')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('event_type', '=', type)
    .execute();
  return rows.length;
}

describe('analytics jobs (analytics §10)', () => {
  let services: TestServices | undefined;
  let extra: Services | undefined;

  afterEach(async () => {
    await extra?.close(5_000);
    extra = undefined;
    await services?.dispose();
    services = undefined;
  });

  it('two requests of the same (customer, product, as_of) share one job that runs once, with two workers', async () => {
    services = await createTestServices();
    const db = services.database.db;
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const deps = { db, queue: services.queue };
    const request = { customerId: 42, product: 'driftwatch' as const, asOf: T, runType: 'manual' as const };
    const [first, second] = await Promise.all([
      requestAnalysisRun(deps, request),
      requestAnalysisRun(deps, request),
    ]);
    expect(first.jobId).not.toBeNull();
    expect(second.jobId).toBe(first.jobId);
    expect(second.run.id).toBe(first.run.id);
    const jobs = await db.selectFrom('jobs').selectAll().where('kind', '=', 'analysis').execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.singleton_key).toBe(analysisJobKey(42, 'driftwatch', T));

    await services.startJobs({ scheduler: false, concurrency: 2 });
    const job = await jobDone(services, first.jobId as number);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ report_run_id: first.run.id, status: 'success', findings: 1 });
    const run = await findRun(db, 42, first.run.id);
    expect(run).toMatchObject({ status: 'success', attempts: 1, job_id: first.jobId });
    expect(await countEvents(services, 42, 'analysis_run_completed')).toBe(1);
    expect(await countEvents(services, 42, 'driftwatch_signal_created')).toBe(1);

    // Triggers: a disabled product is refused (403), a future as_of too (400).
    await db
      .updateTable('product_configs')
      .set({ enabled: false })
      .where('customer_id', '=', 42)
      .where('product_slug', '=', 'delayguard')
      .execute();
    await expect(
      requestAnalysesForCustomer(deps, { customerId: 42, runType: 'manual', products: ['delayguard'] }),
    ).rejects.toMatchObject({ code: 'product_not_enabled', statusCode: 403 });
    await expect(
      requestAnalysesForCustomer(deps, { customerId: 42, runType: 'manual', asOf: '2999-01-01' }),
    ).rejects.toMatchObject({ code: 'invalid_as_of', statusCode: 400 });

    // After it finished, a new request runs it again (same run row, new job, same fingerprint).
    const again = await requestAnalysisRun(deps, { ...request, runType: 'post_upload' });
    expect(again.outcome).toBe('enqueued');
    expect(again.run.id).toBe(first.run.id);
    expect(again.jobId).not.toBe(first.jobId);
    await jobDone(services, again.jobId as number);
    expect(await findRun(db, 42, first.run.id)).toMatchObject({
      status: 'success',
      attempts: 2,
      run_type: 'post_upload',
    });
    expect((await listFindings(db, 42)).map((f) => f.fingerprint)).toEqual([
      'db6d509282e573ace8ed36c7f612f0fb',
    ]);
    expect(await countEvents(services, 42, 'driftwatch_signal_created')).toBe(1);
  });

  it('requests racing with running workers never overlap executions or lose a request', async () => {
    services = await createTestServices();
    const db = services.database.db;
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    await services.startJobs({ scheduler: false, concurrency: 3 });
    const deps = { db, queue: services.queue };
    const request = { customerId: 42, product: 'driftwatch' as const, asOf: T, runType: 'manual' as const };
    let requests = 0;
    let lastRequestAt = new Date();
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 4 }, () => requestAnalysisRun(deps, request)));
      lastRequestAt = new Date();
      requests += 4;
      await new Promise((resolve) => setTimeout(resolve, round * 40));
    }
    const settled = await waitFor(async () => {
      const jobs = await db.selectFrom('jobs').selectAll().where('kind', '=', 'analysis').execute();
      const run = await findRunByKey(db, 42, 'driftwatch', T);
      return jobs.every((j) => j.status === 'succeeded' || j.status === 'failed') && run?.status === 'success'
        ? { jobs, run }
        : null;
    });
    expect(settled.jobs.every((j) => j.status === 'succeeded')).toBe(true);
    // A job that found the run executing under another live job only flagged it (`skipped`).
    const statuses = settled.jobs.map((j) => (j.result as { status?: string } | null)?.status);
    expect(statuses.every((st) => st === 'success' || st === 'skipped')).toBe(true);
    expect(settled.jobs.length).toBeLessThanOrEqual(requests);
    // No request is lost: the last execution finished after the last request returned.
    expect(settled.run.finished_at?.getTime()).toBeGreaterThanOrEqual(lastRequestAt.getTime() - 5);
    // Every execution was recorded exactly once.
    expect(await countEvents(services, 42, 'analysis_run_completed')).toBe(settled.run.attempts);
    expect(settled.run.rerun_requested).toBe(false);
    expect(await countEvents(services, 42, 'driftwatch_signal_created')).toBe(1);
    expect(await listFindings(db, 42)).toHaveLength(1);
  });

  it.runIf(onPostgres)(
    'two worker processes and concurrent requests on PostgreSQL: the run executes once',
    async () => {
      services = await createTestServices();
      const db = services.database.db;
      await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
      await writeClaims(db, 42, a1Claims(T));
      // A second "process": its own pool (and Redis connection when configured) on the same database.
      extra = await createServices(services.config, {
        logger: silentLogger(),
        database: await createDatabase(services.config),
      });
      const request = { customerId: 42, product: 'driftwatch' as const, asOf: T, runType: 'manual' as const };
      const results = await Promise.all([
        requestAnalysisRun({ db, queue: services.queue }, request),
        requestAnalysisRun({ db: extra.database.db, queue: extra.queue }, request),
        requestAnalysisRun({ db: extra.database.db, queue: extra.queue }, request),
      ]);
      expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
      await Promise.all([
        services.startJobs({ scheduler: false, concurrency: 2 }),
        extra.startJobs({ scheduler: false, concurrency: 2 }),
      ]);
      await jobDone(services, results[0]?.jobId as number);
      const run = await findRunByKey(db, 42, 'driftwatch', T);
      expect(run).toMatchObject({ status: 'success', attempts: 1 });
      expect(await countEvents(services, 42, 'analysis_run_completed')).toBe(1);
      expect(await countEvents(services, 42, 'driftwatch_signal_created')).toBe(1);
    },
  );

  it('schedule fan-out runs every active customer with the product enabled and skips the others', async () => {
    services = await createTestServices();
    const db = services.database.db;
    const enabled = await createAnalyticsCustomer(db, { name: 'Enabled', products: ['driftwatch'] });
    const disabled = await createAnalyticsCustomer(db, { name: 'Disabled', products: ['denialscope'] });
    const noConfigs = await createAnalyticsCustomer(db, { name: 'No configs', noConfigs: true });
    const inactive = await createAnalyticsCustomer(db, { name: 'Inactive', active: false });
    await writeClaims(db, enabled, a1Claims(T));

    const schedules = configuredSchedules(services.config, services.registry);
    const driftwatch = schedules.find((s) => s.name === 'driftwatch');
    expect(driftwatch).toMatchObject({
      cron: '0 6 * * 1',
      kind: 'analysis.schedule',
      payload: { product: 'driftwatch' },
    });
    expect(schedules.find((s) => s.name === 'denialscope')).toMatchObject({ cron: '0 2 * * *' });
    expect(schedules.find((s) => s.name === 'delayguard')).toMatchObject({ cron: '0 2 * * *' });

    await services.startJobs({ scheduler: false });
    const scheduler = new Scheduler(services.queue, silentLogger());
    expect(await scheduler.fire(driftwatch!, new Date('2026-03-02T06:00:05Z'))).toBe(true);
    expect(await scheduler.fire(driftwatch!, new Date('2026-03-02T06:00:30Z'))).toBe(false);
    const fanOut = await waitFor(async () =>
      db
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', 'analysis.schedule')
        .where('status', '=', 'succeeded')
        .executeTakeFirst(),
    );
    expect(fanOut.result).toMatchObject({ product: 'driftwatch', as_of: T, customers: 1 });
    // The slot is Monday T, but the customer's latest decision is T−5 (2026-02-25): the run
    // follows the data and ends the day after it (issue 9).
    const run = await waitFor(async () => {
      const r = await findRunByKey(db, enabled, 'driftwatch', '2026-02-26');
      return r?.status === 'success' ? r : null;
    });
    expect(run.run_type).toBe('scheduled');
    expect(await listFindings(db, enabled)).toHaveLength(1);
    for (const other of [disabled, noConfigs, inactive]) expect(await listRuns(db, other)).toEqual([]);
  });

  it('the post-upload trigger is debounced, capped at 30 minutes, and requests every enabled product', async () => {
    services = await createTestServices({ env: { ANALYSIS_DEBOUNCE_SECONDS: '120' } });
    const db = services.database.db;
    const customer = await createAnalyticsCustomer(db, { products: ['driftwatch', 'delayguard'] });
    const t0 = new Date('2026-03-04T10:00:00Z');
    const first = await requestPostUploadAnalysis(services, customer, { now: t0 });
    expect(first.created).toBe(true);
    expect(first.runAt.toISOString()).toBe('2026-03-04T10:02:00.000Z');
    const second = await requestPostUploadAnalysis(services, customer, {
      now: new Date('2026-03-04T10:01:00Z'),
    });
    expect(second.jobId).toBe(first.jobId);
    expect(second.runAt.toISOString()).toBe('2026-03-04T10:03:00.000Z');
    const capped = await requestPostUploadAnalysis(services, customer, {
      now: new Date('2026-03-04T10:29:00Z'),
    });
    expect(capped.jobId).toBe(first.jobId);
    expect(capped.runAt.getTime()).toBe(t0.getTime() + POST_UPLOAD_MAX_DELAY_MS);
    expect((await findJob(db, first.jobId))?.run_at.toISOString()).toBe('2026-03-04T10:30:00.000Z');
    const pending = await db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'analysis.post_upload')
      .execute();
    expect(pending).toHaveLength(1);

    // Due now (a real debounce has passed): it requests DriftWatch (latest Monday) and DelayGuard (today).
    await db
      .updateTable('jobs')
      .set({ run_at: new Date(Date.now() - 1000) })
      .where('id', '=', first.jobId)
      .execute();
    await services.startJobs({ scheduler: false });
    const job = await jobDone(services, first.jobId);
    expect(job.status).toBe('succeeded');
    const today = new Date().toISOString().slice(0, 10);
    const dw = await waitFor(async () => {
      const r = await findRunByKey(db, customer, 'driftwatch', latestMondayOnOrBefore(today));
      return r?.status === 'success' ? r : null;
    });
    expect(dw.run_type).toBe('post_upload');
    const dg = await waitFor(async () => {
      const r = await findRunByKey(db, customer, 'delayguard', today);
      return r?.status === 'success' ? r : null;
    });
    expect(dg.run_type).toBe('post_upload');
    expect(await findRunByKey(db, customer, 'denialscope', today)).toBeUndefined();

    // Once it ran, a new upload starts a new pending trigger.
    const next = await requestPostUploadAnalysis(services, customer);
    expect(next.jobId).not.toBe(first.jobId);
  });

  it('backtest job (kind backtest) stores weeks and episodes and writes no findings or events', async () => {
    services = await createTestServices();
    const db = services.database.db;
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a23Claims());
    const { run, jobId } = await requestBacktest(
      { db, queue: services.queue },
      { customerId: 42, from: '2026-01-05', to: '2026-03-02', today: '2026-03-04' },
    );
    expect(run).toMatchObject({
      run_type: 'backtest',
      product: 'driftwatch',
      as_of: '2026-03-02',
      status: 'queued',
    });
    await services.startJobs({ scheduler: false });
    const job = await jobDone(services, jobId);
    expect(job.kind).toBe('backtest');
    expect(job.result).toMatchObject({ report_run_id: run.id, weeks: 9, episodes: 1 });
    const stored = await findRun(db, 42, run.id);
    expect(stored?.status).toBe('success');
    const summary = stored?.summary_json as { weeks: Array<{ findings: number }>; episodes: unknown[] };
    expect(summary.weeks.map((w) => w.findings)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(summary.episodes).toHaveLength(1);
    expect(await listFindings(db, 42)).toEqual([]);
    expect(await countEvents(services, 42, 'driftwatch_signal_created')).toBe(0);
  });
});
