import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountFixtures } from '../../../../test/accounts.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import type { ApiClient } from '../../../../test/api-client.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/webhook-receiver.ts';

let testApp: ApiTestApp;
let fx: AccountFixtures;
let api: ApiClient;
let receiver: WebhookReceiver;

beforeAll(async () => {
  testApp = await startApiTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  ({ fx, api } = testApp);
  receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await testApp?.close();
});

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

async function audits(action: string) {
  return testApp.services.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .execute();
}

describe('webhook-endpoints API', () => {
  let id: number;
  let secret: string;

  it('owner creates: 201 with the secret once; reads never show it', async () => {
    const created = await api.call('owner_a', 'POST', '/api/v1/webhook-endpoints/', {
      name: 'Ops',
      url: receiver.url('/ops'),
      event_types: ['analysis_run.completed', 'alert.triggered'],
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    secret = body.secret;
    id = body.id;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(body).toEqual({
      id: expect.any(Number),
      customer: fx.customerA.id,
      name: 'Ops',
      url: receiver.url('/ops'),
      active: true,
      event_types: ['alert.triggered', 'analysis_run.completed'],
      secret_last4: secret.slice(-4),
      created_at: ISO,
      secret,
    });
    for (const user of ['owner_a', 'admin_a', 'analyst_a', 'viewer_a']) {
      const detail = await api.call(user, 'GET', `/api/v1/webhook-endpoints/${id}/`);
      expect(detail.statusCode).toBe(200);
      expect(detail.json()).not.toHaveProperty('secret');
      expect(detail.body).not.toContain(secret);
      const list = await api.call(user, 'GET', '/api/v1/webhook-endpoints/');
      expect(list.json()).toMatchObject({ count: 1, results: [{ id, secret_last4: secret.slice(-4) }] });
      expect(list.body).not.toContain(secret);
    }
    const [audit] = await audits('webhook_endpoint_created');
    expect(audit).toMatchObject({ customer_id: fx.customerA.id, entity_id: String(id) });
    expect(JSON.stringify(audit?.metadata)).not.toContain(secret);
    // The secret is stored sealed, not in clear.
    const row = await testApp.services.database.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.secret_enc.toString('latin1')).not.toContain(secret);
  });

  it('analyst and viewer cannot write (403); another customer gets 404', async () => {
    for (const user of ['analyst_a', 'viewer_a']) {
      expect(
        (await api.call(user, 'POST', '/api/v1/webhook-endpoints/', { name: 'x', url: receiver.url() }))
          .statusCode,
      ).toBe(403);
      expect(
        (await api.call(user, 'PATCH', `/api/v1/webhook-endpoints/${id}/`, { active: false })).statusCode,
      ).toBe(403);
      expect((await api.call(user, 'DELETE', `/api/v1/webhook-endpoints/${id}/`)).statusCode).toBe(403);
      expect((await api.call(user, 'POST', `/api/v1/webhook-endpoints/${id}/test/`)).statusCode).toBe(403);
      expect(
        (await api.call(user, 'POST', `/api/v1/webhook-endpoints/${id}/rotate-secret/`)).statusCode,
      ).toBe(403);
    }
    for (const path of ['', 'deliveries/']) {
      expect((await api.call('viewer_b', 'GET', `/api/v1/webhook-endpoints/${id}/${path}`)).statusCode).toBe(
        404,
      );
    }
    expect((await api.call('viewer_b', 'GET', '/api/v1/webhook-endpoints/')).json()).toMatchObject({
      count: 0,
    });
    // Staff acting for B cannot reach A's endpoint either.
    expect(
      (
        await api.call(
          'operator1',
          'POST',
          `/api/v1/webhook-endpoints/${id}/test/?customer=${fx.customerB.id}`,
        )
      ).statusCode,
    ).toBe(404);
  });

  it('bad input: URL rule, unknown event type, duplicate name', async () => {
    const badUrl = await api.call('owner_a', 'POST', '/api/v1/webhook-endpoints/', {
      name: 'Bad',
      url: 'ftp://example.com/hook',
    });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toMatchObject({
      detail: 'Webhook URL must be a public https URL.',
      errors: { url: ['Webhook URL must be a public https URL.'] },
    });
    const badType = await api.call('owner_a', 'POST', '/api/v1/webhook-endpoints/', {
      name: 'Bad',
      url: receiver.url(),
      event_types: ['nope'],
    });
    expect(badType.statusCode).toBe(400);
    const dup = await api.call('admin_a', 'POST', '/api/v1/webhook-endpoints/', {
      name: 'ops',
      url: receiver.url(),
    });
    expect(dup.statusCode).toBe(400);
    expect(dup.json().errors).toEqual({ name: ["A webhook endpoint named 'ops' already exists."] });
  });

  it('test/ sends a signed ping and answers with the delivery; deliveries/ lists it (status filter)', async () => {
    receiver.secret = secret;
    const sent = await api.call('admin_a', 'POST', `/api/v1/webhook-endpoints/${id}/test/`);
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toEqual({
      id: expect.any(Number),
      event_type: 'ping',
      status: 'success',
      attempts: 1,
      response_code: 200,
      last_error: null,
      last_attempt_at: ISO,
      next_attempt_at: null,
      created_at: ISO,
    });
    expect(receiver.received.at(-1)).toMatchObject({ path: '/ops', signatureValid: true });
    receiver.respond = (_hook, res) => res.writeHead(500).end('Internal Server Error');
    const failed = await api.call('admin_a', 'POST', `/api/v1/webhook-endpoints/${id}/test/`);
    expect(failed.json()).toMatchObject({
      status: 'failed',
      response_code: 500,
      last_error: 'HTTP 500: Internal Server Error',
    });
    const log = await api.call('viewer_a', 'GET', `/api/v1/webhook-endpoints/${id}/deliveries/`);
    expect(log.json()).toMatchObject({ count: 2, results: [{ status: 'failed' }, { status: 'success' }] });
    const onlyFailed = await api.call(
      'viewer_a',
      'GET',
      `/api/v1/webhook-endpoints/${id}/deliveries/?status=failed`,
    );
    expect(onlyFailed.json()).toMatchObject({
      count: 1,
      results: [{ status: 'failed', event_type: 'ping' }],
    });
    expect(
      (await api.call('viewer_a', 'GET', `/api/v1/webhook-endpoints/${id}/deliveries/?status=bogus`))
        .statusCode,
    ).toBe(400);
  });

  it('rotate-secret/ returns a new secret once; PATCH/PUT change fields; DELETE removes', async () => {
    const rotated = await api.call('owner_a', 'POST', `/api/v1/webhook-endpoints/${id}/rotate-secret/`);
    expect(rotated.statusCode).toBe(200);
    const newSecret = rotated.json().secret as string;
    expect(newSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(newSecret).not.toBe(secret);
    expect(rotated.json().secret_last4).toBe(newSecret.slice(-4));
    expect(await audits('webhook_secret_rotated')).toHaveLength(1);

    const patched = await api.call('admin_a', 'PATCH', `/api/v1/webhook-endpoints/${id}/`, { active: false });
    expect(patched.json()).toMatchObject({ id, active: false, name: 'Ops' });
    const put = await api.call('admin_a', 'PUT', `/api/v1/webhook-endpoints/${id}/`, {
      name: 'Ops 2',
      url: receiver.url('/ops2'),
    });
    expect(put.json()).toMatchObject({
      name: 'Ops 2',
      url: receiver.url('/ops2'),
      active: true,
      event_types: [],
    });
    expect(await audits('webhook_endpoint_updated')).toHaveLength(2);

    expect((await api.call('owner_a', 'DELETE', `/api/v1/webhook-endpoints/${id}/`)).statusCode).toBe(204);
    expect((await api.call('owner_a', 'GET', `/api/v1/webhook-endpoints/${id}/`)).statusCode).toBe(404);
    expect(await audits('webhook_endpoint_deleted')).toHaveLength(1);
  });

  it('is in the OpenAPI document and the API index', async () => {
    const schema = await testApp.app.inject({ method: 'GET', url: '/api/v1/schema/' });
    const paths = Object.keys(schema.json().paths);
    for (const path of [
      '/api/v1/webhook-endpoints/',
      '/api/v1/webhook-endpoints/{id}/',
      '/api/v1/webhook-endpoints/{id}/test/',
      '/api/v1/webhook-endpoints/{id}/rotate-secret/',
      '/api/v1/webhook-endpoints/{id}/deliveries/',
    ]) {
      expect(paths).toContain(path);
    }
    const index = await api.call('viewer_a', 'GET', '/api/v1/');
    expect(index.body).toContain('webhook-endpoints');
  });
});
