import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import type { ApiClient } from '../../../../test/api-client.ts';
import type { TestServices } from '../../../../test/services.ts';
import { waitFor } from '../../../../test/wait.ts';
import { listRollups } from '../../../db/repositories/claims.repository.ts';
import { findQualityReport } from '../../../db/repositories/quality.repository.ts';
import { findUpload } from '../../../db/repositories/uploads.repository.ts';

let testApp: ApiTestApp;
let services: TestServices;
let fx: AccountFixtures;
let app: FastifyInstance;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startApiTestApp({
    env: {
      UPLOAD_RATE_LIMIT: '10000/hour',
      // Per token: the throttle test uses its own token.
      INGEST_THROTTLE: '12/hour',
      INGEST_MAX_RECORDS: '3',
      INGEST_MAX_BODY_MB: '1',
      CORS_ALLOWED_ORIGINS: 'https://app.example.com',
    },
    jobQueues: ['ingest'],
  });
  ({ services, fx, app, api } = testApp);
}, 180_000);

afterAll(async () => {
  await testApp?.close();
});

interface CreatedToken {
  id: number;
  name: string;
  prefix: string;
  is_active: boolean;
  token: string;
}

async function createToken(user = 'owner_a', body: object = { name: 'EHR feed' }): Promise<CreatedToken> {
  const response = await api.call(user, 'POST', '/api/v1/ingestion-tokens/', body);
  expect(response.statusCode).toBe(201);
  return response.json() as CreatedToken;
}

function ingest(payload: string | object, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/ingest/webhook/',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

const CLAIM = {
  claim_id: 'JSON-1',
  payer: 'Aetna',
  cpt: '99213',
  submitted_date: '2024-03-01',
  decided_date: '2024-03-10',
  outcome: 'PAID',
  allowed_amount: 120.5,
};

describe('ingestion tokens API', () => {
  it('owner/admin create, list and revoke; the secret is only in the create response and stored hashed', async () => {
    const created = await createToken('admin_a', { name: 'EHR feed', expires_at: '2099-12-31' });
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'EHR feed',
      prefix: expect.stringMatching(/^[0-9a-f]{8}$/),
      is_active: true,
      created_at: expect.any(String),
      created_by: fx.users['admin_a'],
      last_used_at: null,
      expires_at: '2099-12-31T23:59:59.999Z',
      token: expect.stringMatching(new RegExp(`^pxi_${fx.customerA.id}_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$`)),
    });
    expect(created.token.split('_')[2]).toBe(created.prefix);

    const row = await services.database.db
      .selectFrom('ingestion_tokens')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    // The secret is base64url, which may itself contain '_': everything after the prefix.
    const secret = created.token.split('_').slice(3).join('_');
    expect(secret).toHaveLength(43);
    const everything = JSON.stringify([
      await services.database.db.selectFrom('ingestion_tokens').selectAll().execute(),
      await services.database.db.selectFrom('audit_events').selectAll().execute(),
    ]);
    expect(everything).not.toContain(secret);

    const list = await api.call('owner_a', 'GET', '/api/v1/ingestion-tokens/');
    expect(list.statusCode).toBe(200);
    const listed = list.json() as { count: number; results: Array<Record<string, unknown>> };
    expect(listed.results.find((t) => t['id'] === created.id)).toEqual({ ...created, token: undefined });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed.results[0]).not.toHaveProperty('token');

    const revoked = await api.call('owner_a', 'DELETE', `/api/v1/ingestion-tokens/${created.id}/`);
    expect(revoked.statusCode).toBe(204);
    const again = await api.call('owner_a', 'DELETE', `/api/v1/ingestion-tokens/${created.id}/`);
    expect(again.statusCode).toBe(404);
    const kept = await api.call('owner_a', 'GET', `/api/v1/ingestion-tokens/${created.id}/`);
    expect(kept.json()).toMatchObject({ id: created.id, is_active: false });

    const actions = await services.database.db
      .selectFrom('audit_events')
      .select(['action', 'metadata', 'user_id'])
      .where('entity_type', '=', 'ingestion_token')
      .where('entity_id', '=', String(created.id))
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(['ingestion_token_created', 'ingestion_token_revoked']);
    expect(actions[0]?.metadata).toMatchObject({ name: 'EHR feed', prefix: created.prefix });
  });

  it('analyst and viewer get 403; another tenant’s token 404; staff need ?customer=', async () => {
    for (const user of ['analyst_a', 'viewer_a']) {
      for (const [method, url] of [
        ['GET', '/api/v1/ingestion-tokens/'],
        ['POST', '/api/v1/ingestion-tokens/'],
        ['DELETE', '/api/v1/ingestion-tokens/1/'],
      ] as const) {
        const response = await api.call(user, method, url, method === 'POST' ? { name: 'x' } : undefined);
        expect(response.statusCode).toBe(403);
        expect(response.json().code).toBe('permission_denied');
      }
    }
    const tokenA = await createToken();
    const foreign = await api.call('viewer_b', 'DELETE', `/api/v1/ingestion-tokens/${tokenA.id}/`);
    expect(foreign.statusCode).toBe(403);
    // An owner of B does not exist in the fixtures: staff acting for B see A's id as unknown.
    const staffB = await api.call(
      'operator1',
      'DELETE',
      `/api/v1/ingestion-tokens/${tokenA.id}/?customer=${fx.customerB.id}`,
    );
    expect(staffB.statusCode).toBe(404);
    const staffNone = await api.call('operator1', 'POST', '/api/v1/ingestion-tokens/', { name: 'x' });
    expect(staffNone.statusCode).toBe(400);
    expect(staffNone.json().code).toBe('customer_required');
    const staffA = await api.call('operator1', 'POST', '/api/v1/ingestion-tokens/', {
      name: 'By operator',
      customer: fx.customerA.id,
    });
    expect(staffA.statusCode).toBe(201);
  });

  it('validates name and expiry', async () => {
    const blank = await api.call('owner_a', 'POST', '/api/v1/ingestion-tokens/', { name: '' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().errors).toHaveProperty('name');
    const long = await api.call('owner_a', 'POST', '/api/v1/ingestion-tokens/', { name: 'n'.repeat(101) });
    expect(long.statusCode).toBe(400);
    const past = await api.call('owner_a', 'POST', '/api/v1/ingestion-tokens/', {
      name: 'old',
      expires_at: '2020-01-01',
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().errors).toEqual({ expires_at: ['The expiry must be in the future.'] });
  });
});

