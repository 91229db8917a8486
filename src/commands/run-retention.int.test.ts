import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertAlert, insertDelivery, insertFinding, insertRun } from '../../test/alert-fixtures.ts';
import { createAnalyticsCustomer } from '../../test/analytics.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { insertDefaultAlertRule } from '../db/repositories/alert-rules.repository.ts';
import type { DB } from '../db/schema.ts';
import { createArtifactStore } from '../reports/artifact-store.ts';
import '../reports/index.ts';
import type { AnalysisProduct } from '../db/schema.ts';
import { emptyRetentionCounts } from '../domain/retention.ts';
import { runDownload } from './report-artifact.ts';
import { runRetention } from './run-retention.ts';
import { produceWeeklyDriftPdf } from './weekly-drift-pdf.ts';

/**
 * Retention against the database (alerts-reports §15 and acceptance B20, web-api-ops §7.5): what
 * goes, what stays, the dry run, one tenant, the files and the audit row. Today is 2026-03-20.
 */

const TODAY = '2026-03-20T03:30:00Z';
let handle: TestDatabase;
let db: Kysely<DB>;

beforeEach(async () => {
  handle = await createTestDatabase();
  db = handle.database.db;
  await createAnalyticsCustomer(db, { id: 42, name: 'Acme Family Practice', products: ['driftwatch'] });
  await createAnalyticsCustomer(db, { id: 43, name: 'Judged Clinic', products: ['driftwatch'] });
  await createAnalyticsCustomer(db, { id: 44, name: 'Dormant Clinic', products: ['driftwatch'] });
  for (const customerId of [42, 43, 44]) await insertDefaultAlertRule(db, customerId);
});

afterEach(async () => {
  await handle?.close();
});

function clockAt(iso: string) {
  return { now: () => new Date(iso) };
}

function retentionDeps(now = TODAY, batchSize?: number) {
  return {
    db,
    config: handle.config,
    clock: clockAt(now),
    ...(batchSize !== undefined && { batchSize }),
  };
}

async function run(customerId: number, asOf: string, product: AnalysisProduct = 'driftwatch') {
  const runId = await insertRun(db, customerId, { asOf, product });
  const finding = await insertFinding(db, customerId, runId, {
    as_of: asOf,
    product,
    fingerprint: `${customerId}-${product}-${asOf}`.padEnd(32, '0'),
  });
  return { runId, finding };
}

async function judge(customerId: number, alertId: number, at: string): Promise<void> {
  await db
    .insertInto('operator_judgments')
    .values({
      customer_id: customerId,
      alert_event_id: alertId,
      operator_id: 1,
      operator_username: 'operator1',
      verdict: 'real',
      verdict_at: new Date(at),
    })
    .execute();
}

