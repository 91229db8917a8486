import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures, PortalClient } from '../../test/accounts.ts';
import { GENEROUS_THROTTLES } from '../../test/api-app.ts';
import { ApiClient } from '../../test/api-client.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { buildApp } from '../http/app.ts';
import { HTTP_LATENCY_BUCKETS } from './metrics.ts';

/**
 * The metrics of web-api-ops §5.2 as a scrape of `/metrics` shows them after real requests, and
 * the protection of §5.3. The registry is prom-client's global one (fresh per test file).
 */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

/** A minimal reader of the Prometheus text format 0.0.4 (enough for our own output). */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const match of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[match[1] as string] = match[2] as string;
    }
    samples.push({ name: sample[1] as string, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

function series(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return series(scrape, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

/** Label names used by the samples of `name` (histogram `le` left out). */
function labelNames(scrape: Scrape, names: string[]): string[] {
  const keys = new Set<string>();
  for (const sample of scrape.samples.filter((s) => names.includes(s.name))) {
    for (const key of Object.keys(sample.labels)) if (key !== 'le') keys.add(key);
  }
  return [...keys].sort();
}

describe('Prometheus metrics (§5.2)', () => {
  let services: TestServices;
  let fx: AccountFixtures;
  let app: FastifyInstance;

  beforeAll(async () => {
    services = await createTestServices({
      env: {
        ...GENEROUS_THROTTLES,
        PORTAL_RATE_LIMIT: '5/minute',
        API_THROTTLE_ANON: '5/minute',
        LOGIN_MAX_FAILURES: '2',
        UPLOAD_RATE_LIMIT: '1/hour',
        INGEST_THROTTLE: '2/hour',
      },
    });
    fx = await createAccountFixtures(services.database.db);
    app = await buildApp(services, {
      extraRoutes: (instance) => {
        instance.get('/portal/boom/', async () => {
          throw new Error('kaboom');
        });
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await services?.dispose();
  });

  async function scrape(): Promise<Scrape> {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return parseExposition(response.body);
  }

  it('records requests by method, route template and status; health and /metrics are not recorded', async () => {
    const browser = new PortalClient(app, '10.0.0.1');
    const api = new ApiClient(app);
    expect((await browser.get('/portal/login/')).statusCode).toBe(200);
    expect((await browser.get('/no/such/page/123/?payer=John')).statusCode).toBe(404);
    expect((await browser.get('/static/css/payrixa.css')).statusCode).toBe(200);
    expect((await browser.get('/portal/boom/')).statusCode).toBe(500);
    expect((await api.call('owner_a', 'GET', '/api/v1/uploads/987654/')).statusCode).toBe(404);
    for (const url of ['/health/', '/healthz/', '/ping/', '/api/v1/health/', '/metrics']) {
      await app.inject({ method: 'GET', url });
    }

    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const metrics = parseExposition(response.body);

    const requests = (labels: Record<string, string>) =>
      value(metrics, 'payrixa_http_requests_total', labels);
    expect(requests({ method: 'GET', route: '/portal/login/', status: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(requests({ method: 'GET', route: '/static/*', status: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/portal/boom/', status: '500' })).toBe(1);
    expect(requests({ method: 'GET', route: '/api/v1/uploads/{id}/', status: '404' })).toBe(1);
    expect(
      value(metrics, 'payrixa_http_errors_total', { method: 'GET', route: '/portal/boom/', status: '500' }),
    ).toBe(1);
    // Only 5xx are errors.
    expect(series(metrics, 'payrixa_http_errors_total').every((s) => Number(s.labels['status']) >= 500)).toBe(
      true,
    );
    expect(
      value(metrics, 'payrixa_http_request_duration_seconds_count', {
        route: '/api/v1/uploads/{id}/',
        status: '404',
      }),
    ).toBe(1);

    const routes = new Set(series(metrics, 'payrixa_http_requests_total').map((s) => s.labels['route']));
    for (const unobserved of ['/health/', '/healthz/', '/ping/', '/api/v1/health/', '/metrics']) {
      expect(routes.has(unobserved)).toBe(false);
    }
    // Every request the scrape describes is one of the above (the token call included).
    expect([...routes].sort()).toEqual(
      [
        '/api/v1/auth/token/',
        '/api/v1/uploads/{id}/',
        '/portal/boom/',
        '/portal/login/',
        '/static/*',
        'unmatched',
      ].sort(),
    );
    // The scrape itself is not in flight: nothing else runs.
    expect(value(metrics, 'payrixa_http_requests_in_flight')).toBe(0);
  });

  it('exposes every metric of this module with the type and label names of §5.2', async () => {
    const metrics = await scrape();
    const expected: Array<[string, string, string[]]> = [
      ['payrixa_http_request_duration_seconds', 'histogram', ['method', 'route', 'status']],
      ['payrixa_http_requests_total', 'counter', ['method', 'route', 'status']],
      ['payrixa_http_errors_total', 'counter', ['method', 'route', 'status']],
      ['payrixa_http_requests_in_flight', 'gauge', []],
      ['payrixa_db_pool_connections', 'gauge', ['state']],
      ['payrixa_db_query_duration_seconds', 'histogram', ['operation']],
      ['payrixa_build_info', 'gauge', ['node_version', 'version']],
    ];
    for (const [name, type, labels] of expected) {
      expect(metrics.types.get(name), name).toBe(type);
      const sampleNames = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      expect(series(metrics, sampleNames[0] as string).length, name).toBeGreaterThan(0);
      expect(labelNames(metrics, sampleNames), name).toEqual(labels);
    }
    // The counters moved only by logins, throttles and CSRF are declared from the start.
    expect(metrics.types.get('payrixa_login_attempts_total')).toBe('counter');
    expect(metrics.types.get('payrixa_throttled_requests_total')).toBe('counter');
    expect(metrics.types.get('payrixa_csrf_failures_total')).toBe('counter');

    // The spec's latency buckets, exactly.
    const buckets = series(metrics, 'payrixa_http_request_duration_seconds_bucket', {
      route: '/portal/login/',
    }).map((s) => s.labels['le']);
    expect(buckets).toEqual([...HTTP_LATENCY_BUCKETS.map(String), '+Inf']);

    // Standard runtime collectors.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics.types.has(name), name).toBe(true);
    }
  });

  it('samples the database pool and times queries by statement kind', async () => {
    const metrics = await scrape();
    const states = series(metrics, 'payrixa_db_pool_connections').map((s) => s.labels['state']);
    expect(states.sort()).toEqual(['idle', 'total', 'waiting']);
    expect(value(metrics, 'payrixa_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    // The fixtures and the requests above ran selects and inserts.
    expect(
      value(metrics, 'payrixa_db_query_duration_seconds_count', { operation: 'select' }),
    ).toBeGreaterThan(0);
    expect(
      value(metrics, 'payrixa_db_query_duration_seconds_count', { operation: 'insert' }),
    ).toBeGreaterThan(0);
    for (const sample of series(metrics, 'payrixa_db_query_duration_seconds_count')) {
      expect(['select', 'insert', 'update', 'delete', 'other']).toContain(sample.labels['operation']);
    }
  });

  it('reports the build', async () => {
    const metrics = await scrape();
    expect(series(metrics, 'payrixa_build_info')).toEqual([
      {
        name: 'payrixa_build_info',
        labels: { version: services.config.version, node_version: process.version },
        value: 1,
      },
    ]);
  });

  it('counts login attempts by result, the lockout as a login throttle, and CSRF failures', async () => {
    const before = await scrape();
    const browser = new PortalClient(app, '10.0.0.2');
    expect((await browser.login('viewer_a')).statusCode).toBe(302);
    const stranger = new PortalClient(app, '10.0.0.3');
    expect((await stranger.login('analyst_a', 'wrong-password')).statusCode).toBe(200);
    expect((await stranger.login('analyst_a', 'wrong-password')).statusCode).toBe(200);
    // LOGIN_MAX_FAILURES=2: the third attempt is refused without checking the password.
    expect((await stranger.login('analyst_a')).statusCode).toBe(429);
    // A form without its CSRF token.
    const forger = new PortalClient(app, '10.0.0.4');
    await forger.get('/portal/login/');
    expect(
      (await forger.post('/portal/login/', { username: 'x', password: 'y' }, { csrf: false })).statusCode,
    ).toBe(403);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('payrixa_login_attempts_total', { result: 'success' })).toBe(1);
    expect(delta('payrixa_login_attempts_total', { result: 'failure' })).toBe(2);
    expect(delta('payrixa_login_attempts_total', { result: 'locked' })).toBe(1);
    expect(delta('payrixa_throttled_requests_total', { scope: 'login' })).toBe(1);
    expect(delta('payrixa_csrf_failures_total')).toBe(1);
  });

  it('counts requests refused by a rate limit by scope', async () => {
    const before = await scrape();
    const browser = new PortalClient(app, '10.0.0.5');
    const statuses: number[] = [];
    // PORTAL_RATE_LIMIT=5/minute for this address.
    for (let i = 0; i < 7; i++) statuses.push((await browser.get('/portal/login/')).statusCode);
    expect(statuses.filter((status) => status === 429)).toHaveLength(2);
    const after = await scrape();
    expect(
      value(after, 'payrixa_throttled_requests_total', { scope: 'portal' }) -
        value(before, 'payrixa_throttled_requests_total', { scope: 'portal' }),
    ).toBe(2);
  });

  it('counts anonymous API, ingestion and upload limits under their own scopes', async () => {
    const before = await scrape();
    const anonymous: number[] = [];
    // API_THROTTLE_ANON=5/minute for this address.
    for (let i = 0; i < 7; i++) {
      const response = await app.inject({
        method: 'GET',
        url: '/api/v1/uploads/',
        remoteAddress: '10.0.0.6',
      });
      anonymous.push(response.statusCode);
    }
    expect(anonymous.filter((status) => status === 429)).toHaveLength(2);

    const api = new ApiClient(app);
    const created = await api.call('owner_a', 'POST', '/api/v1/ingestion-tokens/', { name: 'feed' });
    expect(created.statusCode).toBe(201);
    const token = (created.json() as { token: string }).token;
    const send = (claimId: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/ingest/webhook/',
        headers: { 'x-ingestion-token': token, 'content-type': 'application/json' },
        payload: JSON.stringify([
          {
            claim_id: claimId,
            payer: 'Aetna',
            cpt: '99213',
            submitted_date: '2024-03-01',
            decided_date: '2024-03-10',
            outcome: 'PAID',
            allowed_amount: 120.5,
          },
        ]),
      });
    expect((await send('M-1')).statusCode).toBe(202);
    // UPLOAD_RATE_LIMIT=1/hour: the customer's second upload is refused…
    expect((await send('M-2')).statusCode).toBe(429);
    // …and INGEST_THROTTLE=2/hour refuses the token's third request before that.
    expect((await send('M-3')).statusCode).toBe(429);

    const after = await scrape();
    const delta = (scope: string) =>
      value(after, 'payrixa_throttled_requests_total', { scope }) -
      value(before, 'payrixa_throttled_requests_total', { scope });
    expect(delta('api_anon')).toBe(2);
    expect(delta('upload')).toBe(1);
    expect(delta('ingest')).toBe(1);
    expect(delta('api_user')).toBe(0);
  });

  it('never puts an id, a username or a query string in a label value', async () => {
    const metrics = await scrape();
    const usernames = Object.keys(fx.users);
    for (const sample of metrics.samples.filter((s) => s.name.startsWith('payrixa_'))) {
      for (const [key, labelValue] of Object.entries(sample.labels)) {
        if (key === 'le' || key === 'version' || key === 'node_version') continue;
        expect(labelValue, `${sample.name} ${key}`).not.toMatch(/\/\d+(\/|$)/);
        expect(labelValue).not.toContain('?');
        expect(usernames).not.toContain(labelValue);
      }
    }
  });
});

describe('/metrics protection (§5.3)', () => {
  let services: TestServices;

  beforeAll(async () => {
    services = await createTestServices({ env: { METRICS_TOKEN: 'scrape-secret-1234' } });
  });
  afterAll(async () => {
    await services?.dispose();
  });

  it('with METRICS_TOKEN: 401 plain Unauthorized without or with a wrong bearer, 200 with it', async () => {
    const app = await buildApp(services);
    try {
      const missing = await app.inject({ method: 'GET', url: '/metrics' });
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(missing.body).toBe('Unauthorized');
      const wrong = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-secret-1235' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toBe('Unauthorized');
      const prefix = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-secret' },
      });
      expect(prefix.statusCode).toBe(401);
      const right = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-secret-1234' },
      });
      expect(right.statusCode).toBe(200);
      expect(right.body).toContain('# TYPE payrixa_http_requests_total counter');
      // No session is created for a scrape.
      expect(right.headers['set-cookie']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('METRICS_ENABLED=false: 404', async () => {
    const app = await buildApp({
      ...services,
      config: { ...services.config, metrics: { enabled: false, token: null } },
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('payrixa_http_requests_total');
    } finally {
      await app.close();
    }
  });
});