describe('POST /api/v1/ingest/webhook/', () => {
  it('401s with the exact codes: missing, JWT, unknown, revoked, expired; a session is never accepted', async () => {
    const missing = await ingest([CLAIM]);
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({
      detail: 'Missing or invalid authorization header',
      code: 'not_authenticated',
    });
    const malformedHeader = await ingest([CLAIM], { authorization: 'Basic abc' });
    expect(malformedHeader.json().code).toBe('not_authenticated');

    const jwt = await ingest([CLAIM], { authorization: `Bearer ${await api.bearer('owner_a')}` });
    expect(jwt.statusCode).toBe(401);
    expect(jwt.json()).toEqual({ detail: 'Invalid token', code: 'token_not_valid' });

    const token = await createToken();
    const wrongSecret = `${token.token.slice(0, -4)}AAAA`;
    expect((await ingest([CLAIM], { 'x-ingestion-token': wrongSecret })).json().code).toBe('token_not_valid');

    await api.call('owner_a', 'DELETE', `/api/v1/ingestion-tokens/${token.id}/`);
    const revoked = await ingest([CLAIM], { authorization: `Bearer ${token.token}` });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json()).toEqual({ detail: 'Invalid token', code: 'token_not_valid' });

    const expiring = await createToken();
    await services.database.db
      .updateTable('ingestion_tokens')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', expiring.id)
      .execute();
    const expired = await ingest([CLAIM], { 'x-ingestion-token': expiring.token });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({ detail: 'Token expired', code: 'token_expired' });

    const portal = await loggedInClient(app, 'owner_a');
    const session = await ingest([CLAIM], {
      cookie: [...portal.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'x-csrf-token': await portal.csrf(),
    });
    expect(session.statusCode).toBe(401);
    expect(session.json().code).toBe('not_authenticated');
    expect(await services.database.db.selectFrom('uploads').select('id').execute()).toEqual([]);
  });

  it('202 with a relative status_url; rows stored, PHI refused as in CSV, rollups updated; last_used_at set', async () => {
    const token = await createToken();
    const response = await ingest(
      { claims: [CLAIM, { ...CLAIM, claim_id: 'JSON-2', payer: 'John Smith' }] },
      { authorization: `Bearer ${token.token}` },
    );
    expect(response.statusCode).toBe(202);
    const body = response.json() as { ingestion_id: number; upload_id: number };
    expect(body).toEqual({
      status: 'accepted',
      ingestion_id: expect.any(Number),
      upload_id: expect.any(Number),
      status_url: `/api/v1/uploads/${body.upload_id}/progress/`,
      message: 'Payload received and queued for processing',
    });
    const db = services.database.db;
    const row = await db
      .selectFrom('ingestion_tokens')
      .selectAll()
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    expect(row.last_used_at).not.toBeNull();

    const upload = await waitFor(async () => {
      const u = await findUpload(db, fx.customerA.id, body.upload_id);
      return u && ['success', 'partial', 'failed'].includes(u.status) ? u : null;
    }, 120_000);
    expect(upload).toMatchObject({
      status: 'partial',
      source: 'ingest',
      format: 'json',
      accepted_rows: 1,
      rejected_rows: 1,
      token_id: token.id,
    });
    const report = await findQualityReport(db, fx.customerA.id, upload.id);
    expect(report?.rejection_details).toEqual([
      { row: 2, category: 'phi', reason: 'PHI detected: payer looks like a person name' },
    ]);
    const claims = await db
      .selectFrom('claims')
      .select(['payer', 'allowed_amount'])
      .where('upload_id', '=', upload.id)
      .execute();
    expect(claims).toEqual([{ payer: 'Aetna', allowed_amount: '120.50' }]);
    const rollups = await listRollups(db, fx.customerA.id);
    expect(rollups.map((r) => [r.day, r.payer, Number(r.claim_count)])).toContainEqual([
      '2024-03-01',
      'Aetna',
      1,
    ]);
    expect(JSON.stringify(await db.selectFrom('claims').selectAll().execute())).not.toContain('John Smith');

    // The status URL works for a member of the customer.
    const progress = await api.call(
      'viewer_a',
      'GET',
      body['status_url' as keyof typeof body] as unknown as string,
    );
    expect(progress.statusCode).toBe(200);
  });

  it('NUL and control characters in values and keys never become a 500: cells are cleaned, the batch is processed', async () => {
    const token = await createToken();
    const response = await ingest(
      [{ ...CLAIM, claim_id: 'NUL-1', payer: 'Ae\u0000tna', 'bad\u0000key': 'x\u0000y' }],
      { authorization: `Bearer ${token.token}`, 'x-idempotency-key': 'nul-batch' },
    );
    expect(response.statusCode).toBe(202);
    const { upload_id } = response.json() as { upload_id: number };
    const db = services.database.db;
    const upload = await waitFor(async () => {
      const u = await findUpload(db, fx.customerA.id, upload_id);
      return u && ['success', 'partial', 'failed'].includes(u.status) ? u : null;
    }, 120_000);
    expect(upload.error_message ?? '').toBe('');
    expect(upload.status).toBe('success');
    const claims = await db
      .selectFrom('claims')
      .select(['payer'])
      .where('upload_id', '=', upload_id)
      .execute();
    expect(claims).toEqual([{ payer: 'Aetna' }]);
    // The replay of the same key and body still answers from the stored first response.
    const replay = await ingest(
      [{ ...CLAIM, claim_id: 'NUL-1', payer: 'Ae\u0000tna', 'bad\u0000key': 'x\u0000y' }],
      { authorization: `Bearer ${token.token}`, 'x-idempotency-key': 'nul-batch' },
    );
    expect(replay.statusCode).toBe(200);
  });

  it('X-Idempotency-Key: replay → 200 + Idempotent-Replayed with the first body; another body → 409', async () => {
    const token = await createToken();
    const headers = { 'x-ingestion-token': token.token, 'x-idempotency-key': 'batch-42' };
    const first = await ingest([CLAIM], headers);
    expect(first.statusCode).toBe(202);
    const replay = await ingest([CLAIM], headers);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const conflict = await ingest([{ ...CLAIM, claim_id: 'OTHER' }], headers);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toEqual({
      detail: 'Idempotency key reuse with a different payload',
      code: 'idempotency_conflict',
    });
    const uploads = await services.database.db
      .selectFrom('ingestion_records')
      .select('id')
      .where('idempotency_key', '=', 'batch-42')
      .execute();
    expect(uploads).toHaveLength(1);
    const badKey = await ingest([CLAIM], { 'x-ingestion-token': token.token, 'x-idempotency-key': 'a b' });
    expect(badKey.statusCode).toBe(400);
  });

  it('400 / 413 with the spec messages and nothing stored', async () => {
    const token = await createToken();
    const auth = { 'x-ingestion-token': token.token };
    const before = (await services.database.db.selectFrom('uploads').select('id').execute()).length;
    const cases: Array<[string, number, object]> = [
      ['', 400, { detail: 'Empty payload', code: 'invalid' }],
      ['[]', 400, { detail: 'Empty payload', code: 'invalid' }],
      ['{"claims": [', 400, { detail: 'Request body is not valid JSON', code: 'invalid' }],
      [
        '{"rows": []}',
        400,
        {
          detail: "Payload must be a JSON array of claims or an object with a 'claims' array.",
          code: 'invalid',
        },
      ],
      [
        '[{},{},{},{}]',
        413,
        { detail: 'Batch must contain between 1 and 3 claims', code: 'payload_too_large' },
      ],
    ];
    for (const [payload, status, expected] of cases) {
      const response = await ingest(payload, auth);
      expect(response.statusCode, payload).toBe(status);
      expect(response.json()).toEqual(expected);
    }
    const huge = await ingest(
      `[${JSON.stringify({ ...CLAIM, denial_reason_text: 'x'.repeat(1_100_000) })}]`,
      auth,
    );
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('payload_too_large');
    const after = (await services.database.db.selectFrom('uploads').select('id').execute()).length;
    expect(after).toBe(before);
  });

  it('the per-token throttle answers 429 with Retry-After', async () => {
    const token = await createToken();
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++)
      statuses.push((await ingest('[]', { 'x-ingestion-token': token.token })).statusCode);
    expect(statuses.slice(0, 12).every((s) => s === 400)).toBe(true);
    const throttled = await ingest('[]', { 'x-ingestion-token': token.token });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
    expect(throttled.json().code).toBe('throttled');
    // Another token of the same customer is not affected.
    const other = await createToken();
    expect((await ingest('[]', { 'x-ingestion-token': other.token })).statusCode).toBe(400);
  });
});

