import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  FakeClock,
  PASSWORD,
  PortalClient,
} from '../../../../test/accounts.ts';
import { multipartBody } from '../../../../test/multipart.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { buildApp } from '../../app.ts';
import { paginateArray } from '../../pagination.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
const clock = new FakeClock();

beforeAll(async () => {
  services = await createTestServices({
    env: { API_THROTTLE_ANON: '10000/hour', PORTAL_RATE_LIMIT: '10000/minute' },
  });
  services.clock = clock;
  app = await buildApp(services, {
    extraRoutes: (instance) => {
      instance.get('/api/v1/test-scope/', { preHandler: apiScope() }, async (request) => ({
        customer: request.apiCustomerId,
      }));
      instance.post(
        '/api/v1/test-write/',
        { preHandler: apiScope({ permission: 'run_analysis', requireCustomer: true }) },
        async (request, reply) => reply.code(202).send({ customer: request.apiCustomerId }),
      );
      instance.get('/api/v1/test-items/', async (request) =>
        paginateArray(
          request,
          Array.from({ length: 120 }, (_, i) => ({ id: i + 1 })),
        ),
      );
    },
  });
  fx = await createAccountFixtures(services.database.db);
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

async function tokens(username: string, password = PASSWORD) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token/',
    payload: { username, password },
  });
  return { response, body: response.json() as { access: string; refresh: string } };
}

