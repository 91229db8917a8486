import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  PASSWORD,
  PortalClient,
} from '../../../../test/accounts.ts';
import { A1_MIXED_CSV, type MultipartPart, multipartBody } from '../../../../test/multipart.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { waitFor } from '../../../../test/wait.ts';
import { countUploads } from '../../../db/repositories/uploads.repository.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
const tokens = new Map<string, string>();

beforeAll(async () => {
  services = await createTestServices({
    env: { PORTAL_RATE_LIMIT: '10000/minute', API_THROTTLE_USER: '100000/hour', EMAIL_BACKEND: 'memory' },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  await services.startJobs({ queues: ['ingest'], scheduler: false });
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

async function token(username: string): Promise<string> {
  const cached = tokens.get(username);
  if (cached) return cached;
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token/',
    payload: { username, password: PASSWORD },
  });
  expect(response.statusCode).toBe(200);
  const access = (response.json() as { access: string }).access;
  tokens.set(username, access);
  return access;
}

async function get(username: string, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await token(username)}` } });
}

async function create(
  username: string,
  parts: MultipartPart[],
  url = '/api/v1/uploads/',
): Promise<LightMyRequestResponse> {
  const { payload, contentType } = multipartBody(parts);
  return app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${await token(username)}`, 'content-type': contentType },
    payload,
  });
}

async function settledProgress(username: string, id: number) {
  return waitFor(async () => {
    const body = (await get(username, `/api/v1/uploads/${id}/progress/`)).json() as { status: string };
    if (!['success', 'partial', 'failed'].includes(body.status)) return null;
    const quality = await get(username, `/api/v1/uploads/${id}/quality/`);
    return quality.statusCode === 200 ? body : null;
  }, 60_000);
}

const CLEAN = [
  'payer,cpt,submitted_date,decided_date,outcome,allowed_amount',
  'UnitedHealthcare,99213,2023-01-15,2023-01-20,PAID,100.50',
  'Cigna,99213,01/17/2023,01/22/2023,paid,125.00',
  '',
].join('\n');

