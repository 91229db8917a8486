import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaimsFixtures, createClaimsFixtures } from '../../test/claims.ts';
import { insertBacktestRun, updateRun } from '../db/repositories/analysis-runs.repository.ts';
import { findExposedJob } from '../db/repositories/jobs.repository.ts';
import { insertAnomalies } from '../db/repositories/quality.repository.ts';
import { weeklyOutcomeCounts } from '../db/repositories/rollups.repository.ts';
import { recordAudit } from '../obs/audit.ts';
import { auditLogPage } from './audit-log.ts';
import { loadDashboard } from './dashboard.ts';
import { findReportScoped, listReports } from './reports.ts';
import { loadUploadQuality } from './upload-quality.ts';
import { uploaderNames } from './uploader-names.ts';
import { findUploadScoped, listUploadsPage } from './uploads-list.ts';

/**
 * Read models of the API and portal (issue 11 item 3) against a real database: customer A has
 * 8 claims (PayerOne 3 PAID + 2 DENIED submitted 2024-01-02…06, PayerTwo 3 DENIED submitted
 * 2024-02-01…03), customer B one PAID claim, each from one upload (test/claims.ts).
 */

let fixtures: ClaimsFixtures;
const page = { limit: 50, offset: 0 };

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
});

afterAll(async () => {
  await fixtures.services.dispose();
});

const db = () => fixtures.services.database.db;
const A = () => fixtures.fx.customerA.id;
const B = () => fixtures.fx.customerB.id;

describe('dashboard read model', () => {
  it('sums the weeks of submitted dates in SQL exactly as counting the claims does', async () => {
    // The same sums straight from the claims (the definition), week = (submitted − start) / 7.
    const start = '2023-12-25';
    const expected = await sql<{ week: number; total: string; denied: string }>`
      SELECT (submitted_date - ${start}::date) / 7 AS week, count(*) AS total,
             count(*) FILTER (WHERE outcome = 'DENIED') AS denied
        FROM claims
       WHERE customer_id = ${A()} AND NOT reversed
         AND submitted_date >= ${start}::date AND submitted_date < (${start}::date + 12 * 7)
       GROUP BY 1 ORDER BY 1`.execute(db());
    const weeks = await weeklyOutcomeCounts(db(), A(), { start, weeks: 12 });
    expect(weeks).toEqual(
      expected.rows.map((r) => ({ week: Number(r.week), total: Number(r.total), denied: Number(r.denied) })),
    );
    // Week 1 (2024-01-01…07) holds PayerOne's five claims, week 5 (2024-01-29…02-04) PayerTwo's three.
    expect(weeks).toEqual([
      { week: 1, total: 5, denied: 2 },
      { week: 5, total: 3, denied: 3 },
    ]);
  });

  it('counts the customer’s claims, finished uploads and a 12-week trend ending this week', async () => {
    const view = await loadDashboard(db(), A(), '2024-02-07'); // a Wednesday
    expect(view.totalClaims).toBe(8);
    expect(view.totalUploads).toBe(1);
    expect(view.latestDriftRun).toBeUndefined();
    expect(view.driftFindings).toEqual([]);
    expect(view.denialRateTrend).toHaveLength(12);
    expect(view.denialRateTrend[0]?.weekStart).toBe('2023-11-20');
    expect(view.denialRateTrend[11]?.weekStart).toBe('2024-02-05');
    const nonEmpty = view.denialRateTrend.filter((w) => w.totalClaims > 0);
    expect(nonEmpty).toEqual([
      { weekStart: '2024-01-01', totalClaims: 5, deniedClaims: 2, denialRate: 40 },
      { weekStart: '2024-01-29', totalClaims: 3, deniedClaims: 3, denialRate: 100 },
    ]);
  });

  it('never counts another customer’s data', async () => {
    const view = await loadDashboard(db(), B(), '2024-02-07');
    expect(view.totalClaims).toBe(1);
    expect(view.totalUploads).toBe(1);
    expect(view.denialRateTrend.reduce((n, w) => n + w.totalClaims, 0)).toBe(1);
  });
});

