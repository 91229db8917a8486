import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  PASSWORD,
  PortalClient,
} from '../../test/accounts.ts';
import { multipartBody } from '../../test/multipart.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { uploadClaimsFile } from '../commands/upload-claims-file.ts';
import { buildApp } from './app.ts';

/**
 * Issue 11 item 7, the parts outside route schemas: control characters never reach
 * PostgreSQL (400, nothing stored), malformed multipart bodies are 400 on every multipart
 * path, over-long names are field errors, and a very wide file's mapping page stays small.
 */

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
let access: string;

beforeAll(async () => {
  services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '10000/minute',
      API_THROTTLE_ANON: '10000/hour',
      API_THROTTLE_USER: '10000/hour',
      UPLOAD_RATE_LIMIT: '1000/hour',
      EMAIL_BACKEND: 'memory',
    },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  const token = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token/',
    payload: { username: 'owner_a', password: PASSWORD },
  });
  access = (token.json() as { access: string }).access;
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

const bearer = () => ({ authorization: `Bearer ${access}` });

/** Row counts of every table a refused request could have written to. */
async function storedCounts(): Promise<Record<string, number>> {
  const db = services.database.db;
  const tables = [
    'audit_events',
    'login_failures',
    'users',
    'memberships',
    'uploads',
    'payer_mappings',
    'payer_allowlist',
    'cpt_group_mappings',
    'column_mapping_profiles',
    'password_reset_tokens',
    'refresh_tokens',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

async function spooledFiles(): Promise<string[]> {
  const dir = path.join(services.config.dataDir, 'tmp');
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.part'));
}

function expectApiFieldError(response: LightMyRequestResponse, field: string): void {
  expect(response.statusCode).toBe(400);
  const body = response.json() as { code: string; detail: string; errors: Record<string, string[]> };
  expect(body.code).toBe('invalid');
  expect(body.detail).toBe('Validation failed.');
  expect(body.errors[field]?.[0]).toMatch(/Control characters/);
}

describe('control characters never reach the database (item 7)', () => {
  it('public forms without login: portal login, password reset, token endpoints (JSON, form, multipart)', async () => {
    const before = await storedCounts();
    const visitor = new PortalClient(app, '10.50.0.1');
    const login = await visitor.login('a\u0000b', 'whatever-password');
    expect(login.statusCode).toBe(400);
    expect(login.body).toContain('Control characters');
    const loginPassword = await visitor.login('owner_a', 'pass\u0000word');
    expect(loginPassword.statusCode).toBe(400);
    const reset = await visitor.post('/portal/password-reset/', { email: 'a\u0000b@example.com' });
    expect(reset.statusCode).toBe(400);
    const resetToken = await visitor.post('/portal/password-reset/abc%00def/', {
      new_password1: 'x',
      new_password2: 'x',
    });
    expect(resetToken.statusCode).toBeLessThan(500);
    expect(resetToken.statusCode).toBeGreaterThanOrEqual(400);

    expectApiFieldError(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: { username: 'a\u0000b', password: 'x' },
      }),
      'username',
    );
    expectApiFieldError(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=a%00b&password=x',
      }),
      'username',
    );
    const multipart = multipartBody([
      { name: 'username', value: 'a\u0000b' },
      { name: 'password', value: 'x' },
    ]);
    expectApiFieldError(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        headers: { 'content-type': multipart.contentType },
        payload: multipart.payload,
      }),
      'username',
    );
    for (const [url, field] of [
      ['/api/v1/auth/token/refresh/', 'refresh'],
      ['/api/v1/auth/token/verify/', 'token'],
      ['/api/v1/auth/token/revoke/', 'refresh'],
    ] as const) {
      expectApiFieldError(
        await app.inject({ method: 'POST', url, payload: { [field]: 'ab\u0000cd' } }),
        field,
      );
    }
    // Nested values: the token endpoint's schema (issue 11) refuses a list for `username` before
    // the safety net looks inside it — still a 400 naming the field, nothing stored.
    const nested = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: ['ok', { deep: 'x\u0001' }], password: 'x' },
    });
    expect(nested.statusCode).toBe(400);
    expect(nested.json()).toMatchObject({ code: 'invalid', errors: { username: expect.any(Array) } });
    expect(await storedCounts()).toEqual(before);
  });

  it('claims filters and other query strings: API 400 with the field, portal 400 page', async () => {
    const payer = await app.inject({ method: 'GET', url: '/api/v1/claims/?payer=a%00b', headers: bearer() });
    expectApiFieldError(payer, 'payer');
    const other = await app.inject({
      method: 'GET',
      url: '/api/v1/claims/?cpt=99213&denial_reason=%1B',
      headers: bearer(),
    });
    expectApiFieldError(other, 'denial_reason');
    const key = await app.inject({ method: 'GET', url: '/api/v1/uploads/?a%00=1', headers: bearer() });
    expect(key.statusCode).toBe(400);
    // Authentication is still answered first (§4.2 order: 401 before 400).
    expect((await app.inject({ method: 'GET', url: '/api/v1/claims/?payer=a%00b' })).statusCode).toBe(401);

    const owner = await loggedInClient(app, 'owner_a');
    const page = await owner.get('/portal/claims/?payer=a%00b');
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('Control characters');
    expect(page.body).toContain('payer');
  });

  it('logged-in forms and JSON bodies: nothing stored', async () => {
    const before = await storedCounts();
    const owner = await loggedInClient(app, 'owner_a');
    const team = await owner.post('/portal/team/', {
      action: 'add',
      username: 'new\u0000user',
      email: 'new@example.com',
      role: 'viewer',
    });
    expect(team.statusCode).toBe(400);
    const mapping = await owner.post('/portal/mappings/', {
      action: 'add_payer',
      raw_name: 'Aetna\u0000',
      normalized_name: 'Aetna',
    });
    expect(mapping.statusCode).toBe(400);
    expectApiFieldError(
      await app.inject({
        method: 'POST',
        url: '/api/v1/payer-mappings/',
        headers: bearer(),
        payload: { raw_name: 'x\u0000', normalized_name: 'y' },
      }),
      'raw_name',
    );
    const counts = await storedCounts();
    // Logging in added its audit event only.
    expect({ ...counts, audit_events: before['audit_events'] }).toEqual(before);
  });
});

