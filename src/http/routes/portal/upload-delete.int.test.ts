import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedInClient, PASSWORD, type PortalClient } from '../../../../test/accounts.ts';
import { CLAIMS_HEADER, type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import { csv } from '../../../../test/ingestion.ts';
import { waitFor } from '../../../../test/wait.ts';
import { uploadClaimsFile } from '../../../commands/upload-claims-file.ts';
import { findUpload, insertUpload, type UploadRecord } from '../../../db/repositories/uploads.repository.ts';
import { buildApp } from '../../app.ts';

/** Upload delete from the portal and `DELETE /api/v1/uploads/<id>/` (docs/DECISIONS.md). */

let fixtures: ClaimsFixtures;
let app: FastifyInstance;
const bearers = new Map<string, string>();
let fileNumber = 0;

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  app = await buildApp(fixtures.services);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await fixtures?.services.dispose();
});

const customerA = () => fixtures.fx.customerA.id;

/** A fresh processed upload of customer A with `rows` claims (distinct claim ids per file). */
async function processedUpload(rows = 2): Promise<UploadRecord> {
  fileNumber++;
  const lines = Array.from(
    { length: rows },
    (_, i) => `DEL-${fileNumber}-${i},PayerDel,99213,2024-04-0${(i % 9) + 1},2024-04-20,PAID,10,10,,`,
  );
  const { upload } = await uploadClaimsFile(fixtures.services, {
    customerId: customerA(),
    filename: `delete-me-${fileNumber}.csv`,
    body: Buffer.from(csv(CLAIMS_HEADER, lines), 'utf8'),
    source: 'api',
  });
  return waitFor(async () => {
    const record = await findUpload(fixtures.services.database.db, customerA(), upload.id);
    return record && ['success', 'partial', 'failed'].includes(record.status) ? record : null;
  }, 120_000);
}

async function statusOf(uploadId: number, customerId = customerA()): Promise<string | undefined> {
  return (await findUpload(fixtures.services.database.db, customerId, uploadId))?.status;
}

async function bearer(username: string): Promise<string> {
  const cached = bearers.get(username);
  if (cached) return cached;
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token/',
    payload: { username, password: PASSWORD },
  });
  expect(response.statusCode).toBe(200);
  const access = (response.json() as { access: string }).access;
  bearers.set(username, access);
  return access;
}

async function apiDelete(username: string | null, uploadId: number): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'DELETE',
    url: `/api/v1/uploads/${uploadId}/`,
    headers: username ? { authorization: `Bearer ${await bearer(username)}` } : {},
  });
}

