import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures, loggedInClient, PASSWORD, type PortalClient } from '../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { buildApp } from './app.ts';

/** The one error path (issue 11 item 2): 405 + Allow, 415, 400 field errors, 404 pages, /admin. */

let services: TestServices;
let app: FastifyInstance;
let bearer = '';
let viewer: PortalClient;

beforeAll(async () => {
  services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '10000/minute',
      API_THROTTLE_USER: '100000/hour',
      API_THROTTLE_ANON: '100000/hour',
    },
  });
  await createAccountFixtures(services.database.db);
  app = await buildApp(services, {
    extraRoutes: (instance) => {
      instance.get('/portal/boom/', async () => {
        throw new Error('kaboom');
      });
    },
  });
  const token = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token/',
    payload: { username: 'owner_a', password: PASSWORD },
  });
  bearer = (token.json() as { access: string }).access;
  viewer = await loggedInClient(app, 'viewer_a');
}, 180_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
});

function api(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers = {},
) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearer}`, ...headers },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });
}

describe('405 Method Not Allowed', () => {
  it('answers an unlisted method on an API path with the spec body and Allow', async () => {
    const response = await api('PUT', '/api/v1/payer-mappings/');
    expect(response.statusCode).toBe(405);
    expect(response.json()).toEqual({ detail: 'Method "PUT" not allowed.', code: 'method_not_allowed' });
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    const detail = await api('PATCH', '/api/v1/payer-mappings/12/');
    expect(detail.statusCode).toBe(405);
    expect(detail.headers.allow).toBe('DELETE, GET, HEAD');
  });

  it('answers a portal path with a 405 page, and an unknown path stays 404', async () => {
    // A logged-in form post with its CSRF token: the method, not the token, is what is wrong.
    const response = await viewer.post('/portal/claims/', {});
    expect(response.statusCode).toBe(405);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect((await api('PUT', '/api/v1/nothing-here/')).statusCode).toBe(404);
  });
});

describe('415 and malformed bodies', () => {
  it('refuses a content type the API does not take', async () => {
    const response = await api('POST', '/api/v1/payer-mappings/', 'raw_name=a', {
      'content-type': 'text/plain',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({ detail: 'Unsupported media type.', code: 'unsupported_media_type' });
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const response = await api('POST', '/api/v1/payer-mappings/', '{"raw_name":', {
      'content-type': 'application/json',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid' });
  });
});

describe('400 field errors from schemas', () => {
  it('names every bad body field at once (missing, NUL byte, too long, wrong type)', async () => {
    const response = await api('POST', '/api/v1/payer-mappings/', {
      raw_name: 'a\u0000b',
      normalized_name: 'x'.repeat(256),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      detail: 'Validation failed.',
      code: 'invalid',
      errors: {
        raw_name: ['Control characters (such as NUL or line breaks) are not allowed.'],
        normalized_name: ['Ensure this field has no more than 255 characters.'],
      },
    });
    const typed = await api('POST', '/api/v1/cpt-mappings/', { cpt_code: ['99213'], cpt_group: { a: 1 } });
    expect(typed.statusCode).toBe(400);
    expect((typed.json() as { errors: object }).errors).toEqual({
      cpt_code: ['Not a valid string.'],
      cpt_group: ['Not a valid string.'],
    });
    const blank = await api('POST', '/api/v1/payer-allowlist/', { name: '   ' });
    expect((blank.json() as { errors: object }).errors).toEqual({ name: ['This field may not be blank.'] });
    const missing = await api('POST', '/api/v1/payer-allowlist/', {});
    expect((missing.json() as { errors: object }).errors).toEqual({ name: ['This field is required.'] });
    const notObject = await api('POST', '/api/v1/payer-allowlist/', '[1,2]', {
      'content-type': 'application/json',
    });
    expect(notObject.statusCode).toBe(400);
    expect((notObject.json() as { errors: object }).errors).toEqual({
      non_field_errors: ['Invalid data. Expected a dictionary.'],
    });
  });

  it('validates form bodies the same way (a repeated field is not taken for a single value)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/payer-mappings/',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'raw_name=a&raw_name=b&normalized_name=N',
    });
    expect(response.statusCode).toBe(400);
    expect((response.json() as { errors: object }).errors).toEqual({ raw_name: ['Not a valid string.'] });
  });

  it('validates the query: page_size above 200 is a field error, a bad page is 404 "Invalid page."', async () => {
    const size = await api('GET', '/api/v1/payer-mappings/?page_size=201');
    expect(size.statusCode).toBe(400);
    expect(size.json()).toEqual({
      detail: 'Validation failed.',
      code: 'invalid',
      errors: { page_size: ['Ensure this value is less than or equal to 200.'] },
    });
    for (const page of ['0', 'abc', '-1', '1e400']) {
      const response = await api('GET', `/api/v1/payer-mappings/?page=${page}`);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: 'Invalid page.', code: 'not_found' });
    }
    const nul = await api('GET', '/api/v1/payer-mappings/?ordering=a%00b');
    expect(nul.statusCode).toBe(400);
    expect(Object.keys((nul.json() as { errors: object }).errors)).toEqual(['ordering']);
    const twice = await api('GET', '/api/v1/payer-mappings/?page_size=5&page_size=6');
    expect(twice.statusCode).toBe(400);
    const ordering = await api('GET', '/api/v1/payer-mappings/?ordering=nope');
    expect(ordering.json()).toEqual({ detail: 'Invalid ordering field: nope', code: 'invalid_ordering' });
  });

  it('answers a malformed or huge path id with 404 (the URL does not exist)', async () => {
    for (const id of ['abc', '0', '99999999999999999999', '1.5', 'a%00b']) {
      const response = await api('GET', `/api/v1/payer-mappings/${id}/`);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    }
  });

  it('checks authentication before validation (401 → 403 → 400)', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/api/v1/payer-mappings/', payload: {} });
    expect(anonymous.statusCode).toBe(401);
    const viewerToken = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'viewer_a', password: PASSWORD },
    });
    const forbidden = await app.inject({
      method: 'POST',
      url: '/api/v1/payer-mappings/',
      headers: { authorization: `Bearer ${(viewerToken.json() as { access: string }).access}` },
      payload: {},
    });
    expect(forbidden.statusCode).toBe(403);
  });
});

describe('portal error pages', () => {
  it('keeps the navigation on a 404 page for a logged-in user, not for an anonymous one', async () => {
    const page = await viewer.get('/portal/no-such-page/');
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Page not found');
    expect(page.body).toContain('href="/portal/claims/"');
    expect(page.body).toContain('viewer_a');
    const anonymous = await app.inject({ method: 'GET', url: '/portal/no-such-page/' });
    expect(anonymous.statusCode).toBe(404);
    expect(anonymous.body).not.toContain('href="/portal/claims/"');
  });

  it('keeps the navigation on a 500 page, with the request id and no internals', async () => {
    const page = await viewer.get('/portal/boom/');
    expect(page.statusCode).toBe(500);
    expect(page.body).toContain('Something went wrong');
    expect(page.body).toContain(String(page.headers['x-request-id']));
    expect(page.body).toContain('href="/portal/claims/"');
    expect(page.body).not.toContain('kaboom');
  });
});

describe('/admin/ redirects', () => {
  it('sends old admin bookmarks to the operator console with 301', async () => {
    for (const [from, to] of [
      ['/admin/', '/portal/admin/'],
      ['/admin', '/portal/admin/'],
      ['/admin/customers/', '/portal/admin/customers/'],
      ['/admin/auth/user/3/change/', '/portal/admin/'],
    ]) {
      const response = await app.inject({ method: 'GET', url: from as string });
      expect(response.statusCode, from).toBe(301);
      expect(response.headers.location, from).toBe(to);
    }
  });
});
