import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, PASSWORD } from '../../../../test/accounts.ts';
import { a1Claims, a12Claims, a16Claims, writeClaims } from '../../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { runAnalysis } from '../../../commands/run-analysis.ts';
import { listFindings } from '../../../db/repositories/findings.repository.ts';
import { buildApp } from '../../app.ts';

const T = '2026-03-02';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
const bearers: Record<string, string> = {};

beforeAll(async () => {
  services = await createTestServices({
    env: { API_THROTTLE_ANON: '10000/hour', API_THROTTLE_USER: '10000/hour', EMAIL_BACKEND: 'memory' },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db, {
    productsA: ['driftwatch', 'denialscope', 'delayguard'],
  });
  const db = services.database.db;
  const a = fx.customerA.id;
  await writeClaims(db, a, [...a1Claims(T), ...a12Claims(T), ...a16Claims(T)]);
  for (const product of ['driftwatch', 'denialscope', 'delayguard'] as const)
    await runAnalysis({ db }, { customerId: a, product, asOf: T, runType: 'manual' });
  // B: one DriftWatch finding of its own
  await writeClaims(db, fx.customerB.id, a1Claims(T));
  await runAnalysis(
    { db },
    { customerId: fx.customerB.id, product: 'driftwatch', asOf: T, runType: 'manual' },
  );
}, 60_000);

afterAll(async () => {
  await app.close();
  await services.dispose();
});

async function auth(username: string): Promise<Record<string, string>> {
  if (!bearers[username]) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username, password: PASSWORD },
    });
    bearers[username] = (response.json() as { access: string }).access;
  }
  return { authorization: `Bearer ${bearers[username]}` };
}

async function get(username: string, url: string) {
  return app.inject({ method: 'GET', url, headers: await auth(username) });
}

