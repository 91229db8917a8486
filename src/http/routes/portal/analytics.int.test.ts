import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  type PortalClient,
} from '../../../../test/accounts.ts';
import { a1Claims, a12Claims, a16Claims, writeClaims } from '../../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { runAnalysis } from '../../../commands/run-analysis.ts';
import { setProductEnabled } from '../../../db/repositories/customers.repository.ts';
import { listFindings } from '../../../db/repositories/findings.repository.ts';
import { buildApp } from '../../app.ts';

const T = '2026-03-02';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
let findingA: number;

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', EMAIL_BACKEND: 'memory' },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  const db = services.database.db;
  const a = fx.customerA.id;
  await writeClaims(db, a, [...a1Claims(T), ...a12Claims(T), ...a16Claims(T)]);
  for (const product of ['driftwatch', 'denialscope', 'delayguard'] as const) {
    await runAnalysis({ db }, { customerId: a, product, asOf: T, runType: 'manual' });
  }
  const findings = await listFindings(db, a, { products: ['driftwatch'] });
  findingA = findings[0]!.id;
}, 60_000);

afterAll(async () => {
  await app.close();
  await services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

describe('product dashboards with data (analytics §13)', () => {
  it('DriftWatch shows cards, charts with data tables, evidence and recent findings', async () => {
    const c = await client('viewer_a');
    const r = await c.get('/portal/products/driftwatch/');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('DriftWatch');
    expect(r.body).toContain('Active findings');
    expect(r.body).toContain('Est. weekly revenue impact');
    expect(r.body).toContain('Sensitivity: Strict');
    expect(r.body).toContain('<svg class="chart"');
    expect(r.body).toContain('chart-baseline');
    expect(r.body).toContain('chart-marker');
    expect(r.body).toContain('Data table');
    expect(r.body).toContain('UnitedHealthcare');
    expect(r.body).toContain('+40.0 pts');
    expect(r.body).toContain('$4,100.00'); // 2,000.00 (A1) + 2,100.00 (BCBS E&M)
    expect(r.body).not.toContain('No drift findings yet');
    // viewers cannot run analyses
    expect(r.body).not.toContain('Run analysis now');
    expect(r.body).not.toMatch(/style="/);
    expect(r.body).not.toMatch(/<script/);
  });

  it('DenialScope shows the spec strings and the reason table', async () => {
    const c = await client('admin_a');
    const r = await c.get('/portal/products/denialscope/');
    expect(r.statusCode).toBe(200);
    for (const s of [
      'Total Denials',
      'Denied Dollars',
      'Top Payer',
      'Top denial reasons by payer',
      'Recent signals',
    ])
      expect(r.body).toContain(s);
    expect(r.body).toContain('CO-197');
    expect(r.body).toContain('Run analysis now');
    expect(r.body).toContain('Daily denied dollars');
  });

  it('DelayGuard shows the spec strings and signals', async () => {
    const c = await client('owner_a');
    const r = await c.get('/portal/products/delayguard/');
    expect(r.statusCode).toBe(200);
    for (const s of [
      'DelayGuard',
      'Payment delay drift detection',
      'Active Delay Signals',
      'Est. Cash at Risk',
    ])
      expect(r.body).toContain(s);
    expect(r.body).toContain('FastPay Insurance');
    expect(r.body).toContain('Weekly average days to payment');
  });

  it('Axis tiles show the latest run and findings by label', async () => {
    const c = await client('viewer_a');
    const r = await c.get('/portal/axis/');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`Latest run: ${T}`);
    expect(r.body).toContain('1 high');
    expect(r.body).toContain('Worst payer: UnitedHealthcare');
    expect(r.body).toContain('Open DriftWatch →');
  });

  it('finding detail shows evidence, statistics and interpretation; another tenant gets 404', async () => {
    const c = await client('viewer_a');
    const r = await c.get(`/portal/findings/${findingA}/`);
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('What This Means');
    expect(r.body).toContain('Investigate Today');
    expect(r.body).toContain('&lt; 0.001');
    expect(r.body).toContain('n = 50');
    expect(r.body).toContain('z_two_proportion');
    const b = await client('viewer_b');
    const foreign = await b.get(`/portal/findings/${findingA}/`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toContain('Page not found');
    expect((await c.get('/portal/findings/999999/')).statusCode).toBe(404);
  });

  it('drift feed lists findings with filters', async () => {
    const c = await client('viewer_a');
    const all = await c.get('/portal/drift-feed/');
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('Drift Feed');
    expect(all.body).toContain('UnitedHealthcare');
    expect(all.body).toContain('FastPay Insurance');
    const filtered = await c.get('/portal/drift-feed/?product=delayguard');
    expect(filtered.body).toContain('FastPay Insurance');
    expect(filtered.body).not.toContain('<td>UnitedHealthcare</td>');
    const typed = await c.get('/portal/drift-feed/?product=denialscope:new_denial_reason');
    expect(typed.statusCode).toBe(200);
    expect(typed.body).not.toContain('<td>FastPay Insurance</td>');
    expect(typed.body).toContain('value="denialscope:new_denial_reason" selected');
    const none = await c.get('/portal/drift-feed/?direction=improving&product=driftwatch');
    expect(none.body).toContain('No drift events detected yet');
  });

  it('reports lists the runs', async () => {
    const c = await client('viewer_a');
    const r = await c.get('/portal/reports/');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('View and manage your generated reports');
    expect(r.body).toContain('DenialScope');
    expect(r.body).toContain('success');
  });
});

describe('empty states (customer B has no runs)', () => {
  it('dashboards, feed, reports and Axis render empty states', async () => {
    const c = await client('viewer_b');
    const dw = await c.get('/portal/products/driftwatch/');
    expect(dw.statusCode).toBe(200);
    expect(dw.body).toContain('No drift findings yet. Run drift analysis to detect payer changes.');
    const ds = await c.get('/portal/products/denialscope/');
    expect(ds.body).toContain('No denials in the last 30 days.');
    expect(ds.body).toContain('No signals yet.');
    expect(ds.body).toContain('Last computed: Never');
    const dg = await c.get('/portal/products/delayguard/');
    expect(dg.body).toContain('Active Delay Signals');
    expect(dg.body).toContain('No payment delay signals yet.');
    const feed = await c.get('/portal/drift-feed/');
    expect(feed.body).toContain('No drift events detected yet');
    const reports = await c.get('/portal/reports/');
    expect(reports.body).toContain('No reports generated yet');
    const axis = await c.get('/portal/axis/');
    expect(axis.body).toContain('No analysis run yet');
  });
});

describe('access', () => {
  it('disabled product → 403 "Product not enabled" and hidden from nav and Axis', async () => {
    const db = services.database.db;
    await setProductEnabled(db, fx.customerA.id, 'denialscope', false);
    try {
      const c = await client('admin_a');
      const r = await c.get('/portal/products/denialscope/');
      expect(r.statusCode).toBe(403);
      expect(r.body).toContain('Product not enabled');
      expect(r.body).toContain('DenialScope is not enabled for A.');
      const axis = await c.get('/portal/axis/');
      const nav = /<nav class="site-nav"[\s\S]*?<\/nav>/.exec(axis.body)?.[0] ?? '';
      expect(nav).toContain('DriftWatch');
      expect(nav).not.toContain('DenialScope');
      expect(axis.body).not.toContain('Open DenialScope');
      // the feed only shows enabled products
      const feed = await c.get('/portal/drift-feed/');
      expect(feed.body).not.toContain('CO-197');
    } finally {
      await setProductEnabled(db, fx.customerA.id, 'denialscope', true);
    }
  });

  it('anonymous → login redirect', async () => {
    const r = await app.inject({ method: 'GET', url: '/portal/products/driftwatch/' });
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe('/portal/login/?next=/portal/products/driftwatch/');
  });

  it('viewer cannot run analysis (403); analyst starts it with the §10.2 flash, then "already running"', async () => {
    const v = await client('viewer_a');
    const denied = await v.post('/portal/reports/run/');
    expect(denied.statusCode).toBe(403);
    expect(denied.body).toContain('Permission denied');

    const a = await client('analyst_a');
    const first = await a.post('/portal/reports/run/');
    expect(first.statusCode).toBe(302);
    expect(first.headers.location).toBe('/portal/reports/');
    const page = await a.get('/portal/reports/');
    expect(page.body).toMatch(
      /Analysis started for (DriftWatch|DenialScope|DelayGuard)(, (DriftWatch|DenialScope|DelayGuard)){2}\. This page updates when it finishes\./,
    );
    expect(page.body).toContain('queued');
    expect(page.body).toContain('Analysis in progress.');
    const second = await a.post('/portal/reports/run/');
    expect(second.statusCode).toBe(302);
    const again = await a.get('/portal/reports/');
    expect(again.body).toContain('Analysis is already running.');
    const audit = await services.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'analysis_triggered')
      .execute();
    expect(audit.length).toBe(2);
  });
});
