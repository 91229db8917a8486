import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, type TestServices } from '../../test/services.ts';
import type { Config } from '../config/env.ts';
import type { Services } from '../services.ts';
import { buildApp } from './app.ts';
import { proxyTrust } from './client-ip.ts';
import { requestScheme } from './plugins/https-redirect.ts';

// Production-like configuration (SECURE_SSL_REDIRECT and SESSION_COOKIE_SECURE default on).
const PRODUCTION_ENV = {
  PAYRIXA_ENV: 'production',
  SECRET_KEY: 'k7Qx9vR2mP4wT8yL1nB6cF3hJ5sD0gA-zE7uI2oK9qW4xV8tY1rM6pN3bH5jL0f',
  FIELD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  ALLOWED_HOSTS: 'payrixa.example',
  PORTAL_BASE_URL: 'https://payrixa.example',
  EMAIL_BACKEND: 'memory',
};
const HOST = 'payrixa.example';

let services: TestServices;
const apps: FastifyInstance[] = [];

async function appWith(overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const variant: Services = { ...services, config: { ...services.config, ...overrides } };
  const app = await buildApp(variant);
  apps.push(app);
  return app;
}

beforeAll(async () => {
  services = await createTestServices({ env: PRODUCTION_ENV });
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await services.dispose();
});

describe('HTTPS redirect (pipeline step 4)', () => {
  it('is on by default in production and keeps host, path and query', async () => {
    expect(services.config.secureSslRedirect).toBe(true);
    const app = await appWith();
    const response = await app.inject({
      method: 'GET',
      url: '/portal/login/?next=%2Fportal%2Fclaims%2F&x=1',
      headers: { host: HOST },
    });
    expect(response.statusCode).toBe(301);
    expect(response.headers.location).toBe(`https://${HOST}/portal/login/?next=%2Fportal%2Fclaims%2F&x=1`);
    expect(response.headers['strict-transport-security']).toBeUndefined();
    // Unsafe methods are redirected too: nothing is processed over plain HTTP.
    const post = await app.inject({ method: 'POST', url: '/api/v1/auth/token/', headers: { host: HOST } });
    expect(post.statusCode).toBe(301);
    expect(post.headers.location).toBe(`https://${HOST}/api/v1/auth/token/`);
  });

  it('a bad host is still 400, not a redirect to it', async () => {
    const app = await appWith();
    const response = await app.inject({
      method: 'GET',
      url: '/portal/login/',
      headers: { host: 'evil.example' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe('Bad Request (400)');
    expect(response.headers.location).toBeUndefined();
  });

  it('X-Forwarded-Proto: https from the trusted loopback proxy is served, with HSTS and a Secure session cookie', async () => {
    const app = await appWith();
    const response = await app.inject({
      method: 'GET',
      url: '/portal/login/',
      remoteAddress: '127.0.0.1',
      headers: { host: HOST, 'x-forwarded-proto': 'https' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const session = cookies.find((cookie) => cookie.startsWith('payrixa_session='));
    expect(session).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const csrf = cookies.find((cookie) => cookie.startsWith('payrixa_csrf='));
    expect(csrf).toContain('; Secure');
    expect(csrf).not.toContain('HttpOnly');
  });

  it('X-Forwarded-Proto from an untrusted peer is ignored', async () => {
    const notTrusted = await appWith({ trustProxy: { kind: 'none' } });
    const spoofed = await notTrusted.inject({
      method: 'GET',
      url: '/portal/login/',
      remoteAddress: '127.0.0.1',
      headers: { host: HOST, 'x-forwarded-proto': 'https' },
    });
    expect(spoofed.statusCode).toBe(301);
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();

    const cidr = await appWith({ trustProxy: { kind: 'cidrs', cidrs: ['10.0.0.0/8'] } });
    const outsider = await cidr.inject({
      method: 'GET',
      url: '/portal/login/',
      remoteAddress: '192.0.2.9',
      headers: { host: HOST, 'x-forwarded-proto': 'https' },
    });
    expect(outsider.statusCode).toBe(301);
    const proxy = await cidr.inject({
      method: 'GET',
      url: '/portal/login/',
      remoteAddress: '10.1.2.3',
      headers: { host: HOST, 'x-forwarded-proto': 'https' },
    });
    expect(proxy.statusCode).toBe(200);
  });

  it('health routes answer over plain HTTP', async () => {
    const app = await appWith();
    for (const url of ['/health/', '/healthz/', '/ping/', '/api/v1/health/']) {
      const response = await app.inject({ method: 'GET', url, headers: { host: HOST } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers.location, url).toBeUndefined();
    }
  });

  it('is off in development (and when SECURE_SSL_REDIRECT=false); no HSTS there', async () => {
    const development = await appWith({ env: 'development', isProduction: false, secureSslRedirect: false });
    const response = await development.inject({
      method: 'GET',
      url: '/portal/login/',
      headers: { host: HOST, 'x-forwarded-proto': 'https' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['strict-transport-security']).toBeUndefined();
    const plain = await development.inject({ method: 'GET', url: '/portal/login/', headers: { host: HOST } });
    expect(plain.statusCode).toBe(200);
  });
});

describe('requestScheme', () => {
  const loopback = proxyTrust({ kind: 'loopback' });
  it('trusts a unix-socket peer (nginx in production) like loopback', () => {
    expect(
      requestScheme(
        { socketAddress: undefined, encrypted: false, headers: { 'x-forwarded-proto': 'https' } },
        loopback,
      ),
    ).toBe('https');
  });
  it('takes the last entry and ignores anything but http/https', () => {
    const headers = { 'x-forwarded-proto': 'https, http' };
    expect(requestScheme({ socketAddress: '127.0.0.1', encrypted: false, headers }, loopback)).toBe('http');
    expect(
      requestScheme(
        { socketAddress: '127.0.0.1', encrypted: true, headers: { 'x-forwarded-proto': 'gopher' } },
        loopback,
      ),
    ).toBe('https');
  });
});

describe('favicon', () => {
  it('pages link the icon and /favicon.ico is answered, not 404', async () => {
    const app = await appWith();
    const proxied = { host: HOST, 'x-forwarded-proto': 'https' };
    const page = await app.inject({ method: 'GET', url: '/portal/login/', headers: proxied });
    expect(page.body).toContain('<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">');
    const icon = await app.inject({ method: 'GET', url: '/favicon.ico', headers: proxied });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    // ICO header: reserved 0, type 1 (icon), one image.
    expect([...icon.rawPayload.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
    const svg = await app.inject({ method: 'GET', url: '/static/img/favicon.svg', headers: proxied });
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });
});