describe('JWT endpoints', () => {
  it('issues a pair for JSON, form and email logins (§8 #23)', async () => {
    const json = await tokens('viewer_a');
    expect(json.response.statusCode).toBe(200);
    expect(Object.keys(json.body).sort()).toEqual(['access', 'refresh']);
    const form = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=viewer_a&password=${encodeURIComponent(PASSWORD)}`,
    });
    expect(form.statusCode).toBe(200);
    const multipart = multipartBody([
      { name: 'username', value: 'viewer_a' },
      { name: 'password', value: PASSWORD },
    ]);
    const viaMultipart = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': multipart.contentType },
      payload: multipart.payload,
    });
    expect(viaMultipart.statusCode).toBe(200);
    expect(Object.keys(viaMultipart.json()).sort()).toEqual(['access', 'refresh']);
    expect((await tokens('viewer_a@example.com')).response.statusCode).toBe(200);
    expect(json.response.headers['cache-control']).toBe('no-store');
  });

  it('refuses wrong passwords and unknown users with no_active_account (§8 #24)', async () => {
    for (const [username, password] of [
      ['viewer_a', 'wrong-password-1'],
      ['ghost', PASSWORD],
    ]) {
      const { response } = await tokens(username as string, password as string);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        detail: 'No active account found with the given credentials',
        code: 'no_active_account',
      });
    }
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'x' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      code: 'invalid',
      errors: { password: ['This field is required.'] },
    });
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expect(malformed.statusCode).toBe(400);
    const xml = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
  });

  it('rotates refresh tokens and revokes the family on reuse (§8 #25)', async () => {
    const { body } = await tokens('analyst_a');
    const r1 = body.refresh;
    const first = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/refresh/',
      payload: { refresh: r1 },
    });
    expect(first.statusCode).toBe(200);
    const r2 = (first.json() as { refresh: string; access: string }).refresh;
    expect(r2).not.toBe(r1);
    const reuse = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/refresh/',
      payload: { refresh: r1 },
    });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
    const afterReuse = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/refresh/',
      payload: { refresh: r2 },
    });
    expect(afterReuse.statusCode).toBe(401);
    const audit = await services.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'jwt_refresh_reuse_detected')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.user_id).toBe(fx.users['analyst_a']);
  });

  it('verifies tokens and rejects junk (§8 #26) and expired access tokens (§8 #27)', async () => {
    const { body } = await tokens('owner_a');
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/refresh/',
      payload: { refresh: 'invalid-token' },
    });
    expect(bad.statusCode).toBe(401);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/verify/',
      payload: { token: body.access },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({});
    // A refresh token is not an access token.
    const wrongType = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: { authorization: `Bearer ${body.refresh}` },
    });
    expect(wrongType.statusCode).toBe(401);
    expect(wrongType.json()).toMatchObject({ code: 'token_not_valid' });
    clock.advance(31 * 60_000);
    const expired = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: { authorization: `Bearer ${body.access}` },
    });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
    });
    const revoke = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/revoke/',
      payload: { refresh: body.refresh },
    });
    expect(revoke.statusCode).toBe(200);
    const refreshAfterRevoke = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/refresh/',
      payload: { refresh: body.refresh },
    });
    expect(refreshAfterRevoke.statusCode).toBe(401);
  });

  it('locks the API login too, with login_locked', async () => {
    for (let i = 0; i < 5; i++) await tokens('admin_a', 'bad-password-x');
    const locked = await tokens('admin_a');
    expect(locked.response.statusCode).toBe(429);
    expect(locked.response.json()).toEqual({
      detail: 'Too many failed login attempts. Try again in 15 minutes.',
      code: 'login_locked',
    });
    expect(Number(locked.response.headers['retry-after'])).toBeLessThanOrEqual(900);
  });
});

describe('API authentication', () => {
  it('answers 401 with the Bearer challenge (§8 #28)', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/me/' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(anonymous.json()).toEqual({
      detail: 'Authentication credentials were not provided.',
      code: 'not_authenticated',
    });
    const invalid = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: { authorization: 'Bearer invalid-token' },
    });
    expect(invalid.statusCode).toBe(401);
    expect(invalid.json()).toMatchObject({ code: 'token_not_valid' });
  });

  it('returns me/ with the permission map', async () => {
    const { body } = await tokens('viewer_a');
    const me = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: { authorization: `Bearer ${body.access}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      id: fx.users['viewer_a'],
      username: 'viewer_a',
      email: 'viewer_a@example.com',
      first_name: '',
      last_name: '',
      is_staff: false,
      is_superuser: false,
      customer: { id: fx.customerA.id, name: 'A' },
      role: 'viewer',
      permissions: {
        can_view_reports: true,
        can_upload_claims: false,
        can_manage_mappings: false,
        can_run_analysis: false,
        can_triage_alerts: false,
        can_manage_alerts: false,
        can_manage_webhooks: false,
        can_manage_users: false,
        can_manage_configuration: false,
      },
      is_owner: false,
      is_admin: false,
    });
    const nomember = await tokens('nomember');
    const meNo = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: { authorization: `Bearer ${nomember.body.access}` },
    });
    expect(meNo.json()).toMatchObject({ customer: null, role: null, is_owner: false, is_admin: false });
    const index = await app.inject({
      method: 'GET',
      url: '/api/v1/',
      headers: { authorization: `Bearer ${body.access}` },
    });
    expect(index.statusCode).toBe(200);
    expect((index.json() as Record<string, string>)['me']).toBe('http://localhost/api/v1/me/');
  });

  it('accepts the session cookie and requires CSRF for unsafe session requests (§8 #12)', async () => {
    const client = new PortalClient(app, '10.2.0.1');
    await client.login('owner_a');
    const me = await client.get('/api/v1/me/');
    expect(me.statusCode).toBe(200);
    expect((me.json() as { username: string }).username).toBe('owner_a');
    const noToken = await app.inject({
      method: 'POST',
      url: '/api/v1/me/',
      headers: {
        cookie: `payrixa_session=${client.cookies.get('payrixa_session')}`,
        'content-type': 'application/json',
      },
      payload: '{}',
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json()).toEqual({
      detail: 'CSRF Failed: CSRF token missing or incorrect.',
      code: 'csrf_failed',
    });
    const withToken = await app.inject({
      method: 'POST',
      url: '/api/v1/me/',
      headers: {
        cookie: `payrixa_session=${client.cookies.get('payrixa_session')}`,
        'content-type': 'application/json',
        'x-csrf-token': client.cookies.get('payrixa_csrf') ?? '',
      },
      payload: '{}',
    });
    expect(withToken.statusCode).not.toBe(403);
    // A bearer header wins over the cookie and needs no CSRF.
    const { body } = await tokens('viewer_a');
    const bearer = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: {
        cookie: `payrixa_session=${client.cookies.get('payrixa_session')}`,
        authorization: `Bearer ${body.access}`,
      },
    });
    expect((bearer.json() as { username: string }).username).toBe('viewer_a');
  });

  it('ends JWTs when the password is reset (tokens_valid_after)', async () => {
    const { body } = await tokens('viewer_b');
    clock.advance(2000);
    await services.database.db
      .updateTable('users')
      .set({ tokens_valid_after: clock.now() })
      .where('id', '=', fx.users['viewer_b'] as number)
      .execute();
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/me/',
      headers: { authorization: `Bearer ${body.access}` },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('API tenancy helper (§4.4)', () => {
  const bearer = async (username: string) => ({
    authorization: `Bearer ${(await tokens(username)).body.access}`,
  });

  it('confines members, lets staff pick a customer, refuses unlinked users', async () => {
    const viewer = await bearer('viewer_a');
    const own = await app.inject({
      method: 'GET',
      url: `/api/v1/test-scope/?customer=${fx.customerB.id}`,
      headers: viewer,
    });
    expect(own.json()).toEqual({ customer: fx.customerA.id });
    const operator = await bearer('operator1');
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/test-scope/', headers: operator })).json(),
    ).toEqual({ customer: null });
    expect(
      (
        await app.inject({
          method: 'GET',
          url: `/api/v1/test-scope/?customer=${fx.customerB.id}`,
          headers: operator,
        })
      ).json(),
    ).toEqual({ customer: fx.customerB.id });
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/test-scope/?customer=99999', headers: operator }))
        .statusCode,
    ).toBe(404);
    const nomember = await app.inject({
      method: 'GET',
      url: '/api/v1/test-scope/',
      headers: await bearer('nomember'),
    });
    expect(nomember.statusCode).toBe(403);
    expect(nomember.json()).toEqual({
      detail: 'Your account is not linked to a customer.',
      code: 'no_customer',
    });
    expect((await app.inject({ method: 'GET', url: '/api/v1/test-scope/' })).statusCode).toBe(401);
  });

  it('checks permissions and requires staff to name a customer for writes (§8 #30, #31, #35)', async () => {
    const viewer = await app.inject({
      method: 'POST',
      url: '/api/v1/test-write/',
      headers: await bearer('viewer_a'),
      payload: {},
    });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toEqual({
      detail: 'You do not have permission to perform this action.',
      code: 'permission_denied',
    });
    const analyst = await app.inject({
      method: 'POST',
      url: '/api/v1/test-write/',
      headers: await bearer('analyst_a'),
      payload: {},
    });
    expect(analyst.statusCode).toBe(202);
    const operator = await bearer('operator1');
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/test-write/',
      headers: operator,
      payload: {},
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      detail: 'Platform staff must specify a customer.',
      code: 'customer_required',
    });
    const named = await app.inject({
      method: 'POST',
      url: '/api/v1/test-write/',
      headers: operator,
      payload: { customer: fx.customerA.id },
    });
    expect(named.statusCode).toBe(202);
    expect(named.json()).toEqual({ customer: fx.customerA.id });
  });
});

