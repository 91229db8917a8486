import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  type PortalClient,
} from '../../../../test/accounts.ts';
import { a1Claims, writeClaims } from '../../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { executeBacktestRun } from '../../../commands/backtest-drift-watch.ts';
import { findRun } from '../../../db/repositories/analysis-runs.repository.ts';
import { buildApp } from '../../app.ts';

const T = '2026-03-02';
const URL = '/portal/products/driftwatch/backtest/';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', EMAIL_BACKEND: 'memory' },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  await writeClaims(services.database.db, fx.customerA.id, a1Claims(T));
}, 60_000);

afterAll(async () => {
  await app.close();
  await services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

describe('DriftWatch backtest page (analytics §10.3)', () => {
  it('a viewer can open the form but cannot start a backtest', async () => {
    const c = await client('viewer_a');
    const form = await c.get(URL);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('DriftWatch backtest');
    expect(form.body).toContain('claims are replayed as stored today');
    expect(form.body).not.toContain('Run backtest');
    const post = await c.post(URL, { from: '2026-02-02', to: T });
    expect(post.statusCode).toBe(403);
  });

  it('the DriftWatch dashboard links to the backtest', async () => {
    const c = await client('viewer_a');
    const r = await c.get('/portal/products/driftwatch/');
    expect(r.body).toContain(`href="${URL}"`);
  });

  it('rejects bad dates with an error message', async () => {
    const c = await client('admin_a');
    const notDate = await c.post(URL, { from: 'yesterday', to: T });
    expect(notDate.statusCode).toBe(400);
    expect(notDate.body).toContain('From and to must be dates (YYYY-MM-DD).');
    const reversed = await c.post(URL, { from: T, to: '2026-02-02' });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.body).toContain('from must be on or before to');
    const future = await c.post(URL, { from: T, to: '2999-01-04' });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('to must not be in the future');
    const impossible = await c.post(URL, { from: '2026-02-30', to: T });
    expect(impossible.statusCode).toBe(400);
    expect(impossible.body).toContain('real calendar dates');
  });

  it('a valid request records a backtest run; the result page shows episodes and the chart', async () => {
    const c = await client('admin_a');
    const post = await c.post(URL, { from: '2026-02-02', to: T, sensitivity: 'strict' });
    expect(post.statusCode).toBe(302);
    const location = String(post.headers.location);
    const match = /^\/portal\/products\/driftwatch\/backtest\/(\d+)\/$/.exec(location);
    expect(match).not.toBeNull();
    const runId = Number(match![1]);
    const db = services.database.db;
    const run = await findRun(db, fx.customerA.id, runId);
    expect(run?.run_type).toBe('backtest');
    expect(run?.product).toBe('driftwatch');
    expect(run?.as_of).toBe(T);
    expect(run?.status).toBe('queued');
    expect(run?.job_id).not.toBeNull();
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'entity_id'])
      .where('customer_id', '=', fx.customerA.id)
      .where('action', '=', 'analysis_triggered')
      .execute();
    expect(audit.map((a) => a.entity_id)).toContain(String(runId));

    const pending = await c.get(location);
    expect(pending.statusCode).toBe(200);
    expect(pending.body).toContain('Backtest in progress');

    // What the `backtest` job does.
    await executeBacktestRun(db, fx.customerA.id, runId);
    const page = await c.get(location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Weeks replayed: 5');
    expect(page.body).toContain('Detection episodes');
    expect(page.body).toContain('UnitedHealthcare');
    expect(page.body).toContain('DENIAL_RATE');
    expect(page.body).toContain('degrading');
    expect(page.body).toContain('<svg class="chart"');
    expect(page.body).toContain('claims are replayed as stored today');
    expect(page.body).not.toContain('No drift episodes detected');

    // Viewers can read results; another customer's users cannot.
    const viewer = await client('viewer_a');
    expect((await viewer.get(location)).statusCode).toBe(200);
    const other = await client('viewer_b');
    expect((await other.get(location)).statusCode).toBe(404);
  });
});
