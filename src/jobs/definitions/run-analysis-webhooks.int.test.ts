import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { a1Claims, createAnalyticsCustomer, writeClaims } from '../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../test/services.ts';
import { waitFor } from '../../../test/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/webhook-receiver.ts';
import { createWebhookEndpoint } from '../../commands/manage-webhook-endpoints.ts';
import { requestAnalysisRun } from '../../commands/request-analysis.ts';
import type { AnalysisRunRecord } from '../../db/repositories/analysis-runs.repository.ts';
import { findRun } from '../../db/repositories/analysis-runs.repository.ts';
import { silentLogger } from '../../obs/logger.ts';
import { analysisJob } from './run-analysis.ts';

/**
 * `analysis_run.failed` (alerts-reports §9): a run whose job fails sends the event to the
 * endpoints subscribed to it, through the same wiring (`registerJobs`) as `analysis_run.completed`.
 * The failure is real: a trigger makes the findings insert fail inside the run's transaction.
 */

const T = '2026-03-02';

async function breakFindingsInserts(services: TestServices): Promise<void> {
  const db = services.database.db;
  await sql`create function test_refuse_findings() returns trigger language plpgsql as $$
    begin raise exception 'findings are read-only in this test'; end $$`.execute(db);
  await sql`create trigger test_refuse_findings before insert on findings
    for each row execute function test_refuse_findings()`.execute(db);
}

describe('analysis_run.failed webhook event', () => {
  let services: TestServices | undefined;
  let receiver: WebhookReceiver | undefined;

  afterEach(async () => {
    await services?.dispose();
    services = undefined;
    await receiver?.close();
    receiver = undefined;
  });

  it('a failed run delivers analysis_run.failed to a subscribed endpoint and nothing to a report.completed-only one', async () => {
    services = await createTestServices({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
    const db = services.database.db;
    receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const actor = { customerId: 42, userId: null, requestId: 'req-setup' };
    const deps = { db, config: services.config, clock: services.clock };
    const failures = await createWebhookEndpoint(deps, actor, {
      name: 'Failures',
      url: receiver.url('/failures'),
      event_types: ['analysis_run.failed'],
    });
    await createWebhookEndpoint(deps, actor, {
      name: 'Reports only',
      url: receiver.url('/reports'),
      event_types: ['report.completed'],
    });
    receiver.secret = failures.secret;
    await breakFindingsInserts(services);

    const requested = await requestAnalysisRun(
      { db, queue: services.queue },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual', requestId: 'req-run' },
    );
    await services.startJobs({ scheduler: false, concurrency: 1 });
    // The job's first attempt fails (it is retried 30 s later, after this test has ended).
    const job = await waitFor(async () => {
      const row = await db
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', requested.jobId as number)
        .executeTakeFirst();
      return row && row.attempts >= 1 && row.status !== 'running' ? row : null;
    });
    expect(job.status).not.toBe('succeeded');
    const run = await findRun(db, 42, requested.run.id);
    expect(run).toMatchObject({ status: 'failed', error_message: 'findings are read-only in this test' });

    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    expect(hook?.path).toBe('/failures');
    expect(hook?.signatureValid).toBe(true);
    expect(hook?.headers['payrixa-event']).toBe('analysis_run.failed');
    expect(hook?.envelope).toMatchObject({
      type: 'analysis_run.failed',
      customer_id: 42,
      data: {
        run_id: requested.run.id,
        product: 'driftwatch',
        as_of: T,
        error: 'findings are read-only in this test',
      },
      metadata: { request_id: 'req-run' },
    });
    const deliveries = await db
      .selectFrom('webhook_deliveries')
      .select(['event_type', 'status'])
      .where('customer_id', '=', 42)
      .execute();
    expect(deliveries).toEqual([{ event_type: 'analysis_run.failed', status: 'success' }]);
  });
});

describe('analysisJob onRunFailed', () => {
  let services: TestServices | undefined;

  afterEach(async () => {
    await services?.dispose();
    services = undefined;
  });

  it('is called once with the failed row, the job still fails with the run error; a success does not call it', async () => {
    services = await createTestServices();
    const db = services.database.db;
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const failedRuns: AnalysisRunRecord[] = [];
    const succeededRuns: AnalysisRunRecord[] = [];
    const definition = analysisJob({
      db,
      onRunSucceeded: async (run) => {
        succeededRuns.push(run);
      },
      onRunFailed: async (run) => {
        failedRuns.push(run);
        // A failing hook never replaces the run's own error.
        throw new Error('receiver unreachable');
      },
    });
    // The handler reads only the job's id and request id, the payload and the logger.
    const context = (jobId: number) =>
      ({
        job: { id: jobId, request_id: 'req-job' },
        payload: { customer_id: 42, product: 'driftwatch', as_of: T },
        attempt: 1,
        logger: silentLogger(),
      }) as unknown as Parameters<typeof definition.handler>[0];
    await definition.handler(context(1));
    expect(succeededRuns).toHaveLength(1);
    expect(failedRuns).toHaveLength(0);

    await breakFindingsInserts(services);
    await expect(definition.handler(context(2))).rejects.toThrow(/findings are read-only/);
    expect(failedRuns).toHaveLength(1);
    expect(failedRuns[0]).toMatchObject({ status: 'failed', customer_id: 42, product: 'driftwatch' });
    expect(succeededRuns).toHaveLength(1);
  });
});
