import { createServer, type Server } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { buildApp } from './app.ts';
import { isConnectionError } from './errors.ts';

/**
 * A database (or Redis) that is down or restarting answers 503 "unavailable" at once (issue 13 item 9),
 * not 500: the errors below are the real ones node-postgres raises in those situations.
 * ops/scale-out.ops.test.ts shows the same against a PostgreSQL that is stopped and started.
 */

let services: TestServices;
let app: FastifyInstance;
let closedPort = 0;
let hangUpServer: Server;
let hangUpPort = 0;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Runs one query through a pool on `port` and lets its error propagate, as a route would. */
async function queryOn(port: number): Promise<void> {
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'payrixa', connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } finally {
    await pool.end().catch(() => {});
  }
}

beforeAll(async () => {
  // A port nobody listens on: connecting is refused (a stopped PostgreSQL).
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  // A server that hangs up on every connection (PostgreSQL going down mid-handshake).
  hangUpServer = createServer((socket) => socket.destroy());
  hangUpPort = await listen(hangUpServer);

  services = await createTestServices({ env: { API_THROTTLE_ANON: '100000/hour' } });
  app = await buildApp(services, {
    extraRoutes: (instance) => {
      instance.get('/api/v1/test-db-refused/', () => queryOn(closedPort));
      instance.get('/portal/test-db-refused/', () => queryOn(closedPort));
      instance.get('/api/v1/test-db-hang-up/', () => queryOn(hangUpPort));
      instance.get('/api/v1/test-db-shutdown/', async () => {
        // What a session gets from `pg_ctl stop -m fast`: SQLSTATE 57P01.
        const error = new pg.DatabaseError('terminating connection due to administrator command', 0, 'error');
        error.code = '57P01';
        throw error;
      });
      instance.get('/api/v1/test-redis-down/', async () => {
        // What a command gets when Redis stays unreachable (settings of src/cache/redis.ts).
        const redis = new Redis(`redis://127.0.0.1:${closedPort}/0`, {
          lazyConnect: true,
          maxRetriesPerRequest: 2,
          retryStrategy: (times) => Math.min(times * 200, 2_000),
        });
        redis.on('error', () => {});
        try {
          await redis.get('anything');
        } finally {
          redis.disconnect();
        }
      });
      instance.get('/api/v1/test-plain-error/', async () => {
        throw new Error('Connection handling bug in a route');
      });
    },
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await new Promise<void>((resolve) => hangUpServer?.close(() => resolve()));
});

describe('database connection failures → 503', () => {
  it('a refused connection is 503 "unavailable" with Retry-After and the request id', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/test-db-refused/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({
      detail: 'Service temporarily unavailable.',
      code: 'unavailable',
      request_id: response.headers['x-request-id'],
    });
  });

  it('the portal shows the 503 page', async () => {
    const response = await app.inject({ method: 'GET', url: '/portal/test-db-refused/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('Service temporarily unavailable');
  });

  it('a connection closed by the server and an administrator shutdown are 503 too', async () => {
    for (const url of ['/api/v1/test-db-hang-up/', '/api/v1/test-db-shutdown/']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(503);
      expect((response.json() as { code: string }).code, url).toBe('unavailable');
    }
  });

  it('Redis unreachable (commands give up after their retries) is 503 too', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/test-redis-down/' });
    expect(response.statusCode).toBe(503);
    expect((response.json() as { code: string }).code).toBe('unavailable');
  });

  it('other errors stay 500, whatever their message says', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/test-plain-error/' });
    expect(response.statusCode).toBe(500);
    expect((response.json() as { code: string }).code).toBe('server_error');
  });

  it('recognises the errno and SQLSTATE families, and nothing else', () => {
    const withCode = (code: string) => Object.assign(new Error('x'), { code });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '08006', '08001', '57P03', '53300']) {
      expect(isConnectionError(withCode(code)), code).toBe(true);
    }
    expect(isConnectionError(new AggregateError([withCode('ECONNREFUSED')]))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    // Query errors are the request's or the code's problem, not an outage.
    for (const code of ['23505', '42P01', '57014', '22P02']) {
      expect(isConnectionError(withCode(code)), code).toBe(false);
    }
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });
});
