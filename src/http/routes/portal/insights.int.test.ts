import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  type PortalClient,
} from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { insertSystemEvent } from '../../../db/repositories/analysis-runs.repository.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let fx: AccountFixtures;
let app: FastifyInstance;

beforeAll(async () => {
  services = await createTestServices({ env: { PORTAL_RATE_LIMIT: '10000/minute' } });
  fx = await createAccountFixtures(services.database.db);
  app = await buildApp(services);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

describe('/portal/insights/', () => {
  it('shows the empty state, then only the customer’s own events with escaped payloads', async () => {
    const viewer = await client('viewer_a');
    let page = await viewer.get('/portal/insights/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Insights Feed');
    expect(page.body).toContain('Cross-product system event activity');
    expect(page.body).toContain('No system events yet');
    expect(page.body).toContain('System events from all products will appear here as activity occurs.');

    const db = services.database.db;
    await insertSystemEvent(db, fx.customerA.id, 'driftwatch_signal_created', {
      title: 'DriftWatch: <script>alert(1)</script>',
      severity_label: 'high',
    });
    await insertSystemEvent(db, fx.customerB.id, 'ingestion_processed', { secret_b: 'only-for-b' });

    page = await viewer.get('/portal/insights/');
    expect(page.body).not.toContain('No system events yet');
    expect(page.body).toContain('DriftWatch Signal Created');
    expect(page.body).toContain('DriftWatch: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).not.toContain('only-for-b');
    expect(page.body).toMatch(/[A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} UTC/);

    const other = await client('viewer_b');
    const pageB = await other.get('/portal/insights/');
    expect(pageB.body).toContain('only-for-b');
    expect(pageB.body).not.toContain('alert(1)');
  });

  it('shows at most the 50 newest events', async () => {
    const db = services.database.db;
    for (let i = 0; i < 55; i++) {
      await insertSystemEvent(db, fx.customerA.id, 'report_generated', { n: `marker-${i}-end` });
    }
    const page = await (await client('analyst_a')).get('/portal/insights/');
    expect(page.body).toContain('marker-54-end');
    expect(page.body).not.toContain('marker-4-end');
    expect(page.body.match(/<article class="card">/g)).toHaveLength(50);
  });
});