describe('uploads list read model', () => {
  it('scopes to the customer; staff (null) see every tenant', async () => {
    const own = await listUploadsPage(db(), { customerId: A() }, [], page);
    expect(own.count).toBe(1);
    expect(own.rows.map((u) => u.id)).toEqual([fixtures.uploadA.id]);
    const all = await listUploadsPage(db(), { customerId: null }, [], page);
    expect(all.rows.map((u) => u.id)).toEqual(
      expect.arrayContaining([fixtures.uploadA.id, fixtures.uploadB.id]),
    );
  });

  it('filters by status and upload time and orders by the API field names, ties by -id', async () => {
    const none = await listUploadsPage(db(), { customerId: A(), status: 'failed' }, [], page);
    expect(none).toEqual({ count: 0, rows: [] });
    const later = await listUploadsPage(
      db(),
      { customerId: null, uploadedAfter: new Date(Date.now() + 3_600_000) },
      [],
      page,
    );
    expect(later.count).toBe(0);
    const both = await listUploadsPage(
      db(),
      { customerId: null, status: 'success' },
      [{ field: 'row_count', descending: false }],
      page,
    );
    const ids = both.rows.map((u) => u.id);
    // Customer B's upload has 1 row, A's 8: ascending row_count puts B first.
    expect(ids.indexOf(fixtures.uploadB.id)).toBeLessThan(ids.indexOf(fixtures.uploadA.id));
  });

  it('finds an upload only within its tenant', async () => {
    expect((await findUploadScoped(db(), A(), fixtures.uploadA.id))?.id).toBe(fixtures.uploadA.id);
    expect(await findUploadScoped(db(), B(), fixtures.uploadA.id)).toBeUndefined();
    expect((await findUploadScoped(db(), null, fixtures.uploadA.id))?.id).toBe(fixtures.uploadA.id);
  });
});

describe('upload quality read model', () => {
  it('returns the report with the number of critical anomalies, scoped to the customer', async () => {
    const before = await loadUploadQuality(db(), A(), fixtures.uploadA.id);
    expect(before?.report.upload_id).toBe(fixtures.uploadA.id);
    expect(before?.report.total_rows).toBe(8);
    const baseCritical = before?.criticalAnomalies ?? 0;
    const anomaly = {
      anomalyType: 'volume_anomaly' as const,
      fieldName: null,
      anomalyScore: 0.9,
      confidence: 0.9,
      description: 'test',
      statisticalDetails: {},
      affectedRowCount: 1,
      recommendedAction: 'look',
    };
    await insertAnomalies(db(), A(), fixtures.uploadA.id, [
      { ...anomaly, severity: 'critical' },
      { ...anomaly, severity: 'critical' },
      { ...anomaly, severity: 'high' },
    ]);
    const after = await loadUploadQuality(db(), A(), fixtures.uploadA.id);
    expect(after?.criticalAnomalies).toBe(baseCritical + 2);
    expect(await loadUploadQuality(db(), B(), fixtures.uploadA.id)).toBeUndefined();
  });
});

describe('reports read model', () => {
  it('lists and orders a tenant’s runs with the count, NULLs last, ties by -id', async () => {
    const early = await insertBacktestRun(db(), A(), { asOf: '2024-01-08', parameters: {} });
    const late = await insertBacktestRun(db(), A(), { asOf: '2024-02-05', parameters: {} });
    const other = await insertBacktestRun(db(), B(), { asOf: '2024-02-05', parameters: {} });
    await updateRun(db(), A(), early.id, { status: 'running', started_at: new Date('2024-02-01T00:00:00Z') });

    const byAsOf = await listReports(
      db(),
      { customerId: A() },
      [{ field: 'as_of', descending: false }],
      page,
    );
    expect(byAsOf.count).toBe(2);
    expect(byAsOf.rows.map((r) => r.id)).toEqual([early.id, late.id]);
    // `late` never started: with NULLS LAST it comes after `early` in either direction.
    for (const descending of [true, false]) {
      const byStart = await listReports(
        db(),
        { customerId: A() },
        [{ field: 'started_at', descending }],
        page,
      );
      expect(byStart.rows.map((r) => r.id)).toEqual([early.id, late.id]);
    }
    const filtered = await listReports(db(), { customerId: null, asOf: '2024-02-05' }, [], page);
    expect(filtered.rows.map((r) => r.id)).toEqual([other.id, late.id]);
    const paged = await listReports(db(), { customerId: A() }, [], { limit: 1, offset: 1 });
    expect(paged).toMatchObject({ count: 2, rows: [{ id: early.id }] });

    expect((await findReportScoped(db(), A(), late.id))?.id).toBe(late.id);
    expect(await findReportScoped(db(), B(), late.id)).toBeUndefined();
  });
});