async function apiGet(username: string, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await bearer(username)}` } });
}

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

describe('portal: delete upload', () => {
  it('shows the Delete button to owner/admin only', async () => {
    const upload = await processedUpload();
    const detail = `/portal/uploads/${upload.id}/`;
    for (const user of ['owner_a', 'admin_a']) {
      const page = await (await client(user)).get(detail);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`href="/portal/uploads/${upload.id}/delete/"`);
    }
    const analystPage = await (await client('analyst_a')).get(detail);
    expect(analystPage.statusCode).toBe(200);
    expect(analystPage.body).not.toContain('/delete/');
  });

  it('refuses viewers and analysts (GET and POST) and leaves the upload alone', async () => {
    const upload = await processedUpload();
    const url = `/portal/uploads/${upload.id}/delete/`;
    for (const user of ['viewer_a', 'analyst_a']) {
      const c = await client(user);
      expect((await c.get(url)).statusCode).toBe(403);
      const post = await c.post(url);
      expect(post.statusCode).toBe(403);
      expect(post.body).toContain('Permission denied');
    }
    expect(await statusOf(upload.id)).toBe('success');
  });

  it('asks for confirmation, needs the CSRF token, deletes and says how many claims went', async () => {
    const upload = await processedUpload(3);
    const url = `/portal/uploads/${upload.id}/delete/`;
    const owner = await client('owner_a');

    const confirm = await owner.get(url);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`Delete upload ${upload.filename}?`);
    expect(confirm.body).toContain('This removes its <strong>3</strong> claims from analytics');
    expect(confirm.body).toContain('name="csrf_token"');
    expect(confirm.body).toContain(`action="${url}"`);

    const withoutCsrf = await owner.post(url, {}, { csrf: false });
    expect(withoutCsrf.statusCode).toBe(403);
    expect(withoutCsrf.body).toContain('CSRF');
    expect(await statusOf(upload.id)).toBe('success');

    const claimsBefore = await owner.get(`/portal/claims/?upload=${upload.id}`);
    expect(claimsBefore.body).toContain('3 claims match');

    const done = await owner.post(url);
    expect(done.statusCode).toBe(302);
    expect(done.headers.location).toBe('/portal/uploads/');
    expect(await statusOf(upload.id)).toBe('deleted');

    const list = await owner.get('/portal/uploads/');
    expect(list.body).toContain(`Upload ${upload.filename} deleted: 3 claims removed.`);
    expect(list.body).toContain('status-deleted">Deleted</span>');

    const detail = await owner.get(`/portal/uploads/${upload.id}/`);
    expect(detail.body).toContain('Deleted');
    expect(detail.body).toContain('by owner_a');
    expect(detail.body).not.toContain(`href="${url}"`);

    const claimsAfter = await owner.get(`/portal/claims/?upload=${upload.id}`);
    expect(claimsAfter.statusCode).toBe(200);
    expect(claimsAfter.body).toContain('0 claims match');

    // A reversed claim's own page is gone too.
    const claim = await fixtures.services.database.db
      .selectFrom('claims')
      .select('id')
      .where('customer_id', '=', customerA())
      .where('upload_id', '=', upload.id)
      .executeTakeFirstOrThrow();
    expect((await owner.get(`/portal/claims/${claim.id}/`)).statusCode).toBe(404);

    // Deleting again: refused with a message, nothing else happens.
    const again = await owner.post(url);
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe(`/portal/uploads/${upload.id}/`);
    expect((await owner.get(again.headers.location as string)).body).toContain('was already deleted.');
  });

  it('lets an admin delete', async () => {
    const upload = await processedUpload(1);
    const response = await (await client('admin_a')).post(`/portal/uploads/${upload.id}/delete/`);
    expect(response.statusCode).toBe(302);
    expect(await statusOf(upload.id)).toBe('deleted');
  });

  it('404 for another customer’s upload; error flash for an upload still processing', async () => {
    const owner = await client('owner_a');
    const foreign = `/portal/uploads/${fixtures.uploadB.id}/delete/`;
    expect((await owner.get(foreign)).statusCode).toBe(404);
    expect((await owner.post(foreign)).statusCode).toBe(404);
    expect(await statusOf(fixtures.uploadB.id, fixtures.fx.customerB.id)).toBe('success');

    const busy = await insertUpload(fixtures.services.database.db, customerA(), {
      filename: 'busy.csv',
      format: 'csv',
      source: 'api',
      status: 'processing',
      file_sha256: 'b'.repeat(64),
    });
    const response = await owner.post(`/portal/uploads/${busy.id}/delete/`);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(`/portal/uploads/${busy.id}/`);
    const page = await owner.get(`/portal/uploads/${busy.id}/`);
    expect(page.body).toContain('is still being processed and cannot be deleted yet');
    expect(await statusOf(busy.id)).toBe('processing');
  });
});

describe('DELETE /api/v1/uploads/<id>/', () => {
  it('401 anonymous, 403 viewer and analyst', async () => {
    const upload = await processedUpload();
    expect((await apiDelete(null, upload.id)).statusCode).toBe(401);
    for (const user of ['viewer_a', 'analyst_a']) {
      const response = await apiDelete(user, upload.id);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        detail: 'You do not have permission to perform this action.',
        code: 'permission_denied',
      });
    }
    expect(await statusOf(upload.id)).toBe('success');
  });

  it('404 for another customer’s upload, 409 while not final', async () => {
    const foreign = await apiDelete('owner_a', fixtures.uploadB.id);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ detail: 'Not found.', code: 'not_found' });

    const waiting = await insertUpload(fixtures.services.database.db, customerA(), {
      filename: 'waiting.csv',
      format: 'csv',
      source: 'web_ui',
      status: 'needs_mapping',
      file_sha256: 'c'.repeat(64),
    });
    const conflict = await apiDelete('owner_a', waiting.id);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/json');
    expect(conflict.json()).toMatchObject({ code: 'conflict', status: 'needs_mapping' });
    expect(await statusOf(waiting.id)).toBe('needs_mapping');
  });

  it('204 for owner and admin; the claims leave the API and the stats; a second DELETE is 409', async () => {
    for (const user of ['owner_a', 'admin_a']) {
      const upload = await processedUpload(2);
      const before = (await apiGet(user, '/api/v1/uploads/stats/')).json() as { total_rows: number };
      const listed = (await apiGet(user, `/api/v1/claims/?upload=${upload.id}`)).json() as { count: number };
      expect(listed.count).toBe(2);

      const response = await apiDelete(user, upload.id);
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');

      const detail = (await apiGet(user, `/api/v1/uploads/${upload.id}/`)).json() as { status: string };
      expect(detail.status).toBe('deleted');
      const deletedList = (await apiGet(user, '/api/v1/uploads/?status=deleted')).json() as {
        results: Array<{ id: number }>;
      };
      expect(deletedList.results.map((r) => r.id)).toContain(upload.id);
      const after = (await apiGet(user, `/api/v1/claims/?upload=${upload.id}`)).json() as { count: number };
      expect(after.count).toBe(0);
      const stats = (await apiGet(user, '/api/v1/uploads/stats/')).json() as { total_rows: number };
      expect(stats.total_rows).toBe(before.total_rows - 2);

      const audit = await fixtures.services.database.db
        .selectFrom('audit_events')
        .select(['user_id', 'metadata'])
        .where('action', '=', 'upload_deleted')
        .where('entity_id', '=', String(upload.id))
        .executeTakeFirstOrThrow();
      expect(audit.user_id).toBe(fixtures.fx.users[user]);
      expect(audit.metadata).toMatchObject({ claims_removed: 2 });

      const again = await apiDelete(user, upload.id);
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'conflict', status: 'deleted' });
    }
  });
});
