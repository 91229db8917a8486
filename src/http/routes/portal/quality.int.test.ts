import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedInClient, PASSWORD, type PortalClient } from '../../../../test/accounts.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import { createCustomer } from '../../../commands/create-customer.ts';
import { insertMembership } from '../../../db/repositories/memberships.repository.ts';
import { insertAnomalies } from '../../../db/repositories/quality.repository.ts';
import { insertUser } from '../../../db/repositories/users.repository.ts';
import { hashPassword } from '../../../domain/accounts/passwords.ts';
import { buildApp } from '../../app.ts';

let fixtures: ClaimsFixtures;
let app: FastifyInstance;

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  app = await buildApp(fixtures.services);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await fixtures?.services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

async function anomalyFor(customerId: number, uploadId: number, description: string): Promise<number> {
  const [row] = await insertAnomalies(fixtures.services.database.db, customerId, uploadId, [
    {
      anomalyType: 'duplicate_spike',
      fieldName: null,
      severity: 'critical',
      anomalyScore: 1,
      confidence: 0.9,
      description,
      statisticalDetails: {},
      affectedRowCount: 3,
      recommendedAction: 'Avoid re-exporting rows already uploaded',
    },
  ]);
  return row!.id;
}

async function auditActions(customerId: number): Promise<string[]> {
  const rows = await fixtures.services.database.db
    .selectFrom('audit_events')
    .select('action')
    .where('customer_id', '=', customerId)
    .execute();
  return rows.map((r) => r.action);
}

describe('/portal/quality/', () => {
  it('lets every role read the dashboard, upload report, anomalies and rules', async () => {
    const viewer = await client('viewer_a');
    const dashboard = await viewer.get('/portal/quality/');
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('Data Quality Dashboard');
    expect(dashboard.body).toContain('a.csv');
    expect(dashboard.body).toContain(`/portal/quality/uploads/${fixtures.uploadA.id}/`);
    expect(dashboard.body).not.toContain('b.csv');
    expect(dashboard.body).toContain('Health score');
    expect(dashboard.body).toMatch(/<strong>\d+<\/strong> \/ 100 · Grade <strong>[A-F][+]?<\/strong>/);
    expect(dashboard.body).toContain('Recommendations');

    const report = await viewer.get(`/portal/quality/uploads/${fixtures.uploadA.id}/`);
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('Quality report: a.csv');
    expect(report.body).toMatch(/Passed|Issues Found/);

    const rules = await viewer.get('/portal/quality/rules/');
    expect(rules.statusCode).toBe(200);
    expect(rules.body).toContain('REQ_PAYER');
    expect(rules.body).not.toContain('name="severity"');

    expect((await viewer.get('/portal/quality/anomalies/')).statusCode).toBe(200);
  });

  it('returns 404 for another customer’s upload and redirects old /quality/ paths', async () => {
    const viewer = await client('viewer_a');
    expect((await viewer.get(`/portal/quality/uploads/${fixtures.uploadB.id}/`)).statusCode).toBe(404);
    expect((await viewer.get('/portal/quality/uploads/abc/')).statusCode).toBe(404);
    const old = await app.inject({ method: 'GET', url: '/quality/anomalies/?days=60' });
    expect(old.statusCode).toBe(301);
    expect(old.headers.location).toBe('/portal/quality/anomalies/?days=60');
  });

  it('acknowledges anomalies for analysts with an audit event; viewers and other tenants cannot', async () => {
    const customerA = fixtures.fx.customerA.id;
    const id = await anomalyFor(customerA, fixtures.uploadA.id, 'Spike <b>A</b>');
    const idB = await anomalyFor(fixtures.fx.customerB.id, fixtures.uploadB.id, 'Spike of B');

    const viewer = await client('viewer_a');
    const page = await viewer.get('/portal/quality/anomalies/');
    expect(page.body).toContain('Spike &lt;b&gt;A&lt;/b&gt;');
    expect(page.body).not.toContain('Spike of B');
    expect(page.body).not.toContain('Acknowledge</button>');
    const denied = await viewer.post(`/portal/quality/api/anomalies/${id}/acknowledge/`, { notes: 'x' });
    expect(denied.statusCode).toBe(403);

    const analyst = await client('analyst_a');
    expect((await analyst.get('/portal/quality/anomalies/')).body).toContain('Acknowledge</button>');
    const noCsrf = await analyst.post(
      `/portal/quality/api/anomalies/${id}/acknowledge/`,
      {},
      { csrf: false },
    );
    expect(noCsrf.statusCode).toBe(403);
    expect(
      (await analyst.post(`/portal/quality/api/anomalies/${idB}/acknowledge/`, { notes: 'x' })).statusCode,
    ).toBe(404);

    const ok = await analyst.post(`/portal/quality/api/anomalies/${id}/acknowledge/`, { notes: 'checked' });
    expect(ok.statusCode).toBe(200);
    const body = ok.json() as { success: boolean; anomaly_id: number; acknowledged_at: string };
    expect(body.success).toBe(true);
    expect(body.anomaly_id).toBe(id);
    expect(Number.isNaN(Date.parse(body.acknowledged_at))).toBe(false);

    const row = await fixtures.services.database.db
      .selectFrom('data_anomalies')
      .selectAll()
      .where('customer_id', '=', customerA)
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.acknowledged).toBe(true);
    expect(row.acknowledged_by).toBe(fixtures.fx.users['analyst_a']);
    expect(row.resolution_notes).toBe('checked');
    expect(await auditActions(customerA)).toContain('anomaly_acknowledged');

    const rowB = await fixtures.services.database.db
      .selectFrom('data_anomalies')
      .select('acknowledged')
      .where('id', '=', idB)
      .executeTakeFirstOrThrow();
    expect(rowB.acknowledged).toBe(false);

    const id2 = await anomalyFor(customerA, fixtures.uploadA.id, 'Second spike');
    const form = await analyst.post(`/portal/quality/api/anomalies/${id2}/acknowledge/`, {
      next: `/portal/quality/uploads/${fixtures.uploadA.id}/`,
    });
    expect(form.statusCode).toBe(302);
    expect(form.headers.location).toBe(`/portal/quality/uploads/${fixtures.uploadA.id}/`);
  });

  it('lets owner/admin edit unlocked rules with an audit event; others get 403; locked rules stay', async () => {
    const customerA = fixtures.fx.customerA.id;
    for (const user of ['viewer_a', 'analyst_a']) {
      const c = await client(user);
      const r = await c.post('/portal/quality/rules/', { code: 'FMT_CPT', severity: 'error', enabled: 'on' });
      expect(r.statusCode).toBe(403);
    }
    const admin = await client('admin_a');
    expect((await admin.get('/portal/quality/rules/')).body).toContain('name="severity"');
    const updated = await admin.post('/portal/quality/rules/', { code: 'FMT_CPT', severity: 'info' });
    expect(updated.statusCode).toBe(302);
    expect((await admin.get('/portal/quality/rules/')).body).toContain('Rule FMT_CPT updated');
    const db = fixtures.services.database.db;
    const rule = await db
      .selectFrom('validation_rules')
      .select(['severity', 'enabled'])
      .where('customer_id', '=', customerA)
      .where('code', '=', 'FMT_CPT')
      .executeTakeFirstOrThrow();
    expect(rule).toEqual({ severity: 'info', enabled: false });
    expect(await auditActions(customerA)).toContain('validation_rule_updated');

    await admin.post('/portal/quality/rules/', { code: 'REQ_PAYER', severity: 'info' });
    const locked = await db
      .selectFrom('validation_rules')
      .select(['severity', 'enabled'])
      .where('customer_id', '=', customerA)
      .where('code', '=', 'REQ_PAYER')
      .executeTakeFirstOrThrow();
    expect(locked).toEqual({ severity: 'error', enabled: true });

    const ruleB = await db
      .selectFrom('validation_rules')
      .select('severity')
      .where('customer_id', '=', fixtures.fx.customerB.id)
      .where('code', '=', 'FMT_CPT')
      .executeTakeFirstOrThrow();
    expect(ruleB.severity).toBe('warning');
  });

  it('serves trends and chart data to viewers, scoped to the customer', async () => {
    const viewer = await client('viewer_a');
    const trends = await viewer.get('/portal/quality/trends/?days=7');
    expect(trends.statusCode).toBe(200);
    expect(trends.body).toContain('Not enough uploads to show a trend (need 14)');
    expect(trends.body).toContain(`/portal/quality/uploads/${fixtures.uploadA.id}/`);
    expect(trends.body).not.toContain(`/portal/quality/uploads/${fixtures.uploadB.id}/`);

    const metrics = await viewer.get(
      '/portal/quality/api/metrics/chart-data/?metric_type=completeness&days=30',
    );
    expect(metrics.statusCode).toBe(200);
    const m = metrics.json() as { labels: string[]; scores: number[]; grades: string[] };
    expect(m.labels.length).toBe(m.scores.length);
    expect(m.grades.length).toBe(m.scores.length);

    const validation = await viewer.get('/portal/quality/api/validation/chart-data/?days=30');
    expect(validation.statusCode).toBe(200);
    const v = validation.json() as { labels: string[]; counts: number[] };
    expect(v.labels.length).toBe(v.counts.length);
  });
});