describe('exposed jobs', () => {
  it('finds the ingest job of an upload within the tenant and only of the listed kinds', async () => {
    const job = await db()
      .selectFrom('jobs')
      .select(['id', 'kind'])
      .where('customer_id', '=', A())
      .where('kind', '=', 'ingest-upload')
      .executeTakeFirstOrThrow();
    expect((await findExposedJob(db(), A(), job.id, ['ingest-upload']))?.id).toBe(job.id);
    expect((await findExposedJob(db(), null, job.id, ['ingest-upload']))?.id).toBe(job.id);
    expect(await findExposedJob(db(), B(), job.id, ['ingest-upload'])).toBeUndefined();
    expect(await findExposedJob(db(), A(), job.id, ['analysis'])).toBeUndefined();
  });
});

describe('audit log and uploader names', () => {
  it('pages the audit log newest first with filters and a next-page flag', async () => {
    const userId = fixtures.fx.users['owner_a'] ?? null;
    for (const n of [1, 2, 3]) {
      await recordAudit(db(), { action: 'read_model_test', userId, customerId: A(), metadata: { n } });
    }
    await recordAudit(db(), { action: 'read_model_test', userId: null, customerId: B(), metadata: { n: 4 } });
    const first = await auditLogPage(
      db(),
      { customerId: A(), action: 'read_model_test', username: 'OWNER_A', date: '' },
      1,
      2,
    );
    expect(first.hasNext).toBe(true);
    expect(first.rows.map((r) => r.metadata)).toEqual([{ n: 3 }, { n: 2 }]);
    expect(first.rows[0]).toMatchObject({ username: 'owner_a', customer_name: fixtures.fx.customerA.name });
    const second = await auditLogPage(
      db(),
      { customerId: A(), action: 'read_model_test', username: 'owner_a', date: '' },
      2,
      2,
    );
    expect(second).toMatchObject({ hasNext: false, rows: [{ metadata: { n: 1 } }] });
    const allTenants = await auditLogPage(
      db(),
      { customerId: null, action: 'read_model_test', username: '', date: '' },
      1,
      10,
    );
    expect(allTenants.rows).toHaveLength(4);
    const otherDay = await auditLogPage(
      db(),
      { customerId: null, action: 'read_model_test', username: '', date: '2000-01-01' },
      1,
      10,
    );
    expect(otherDay.rows).toEqual([]);
  });

  it('names users and the customer’s own tokens, never another tenant’s token', async () => {
    const ownerId = fixtures.fx.users['owner_a'] as number;
    const tokenA = await db()
      .insertInto('ingestion_tokens')
      .values({ customer_id: A(), name: 'nightly', prefix: 'aaaaaaaa', token_hash: 'x'.repeat(64) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const tokenB = await db()
      .insertInto('ingestion_tokens')
      .values({ customer_id: B(), name: 'foreign', prefix: 'bbbbbbbb', token_hash: 'y'.repeat(64) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const names = await uploaderNames(db(), A(), [
      { uploaded_by: ownerId, token_id: null },
      { uploaded_by: null, token_id: tokenA.id },
      { uploaded_by: null, token_id: tokenB.id },
    ]);
    expect(names.get(`u${ownerId}`)).toBe('owner_a');
    expect(names.get(`t${tokenA.id}`)).toBe('API token nightly');
    expect(names.has(`t${tokenB.id}`)).toBe(false);
  });
});
