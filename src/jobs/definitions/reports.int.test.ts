import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRun } from '../../../test/alert-fixtures.ts';
import { a1Claims, createAnalyticsCustomer, writeClaims } from '../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../test/services.ts';
import { waitFor } from '../../../test/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/webhook-receiver.ts';
import { createWebhookEndpoint } from '../../commands/manage-webhook-endpoints.ts';
import { ANALYSIS_JOB, requestAnalysisRun } from '../../commands/request-analysis.ts';
import type { JsonObject } from '../../db/schema.ts';
import { silentLogger } from '../../obs/logger.ts';
import { createArtifactStore, sha256Hex } from '../../reports/artifact-store.ts';
import { JobRegistry } from '../registry.ts';
import type { EnqueueOptions, JobDefinition } from '../types.ts';
import {
  queueReportArtifact,
  REPORT_ARTIFACT_JOB,
  reportArtifactJob,
  WEEKLY_REPORT_EMAIL_JOB,
} from './reports.ts';

/**
 * The `report_artifact` job (alerts-reports §13.1, §14): queued by a successful DriftWatch run
 * through the real wiring (`registerJobs` → `onRunSucceeded`), it records the artifact, the
 * system event `report_generated` and delivers `report.completed` to a subscribed endpoint. Then
 * the handler on its own: a scheduled run queues the weekly e-mail only when that kind exists.
 */

const T = '2026-03-02';
let services: TestServices;
let receiver: WebhookReceiver;

beforeAll(async () => {
  services = await createTestServices({
    env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', PORTAL_BASE_URL: 'https://payrixa.example' },
  });
  receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
  const db = services.database.db;
  await createAnalyticsCustomer(db, {
    id: 42,
    name: 'Acme Family Practice',
    products: ['driftwatch', 'denialscope'],
  });
  await writeClaims(db, 42, a1Claims(T));
});

afterAll(async () => {
  await services?.dispose();
  await receiver?.close();
});

interface Enqueued {
  kind: string;
  payload: JsonObject;
  options: EnqueueOptions | undefined;
}

function recordingQueue() {
  const enqueued: Enqueued[] = [];
  return {
    enqueued,
    queue: {
      enqueue: async (kind: string, payload: JsonObject, options?: EnqueueOptions) => {
        enqueued.push({ kind, payload, options });
        return { id: enqueued.length, created: true };
      },
    },
  };
}

