import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { buildApp } from './app.ts';

let services: TestServices;
let app: FastifyInstance;

beforeAll(async () => {
  services = await createTestServices();
  app = await buildApp(services, {
    extraRoutes: (instance) => {
      instance.get('/api/v1/boom/', async () => {
        throw new Error('row 4 ssn 123-45-6789 exploded');
      });
      instance.get('/portal/boom/', async () => {
        throw new Error('kaboom');
      });
    },
  });
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

describe('root health routes', () => {
  for (const url of ['/health/', '/healthz/', '/ping/']) {
    it(`${url} answers healthy JSON with a fractional timestamp and no request headers`, async () => {
      const before = Date.now() / 1000;
      const response = await app.inject({ method: 'GET', url, headers: { host: 'anything.example' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatch(/^\{"status":"healthy","timestamp":\d+\.\d{1,3}\}$/);
      const body = JSON.parse(response.body) as { status: string; timestamp: number };
      expect(Object.keys(body)).toEqual(['status', 'timestamp']);
      expect(body.timestamp).toBeGreaterThanOrEqual(Math.floor(before));
      expect(response.headers['x-request-id']).toBeUndefined();
      expect(response.headers['x-request-duration-ms']).toBeUndefined();
      expect(response.headers['content-security-policy']).toBeUndefined();
    });
  }

  it('answers any method; HEAD without a body', async () => {
    const post = await app.inject({ method: 'POST', url: '/health/' });
    expect(post.statusCode).toBe(200);
    const head = await app.inject({ method: 'HEAD', url: '/ping/' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('/api/v1/health/', () => {
  it('reports version and dependency checks with request id and duration headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/health/' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as Record<string, unknown>;
    expect(body).toEqual({
      status: 'healthy',
      version: '1.0.0',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      checks: { database: 'ok', redis: services.redis ? 'ok' : 'in-process' },
    });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers['x-request-duration-ms']).toMatch(/^\d+\.\d{2}$/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('honours a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const good = await app.inject({
      method: 'GET',
      url: '/api/v1/health/',
      headers: { 'x-request-id': 'nginx-abc.123' },
    });
    expect(good.headers['x-request-id']).toBe('nginx-abc.123');
    const bad = await app.inject({
      method: 'GET',
      url: '/api/v1/health/',
      headers: { 'x-request-id': 'bad id<script>' },
    });
    expect(bad.headers['x-request-id']).not.toBe('bad id<script>');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request pipeline', () => {
  it('rejects a Host outside ALLOWED_HOSTS with plain 400', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/health/',
      headers: { host: 'evil.example' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe('Bad Request (400)');
    expect(response.headers['x-request-duration-ms']).toMatch(/^\d+\.\d{2}$/);
  });

  it('redirects / to the portal and a slash-less GET to the slash form with the query kept', async () => {
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/portal/');
    const noSlash = await app.inject({ method: 'GET', url: '/api/v1/health?x=1' });
    expect(noSlash.statusCode).toBe(301);
    expect(noSlash.headers.location).toBe('/api/v1/health/?x=1');
    expect(noSlash.headers['x-request-duration-ms']).toMatch(/^\d+\.\d{2}$/);
    const postNoSlash = await app.inject({ method: 'POST', url: '/api/v1/health' });
    expect(postNoSlash.statusCode).toBe(404);
  });

  it('answers unknown API paths with problem JSON and portal paths with a page', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/v1/nothing/' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    const page = await app.inject({ method: 'GET', url: '/portal/nothing/' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Page not found');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('turns an unhandled error into a 500 with the request id and no internal details', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/v1/boom/' });
    expect(api.statusCode).toBe(500);
    const body = api.json() as Record<string, string>;
    expect(body).toEqual({
      detail: 'Internal server error.',
      code: 'server_error',
      request_id: api.headers['x-request-id'],
    });
    expect(api.body).not.toContain('123-45-6789');
    const page = await app.inject({ method: 'GET', url: '/portal/boom/' });
    expect(page.statusCode).toBe(500);
    expect(page.body).toContain(String(page.headers['x-request-id']));
    expect(page.body).not.toContain('kaboom');
  });

  it('serves static files and a malformed JSON body is a 400 problem, not a crash', async () => {
    const css = await app.inject({ method: 'GET', url: '/static/css/payrixa.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['x-request-id']).toBeDefined();
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/health/',
      headers: { 'content-type': 'application/json' },
      payload: '{"broken":',
    });
    expect([400, 404]).toContain(malformed.statusCode);
  });
});

describe('health when the database is down', () => {
  it('answers 503 degraded naming the database, while root health stays up', async () => {
    const down = await createTestServices();
    const downApp = await buildApp(down);
    try {
      await down.database.close();
      const response = await downApp.inject({ method: 'GET', url: '/api/v1/health/' });
      expect(response.statusCode).toBe(503);
      const body = response.json() as { status: string; checks: { database: string } };
      expect(body.status).toBe('degraded');
      expect(body.checks.database).toBe('error');
      const root = await downApp.inject({ method: 'GET', url: '/health/' });
      expect(root.statusCode).toBe(200);
    } finally {
      await downApp.close();
      await down.dispose();
    }
  });
});