describe('analytics API (web-api-ops §4.6, analytics §13.8)', () => {
  it('401 anonymous on reports and drift-events', async () => {
    for (const url of [
      '/api/v1/reports/',
      '/api/v1/drift-events/',
      '/api/v1/dashboard/',
      '/api/v1/findings/',
    ]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(401);
    }
  });

  it('reports list and detail are tenant scoped', async () => {
    const r = await get('viewer_a', '/api/v1/reports/');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.count).toBe(3);
    expect(Object.keys(body.results[0]).sort()).toEqual(
      ['as_of', 'drift_event_count', 'id', 'product', 'run_type', 'started_at', 'status'].sort(),
    );
    const dw = body.results.find((x: { product: string }) => x.product === 'driftwatch');
    expect(dw.drift_event_count).toBe(2);
    const detail = (await get('viewer_a', `/api/v1/reports/${dw.id}/`)).json();
    expect(detail).toMatchObject({ id: dw.id, customer: fx.customerA.id, status: 'success', artifacts: [] });
    expect(detail.drift_events).toHaveLength(2);
    const bRuns = (await get('viewer_b', '/api/v1/reports/')).json();
    expect(bRuns.count).toBe(1);
    expect((await get('viewer_b', `/api/v1/reports/${dw.id}/`)).statusCode).toBe(404);
    expect((await get('viewer_a', '/api/v1/reports/?product=nope')).statusCode).toBe(400);
    expect((await get('viewer_a', '/api/v1/reports/?as_of=2026-13-01')).statusCode).toBe(400);
    expect((await get('viewer_a', '/api/v1/reports/?ordering=bogus')).statusCode).toBe(400);
    expect((await get('viewer_a', '/api/v1/reports/?product=delayguard')).json().count).toBe(1);
  });

  it('drift-events: shape, filters, 400 on bad values, active/', async () => {
    const r = await get('viewer_a', '/api/v1/drift-events/');
    expect(r.statusCode).toBe(200);
    const events = r.json().results;
    expect(events).toHaveLength(2);
    const unh = events.find((e: { payer: string }) => e.payer === 'UnitedHealthcare');
    expect(unh).toMatchObject({
      customer: fx.customerA.id,
      drift_type: 'DENIAL_RATE',
      severity: 0.8,
      severity_label: 'HIGH',
      baseline_sample_size: 50,
      current_sample_size: 50,
      estimated_weekly_revenue_impact: '2000.00',
      fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
      direction: 'degrading',
    });
    expect(unh.created_at).toMatch(/Z$/);
    const high = (await get('viewer_a', '/api/v1/drift-events/?min_severity=0.5')).json();
    expect(high.results.map((e: { payer: string }) => e.payer)).toEqual(['UnitedHealthcare']);
    const bad = await get('viewer_a', '/api/v1/drift-events/?min_severity=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid', errors: { min_severity: expect.any(Array) } });
    expect((await get('viewer_a', '/api/v1/drift-events/?direction=sideways')).statusCode).toBe(400);
    expect((await get('viewer_a', '/api/v1/drift-events/?report_run=x')).statusCode).toBe(400);
    expect((await get('viewer_a', '/api/v1/drift-events/?payer=unitedhealthcare')).json().count).toBe(1);
    expect((await get('viewer_a', '/api/v1/drift-events/?drift_type=denial_rate')).json().count).toBe(2);
    const active = await get('viewer_a', '/api/v1/drift-events/active/');
    expect(active.statusCode).toBe(200);
    expect(Array.isArray(active.json())).toBe(true);
    expect(active.json()).toHaveLength(2);
    // tenant isolation: B sees only its own event; A's id → 404
    const bEvents = (await get('viewer_b', '/api/v1/drift-events/')).json();
    expect(bEvents.count).toBe(1);
    expect(bEvents.results[0].customer).toBe(fx.customerB.id);
    expect((await get('viewer_b', `/api/v1/drift-events/${unh.id}/`)).statusCode).toBe(404);
    expect((await get('viewer_a', `/api/v1/drift-events/${unh.id}/`)).json().id).toBe(unh.id);
  });

  it('denial-signals and delay-signals shapes and filters', async () => {
    const denial = (await get('viewer_a', '/api/v1/denial-signals/')).json();
    expect(denial.count).toBeGreaterThan(0);
    const d = denial.results[0];
    for (const key of [
      'id',
      'customer',
      'report_run',
      'signal_type',
      'payer',
      'denial_reason',
      'window_start',
      'window_end',
      'baseline_start',
      'baseline_end',
      'recent_value',
      'baseline_value',
      'relative_increase',
      'p_value',
      'severity',
      'confidence',
      'estimated_dollars',
      'summary_text',
      'details',
      'fingerprint',
      'created_at',
    ])
      expect(d).toHaveProperty(key);
    expect(['critical', 'high', 'medium', 'low']).toContain(d.severity);
    expect((await get('viewer_a', '/api/v1/denial-signals/?severity=huge')).statusCode).toBe(400);
    const delay = (await get('viewer_a', '/api/v1/delay-signals/')).json();
    expect(delay.count).toBe(1);
    expect(delay.results[0]).toMatchObject({
      payer: 'FastPay Insurance',
      signal_type: 'payment_delay_drift',
    });
    expect(delay.results[0]).toHaveProperty('data_quality_warnings');
    expect(delay.results[0].estimated_dollars_at_risk).toMatch(/^-?\d+\.\d{2}$/);
    expect((await get('viewer_a', '/api/v1/delay-signals/?report_run=abc')).statusCode).toBe(400);
    // B has DelayGuard enabled but no signals
    expect((await get('viewer_b', '/api/v1/delay-signals/')).json().count).toBe(0);
  });

  it('findings: unified read model', async () => {
    const r = (await get('viewer_a', '/api/v1/findings/')).json();
    expect(r.count).toBeGreaterThanOrEqual(4);
    const f = r.results.find((x: { product: string }) => x.product === 'delayguard');
    expect(f.id).toMatch(/^delayguard:\d+$/);
    expect(f.entity).toBe('FastPay Insurance');
    expect(f.api_url).toMatch(/\/api\/v1\/delay-signals\/\d+\/$/);
    expect(Object.keys(f).sort()).toEqual(
      [
        'api_url',
        'confidence',
        'detected_at',
        'entity',
        'id',
        'product',
        'severity_label',
        'signal_type',
        'summary',
      ].sort(),
    );
    expect((await get('viewer_a', '/api/v1/findings/?product=driftwatch')).json().count).toBe(2);
    expect(
      (await get('viewer_a', '/api/v1/findings/?severity_label=HIGH')).json().results.length,
    ).toBeGreaterThan(0);
    expect((await get('viewer_a', '/api/v1/findings/?product=x')).statusCode).toBe(400);
  });

  it('dashboard', async () => {
    const r = await get('viewer_a', '/api/v1/dashboard/');
    expect(r.statusCode).toBe(200);
    const d = r.json();
    expect(d).toMatchObject({
      total_uploads: 0,
      active_drift_events: 2,
      open_alerts: 0,
      recovered_this_month: '0.00',
    });
    expect(d.last_report_date).toMatch(/Z$/);
    expect(d.denial_rate_trend).toHaveLength(12);
    expect(d.top_drift_payers[0]).toEqual({
      payer: 'UnitedHealthcare',
      severity: 0.8,
      delta_value: expect.any(Number),
    });
    expect((await get('operator1', '/api/v1/dashboard/')).statusCode).toBe(400);
    expect(
      (await get('operator1', `/api/v1/dashboard/?customer=${fx.customerA.id}`)).json().active_drift_events,
    ).toBe(2);
    expect((await get('nomember', '/api/v1/dashboard/')).json().code).toBe('no_customer');
  });

  it('trigger: viewer 403, analyst 202 with status_url; job completes (§8 #35–36)', async () => {
    const denied = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/trigger/',
      headers: await auth('viewer_a'),
      payload: {},
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('permission_denied');

    const future = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/trigger/',
      headers: await auth('analyst_a'),
      payload: { as_of: '2999-01-01' },
    });
    expect(future.statusCode).toBe(400);
    const badProduct = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/trigger/',
      headers: await auth('analyst_a'),
      payload: { product: 'nope' },
    });
    expect(badProduct.statusCode).toBe(400);

    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/trigger/',
      headers: await auth('analyst_a'),
      payload: { product: 'delayguard', as_of: T },
    });
    expect(r.statusCode).toBe(202);
    const run = r.json();
    expect(run).toMatchObject({
      product: 'delayguard',
      status: 'queued',
      as_of: T,
      customer: fx.customerA.id,
    });
    expect(run.status_url).toMatch(new RegExp(`/api/v1/jobs/${run.job_id}/$`));
    expect(r.headers.location).toBe(run.status_url);

    const queued = (await get('analyst_a', `/api/v1/jobs/${run.job_id}/`)).json();
    expect(queued).toMatchObject({ id: run.job_id, kind: 'analysis', status: 'queued' });
    expect((await get('viewer_b', `/api/v1/jobs/${run.job_id}/`)).statusCode).toBe(404);

    await services.startJobs({ queues: ['analysis'], scheduler: false });
    let job = queued;
    for (let i = 0; i < 100 && job.status !== 'succeeded' && job.status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await get('analyst_a', `/api/v1/jobs/${run.job_id}/`)).json();
    }
    expect(job.status).toBe('succeeded');
    expect(job.result.report_run_id).toBe(run.id);
    expect((await get('analyst_a', `/api/v1/reports/${run.id}/`)).json().status).toBe('success');
    const findings = await listFindings(services.database.db, fx.customerA.id, { products: ['delayguard'] });
    expect(findings).toHaveLength(1);
  });
});