describe('report_artifact job', () => {
  it('a successful DriftWatch run → PDF artifact, report_generated and report.completed; a DenialScope run → no PDF job', async () => {
    const db = services.database.db;
    const actor = { customerId: 42, userId: null, requestId: 'req-setup' };
    const endpoint = await createWebhookEndpoint(
      { db, config: services.config, clock: services.clock },
      actor,
      { name: 'Reports', url: receiver.url('/reports'), event_types: ['report.completed'] },
    );
    receiver.secret = endpoint.secret;

    const drift = await requestAnalysisRun(
      { db, queue: services.queue },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual', requestId: 'req-run' },
    );
    const denial = await requestAnalysisRun(
      { db, queue: services.queue },
      { customerId: 42, product: 'denialscope', asOf: T, runType: 'manual', requestId: 'req-denial' },
    );
    await services.startJobs({ scheduler: false, concurrency: 1 });
    const job = await waitFor(
      () =>
        db
          .selectFrom('jobs')
          .selectAll()
          .where('kind', '=', REPORT_ARTIFACT_JOB)
          .where('status', '=', 'succeeded')
          .executeTakeFirst(),
      180_000,
    );
    // Both analysis jobs are finished before the report jobs are counted.
    await waitFor(async () => {
      const open = await db
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', ANALYSIS_JOB)
        .where('status', 'in', ['queued', 'running'])
        .execute();
      const runs = await db
        .selectFrom('analysis_runs')
        .select('status')
        .where('id', 'in', [drift.run.id, denial.run.id])
        .execute();
      return open.length === 0 && runs.every((r) => r.status === 'success');
    }, 180_000);
    expect(job.payload).toEqual({ customer_id: 42, run_id: drift.run.id });
    // Progress of its three steps (PDF stored, event recorded, webhooks queued), as the jobs API shows it.
    expect({ done: job.progress_done, total: job.progress_total }).toEqual({ done: 3, total: 3 });
    expect(job.request_id).toBe('req-run');
    const reportJobs = await db
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', REPORT_ARTIFACT_JOB)
      .execute();
    expect(reportJobs).toHaveLength(1);

    const artifact = await db
      .selectFrom('report_artifacts')
      .selectAll()
      .where('customer_id', '=', 42)
      .executeTakeFirstOrThrow();
    expect(artifact).toMatchObject({ run_id: drift.run.id, kind: 'weekly_drift_summary', format: 'pdf' });
    const bytes = await createArtifactStore(services.config.dataDir).read(artifact.storage_key);
    expect(bytes?.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(sha256Hex(bytes as Buffer)).toBe(artifact.sha256);

    const events = await db
      .selectFrom('system_events')
      .select(['payload', 'request_id'])
      .where('customer_id', '=', 42)
      .where('event_type', '=', 'report_generated')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      request_id: 'req-run',
      payload: { run_id: drift.run.id, artifact_id: artifact.id, sha256: artifact.sha256 },
    });

    const hook = await waitFor(() => receiver.received.find((r) => r.path === '/reports'));
    expect(hook.signatureValid).toBe(true);
    expect(hook.headers['payrixa-event']).toBe('report.completed');
    expect(hook.envelope).toMatchObject({
      type: 'report.completed',
      customer_id: 42,
      data: {
        run_id: drift.run.id,
        artifact_id: artifact.id,
        kind: 'weekly_drift_summary',
        content_hash: artifact.sha256,
        download_url: `https://payrixa.example/api/v1/reports/${drift.run.id}/download/?format=pdf`,
      },
      metadata: { request_id: 'req-run' },
    });
    const deliveries = await db
      .selectFrom('webhook_deliveries')
      .select(['event_type', 'status', 'endpoint_id'])
      .where('customer_id', '=', 42)
      .execute();
    expect(deliveries).toEqual([
      { event_type: 'report.completed', status: 'success', endpoint_id: endpoint.endpoint.id },
    ]);
    // Only report.completed was subscribed: no analysis_run.completed went out.
    expect(receiver.received).toHaveLength(1);
  });

  it('after a scheduled run the weekly e-mail is queued when its job kind exists; never for other runs; a missing kind never fails the job', async () => {
    const db = services.database.db;
    const scheduled = await insertRun(db, 42, { asOf: '2026-02-23' });
    await db
      .updateTable('analysis_runs')
      .set({ run_type: 'scheduled' })
      .where('id', '=', scheduled)
      .execute();
    const manual = await insertRun(db, 42, { asOf: '2026-02-16' });
    const context = (runId: number, definition: JobDefinition<JsonObject>) =>
      ({
        job: { id: 1, request_id: 'req-sched' },
        payload: { customer_id: 42, run_id: runId },
        attempt: 1,
        logger: silentLogger(),
      }) as unknown as Parameters<typeof definition.handler>[0];
    const deps = { db, config: services.config, clock: services.clock };

    // No weekly e-mail kind registered in this process: the PDF job still succeeds.
    const bare = recordingQueue();
    const withoutEmail = reportArtifactJob({ ...deps, queue: bare.queue }, new JobRegistry());
    await expect(withoutEmail.handler(context(scheduled, withoutEmail))).resolves.toMatchObject({
      weekly_email_queued: false,
    });
    expect(bare.enqueued).toEqual([]);

    const registry = new JobRegistry();
    registry.register({ kind: WEEKLY_REPORT_EMAIL_JOB, queue: 'reports', handler: async () => ({}) });
    const recording = recordingQueue();
    const definition = reportArtifactJob({ ...deps, queue: recording.queue }, registry);
    await expect(definition.handler(context(scheduled, definition))).resolves.toMatchObject({
      weekly_email_queued: true,
    });
    await expect(definition.handler(context(manual, definition))).resolves.toMatchObject({
      weekly_email_queued: false,
    });
    expect(recording.enqueued).toEqual([
      {
        kind: WEEKLY_REPORT_EMAIL_JOB,
        payload: { customer_id: 42, run_id: scheduled },
        options: expect.objectContaining({ customerId: 42, requestId: 'req-sched' }),
      },
    ]);

    // An unknown run is a permanent failure (no retries).
    await expect(definition.handler(context(999_999, definition))).rejects.toMatchObject({
      name: 'PermanentJobError',
      message: 'Run 999999 not found',
    });
  });

  it('only successful non-backtest DriftWatch runs queue the PDF', async () => {
    const recording = recordingQueue();
    const run = { customer_id: 42, id: 7 };
    await queueReportArtifact(recording.queue, { ...run, product: 'driftwatch', run_type: 'backtest' });
    await queueReportArtifact(recording.queue, { ...run, product: 'denialscope', run_type: 'manual' });
    await queueReportArtifact(recording.queue, { ...run, product: 'delayguard', run_type: 'scheduled' });
    expect(recording.enqueued).toEqual([]);
    await queueReportArtifact(recording.queue, { ...run, product: 'driftwatch', run_type: 'post_upload' });
    expect(recording.enqueued.map((e) => [e.kind, e.payload])).toEqual([
      [REPORT_ARTIFACT_JOB, { customer_id: 42, run_id: 7 }],
    ]);
  });
});