describe('pagination helper', () => {
  it('produces the envelope with absolute links and 404 for bad pages (§4.1)', async () => {
    const { body } = await tokens('owner_a');
    const auth = { authorization: `Bearer ${body.access}` };
    const first = await app.inject({ method: 'GET', url: '/api/v1/test-items/', headers: auth });
    const page1 = first.json() as { count: number; next: string; previous: null; results: unknown[] };
    expect(page1.count).toBe(120);
    expect(page1.results).toHaveLength(50);
    expect(page1.previous).toBeNull();
    expect(page1.next).toBe('http://localhost/api/v1/test-items/?page=2');
    const last = (
      await app.inject({ method: 'GET', url: '/api/v1/test-items/?page=3&page_size=50', headers: auth })
    ).json() as {
      next: null;
      previous: string;
      results: unknown[];
    };
    expect(last.results).toHaveLength(20);
    expect(last.next).toBeNull();
    expect(last.previous).toBe('http://localhost/api/v1/test-items/?page=2&page_size=50');
    expect(
      (
        (
          await app.inject({ method: 'GET', url: '/api/v1/test-items/?page_size=500', headers: auth })
        ).json() as { results: unknown[] }
      ).results,
    ).toHaveLength(120);
    for (const page of ['0', '999', 'abc', '-1']) {
      const response = await app.inject({
        method: 'GET',
        url: `/api/v1/test-items/?page=${page}`,
        headers: auth,
      });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: 'Invalid page.', code: 'not_found' });
    }
  });
});

describe('API throttles', () => {
  it('throttles anonymous API requests per IP (§8 #49) but not health', async () => {
    const limited = await createTestServices({ env: { API_THROTTLE_ANON: '3/hour' } });
    const limitedApp = await buildApp(limited);
    try {
      for (let i = 0; i < 3; i++)
        expect((await limitedApp.inject({ method: 'GET', url: '/api/v1/me/' })).statusCode).toBe(401);
      const over = await limitedApp.inject({ method: 'GET', url: '/api/v1/me/' });
      expect(over.statusCode).toBe(429);
      const retry = Number(over.headers['retry-after']);
      expect(over.json()).toEqual({
        detail: `Request was throttled. Expected available in ${retry} seconds.`,
        code: 'throttled',
      });
      expect((await limitedApp.inject({ method: 'GET', url: '/api/v1/health/' })).statusCode).toBe(200);
    } finally {
      await limitedApp.close();
      await limited.dispose();
    }
  });
});