describe('analytics API on schemas (issue 11: items 6 and 7, declared response fields)', () => {
  it('trigger refuses a product that is not one string choice (no run, no job) and answers a relative status_url', async () => {
    const db = services.database.db;
    const runsBefore = await db.selectFrom('analysis_runs').select('id').execute();
    const jobsBefore = await db.selectFrom('jobs').select('id').execute();
    for (const payload of [{ product: ['denialscope'] }, { product: 7 }, { product: 'DenialScope ' }]) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/reports/trigger/',
        headers: await auth('analyst_a'),
        payload,
      });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json()).toMatchObject({ code: 'invalid', detail: 'Validation failed.' });
      expect(r.json().errors.product.length).toBeGreaterThan(0);
    }
    expect(await db.selectFrom('analysis_runs').select('id').execute()).toHaveLength(runsBefore.length);
    expect(await db.selectFrom('jobs').select('id').execute()).toHaveLength(jobsBefore.length);

    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/reports/trigger/',
      headers: await auth('analyst_a'),
      payload: { product: 'denialscope', as_of: '2026-02-23' },
    });
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body.product).toBe('denialscope');
    expect(body.status_url).toBe(`/api/v1/jobs/${body.job_id}/`);
    expect(r.headers.location).toBe(body.status_url);
  });

  it('every declared field of a report detail, a drift event, a job and the dashboard is in the body', async () => {
    const list = (await get('viewer_a', '/api/v1/reports/?product=driftwatch&ordering=as_of')).json();
    expect(Object.keys(list.results[0]).sort()).toEqual(
      ['as_of', 'drift_event_count', 'id', 'product', 'run_type', 'started_at', 'status'].sort(),
    );
    const detail = (await get('viewer_a', `/api/v1/reports/${list.results[0].id}/`)).json();
    expect(Object.keys(detail).sort()).toEqual(
      [
        'artifacts',
        'as_of',
        'customer',
        'drift_event_count',
        'drift_events',
        'duration_ms',
        'error_message',
        'finished_at',
        'id',
        'parameters',
        'product',
        'run_type',
        'started_at',
        'status',
        'summary_json',
      ].sort(),
    );
    // JSON objects pass through whole (not emptied by the serialiser).
    expect(Object.keys(detail.parameters).length).toBeGreaterThan(0);
    expect(Object.keys(detail.summary_json).length).toBeGreaterThan(0);
    expect(Object.keys(detail.drift_events[0])).toHaveLength(25);
    expect(detail.drift_events[0]).toMatchObject({
      report_run: detail.id,
      severity_label: expect.any(String),
    });

    const dashboard = (await get('viewer_a', '/api/v1/dashboard/')).json();
    expect(Object.keys(dashboard).sort()).toEqual(
      [
        'active_drift_events',
        'denial_rate_trend',
        'last_report_date',
        'open_alerts',
        'recovered_this_month',
        'top_drift_payers',
        'total_claims',
        'total_uploads',
      ].sort(),
    );
    expect(dashboard.total_claims).toBeGreaterThan(0);
    const week = dashboard.denial_rate_trend.at(-1);
    expect(Object.keys(week).sort()).toEqual(['denial_rate', 'denied_claims', 'total_claims', 'week_start']);
  });

  it('page_size above 200 is a 400 field error, not a silently shorter page', async () => {
    const r = await get('viewer_a', '/api/v1/drift-events/?page_size=201');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({
      code: 'invalid',
      errors: { page_size: [expect.stringContaining('200')] },
    });
    expect((await get('viewer_a', '/api/v1/drift-events/?page_size=200')).statusCode).toBe(200);
    expect((await get('viewer_a', '/api/v1/reports/?page_size=0')).statusCode).toBe(400);
  });

  it('hostile filters are 400s: NUL, over-long text, arrays for scalars', async () => {
    for (const url of [
      '/api/v1/drift-events/?payer=a%00b',
      `/api/v1/denial-signals/?payer=${'x'.repeat(201)}`,
      '/api/v1/findings/?payer=a&payer=b',
      '/api/v1/reports/?as_of=2026-02-30',
      '/api/v1/drift-events/?min_severity=1e999',
    ]) {
      const r = await get('viewer_a', url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().code, url).toBe('invalid');
    }
    // Choices are matched in any letter case, as before.
    expect((await get('viewer_a', '/api/v1/reports/?product=DriftWatch')).statusCode).toBe(200);
  });
});