describe('malformed multipart bodies are 400 on every multipart path (item 7)', () => {
  const boundary = 'XyZzY';
  const truncated =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="claims.csv"\r\n` +
    'Content-Type: text/csv\r\n\r\npayer,cpt,submitted_date,decided_date,outcome\nAetna,99213,';

  it('API upload: no boundary, truncated body, control characters in a field', async () => {
    const before = await storedCounts();
    const noBoundary = await app.inject({
      method: 'POST',
      url: '/api/v1/uploads/',
      headers: { ...bearer(), 'content-type': 'multipart/form-data' },
      payload: 'file=abc',
    });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.json()).toMatchObject({ code: 'invalid' });
    expect((noBoundary.json() as { detail: string }).detail).toMatch(/Malformed multipart body/);

    const cut = await app.inject({
      method: 'POST',
      url: '/api/v1/uploads/',
      headers: { ...bearer(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: truncated,
    });
    expect(cut.statusCode).toBe(400);
    expect((cut.json() as { detail: string }).detail).toMatch(/Malformed multipart body/);

    const field = multipartBody([
      { name: 'allow_duplicate', value: 'on\u0000' },
      { name: 'file', filename: 'claims.csv', content: 'payer,cpt\nAetna,99213\n' },
    ]);
    expectApiFieldError(
      await app.inject({
        method: 'POST',
        url: '/api/v1/uploads/',
        headers: { ...bearer(), 'content-type': field.contentType },
        payload: field.payload,
      }),
      'allow_duplicate',
    );
    expect(await storedCounts()).toEqual(before);
    expect(await spooledFiles()).toEqual([]);
  });

  it('portal upload: no boundary and truncated body → 400 page, nothing stored', async () => {
    const before = await storedCounts();
    const owner = await loggedInClient(app, 'owner_a');
    const cookie = [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = await owner.csrf();
    const noBoundary = await app.inject({
      method: 'POST',
      url: '/portal/uploads/',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'multipart/form-data' },
      payload: 'csv_file=abc',
    });
    expect(noBoundary.statusCode).toBe(400);
    expect(noBoundary.body).toContain('Malformed multipart body');
    const cut = await app.inject({
      method: 'POST',
      url: '/portal/uploads/',
      headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload:
        `--${boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n${csrf}\r\n` +
        truncated.replace('name="file"', 'name="csv_file"'),
    });
    expect(cut.statusCode).toBe(400);
    expect(cut.body).toContain('Malformed multipart body');
    const counts = await storedCounts();
    expect({ ...counts, audit_events: before['audit_events'] }).toEqual(before);
    expect(await spooledFiles()).toEqual([]);
  });

  it('token endpoint: no boundary and truncated body → 400', async () => {
    for (const [contentType, payload] of [
      ['multipart/form-data', 'username=a'],
      [
        `multipart/form-data; boundary=${boundary}`,
        `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nowner_a`,
      ],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        headers: { 'content-type': contentType },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect((response.json() as { detail: string }).detail).toMatch(/Malformed multipart body/);
    }
  });
});

describe('bounded names and wide files (item 7)', () => {
  async function needsMapping(headers: string[], filename = 'wide.csv'): Promise<number> {
    const row = headers.map((_, i) => (i === 0 ? 'Aetna' : 'x'));
    const { upload } = await uploadClaimsFile(services, {
      customerId: fx.customerA.id,
      source: 'web_ui',
      filename,
      body: Buffer.from(`${headers.join(',')}\n${row.join(',')}\n`),
      uploadedBy: fx.users['owner_a']!,
      allowDuplicate: true,
    });
    expect(upload.status).toBe('needs_mapping');
    return upload.id;
  }

  const clearinghouse = ['Payer Name', 'CPT Code', 'Date Submitted', 'Adjudication Date', 'Claim Status'];
  const chosen = {
    map_payer: 'Payer Name',
    map_cpt: 'CPT Code',
    map_submitted_date: 'Date Submitted',
    map_decided_date: 'Adjudication Date',
    map_outcome: 'Claim Status',
  };

  it('a 200-character profile name is a 400 field error on the API and the portal; nothing saved', async () => {
    const id = await needsMapping(clearinghouse, 'long-name.csv');
    const before = await storedCounts();
    const api = await app.inject({
      method: 'POST',
      url: `/api/v1/uploads/${id}/mapping/`,
      headers: bearer(),
      payload: {
        columns: {
          'Payer Name': 'payer',
          'CPT Code': 'cpt',
          'Date Submitted': 'submitted_date',
          'Adjudication Date': 'decided_date',
          'Claim Status': 'outcome',
        },
        profile_name: 'p'.repeat(200),
      },
    });
    expect(api.statusCode).toBe(400);
    expect(api.json()).toMatchObject({
      code: 'invalid',
      errors: { profile_name: ['Ensure this field has no more than 100 characters.'] },
    });
    const owner = await loggedInClient(app, 'owner_a');
    const portal = await owner.post(`/portal/uploads/${id}/map-columns/`, {
      action: 'save',
      ...chosen,
      profile_name: 'p'.repeat(200),
    });
    expect(portal.statusCode).toBe(400);
    expect(portal.body).toContain('Profile name: Ensure this field has no more than 100 characters.');
    const counts = await storedCounts();
    expect(counts['column_mapping_profiles']).toBe(before['column_mapping_profiles']);
    const upload = await services.database.db
      .selectFrom('uploads')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(upload.status).toBe('needs_mapping');
  });

  it('a mapped header the file does not have is a clear 400, not a phantom column', async () => {
    const id = await needsMapping(clearinghouse, 'phantom.csv');
    const api = await app.inject({
      method: 'POST',
      url: `/api/v1/uploads/${id}/mapping/`,
      headers: bearer(),
      payload: {
        columns: {
          'Payer Name': 'payer',
          'CPT Code': 'cpt',
          'Date Submitted': 'submitted_date',
          'Adjudication Date': 'decided_date',
          'No Such Column': 'outcome',
        },
        profile_name: 'Phantom',
      },
    });
    expect(api.statusCode).toBe(400);
    expect(JSON.stringify(api.json())).toContain("Column 'No Such Column' is not in the file");
  });

  it('payer names whose stored key would outgrow varchar(255) are field errors', async () => {
    // "İ" lower-cases to two characters: 200 of them fit the name but not the key.
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/payer-mappings/',
      headers: bearer(),
      payload: { raw_name: 'İ'.repeat(200), normalized_name: 'Aetna' },
    });
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toContain('no more than 255 characters');
  });

  it('the mapping page of a 10,000-column file lists the headers once (datalist), not per field', async () => {
    const headers = Array.from({ length: 10_000 }, (_, i) => `column_${i}`);
    const id = await needsMapping(headers, 'ten-thousand.csv');
    const owner = await loggedInClient(app, 'owner_a');
    const page = await owner.get(`/portal/uploads/${id}/map-columns/`);
    expect(page.statusCode).toBe(200);
    const options = page.body.match(/<option\b/g)?.length ?? 0;
    expect(options).toBeLessThanOrEqual(10_000 + 20);
    expect(page.body.length).toBeLessThan(1_000_000);
    expect(page.body).toContain('<datalist id="file-headers">');
    expect(page.body).toContain('Showing the first 20 of 10,000 columns.');
    expect(page.body).not.toContain('<th scope="col">column_20</th>');
    expect(page.body.match(/list="file-headers"/g)?.length).toBe(16);

    // Typed names are checked against the file.
    const wrong = await owner.post(`/portal/uploads/${id}/map-columns/`, {
      action: 'save',
      map_payer: 'column_0',
      map_cpt: 'column_1',
      map_submitted_date: 'column_2',
      map_decided_date: 'column_3',
      map_outcome: 'column_10000',
      profile_name: 'Wide',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Column &#39;column_10000&#39; is not in the file');
    const saved = await owner.post(`/portal/uploads/${id}/map-columns/`, {
      action: 'save',
      map_payer: 'column_0',
      map_cpt: 'column_1',
      map_submitted_date: 'column_2',
      map_decided_date: 'column_3',
      map_outcome: 'column_9999',
      profile_name: 'Wide',
    });
    expect(saved.statusCode).toBe(302);
  });

  it('ordinary files keep one select per field', async () => {
    const id = await needsMapping(clearinghouse, 'narrow.csv');
    const owner = await loggedInClient(app, 'owner_a');
    const page = await owner.get(`/portal/uploads/${id}/map-columns/`);
    expect(page.body).not.toContain('<datalist');
    expect(page.body.match(/<select /g)?.length).toBe(16);
  });
});

/** Every route of the app as [method, url pattern], parsed from Fastify's route tree. */
function routeTable(instance: FastifyInstance): Array<[string, string]> {
  const routes: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of instance.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?) \(([A-Z, ]+)\)$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    for (const method of match[3]!.split(', ')) routes.push([method, url]);
  }
  return routes;
}

describe('every route, as an attacker would try it (item 7)', () => {
  it('NUL in the query, the body and the path parameters: never a 500, nothing stored', async () => {
    const routes = routeTable(app).filter(
      ([method, url]) =>
        ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method) &&
        !url.includes('*') &&
        !['/health/', '/healthz/', '/ping/'].includes(url),
    );
    expect(routes.length).toBeGreaterThan(80);
    const owner = await loggedInClient(app, 'owner_a');
    const cookie = [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = await owner.csrf();
    const before = await storedCounts();
    const failures: string[] = [];
    const textFields = ['name', 'username', 'email', 'payer', 'raw_name', 'code', 'action', 'profile_name'];
    for (const [method, pattern] of routes) {
      for (const param of ['1', 'a%00b']) {
        const url = `${pattern.replace(/:[A-Za-z_]+/g, param)}?payer=a%00b&q=%01`;
        const api = url.startsWith('/api/');
        const body = Object.fromEntries(textFields.map((field) => [field, 'a\u0000b']));
        const response = await app.inject({
          method: method as 'GET',
          url,
          headers: api
            ? bearer()
            : {
                cookie,
                'x-csrf-token': csrf,
                ...(method === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
              },
          ...(method === 'GET'
            ? {}
            : api
              ? { payload: body }
              : { payload: new URLSearchParams({ ...body, csrf_token: csrf }).toString() }),
        });
        if (response.statusCode >= 500 || response.statusCode < 400)
          failures.push(`${method} ${url} → ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
    const counts = await storedCounts();
    expect(counts).toEqual(before);
  }, 120_000);
});
