import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/webhook-receiver.ts';

let testApp: ApiTestApp;
let fx: AccountFixtures;
let receiver: WebhookReceiver;

beforeAll(async () => {
  testApp = await startApiTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  ({ fx } = testApp);
  receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await testApp?.close();
});

const endpoints = () =>
  testApp.services.database.db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute();

describe('/portal/alerts/webhooks/', () => {
  let id: number;
  let secret: string;

  it('owner creates an endpoint and sees the secret once', async () => {
    const owner = await loggedInClient(testApp.app, 'owner_a');
    const empty = await owner.get('/portal/alerts/webhooks/');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('No webhook endpoints yet');
    expect(empty.body).toContain('Add an endpoint');

    const created = await owner.post('/portal/alerts/webhooks/', {
      name: 'Pager',
      url: receiver.url('/pager'),
      event_types: ['alert.triggered', 'analysis_run.failed'],
      active: 'on',
    });
    expect(created.statusCode).toBe(200);
    const [row] = await endpoints();
    id = row!.id;
    const match = /<code class="token-once">([0-9a-f]{64})<\/code>/.exec(created.body);
    secret = match?.[1] ?? '';
    expect(secret).toHaveLength(64);
    expect(row).toMatchObject({
      name: 'Pager',
      active: true,
      event_types: ['alert.triggered', 'analysis_run.failed'],
      secret_last4: secret.slice(-4),
    });
    expect(created.body).toContain('it will not be shown again');

    const list = await owner.get('/portal/alerts/webhooks/');
    expect(list.body).toContain('Pager');
    expect(list.body).toContain(`••••${secret.slice(-4)}`);
    expect(list.body).not.toContain(secret);
  });

  it('bad URL re-renders the form with the spec message (400)', async () => {
    const admin = await loggedInClient(testApp.app, 'admin_a');
    const response = await admin.post('/portal/alerts/webhooks/', { name: 'Bad', url: 'ftp://example.com/' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Webhook URL must be a public https URL.');
    expect(response.body).toContain('value="Bad"');
  });

  it('analyst and viewer read but cannot write; another customer gets 404; CSRF is required', async () => {
    for (const user of ['analyst_a', 'viewer_a']) {
      const client = await loggedInClient(testApp.app, user);
      const list = await client.get('/portal/alerts/webhooks/');
      expect(list.statusCode).toBe(200);
      expect(list.body).toContain('Pager');
      expect(list.body).not.toContain('Add an endpoint');
      expect((await client.get(`/portal/alerts/webhooks/${id}/`)).statusCode).toBe(200);
      for (const path of ['', 'test/', 'rotate-secret/', 'delete/']) {
        expect(
          (await client.post(`/portal/alerts/webhooks/${id}/${path}`, { name: 'x', url: receiver.url() }))
            .statusCode,
        ).toBe(403);
      }
      expect(
        (await client.post('/portal/alerts/webhooks/', { name: 'x', url: receiver.url() })).statusCode,
      ).toBe(403);
    }
    const other = await loggedInClient(testApp.app, 'viewer_b');
    expect((await other.get(`/portal/alerts/webhooks/${id}/`)).statusCode).toBe(404);
    expect((await other.get('/portal/alerts/webhooks/')).body).not.toContain('Pager');
    const owner = await loggedInClient(testApp.app, 'owner_a');
    expect((await owner.post(`/portal/alerts/webhooks/${id}/test/`, {}, { csrf: false })).statusCode).toBe(
      403,
    );
  });

  it('"Send test event" flashes the outcome; the delivery log expands to body and attempts', async () => {
    const owner = await loggedInClient(testApp.app, 'owner_a');
    receiver.secret = secret;
    receiver.respond = (_hook, res) => res.end('ok');
    const ok = await owner.post(`/portal/alerts/webhooks/${id}/test/`);
    expect(ok.statusCode).toBe(302);
    expect(ok.headers.location).toBe(`/portal/alerts/webhooks/${id}/`);
    expect(receiver.received.at(-1)).toMatchObject({ signatureValid: true });
    let page = await owner.get(`/portal/alerts/webhooks/${id}/`);
    expect(page.body).toMatch(/Test event delivered \(HTTP 200 in \d+ ms\)/);
    receiver.respond = (_hook, res) => res.writeHead(500).end('Internal Server Error');
    await owner.post(`/portal/alerts/webhooks/${id}/test/`);
    page = await owner.get(`/portal/alerts/webhooks/${id}/`);
    expect(page.body).toContain('Test event failed: HTTP 500: Internal Server Error');
    expect(page.body).toContain('Delivery #');
    expect(page.body).toContain('This is a test event from Payrixa');
    expect(page.body).toContain('HTTP 500');
    expect(page.body).not.toContain(secret);
  });

  it('edit saves; rotating shows the new secret once; an automatic deactivation is explained', async () => {
    const owner = await loggedInClient(testApp.app, 'owner_a');
    const saved = await owner.post(`/portal/alerts/webhooks/${id}/`, {
      name: 'Pager 2',
      url: receiver.url('/pager'),
      active: 'on',
    });
    expect(saved.statusCode).toBe(302);
    expect((await owner.get(`/portal/alerts/webhooks/${id}/`)).body).toContain(
      'Webhook endpoint &#39;Pager 2&#39; saved.',
    );
    expect((await endpoints())[0]).toMatchObject({ name: 'Pager 2', event_types: [] });

    const rotated = await owner.post(`/portal/alerts/webhooks/${id}/rotate-secret/`);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.body).toContain('Webhook secret rotated. Copy it now; it will not be shown again.');
    const newSecret = /<code class="token-once">([0-9a-f]{64})<\/code>/.exec(rotated.body)?.[1];
    expect(newSecret).toBeDefined();
    expect(newSecret).not.toBe(secret);
    expect((await owner.get(`/portal/alerts/webhooks/${id}/`)).body).not.toContain(newSecret);

    await testApp.services.database.db
      .updateTable('webhook_endpoints')
      .set({
        active: false,
        disabled_reason:
          'Disabled automatically after 5 consecutive failed deliveries (last error: HTTP 500)',
      })
      .where('id', '=', id)
      .execute();
    const disabled = await owner.get(`/portal/alerts/webhooks/${id}/`);
    expect(disabled.body).toContain('Disabled automatically after 5 consecutive failed deliveries');
    expect((await owner.get('/portal/alerts/webhooks/')).body).toContain('Disabled automatically');
    // Switching it back on clears the reason.
    await owner.post(`/portal/alerts/webhooks/${id}/`, {
      name: 'Pager 2',
      url: receiver.url('/pager'),
      active: 'on',
    });
    expect((await endpoints())[0]).toMatchObject({
      active: true,
      disabled_reason: null,
      consecutive_failures: 0,
    });
  });

  it('delete removes the endpoint and its log', async () => {
    const owner = await loggedInClient(testApp.app, 'owner_a');
    const deleted = await owner.post(`/portal/alerts/webhooks/${id}/delete/`);
    expect(deleted.statusCode).toBe(302);
    expect(deleted.headers.location).toBe('/portal/alerts/webhooks/');
    expect((await owner.get('/portal/alerts/webhooks/')).body).toContain(
      'Webhook endpoint &#39;Pager 2&#39; deleted.',
    );
    expect((await owner.get(`/portal/alerts/webhooks/${id}/`)).statusCode).toBe(404);
    expect(await endpoints()).toHaveLength(0);
    const log = await testApp.services.database.db.selectFrom('webhook_deliveries').selectAll().execute();
    expect(log).toHaveLength(0);
    expect(fx.customerA.id).toBeGreaterThan(0);
  });
});
