import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { a1Claims, writeClaims } from '../../../../test/analytics.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { waitFor } from '../../../../test/wait.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', EMAIL_BACKEND: 'memory' },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  await writeClaims(services.database.db, fx.customerA.id, a1Claims('2026-03-02'));
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

interface Progress {
  done: boolean;
  pending: Array<{ product: string; status: string; phase_label: string }>;
}

describe('analysis runs started from a dashboard show live progress (/portal/reports/progress/)', () => {
  it('lists the runs that have not finished, then reports done; the page then shows the results', async () => {
    const analyst = await loggedInClient(app, 'analyst_a');
    const idle = (await analyst.get('/portal/reports/progress/')).json() as Progress;
    expect(idle).toEqual({ done: true, pending: [] });

    // "Run analysis now" answers at once (the jobs are not even running yet).
    const run = await analyst.post('/portal/reports/run/');
    expect(run.statusCode).toBe(302);
    const page = await analyst.get('/portal/reports/');
    expect(page.body).toContain('id="analysis-progress"');
    expect(page.body).toContain('/static/js/analysis-progress.js');
    const queued = (await analyst.get('/portal/reports/progress/')).json() as Progress;
    expect(queued.done).toBe(false);
    expect(queued.pending.map((r) => r.product).sort()).toEqual(['DelayGuard', 'DenialScope', 'DriftWatch']);
    expect(queued.pending.every((r) => r.status === 'queued' && r.phase_label === 'Waiting to start')).toBe(
      true,
    );

    // Another customer's member sees none of them.
    const other = await loggedInClient(app, 'viewer_b');
    expect(((await other.get('/portal/reports/progress/')).json() as Progress).pending).toEqual([]);

    await services.startJobs({ queues: ['analysis'], scheduler: false });
    await waitFor(async () => ((await analyst.get('/portal/reports/progress/')).json() as Progress).done);
    const after = await analyst.get('/portal/reports/');
    expect(after.body).not.toContain('id="analysis-progress"');
    expect(after.body).toContain('run-ok');
  });

  it('is for signed-in portal users only', async () => {
    const response = await app.inject({ method: 'GET', url: '/portal/reports/progress/' });
    expect(response.statusCode).toBe(302);
  });
});
