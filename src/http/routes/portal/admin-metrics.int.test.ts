import type { FastifyInstance } from 'fastify';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, loggedInClient, PortalClient } from '../../../../test/accounts.ts';
import { testRedisUrl } from '../../../../test/db.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { waitFor } from '../../../../test/wait.ts';
import { connectRedis } from '../../../cache/redis.ts';
import { insertJob } from '../../../db/repositories/jobs.repository.ts';
import { silentLogger } from '../../../obs/logger.ts';
import { RedisRequestStats } from '../../../obs/recent-requests.ts';
import type { MetricsView } from '../../../presenters/admin-metrics.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;

beforeAll(async () => {
  services = await createTestServices({ env: { PORTAL_RATE_LIMIT: '10000/minute' } });
  app = await buildApp(services);
  await createAccountFixtures(services.database.db);
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

const PAGE = '/portal/admin/metrics/';
const DATA = '/portal/admin/metrics/data/';
const TEST_ERROR = '/portal/admin/metrics/test-error/';

async function feed(client: PortalClient): Promise<MetricsView> {
  const response = await client.get(DATA, { 'x-payrixa-background': '1' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('application/json');
  return response.json() as MetricsView;
}

describe('access (checklist: non-staff cannot access metrics)', () => {
  it('staff get the dashboard with its headings and cards', async () => {
    const staff = await loggedInClient(app, 'operator1');
    const response = await staff.get(PAGE);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('📊 Metrics Dashboard');
    expect(response.body).toContain('System health and performance monitoring (Staff Only)');
    expect(response.body).toContain('Average Response Time');
    for (const label of [
      'p95 Response Time',
      'Requests (last hour)',
      'Error Rate (last hour)',
      'Active Users',
      'Slow Requests (last hour)',
      'Cache Hit Rate',
      'Recent Requests (Last 20)',
      'Request Counts by Endpoint',
      'Job Queues',
      'Latest Analysis Runs',
      'Activity (24 h)',
      'Software Versions',
      'Send test error to Sentry',
    ]) {
      expect(response.body).toContain(label);
    }
    expect(response.body).toMatch(/Last updated: <span[^>]*>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}<\/span> UTC/);
    // CSP script-src 'self': the refresh is a bundled script, never an inline one.
    expect(response.body).toContain('<script src="/static/js/admin-metrics.js" defer></script>');
    expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(response.body).toContain('class="active" aria-current="page">Metrics</a>');
  });

  it('a superuser gets it too', async () => {
    const admin = await loggedInClient(app, 'admin');
    expect((await admin.get(PAGE)).statusCode).toBe(200);
  });

  it('members get 403 on the page, the feed and the test error', async () => {
    for (const username of ['owner_a', 'viewer_a', 'nomember']) {
      const member = await loggedInClient(app, username);
      for (const response of [
        await member.get(PAGE),
        await member.get(DATA),
        await member.post(TEST_ERROR),
      ]) {
        expect(response.statusCode).toBe(403);
        expect(response.body).toContain('Permission denied');
      }
    }
  });

  it('anonymous visitors are sent to the login page', async () => {
    const anonymous = new PortalClient(app);
    const page = await anonymous.get(PAGE);
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/portal/login/?next=/portal/admin/metrics/');
    const data = await anonymous.get(DATA);
    expect(data.statusCode).toBe(302);
    expect(data.headers.location).toContain('/portal/login/');
  });
});

describe('Send test error to Sentry', () => {
  it('without a CSRF token is refused', async () => {
    const staff = await loggedInClient(app, 'operator1');
    const response = await staff.post(TEST_ERROR, {}, { csrf: false });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Forbidden (CSRF token missing or incorrect).');
  });

  it('with it fails on purpose: the 500 page with the request id, and an audit event', async () => {
    const staff = await loggedInClient(app, 'operator1');
    const response = await staff.post(TEST_ERROR);
    expect(response.statusCode).toBe(500);
    const requestId = String(response.headers['x-request-id']);
    expect(requestId).not.toBe('');
    expect(response.body).toContain('Something went wrong');
    expect(response.body).toContain(requestId);
    const audit = await services.database.db
      .selectFrom('audit_events')
      .select(['action', 'request_id'])
      .where('action', '=', 'sentry_test_error_sent')
      .execute();
    expect(audit).toEqual([{ action: 'sentry_test_error_sent', request_id: requestId }]);
  });
});

describe('recent requests and counters', () => {
  it('list the preceding requests with time, path without query, route template and user', async () => {
    const owner = await loggedInClient(app, 'owner_a');
    expect((await owner.get('/portal/claims/?payer=Secret%20Payer&cpt=99213')).statusCode).toBe(200);
    expect((await owner.get('/portal/alerts/987654/deep-dive/?q=zqmarkerz')).statusCode).toBe(404);
    expect((await owner.get('/portal/no-such-page/')).statusCode).toBe(404);
    expect((await owner.get('/static/css/payrixa.css')).statusCode).toBe(200);

    const staff = await loggedInClient(app, 'operator1');
    // The observer runs once the response is written; wait until the last request is in.
    const view = await waitFor(async () => {
      const v = await feed(staff);
      return v.recent_requests.some((r) => r.path === '/portal/no-such-page/') ? v : null;
    });
    const claims = view.recent_requests.find((r) => r.path === '/portal/claims/');
    expect(claims).toMatchObject({ method: 'GET', route: '/portal/claims/', status: 200, user: 'owner_a' });
    expect(claims?.time).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(claims?.duration).toMatch(/^\d+\.\d{2}ms$/);
    const deepDive = view.recent_requests.find((r) => r.path === '/portal/alerts/987654/deep-dive/');
    expect(deepDive).toMatchObject({
      route: '/portal/alerts/{id}/deep-dive/',
      status: 404,
      status_class: 'warning',
    });
    expect(view.recent_requests.find((r) => r.path === '/portal/no-such-page/')?.route).toBe('unmatched');
    // Static files and the feed itself are left out.
    expect(view.recent_requests.some((r) => r.path.startsWith('/static/'))).toBe(false);
    expect(view.recent_requests.some((r) => r.path === DATA)).toBe(false);

    // Newest first: the deep dive came after the claims page.
    const order = view.recent_requests.map((r) => r.path);
    expect(order.indexOf('/portal/alerts/987654/deep-dive/')).toBeLessThan(order.indexOf('/portal/claims/'));

    // Counters keyed by the real route templates, 4xx counted per endpoint.
    expect(view.endpoints).toContainEqual({ route: '/portal/claims/', requests: expect.any(Number) });
    expect(view.errors).toContainEqual({
      route: '/portal/alerts/{id}/deep-dive/',
      client_errors: 1,
      server_errors: 0,
    });
    expect(view.errors).toContainEqual({ route: 'unmatched', client_errors: 1, server_errors: 0 });

    // The page shows the same rows; query strings appear nowhere.
    const page = await staff.get(PAGE);
    expect(page.body).toContain(
      '<td title="/portal/alerts/{id}/deep-dive/">/portal/alerts/987654/deep-dive/</td>',
    );
    expect(page.body).toMatch(
      /<tr><td>\d{2}:\d{2}:\d{2}<\/td><td>GET<\/td><td title="\/portal\/claims\/">\/portal\/claims\/<\/td>/,
    );
    expect(page.body).toContain('❌ Error Counts by Endpoint');
    for (const body of [page.body, JSON.stringify(view)]) {
      expect(body).not.toContain('Secret');
      expect(body).not.toContain('99213');
      expect(body).not.toContain('zqmarkerz');
    }
  });

  it('counts server errors per endpoint and in the error rate', async () => {
    const staff = await loggedInClient(app, 'operator1');
    expect((await staff.post(TEST_ERROR)).statusCode).toBe(500);
    const view = await waitFor(async () => {
      const v = await feed(staff);
      return v.errors.some((e) => e.route === TEST_ERROR && e.server_errors >= 1) ? v : null;
    });
    const rate = view.cards.find((c) => c.key === 'error_rate');
    expect(rate?.value).toMatch(/^\d+\.\d{2}%$/);
    expect(rate?.value).not.toBe('0.00%');
    expect(view.recent_requests.find((r) => r.path === TEST_ERROR)).toMatchObject({
      status: 500,
      status_class: 'error',
    });
  });

  it('the feed has the documented shape', async () => {
    const staff = await loggedInClient(app, 'operator1');
    const view = await feed(staff);
    expect(view.last_updated).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(view.cards.map((c) => c.key)).toEqual([
      'avg_response',
      'p95_response',
      'requests',
      'error_rate',
      'active_users',
      'slow_requests',
      'cache_hit_rate',
    ]);
    expect(view.cards.find((c) => c.key === 'avg_response')?.value).toMatch(/^\d+\.\d{2}ms$/);
    expect(Number(view.cards.find((c) => c.key === 'active_users')?.value)).toBeGreaterThanOrEqual(1);
    expect(view.job_queues.map((q) => q.queue)).toEqual([
      'ingest',
      'analysis',
      'alerts',
      'webhooks',
      'reports',
      'maintenance',
    ]);
    expect(view.job_queues[0]).toEqual({
      queue: 'ingest',
      waiting: expect.any(Number),
      active: expect.any(Number),
      delayed: expect.any(Number),
      failed: expect.any(Number),
    });
    expect(view.analysis_runs.map((r) => r.product)).toEqual(['DenialScope', 'DriftWatch', 'DelayGuard']);
    expect(view.activity).toEqual({ uploads: 0, rows_ingested: 0, alerts_sent: 0, webhook_failures: 0 });
    expect(view.system.database.mode).toBe(services.database.kind === 'pglite' ? 'embedded' : 'external');
    expect(view.system.database.version).toMatch(/^\d+(\.\d+)?$/);
    expect(view.system.versions.node).toBe(process.version);
    expect(view.system.versions.redis).toMatch(services.redis ? /^\d+\.\d+/ : /^in-process$/);
    expect(view.system.cache.backend).toBe(services.cache.kind);
    // Session lookups are the `sessions` cache: a logged-in staff user has had hits.
    expect(view.system.cache.hits).toBeGreaterThan(0);
  });

  it('job queue counts come from the jobs table (waiting, delayed, failed per queue)', async () => {
    const job = (runAt: Date) => ({
      queue: 'reports',
      kind: 'metrics-dashboard-test',
      payload: {},
      customerId: null,
      uniqueKey: null,
      singletonKey: null,
      runAt,
      maxAttempts: 1,
      backoffMs: 1_000,
      requestId: null,
    });
    const db = services.database.db;
    const before = (await feed(await loggedInClient(app, 'operator1'))).job_queues.find(
      (q) => q.queue === 'reports',
    );
    await insertJob(db, job(new Date(Date.now() - 60_000)));
    await insertJob(db, job(new Date(Date.now() + 3_600_000)));
    const failed = await insertJob(db, job(new Date(Date.now() - 60_000)));
    await db.updateTable('jobs').set({ status: 'failed' }).where('id', '=', failed.job.id).execute();
    const after = (await feed(await loggedInClient(app, 'operator1'))).job_queues.find(
      (q) => q.queue === 'reports',
    );
    expect(after).toEqual({
      queue: 'reports',
      waiting: (before?.waiting ?? 0) + 1,
      active: before?.active ?? 0,
      delayed: (before?.delayed ?? 0) + 1,
      failed: (before?.failed ?? 0) + 1,
    });
    await db.deleteFrom('jobs').where('kind', '=', 'metrics-dashboard-test').execute();
  });

  it('payrixa_active_users and payrixa_cache_requests_total are on the registry', async () => {
    const staff = await loggedInClient(app, 'operator1');
    await staff.get(PAGE);
    await waitFor(async () => (await services.requestStats.activeUsers(new Date())) > 0);
    const active = await register.getSingleMetricAsString('payrixa_active_users');
    expect(active).toMatch(/^payrixa_active_users [1-9]\d*$/m);
    const cache = await register.getSingleMetricAsString('payrixa_cache_requests_total');
    expect(cache).toMatch(/^payrixa_cache_requests_total\{cache="sessions",result="hit"\} [1-9]\d*$/m);
  });
});

describe.skipIf(!testRedisUrl)('shared buffer on Redis', () => {
  it('two app instances sharing one Redis see each other’s requests', async () => {
    expect(services.requestStats.kind).toBe('redis');
    // A second web process: its own Redis connection and buffer object, the same prefix.
    const connection = await connectRedis(testRedisUrl as string);
    const second = await buildApp({
      ...services,
      requestStats: new RedisRequestStats(connection, services.config.redisPrefix, silentLogger()),
    });
    try {
      const viaSecond = await loggedInClient(second, 'viewer_b');
      expect((await viaSecond.get('/portal/insights/?from=second')).statusCode).toBe(200);
      const staffOnFirst = await loggedInClient(app, 'operator1');
      const view = await waitFor(async () => {
        const v = await feed(staffOnFirst);
        return v.recent_requests.some((r) => r.path === '/portal/insights/' && r.user === 'viewer_b')
          ? v
          : null;
      });
      expect(view.endpoints.some((e) => e.route === '/portal/insights/')).toBe(true);
      // …and the other way round.
      const staffOnSecond = await loggedInClient(second, 'admin');
      const fromSecond = await waitFor(async () => {
        const v = await feed(staffOnSecond);
        return v.recent_requests.some((r) => r.user === 'operator1') ? v : null;
      });
      expect(fromSecond.recent_requests.some((r) => r.path === PAGE || r.path === '/portal/login/')).toBe(
        true,
      );
    } finally {
      await second.close();
      await connection.quit();
    }
  });
});