async function runIds(customerId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('analysis_runs')
    .select('id')
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

async function countRows(
  table: 'findings' | 'alert_events' | 'alert_deliveries' | 'operator_judgments' | 'report_artifacts',
  customerId: number,
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * B20's world. Customer 42: a young DriftWatch run (as_of 2025-12-01) whose PDF was built that
 * day, and an old run (2024-03-04) with two alerts — one triggered with the run and judged long
 * ago, one re-evaluated later (2024-03-25, inside 730 days) — plus its weekly e-mail record.
 * Customer 43: an old run whose alert was judged on 2025-06-01, and a newer latest run.
 * Customer 44: only old runs — the latest successful one (2024-03-04) and a failed later one.
 */
async function b20World() {
  const young = await run(42, '2025-12-01');
  await db
    .updateTable('analysis_runs')
    .set({
      summary_json: JSON.stringify({
        baseline_start: '2025-08-18',
        baseline_end: '2025-11-17',
        current_start: '2025-11-17',
        current_end: '2025-12-01',
      }),
    })
    .where('id', '=', young.runId)
    .execute();
  const pdf = await produceWeeklyDriftPdf(
    { db, config: handle.config, clock: clockAt('2025-12-01T07:00:00Z') },
    { customerId: 42, runId: young.runId },
  );

  const old = await run(42, '2024-03-04');
  const oldAlert = await insertAlert(db, 42, old.finding, { triggeredAt: new Date('2024-03-04T06:00:00Z') });
  await insertDelivery(db, 42, oldAlert.id);
  await judge(42, oldAlert.id, '2024-03-05T10:00:00Z');
  const lateAlert = await insertAlert(db, 42, old.finding, {
    triggeredAt: new Date('2024-03-25T06:00:00Z'),
    ruleId: (
      await db
        .insertInto('alert_rules')
        .values({ customer_id: 42, name: 'Late rule' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id,
  });
  await db
    .insertInto('report_deliveries')
    .values({ customer_id: 42, run_id: old.runId, kind: 'weekly_email', status: 'sent' })
    .execute();
  // A workbook of the old run downloaded yesterday: young itself, it goes with its run.
  const oldWorkbookKey = `reports/42/drift_workbook_${old.runId}.xlsx`;
  await createArtifactStore(handle.config.dataDir).write(oldWorkbookKey, Buffer.from('xlsx'));
  await db
    .insertInto('report_artifacts')
    .values({
      customer_id: 42,
      run_id: old.runId,
      kind: 'drift_workbook',
      format: 'xlsx',
      storage_key: oldWorkbookKey,
      size_bytes: 4,
      sha256: '0'.repeat(64),
      created_at: new Date('2026-03-19T10:00:00Z'),
      updated_at: new Date('2026-03-19T10:00:00Z'),
    })
    .execute();

  const judged = await run(43, '2024-03-04');
  const judgedAlert = await insertAlert(db, 43, judged.finding, {
    triggeredAt: new Date('2024-03-04T06:00:00Z'),
  });
  await judge(43, judgedAlert.id, '2025-06-01T09:00:00Z');
  await run(43, '2026-03-16');

  const dormantLatest = await run(44, '2024-03-04');
  const dormantFailed = await run(44, '2024-03-11');
  await db
    .updateTable('analysis_runs')
    .set({ status: 'failed' })
    .where('id', '=', dormantFailed.runId)
    .execute();

  return { young, pdf, old, oldWorkbookKey, lateAlert, judged, judgedAlert, dormantLatest, dormantFailed };
}

describe('retention (B20, today 2026-03-20)', () => {
  it('deletes the 109-day-old PDF (rebuilt on download with the same SHA-256) and the 746-day-old run with its findings, keeping the latest and the recently judged runs', async () => {
    const world = await b20World();
    const store = createArtifactStore(handle.config.dataDir);
    expect(await store.read(world.pdf.artifact.storage_key)).not.toBeNull();

    const result = await runRetention(retentionDeps());

    expect(result.counts).toEqual({
      ...emptyRetentionCounts(),
      report_artifacts: 2,
      analysis_runs: 2,
      findings: 2,
      alert_events: 1,
      operator_judgments: 1,
      webhook_deliveries: 0,
    });
    expect(result.total).toBe(8);

    // The PDF: row and file gone; the next download rebuilds it byte for byte.
    expect(await countRows('report_artifacts', 42)).toBe(0);
    expect(await store.read(world.pdf.artifact.storage_key)).toBeNull();
    const download = await runDownload(
      { db, clock: clockAt(TODAY), store },
      { customerId: 42, runId: world.young.runId, format: 'pdf' },
    );
    expect(download.artifact?.sha256).toBe(world.pdf.artifact.sha256);
    expect((await store.read(world.pdf.artifact.storage_key))?.length).toBe(
      Number(world.pdf.artifact.size_bytes),
    );

    // Customer 42: the old run went with its finding, weekly e-mail record, the old alert, its
    // delivery and judgment; the young run stays.
    expect(await runIds(42)).toEqual([world.young.runId]);
    expect(await store.read(world.oldWorkbookKey)).toBeNull();
    expect(await countRows('findings', 42)).toBe(1);
    expect(await db.selectFrom('report_deliveries').selectAll().execute()).toEqual([]);
    expect(await countRows('alert_deliveries', 42)).toBe(0);
    expect(await countRows('operator_judgments', 42)).toBe(0);

    // The later alert outlives its run: payload intact, finding_id null.
    const survivors = await db.selectFrom('alert_events').selectAll().where('customer_id', '=', 42).execute();
    expect(survivors).toHaveLength(1);
    expect(survivors[0]).toMatchObject({
      id: world.lateAlert.id,
      finding_id: null,
      finding_fingerprint: world.old.finding.fingerprint,
      run_id: world.old.runId,
      payload: world.lateAlert.payload,
    });

    // Customer 43: the 2024-03-04 run judged on 2025-06-01 stays, with its finding and alert.
    expect(await runIds(43)).toContain(world.judged.runId);
    expect(await countRows('findings', 43)).toBe(2);
    const judgedAlert = await db
      .selectFrom('alert_events')
      .selectAll()
      .where('customer_id', '=', 43)
      .executeTakeFirstOrThrow();
    expect(judgedAlert.finding_id).toBe(world.judged.finding.id);
    expect(await countRows('operator_judgments', 43)).toBe(1);

    // Customer 44: the latest successful DriftWatch run stays whatever its age; the failed one goes.
    expect(await runIds(44)).toEqual([world.dormantLatest.runId]);
    expect(await countRows('findings', 44)).toBe(1);
  });

  it('a dry run counts the same rows and deletes nothing; both runs record audit retention_run with the counts', async () => {
    const world = await b20World();
    const store = createArtifactStore(handle.config.dataDir);
    const before = await Promise.all([42, 43, 44].map(runIds));

    const dry = await runRetention(retentionDeps(), { dryRun: true, requestId: 'req-dry' });
    expect(dry.dryRun).toBe(true);
    expect(dry.total).toBe(8);
    expect(await Promise.all([42, 43, 44].map(runIds))).toEqual(before);
    expect(await countRows('report_artifacts', 42)).toBe(2);
    expect(await store.read(world.pdf.artifact.storage_key)).not.toBeNull();
    expect(await store.read(world.oldWorkbookKey)).not.toBeNull();
    expect(await countRows('alert_events', 42)).toBe(2);
    expect(await countRows('operator_judgments', 42)).toBe(1);

    const real = await runRetention(retentionDeps(), { userId: null });
    expect(real.counts).toEqual(dry.counts);

    const audits = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'retention_run')
      .orderBy('id')
      .execute();
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({
      customer_id: null,
      request_id: 'req-dry',
      metadata: {
        dry_run: true,
        today: '2026-03-20',
        customers: 3,
        total: 8,
        counts: dry.counts,
      },
    });
    expect(audits[1]?.metadata).toMatchObject({ dry_run: false, total: 8, counts: dry.counts });

    // Nothing left to do the same day.
    expect((await runRetention(retentionDeps())).total).toBe(0);
  });

  it('--customer touches only that tenant and audits it', async () => {
    const world = await b20World();
    const result = await runRetention(retentionDeps(), { customerId: 44 });
    expect(result.counts).toMatchObject({ analysis_runs: 1, findings: 1, report_artifacts: 0 });
    expect(result.customers).toBe(1);
    expect(await runIds(44)).toEqual([world.dormantLatest.runId]);
    // Customer 42's expired run, alert and PDF are all still there.
    expect(await runIds(42)).toEqual([world.young.runId, world.old.runId]);
    expect(await countRows('report_artifacts', 42)).toBe(2);
    expect(await countRows('alert_events', 42)).toBe(2);
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'retention_run')
      .executeTakeFirstOrThrow();
    expect(audit.customer_id).toBe(44);
    await expect(runRetention(retentionDeps(), { customerId: 999 })).rejects.toThrow(
      'Customer 999 not found',
    );
  });

  it('keeps the latest successful run of each product (and the one dashboards show), never a backtest, and runs still executing', async () => {
    await createAnalyticsCustomer(db, {
      id: 45,
      name: 'Three Products',
      products: ['driftwatch', 'denialscope'],
    });
    // The dashboards' latest DriftWatch run is the one whose window held claims (findLatestRun);
    // the newest is a run over a period without data. Both stay.
    const drift = await run(45, '2023-01-02');
    const driftNoData = await run(45, '2023-01-09');
    await db
      .updateTable('analysis_runs')
      .set({ summary_json: JSON.stringify({ current_claims: 0 }) })
      .where('id', '=', driftNoData.runId)
      .execute();
    const olderDenial = await run(45, '2023-01-01', 'denialscope');
    const latestDenial = await run(45, '2023-02-01', 'denialscope');
    const running = await run(45, '2023-03-01', 'denialscope');
    await db
      .updateTable('analysis_runs')
      .set({ status: 'running' })
      .where('id', '=', running.runId)
      .execute();
    const backtest = await insertRun(db, 45, { asOf: '2023-06-05' });
    await db.updateTable('analysis_runs').set({ run_type: 'backtest' }).where('id', '=', backtest).execute();

    const result = await runRetention(retentionDeps(), { customerId: 45 });
    expect(result.counts.analysis_runs).toBe(2);
    expect(await runIds(45)).toEqual([drift.runId, driftNoData.runId, latestDenial.runId, running.runId]);
    expect(await runIds(45)).not.toContain(olderDenial.runId);
  });

  it('deletes in batches: a backlog larger than the batch size goes entirely', async () => {
    const ids: number[] = [];
    for (let week = 0; week < 7; week++) {
      const asOf = new Date(Date.UTC(2023, 0, 2 + 7 * week)).toISOString().slice(0, 10);
      ids.push((await run(44, asOf)).runId);
    }
    const latest = await run(44, '2026-03-16');
    const result = await runRetention(retentionDeps(TODAY, 2), { customerId: 44 });
    expect(result.counts).toMatchObject({ analysis_runs: 7, findings: 7 });
    expect(await runIds(44)).toEqual([latest.runId]);
  });

  it('Excel/CSV artifacts after 30 days and PDFs after 90 (by last build); finished webhook delivery logs after 90 days', async () => {
    const young = await run(42, '2026-03-16');
    const store = createArtifactStore(handle.config.dataDir);
    const artifact = async (kind: 'drift_workbook' | 'findings_csv', format: 'xlsx' | 'csv', at: string) => {
      const storageKey = `reports/42/${kind}_${young.runId}.${format}`;
      await store.write(storageKey, Buffer.from(kind));
      await db
        .insertInto('report_artifacts')
        .values({
          customer_id: 42,
          run_id: young.runId,
          kind,
          format,
          storage_key: storageKey,
          size_bytes: kind.length,
          sha256: '0'.repeat(64),
          created_at: new Date('2025-01-01T00:00:00Z'),
          updated_at: new Date(at),
        })
        .execute();
      return storageKey;
    };
    // 2026-02-18 is exactly 30 days before today: kept; 2026-02-17 (31 days) goes.
    const oldXlsx = await artifact('drift_workbook', 'xlsx', '2026-02-17T23:59:59Z');
    const keptCsv = await artifact('findings_csv', 'csv', '2026-02-18T00:00:00Z');

    const endpoint = await db
      .insertInto('webhook_endpoints')
      .values({
        customer_id: 42,
        name: 'Receiver',
        url: 'https://hooks.example.com/payrixa',
        secret_enc: Buffer.from('sealed'),
        secret_last4: 'abcd',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const delivery = async (status: 'success' | 'failed' | 'retrying', createdAt: string) => {
      const row = await db
        .insertInto('webhook_deliveries')
        .values({
          customer_id: 42,
          endpoint_id: endpoint.id,
          event_id: `evt-${status}-${createdAt}`,
          event_type: 'alert.created',
          body: '{}',
          status,
          created_at: new Date(createdAt),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('webhook_delivery_attempts')
        .values({
          customer_id: 42,
          delivery_id: row.id,
          attempt_no: 1,
          started_at: new Date(createdAt),
          duration_ms: 12,
          signature_timestamp: 1,
        })
        .execute();
      return row.id;
    };
    await delivery('success', '2025-12-19T12:00:00Z');
    await delivery('failed', '2025-11-01T12:00:00Z');
    const open = await delivery('retrying', '2025-11-01T12:00:00Z');
    const recent = await delivery('success', '2025-12-20T00:00:00Z');

    const result = await runRetention(retentionDeps(), { customerId: 42 });
    expect(result.counts).toMatchObject({ report_artifacts: 1, webhook_deliveries: 2, analysis_runs: 0 });

    const kinds = await db
      .selectFrom('report_artifacts')
      .select('kind')
      .where('customer_id', '=', 42)
      .execute();
    expect(kinds.map((k) => k.kind)).toEqual(['findings_csv']);
    expect(await store.read(oldXlsx)).toBeNull();
    expect(await store.read(keptCsv)).not.toBeNull();

    const left = await db.selectFrom('webhook_deliveries').select('id').orderBy('id').execute();
    expect(left.map((d) => d.id)).toEqual([open, recent]);
    const attempts = await db.selectFrom('webhook_delivery_attempts').select('delivery_id').execute();
    expect(attempts.map((a) => a.delivery_id).sort()).toEqual([open, recent].sort());
  });
});