describe('POST /api/v1/uploads/', () => {
  it('401 without credentials, 403 for a viewer', async () => {
    const { payload, contentType } = multipartBody([{ name: 'file', filename: 'a.csv', content: CLEAN }]);
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/v1/uploads/',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(anonymous.statusCode).toBe(401);
    const viewer = await create('viewer_a', [{ name: 'file', filename: 'a.csv', content: CLEAN }]);
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toEqual({
      detail: 'You do not have permission to perform this action.',
      code: 'permission_denied',
    });
  });

  it('400 "No file uploaded" without a file part', async () => {
    const response = await create('analyst_a', [{ name: 'allow_duplicate', value: 'true' }]);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ detail: 'No file uploaded' });
  });

  it('A1 through the API: 202 + status_url, progress, detail, quality, list and stats shapes', async () => {
    const response = await create('analyst_a', [
      { name: 'file', filename: 'test_quality.csv', content: A1_MIXED_CSV },
    ]);
    expect(response.statusCode).toBe(202);
    const created = response.json() as Record<string, unknown>;
    const id = created['id'] as number;
    expect(response.headers.location).toBe(`/api/v1/uploads/${id}/`);
    expect(created['status_url']).toBe(`/api/v1/uploads/${id}/progress/`);
    expect(created).toMatchObject({
      customer: fx.customerA.id,
      filename: 'test_quality.csv',
      source: 'api',
      file_format: 'csv',
      status: 'queued',
    });
    expect(Object.keys(created).sort()).toEqual(
      [
        'id',
        'customer',
        'uploaded_at',
        'uploaded_by',
        'filename',
        'source',
        'file_format',
        'file_size_bytes',
        'file_sha256',
        'status',
        'error_message',
        'row_count',
        'total_rows',
        'accepted_rows',
        'rejected_rows',
        'updated_rows',
        'duplicate_rows',
        'date_min',
        'date_max',
        'quality_score',
        'quality_grade',
        'processing_started_at',
        'processing_completed_at',
        'status_url',
      ].sort(),
    );
    expect(created['uploaded_at']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const progress = await settledProgress('analyst_a', id);
    expect(progress).toEqual({
      id,
      status: 'partial',
      status_label: 'Partial',
      phase: 'done',
      phase_label: 'Done',
      rows_done: 10,
      rows_total: 10,
      percent: 100,
      rows_per_second: expect.any(Number),
      eta_seconds: null,
      time_left: null,
    });

    const detail = (await get('analyst_a', `/api/v1/uploads/${id}/`)).json();
    expect(detail).toMatchObject({
      id,
      status: 'partial',
      row_count: 5,
      total_rows: 10,
      accepted_rows: 5,
      rejected_rows: 5,
      quality_score: 0.5,
      quality_grade: 'F',
      date_min: '2024-01-15',
    });

    const quality = (await get('analyst_a', `/api/v1/uploads/${id}/quality/`)).json();
    expect(quality).toMatchObject({
      upload_id: id,
      total_rows: 10,
      accepted_rows: 5,
      rejected_rows: 5,
      phi_rows: 2,
      missing_fields_rows: 2,
      invalid_dates_rows: 1,
      invalid_values_rows: 0,
      quality_score: 0.5,
      grade: 'F',
    });
    expect(quality.rejection_details).toContainEqual({
      row: 10,
      category: 'missing_fields',
      reason: 'Missing required field: cpt',
    });
    expect(quality.categories).toContain('Invalid dates: 1 rows');
    expect(quality.recommendations[0]).toBe(
      'Low acceptance rate (50.0%). Review data source quality and validation rules.',
    );

    const list = (await get('analyst_a', '/api/v1/uploads/?status=partial')).json();
    expect(list).toMatchObject({ count: 1, next: null, previous: null });
    expect(list.results[0]).toEqual({
      id,
      filename: 'test_quality.csv',
      uploaded_at: created['uploaded_at'],
      status: 'partial',
      row_count: 5,
      source: 'api',
    });
    expect((await get('analyst_a', '/api/v1/uploads/?ordering=bogus')).statusCode).toBe(400);
    expect((await get('analyst_a', '/api/v1/uploads/?status=nope')).statusCode).toBe(400);

    const stats = (await get('owner_a', '/api/v1/uploads/stats/')).json();
    expect(stats).toMatchObject({ total: 1, partial: 1, success: 0, failed: 0, total_rows: 5 });

    // Tenant isolation: customer B sees nothing of it.
    for (const url of [
      `/api/v1/uploads/${id}/`,
      `/api/v1/uploads/${id}/progress/`,
      `/api/v1/uploads/${id}/quality/`,
    ]) {
      const response = await get('viewer_b', url);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    }
    expect((await get('viewer_b', '/api/v1/uploads/')).json()).toMatchObject({ count: 0 });

    // Duplicate: 409 duplicate_file with upload_id; allow_duplicate overrides.
    const again = await create('analyst_a', [
      { name: 'csv_file', filename: 'again.csv', content: A1_MIXED_CSV },
    ]);
    expect(again.statusCode).toBe(409);
    const day = String(created['uploaded_at']).slice(0, 10);
    expect(again.json()).toEqual({
      detail: `This file was already uploaded as upload #${id} on ${day}.`,
      code: 'duplicate_file',
      upload_id: id,
    });
    const forced = await create('analyst_a', [
      { name: 'allow_duplicate', value: 'true' },
      { name: 'file', filename: 'again.csv', content: A1_MIXED_CSV },
    ]);
    expect(forced.statusCode).toBe(202);
    await settledProgress('analyst_a', forced.json().id);
  });

  it('API uploads with unmatched headers fail at once (no interactive mapping)', async () => {
    const response = await create('admin_a', [
      {
        name: 'file',
        filename: 'nooutcome.csv',
        content: 'payer,cpt,submitted_date,decided_date\nAetna,99213,2024-01-01,2024-01-05\n',
      },
    ]);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({
      status: 'failed',
      error_message: 'Missing required column: outcome',
    });
    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/uploads/${response.json().id}/cancel/`,
      headers: { authorization: `Bearer ${await token('admin_a')}` },
    });
    expect(cancel.statusCode).toBe(409);
  });

  it('requires the CSRF token for session-authenticated multipart posts', async () => {
    const c = new PortalClient(app);
    expect((await c.login('analyst_a')).statusCode).toBe(302);
    const before = await countUploads(services.database.db, fx.customerA.id);
    const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const { payload, contentType } = multipartBody([
      { name: 'file', filename: 'session.csv', content: 'payer,cpt\nAetna,99213\n' },
    ]);
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/uploads/',
      headers: { cookie, 'content-type': contentType },
      payload,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      detail: 'CSRF Failed: CSRF token missing or incorrect.',
      code: 'csrf_failed',
    });
    expect(await countUploads(services.database.db, fx.customerA.id)).toBe(before);
    const accepted = await app.inject({
      method: 'POST',
      url: '/api/v1/uploads/',
      headers: { cookie, 'content-type': contentType, 'x-csrf-token': await c.csrf() },
      payload,
    });
    expect(accepted.statusCode).toBe(202);
  });

  it('mapping/ maps a needs_mapping upload (202) and cancel/ answers 409 afterwards', async () => {
    const c = new PortalClient(app);
    expect((await c.login('analyst_a')).statusCode).toBe(302);
    const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const { payload, contentType } = multipartBody([
      { name: 'csrf_token', value: await c.csrf() },
      {
        name: 'csv_file',
        filename: 'clearinghouse.csv',
        content:
          'Payer Name,CPT Code,Date Submitted,Adjudication Date,Claim Status,Notes\nAetna,99213,2024-03-01,2024-03-10,PAID,x\n',
      },
    ]);
    const posted = await app.inject({
      method: 'POST',
      url: '/portal/uploads/',
      headers: { cookie, 'content-type': contentType },
      payload,
    });
    const id = Number(/\/portal\/uploads\/(\d+)\/map-columns\//.exec(String(posted.headers.location))?.[1]);
    expect(id).toBeGreaterThan(0);
    const auth = { authorization: `Bearer ${await token('analyst_a')}` };
    const bad = await app.inject({
      method: 'POST',
      url: `/api/v1/uploads/${id}/mapping/`,
      headers: auth,
      payload: { columns: { 'Payer Name': 'payer' } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.columns).toEqual(['Map a column to cpt']);
    const mapped = await app.inject({
      method: 'POST',
      url: `/api/v1/uploads/${id}/mapping/`,
      headers: auth,
      payload: {
        columns: {
          'Payer Name': 'payer',
          'CPT Code': 'cpt',
          'Date Submitted': 'submitted_date',
          'Adjudication Date': 'decided_date',
          'Claim Status': 'outcome',
          Notes: 'ignore',
        },
        save_profile: true,
        profile_name: 'Clearinghouse export',
      },
    });
    expect(mapped.statusCode).toBe(202);
    expect(mapped.json()).toMatchObject({ id, status: 'queued' });
    expect((await settledProgress('analyst_a', id)).status).toBe('success');
    const cancel = await app.inject({ method: 'POST', url: `/api/v1/uploads/${id}/cancel/`, headers: auth });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().code).toBe('conflict');
  });

  it('staff name the customer (?customer=) for stats and creates', async () => {
    const stats = await get('operator1', '/api/v1/uploads/stats/');
    expect(stats.statusCode).toBe(400);
    expect(stats.json().code).toBe('customer_required');
    expect(
      (await get('operator1', `/api/v1/uploads/stats/?customer=${fx.customerB.id}`)).json(),
    ).toMatchObject({
      total: 0,
    });
    const created = await create(
      'operator1',
      [
        {
          name: 'file',
          filename: 'staff.csv',
          content: `${CLEAN}Aetna,99214,2023-01-16,2023-01-21,PAID,1.00\n`,
        },
      ],
      `/api/v1/uploads/?customer=${fx.customerB.id}`,
    );
    expect(created.statusCode).toBe(202);
    expect(created.json().customer).toBe(fx.customerB.id);
    const all = (await get('operator1', '/api/v1/uploads/')).json();
    expect(all.results.map((u: { id: number }) => u.id)).toContain(created.json().id);
    await settledProgress('operator1', created.json().id);
  });
});

describe('uploads API: fields in any order, relative URLs, bounded lists (issue 11 item 6)', () => {
  const csvOnce = (tag: string) =>
    [
      'payer,cpt,submitted_date,decided_date,outcome,allowed_amount',
      `Aetna,99213,2024-03-01,2024-03-05,PAID,${tag}`,
    ].join('\n');

  it('takes allow_duplicate sent after the file, and refuses the duplicate without it', async () => {
    const content = csvOnce('11.11');
    const first = await create('analyst_a', [{ name: 'file', filename: 'late.csv', content }]);
    expect(first.statusCode).toBe(202);
    expect(first.headers.location).toBe(`/api/v1/uploads/${first.json().id}/`);
    expect(first.json().status_url).toBe(`/api/v1/uploads/${first.json().id}/progress/`);
    await settledProgress('analyst_a', first.json().id);

    const refused = await create('analyst_a', [
      { name: 'file', filename: 'late.csv', content },
      { name: 'allow_duplicate', value: 'false' },
    ]);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'duplicate_file', upload_id: first.json().id });

    const forced = await create('analyst_a', [
      { name: 'file', filename: 'late.csv', content },
      { name: 'allow_duplicate', value: 'true' },
    ]);
    expect(forced.statusCode).toBe(202);
    expect(forced.json().id).not.toBe(first.json().id);
    await settledProgress('analyst_a', forced.json().id);
  });

  it('refuses a malformed column_profile sent after the file with a field error, storing nothing', async () => {
    const db = services.database.db;
    const before = (await db.selectFrom('uploads').select('id').execute()).length;
    const response = await create('analyst_a', [
      { name: 'file', filename: 'p.csv', content: csvOnce('22.22') },
      { name: 'column_profile', value: 'abc' },
    ]);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'invalid',
      errors: { column_profile: [expect.any(String)] },
    });
    expect((await db.selectFrom('uploads').select('id').execute()).length).toBe(before);
    const unknownProfile = await create('analyst_a', [
      { name: 'file', filename: 'p.csv', content: csvOnce('22.23') },
      { name: 'column_profile', value: '999999' },
    ]);
    expect(unknownProfile.statusCode).toBe(400);
    expect(unknownProfile.json().errors.column_profile).toEqual(['Column profile not found']);
    expect((await db.selectFrom('uploads').select('id').execute()).length).toBe(before);
  });

  it('answers page_size above 200 with a 400 on page_size', async () => {
    const response = await get('analyst_a', '/api/v1/uploads/?page_size=1000');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid', errors: { page_size: [expect.any(String)] } });
    const ok = await get('analyst_a', '/api/v1/uploads/?page_size=1');
    expect(ok.json().results).toHaveLength(1);
    expect(Object.keys(ok.json().results[0]).sort()).toEqual(
      ['filename', 'id', 'row_count', 'source', 'status', 'uploaded_at'].sort(),
    );
    expect((await get('analyst_a', '/api/v1/uploads/?uploaded_after=2026-02-30')).statusCode).toBe(400);
    expect((await get('analyst_a', '/api/v1/uploads/?status=sideways')).statusCode).toBe(400);
  });
});