describe('quality charts', () => {
  it('draws the 30-day quality trend on the dashboard and the score and metric charts on trends', async () => {
    const viewer = await client('viewer_a');
    const dashboard = await viewer.get('/portal/quality/');
    expect(dashboard.body).toContain('<h2>Quality Trend (30 Days)</h2>');
    expect(dashboard.body).toContain('<svg class="chart" id="chart-quality-trend"');
    expect(dashboard.body).toMatch(/<circle [^>]*><title>\d\d-\d\d #\d+: \d+%<\/title>/);
    expect(dashboard.body).toContain(`<td>#${fixtures.uploadA.id}</td>`);
    expect(dashboard.body).not.toContain(`<td>#${fixtures.uploadB.id}</td>`);

    const trends = await viewer.get('/portal/quality/trends/?days=30');
    expect(trends.body).toContain('<svg class="chart" id="chart-upload-scores"');
    // Processing writes today's metrics, so every metric has one point.
    for (const metric of ['completeness', 'validity', 'timeliness', 'uniqueness']) {
      expect(trends.body).toContain(`<svg class="chart" id="chart-metric-${metric}"`);
    }
    expect(trends.body).not.toContain('No uploads in this period.');
  });

  it('shows an empty state instead of a chart for a customer without uploads', async () => {
    const db = fixtures.services.database.db;
    const empty = await createCustomer(db, { name: 'Empty Clinic', products: [], actorUserId: null });
    const user = await insertUser(db, {
      username: 'viewer_empty',
      email: 'viewer_empty@example.com',
      passwordHash: await hashPassword(PASSWORD),
    });
    await insertMembership(db, empty.id, user.id, 'viewer');
    const viewer = await client('viewer_empty');

    const dashboard = await viewer.get('/portal/quality/');
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('No uploads in the last 30 days.');
    expect(dashboard.body).not.toContain('<svg class="chart"');

    const trends = await viewer.get('/portal/quality/trends/');
    expect(trends.statusCode).toBe(200);
    expect(trends.body).toContain('No uploads in this period.');
    expect(trends.body).toContain('No completeness scores in this period.');
    expect(trends.body).not.toContain('<svg class="chart"');
  });
});
