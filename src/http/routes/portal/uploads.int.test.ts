import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountFixtures,
  createAccountFixtures,
  loggedInClient,
  PASSWORD,
  PortalClient,
} from '../../../../test/accounts.ts';
import { A1_MIXED_CSV, type MultipartPart, multipartBody } from '../../../../test/multipart.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { waitFor } from '../../../../test/wait.ts';
import { createCustomer } from '../../../commands/create-customer.ts';
import { uploadClaimsFile } from '../../../commands/upload-claims-file.ts';
import { insertMembership } from '../../../db/repositories/memberships.repository.ts';
import { countUploads, findUpload } from '../../../db/repositories/uploads.repository.ts';
import { insertUser } from '../../../db/repositories/users.repository.ts';
import { hashPassword } from '../../../domain/accounts/passwords.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;

beforeAll(async () => {
  services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '10000/minute',
      EMAIL_BACKEND: 'memory',
      UPLOAD_MAX_MB: '1',
      UPLOAD_RATE_LIMIT: '10/hour',
    },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  await services.startJobs({ queues: ['ingest'], scheduler: false });
});

afterAll(async () => {
  await app.close();
  await services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

function cookieHeader(c: PortalClient): string {
  return [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** Posts the upload form; `csrf: false` leaves the token out. */
async function postUpload(
  c: PortalClient,
  file: { filename: string; content: string | Uint8Array } | null,
  options: { allowDuplicate?: boolean; csrf?: boolean } = {},
): Promise<LightMyRequestResponse> {
  const parts: MultipartPart[] = [];
  if (options.csrf ?? true) parts.push({ name: 'csrf_token', value: await c.csrf() });
  if (options.allowDuplicate) parts.push({ name: 'allow_duplicate', value: 'on' });
  parts.push(
    file
      ? { name: 'csv_file', filename: file.filename, content: file.content }
      : { name: 'csv_file', filename: '', content: '' },
  );
  const { payload, contentType } = multipartBody(parts);
  return app.inject({
    method: 'POST',
    url: '/portal/uploads/',
    remoteAddress: '127.0.0.1',
    headers: { cookie: cookieHeader(c), 'content-type': contentType },
    payload,
  });
}

function uploadIdOf(response: LightMyRequestResponse): number {
  const match = /^\/portal\/uploads\/(\d+)\/(map-columns\/)?$/.exec(String(response.headers.location));
  expect(match).not.toBeNull();
  return Number(match![1]);
}

async function settled(customerId: number, uploadId: number) {
  return waitFor(async () => {
    const upload = await findUpload(services.database.db, customerId, uploadId);
    return upload && ['success', 'partial', 'failed'].includes(upload.status) ? upload : null;
  }, 60_000);
}

const csv = (rows: string[]) => ['payer,cpt,submitted_date,decided_date,outcome', ...rows, ''].join('\n');

describe('/portal/uploads/ access', () => {
  for (const [user, status] of [
    ['owner_a', 200],
    ['admin_a', 200],
    ['analyst_a', 200],
    ['viewer_a', 403],
  ] as const) {
    it(`${user} GET → ${status}`, async () => {
      const response = await (await client(user)).get('/portal/uploads/');
      expect(response.statusCode).toBe(status);
      if (status === 403) expect(response.body).toContain('Permission denied');
    });
  }

  it('sends anonymous visitors to the login page', async () => {
    const response = await new PortalClient(app).get('/portal/uploads/');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/portal/login/?next=/portal/uploads/');
  });

  it('refuses a viewer POST with 403', async () => {
    const response = await postUpload(await client('viewer_a'), { filename: 'v.csv', content: 'x' });
    expect(response.statusCode).toBe(403);
    expect(await countUploads(services.database.db, fx.customerA.id)).toBe(0);
  });

  it('shows the banner, the form and the empty table', async () => {
    const response = await (await client('analyst_a')).get('/portal/uploads/');
    expect(response.body).toContain('⚠️ Privacy Protection: NEVER include patient names');
    expect(response.body).toContain('Upload New File');
    expect(response.body).toContain('name="csv_file"');
    expect(response.body).toContain('name="allow_duplicate"');
    expect(response.body).toContain('Upload again even if this file was uploaded before');
    expect(response.body).toContain('No uploads yet');
    expect(response.body).toContain('/static/css/uploads.css');
  });
});

describe('uploading from the portal', () => {
  it('requires the CSRF token on the multipart POST; nothing is stored', async () => {
    const c = await client('analyst_a');
    const before = await countUploads(services.database.db, fx.customerA.id);
    const response = await postUpload(c, { filename: 'nocsrf.csv', content: A1_MIXED_CSV }, { csrf: false });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Forbidden (CSRF token missing or incorrect).');
    expect(await countUploads(services.database.db, fx.customerA.id)).toBe(before);
  });

  it('flashes "No file uploaded" without a file', async () => {
    const c = await client('analyst_a');
    const response = await postUpload(c, null);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/portal/uploads/');
    expect((await c.get('/portal/uploads/')).body).toContain('No file uploaded');
  });

  it('refuses a file over the limit (UPLOAD_MAX_MB = 1)', async () => {
    const c = await client('analyst_a');
    const before = await countUploads(services.database.db, fx.customerA.id);
    const big = Buffer.alloc(1024 * 1024 + 1, 0x61);
    const response = await postUpload(c, { filename: 'big.csv', content: big });
    expect(response.statusCode).toBe(302);
    expect((await c.get('/portal/uploads/')).body).toContain('File too large: the limit is 1 MB');
    expect(await countUploads(services.database.db, fx.customerA.id)).toBe(before);
  });

  it('A1: the mixed 10-row file ends partial 5/5 with "Row N:" reasons; duplicates are refused unless ticked', async () => {
    const c = await client('analyst_a');
    const response = await postUpload(c, { filename: 'test_quality.csv', content: A1_MIXED_CSV });
    expect(response.statusCode).toBe(302);
    const id = uploadIdOf(response);
    const first = await c.get(`/portal/uploads/${id}/`);
    expect(first.statusCode).toBe(200);
    // The page shows the live state (the progress box, or already the result), and no
    // "processing has started" flash that would outlive it.
    expect(first.body).not.toContain('Processing has started');
    expect(first.body).toMatch(/id="upload-progress"|<h2>Quality report<\/h2>/);

    const upload = await settled(fx.customerA.id, id);
    expect(upload.status).toBe('partial');
    expect(upload.accepted_rows).toBe(5);
    expect(upload.rejected_rows).toBe(5);

    const detail = await c.get(`/portal/uploads/${id}/`);
    expect(detail.body).toContain(
      'Uploaded test_quality.csv: 5 of 10 rows accepted (50.0%). 5 rows were rejected. See quality report below for details.',
    );
    expect(detail.body).toContain('PRIVACY ALERT: payer values in 2 rows (rows 4, 6)');
    expect(detail.body).toContain('Row 4: PHI detected: payer looks like a person name');
    expect(detail.body).toContain('Row 7: Missing required field: submitted_date');
    expect(detail.body).toContain('Row 8: Invalid decided_date format in row 8');
    expect(detail.body).toContain('Row 10: Missing required field: cpt');
    expect(detail.body).toContain('PHI detected: 2 rows (patient-like names or identifiers)');
    expect(detail.body).toContain('Missing fields: 2 rows');
    expect(detail.body).toContain('Show rejected row details (5 rows)');
    expect(detail.body).toContain('Low acceptance rate (50.0%).');
    expect(detail.body).not.toContain('John Smith');

    const filtered = await c.get(`/portal/uploads/${id}/?category=missing_fields`);
    expect(filtered.body).toContain('Row 7:');
    expect(filtered.body).not.toContain('Row 4:');

    const list = await c.get('/portal/uploads/');
    expect(list.body).toContain('test_quality.csv');
    expect(list.body).toContain('✗ 50%');
    expect(list.body).toContain('title="5/10 accepted"');
    expect(list.body).toContain('2024-01-15 to 2024-02-10');

    const rejections = await c.get(`/portal/uploads/${id}/rejections.csv`);
    expect(rejections.statusCode).toBe(200);
    // UTF-8 with BOM and CRLF, like every CSV the product writes (alerts-reports §13.3).
    expect(rejections.body.split('\r\n')[0]).toBe('\uFEFFrow,category,reason');
    expect(rejections.body).toContain('7,missing_fields,Missing required field: submitted_date');

    // The same bytes again: refused with the exact message, nothing stored.
    const before = await countUploads(services.database.db, fx.customerA.id);
    const again = await postUpload(c, { filename: 'test_quality.csv', content: A1_MIXED_CSV });
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe('/portal/uploads/');
    const day = upload.created_at.toISOString().slice(0, 10);
    expect((await c.get('/portal/uploads/')).body).toContain(
      `This file was already uploaded as upload #${id} on ${day}. Tick “Upload again” to process it anyway.`,
    );
    expect(await countUploads(services.database.db, fx.customerA.id)).toBe(before);

    // Ticked: processed.
    const forced = await postUpload(
      c,
      { filename: 'test_quality.csv', content: A1_MIXED_CSV },
      { allowDuplicate: true },
    );
    const forcedId = uploadIdOf(forced);
    expect(forcedId).not.toBe(id);
    const second = await settled(fx.customerA.id, forcedId);
    expect(second.forced_duplicate_of).toBe(id);
  });

  it("answers 404 for another customer's upload", async () => {
    const other = await uploadClaimsFile(services, {
      customerId: fx.customerB.id,
      filename: 'b.csv',
      body: Buffer.from(csv(['Aetna,99213,2024-01-18,2024-02-04,PAID'])),
      source: 'api',
    });
    const c = await client('analyst_a');
    for (const url of [
      `/portal/uploads/${other.upload.id}/`,
      `/portal/uploads/${other.upload.id}/map-columns/`,
      `/portal/uploads/${other.upload.id}/rejections.csv`,
      '/portal/uploads/999999/',
    ]) {
      const response = await c.get(url);
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain('Page not found');
    }
    await settled(fx.customerB.id, other.upload.id);
  });

  it('A3: unmatched headers wait in the mapping step; saving a profile processes the upload', async () => {
    const c = await client('analyst_a');
    const content = [
      'Payer Name,CPT Code,Date Submitted,Adjudication Date,Claim Status',
      'Aetna,99213,2024-03-01,2024-03-10,PAID',
      'Cigna,99214,2024-03-02,2024-03-11,PAID',
      '',
    ].join('\n');
    const response = await postUpload(c, { filename: 'clearinghouse.csv', content });
    expect(response.statusCode).toBe(302);
    expect(String(response.headers.location)).toMatch(/\/map-columns\/$/);
    const id = uploadIdOf(response);
    const page = await c.get(`/portal/uploads/${id}/map-columns/`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Missing required column:');
    expect(page.body).toContain('<td>Aetna</td>');
    expect(page.body).toMatch(/<option value="Payer Name" selected>/);

    const list = await c.get('/portal/uploads/');
    expect(list.body).toContain(`/portal/uploads/${id}/map-columns/`);

    const saved = await c.post(`/portal/uploads/${id}/map-columns/`, {
      action: 'save',
      map_payer: 'Payer Name',
      map_cpt: 'CPT Code',
      map_submitted_date: 'Date Submitted',
      map_decided_date: 'Adjudication Date',
      map_outcome: 'Claim Status',
      profile_name: 'Clearinghouse export',
    });
    expect(saved.statusCode).toBe(302);
    expect(saved.headers.location).toBe(`/portal/uploads/${id}/`);
    const upload = await settled(fx.customerA.id, id);
    expect(upload.status).toBe('success');
    expect(upload.accepted_rows).toBe(2);
  });

  it('the mapping step can be cancelled', async () => {
    const c = await client('owner_a');
    const content = ['Payer,CPT,Submitted,Decided', 'Aetna,99213,2024-03-01,2024-03-10', ''].join('\n');
    const id = uploadIdOf(await postUpload(c, { filename: 'nooutcome.csv', content }));
    const waiting = await c.get(`/portal/uploads/${id}/`);
    expect(waiting.body).toContain(`data-progress-url="/api/v1/uploads/${id}/progress/"`);
    expect(waiting.body).toContain('<script src="/static/js/upload-progress.js" defer></script>');
    expect(waiting.body).toContain(`/portal/uploads/${id}/map-columns/`);
    const fragment = await c.get(`/portal/uploads/${id}/progress/`);
    expect(fragment.statusCode).toBe(200);
    expect(fragment.body).toContain('Needs mapping');
    expect(fragment.body).toContain('0 / ? rows (0%)');
    const progress = await c.get(`/api/v1/uploads/${id}/progress/`, { 'x-payrixa-background': '1' });
    expect(progress.statusCode).toBe(200);
    expect(progress.json()).toMatchObject({ id, status: 'needs_mapping', rows_done: 0, percent: 0 });
    const cancelled = await c.post(`/portal/uploads/${id}/map-columns/`, { action: 'cancel' });
    expect(cancelled.statusCode).toBe(302);
    const upload = await findUpload(services.database.db, fx.customerA.id, id);
    expect(upload?.status).toBe('failed');
    expect((await c.get(`/portal/uploads/${id}/`)).body).toContain('Upload failed: Missing required column');
  });
});

describe('upload rate limit (UPLOAD_RATE_LIMIT = 10/hour per customer)', () => {
  it('refuses the 11th upload of the hour with the limit message', async () => {
    const db = services.database.db;
    const customer = await createCustomer(db, { name: 'C', products: [], actorUserId: null });
    const user = await insertUser(db, {
      username: 'analyst_c',
      email: 'analyst_c@example.com',
      passwordHash: await hashPassword(PASSWORD),
    });
    await insertMembership(db, customer.id, user.id, 'analyst');
    const c = await client('analyst_c');
    const file = { filename: 'same.csv', content: csv(['Aetna,99213,2024-01-18,2024-02-04,PAID']) };
    // The first creates the upload, the next nine are refused as duplicates: all count.
    for (let i = 0; i < 10; i++) {
      const response = await postUpload(c, file);
      expect(response.statusCode).toBe(302);
      await c.get('/portal/uploads/'); // consume the flash
    }
    const limited = await postUpload(c, file, { allowDuplicate: true });
    expect(limited.statusCode).toBe(302);
    expect(limited.headers.location).toBe('/portal/uploads/');
    expect((await c.get('/portal/uploads/')).body).toMatch(
      /Upload limit reached: 10 uploads per hour\. Try again in \d+ minutes\./,
    );
    expect(await countUploads(db, customer.id)).toBe(1);
  });
});