describe('CORS (web-api-ops §3.7)', () => {
  it('preflight from an allowed origin → 204 with the spec headers; other origins get none', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/ingest/webhook/',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      vary: expect.stringContaining('Origin'),
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'access-control-allow-headers':
        'Authorization, Content-Type, X-CSRF-Token, X-Request-Id, X-Idempotency-Key',
      'access-control-max-age': '600',
    });
    expect(preflight.headers).not.toHaveProperty('access-control-allow-credentials');

    const other = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/settings/',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(other.statusCode).toBe(204);
    expect(Object.keys(other.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('actual API responses carry origin and exposed headers; portal pages never answer CORS', async () => {
    const response = await api.call('viewer_a', 'GET', '/api/v1/me/', undefined, {
      origin: 'https://app.example.com',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(response.headers['access-control-expose-headers']).toBe(
      'X-Request-Id, X-Request-Duration-Ms, Retry-After, Location',
    );
    const portal = await app.inject({
      method: 'GET',
      url: '/portal/login/',
      headers: { origin: 'https://app.example.com' },
    });
    expect(portal.headers).not.toHaveProperty('access-control-allow-origin');
    const portalPreflight = await app.inject({
      method: 'OPTIONS',
      url: '/portal/login/',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(portalPreflight.headers).not.toHaveProperty('access-control-allow-origin');
  });
});

describe('webhook: the per-customer upload limit and deactivated customers', () => {
  it('429 past UPLOAD_RATE_LIMIT (shared with uploads); a deactivated customer’s token is invalid', async () => {
    const {
      services: own,
      fx: ownFx,
      app: ownApp,
      api: ownApi,
      close,
    } = await startApiTestApp({ env: { UPLOAD_RATE_LIMIT: '1/hour', INGEST_THROTTLE: '100/hour' } });
    try {
      const created = await ownApi.call('owner_a', 'POST', '/api/v1/ingestion-tokens/', { name: 'feed' });
      const token = (created.json() as CreatedToken).token;
      const send = (body: string) =>
        ownApp.inject({
          method: 'POST',
          url: '/api/v1/ingest/webhook/',
          headers: { 'x-ingestion-token': token, 'content-type': 'application/json' },
          payload: body,
        });
      // A refused body does not use the customer's upload slot.
      expect((await send('[]')).statusCode).toBe(400);
      expect((await send(JSON.stringify([CLAIM]))).statusCode).toBe(202);
      const limited = await send(JSON.stringify([{ ...CLAIM, claim_id: 'JSON-9' }]));
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'throttled' });
      expect(limited.json().detail).toMatch(
        /^Upload limit reached: 1 uploads per hour\. Try again in \d+ minutes\.$/,
      );
      expect(limited.headers['retry-after']).toMatch(/^\d+$/);
      expect(await own.database.db.selectFrom('uploads').select('id').execute()).toHaveLength(1);

      await own.database.db
        .updateTable('customers')
        .set({ is_active: false })
        .where('id', '=', ownFx.customerA.id)
        .execute();
      const inactive = await send(JSON.stringify([CLAIM]));
      expect(inactive.statusCode).toBe(401);
      expect(inactive.json()).toEqual({ detail: 'Invalid token', code: 'token_not_valid' });
    } finally {
      await close();
    }
  });
});
