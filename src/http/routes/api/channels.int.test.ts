import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountFixtures } from '../../../../test/accounts.ts';
import { type ApiTestApp, startApiTestApp } from '../../../../test/api-app.ts';
import type { ApiClient } from '../../../../test/api-client.ts';
import type { TestServices } from '../../../../test/services.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/webhook-receiver.ts';
import { createWebhookEndpoint } from '../../../commands/manage-webhook-endpoints.ts';
import { sendTestNotification } from '../../../commands/test-channel.ts';
import { openSecret, sealSecret } from '../../../notify/secrets.ts';

let testApp: ApiTestApp;
let services: TestServices;
let fx: AccountFixtures;
let api: ApiClient;
let endpointA: number;
let endpointB: number;
let receiver: WebhookReceiver;

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/secretTokenWXYZ';

beforeAll(async () => {
  // Private targets allowed: the webhook channel tests send to a receiver on loopback.
  testApp = await startApiTestApp({
    env: { EMAIL_BACKEND: 'memory', SLACK_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
  });
  ({ services, fx, api } = testApp);
  receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
  const endpoint = async (customerId: number, name: string) =>
    (
      await services.database.db
        .insertInto('webhook_endpoints')
        .values({
          customer_id: customerId,
          name,
          url: 'https://hooks.example.com/payrixa',
          event_types: '[]',
          secret_enc: sealSecret(services.config, 'a'.repeat(64)),
          secret_last4: 'aaaa',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  endpointA = await endpoint(fx.customerA.id, 'Ops endpoint');
  endpointB = await endpoint(fx.customerB.id, 'B endpoint');
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await testApp?.close();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

interface ChannelBody {
  id: number;
  name: string;
  type: string;
  enabled: boolean;
  config: Record<string, unknown>;
}
interface Page<T> {
  count: number;
  results: T[];
}

async function audits(customerId: number) {
  return services.database.db
    .selectFrom('audit_events')
    .select(['action', 'entity_id', 'metadata'])
    .where('customer_id', '=', customerId)
    .where('entity_type', '=', 'notification_channel')
    .orderBy('id')
    .execute();
}

describe('channels API', () => {
  it('creates email, Slack and webhook channels with the exact shapes; the Slack URL is sealed and masked', async () => {
    const email = await api.call('owner_a', 'POST', '/api/v1/channels/', {
      name: 'Billing team',
      type: 'email',
      config: { recipients: ['a@example.com', ' b@example.com ', 'A@example.com'] },
    });
    expect(email.statusCode).toBe(201);
    expect(email.json()).toEqual({
      id: expect.any(Number),
      customer: fx.customerA.id,
      name: 'Billing team',
      type: 'email',
      enabled: true,
      config: { recipients: ['a@example.com', 'b@example.com'] },
    });

    const slack = await api.call('admin_a', 'POST', '/api/v1/channels/', {
      name: 'Slack alerts',
      type: 'slack',
      config: { webhook_url: SLACK_URL },
    });
    expect(slack.statusCode).toBe(201);
    expect(slack.json()).toEqual({
      id: expect.any(Number),
      customer: fx.customerA.id,
      name: 'Slack alerts',
      type: 'slack',
      enabled: true,
      config: { webhook_url_masked: '…WXYZ' },
    });
    expect(slack.body).not.toContain('secretToken');
    const slackId = (slack.json() as ChannelBody).id;
    const stored = await services.database.db
      .selectFrom('notification_channels')
      .selectAll()
      .where('id', '=', slackId)
      .executeTakeFirstOrThrow();
    expect(stored.secret_last4).toBe('WXYZ');
    expect(stored.config).toEqual({});
    expect(openSecret(services.config, stored.secret_enc as Buffer)).toBe(SLACK_URL);
    expect((stored.secret_enc as Buffer).toString('latin1')).not.toContain('hooks.slack.com');

    const webhook = await api.call('owner_a', 'POST', '/api/v1/channels/', {
      name: 'Ops webhook',
      type: 'webhook',
      enabled: false,
      config: { endpoint: endpointA },
    });
    expect(webhook.statusCode).toBe(201);
    expect(webhook.json()).toMatchObject({
      type: 'webhook',
      enabled: false,
      config: { endpoint: endpointA },
    });

    const read = await api.call('viewer_a', 'GET', `/api/v1/channels/${slackId}/`);
    expect(read.json()).toMatchObject({ config: { webhook_url_masked: '…WXYZ' } });
    expect(read.body).not.toContain('secretToken');

    const list = async (query: string) =>
      (
        (await api.call('viewer_a', 'GET', `/api/v1/channels/${query}`)).json() as Page<ChannelBody>
      ).results.map((c) => c.name);
    expect(await list('')).toEqual(['Billing team', 'Ops webhook', 'Slack alerts']);
    expect(await list('?type=slack')).toEqual(['Slack alerts']);
    expect(await list('?enabled=false')).toEqual(['Ops webhook']);
    expect(await list('?ordering=-name')).toEqual(['Slack alerts', 'Ops webhook', 'Billing team']);

    const log = await audits(fx.customerA.id);
    expect(log.map((a) => a.action)).toEqual(['channel_created', 'channel_created', 'channel_created']);
    expect(JSON.stringify(log)).not.toContain('secretToken');
    expect(JSON.stringify(log)).not.toContain('WXYZ');
  });

  it('updates: PATCH keeps the Slack URL, a new URL is audited slack_webhook_updated (never logged); the type is fixed', async () => {
    const slack = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=slack')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    const renamed = await api.call('owner_a', 'PATCH', `/api/v1/channels/${slack.id}/`, {
      name: 'Slack #billing',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Slack #billing', config: { webhook_url_masked: '…WXYZ' } });

    const newUrl = 'https://hooks.slack.com/services/T000/B000/otherToken1234';
    const rotated = await api.call('owner_a', 'PUT', `/api/v1/channels/${slack.id}/`, {
      name: 'Slack #billing',
      config: { webhook_url: newUrl },
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toMatchObject({ config: { webhook_url_masked: '…1234' } });
    // Same URL again: nothing changes, nothing is recorded.
    await api.call('owner_a', 'PATCH', `/api/v1/channels/${slack.id}/`, { config: { webhook_url: newUrl } });

    const typeChange = await api.call('owner_a', 'PATCH', `/api/v1/channels/${slack.id}/`, { type: 'email' });
    expect(typeChange.statusCode).toBe(400);
    expect((typeChange.json() as { errors: object }).errors).toEqual({
      type: ['The type of a channel cannot be changed; create a new channel instead.'],
    });

    const log = (await audits(fx.customerA.id)).filter((a) => a.entity_id === String(slack.id));
    expect(log.map((a) => a.action)).toEqual(['channel_created', 'channel_updated', 'slack_webhook_updated']);
    expect(log[1]?.metadata).toMatchObject({ fields: ['name'] });
    expect(JSON.stringify(log)).not.toContain('otherToken');
    expect(JSON.stringify(log)).not.toContain('1234');
  });

  it('refuses invalid channels with field errors (B9: Slack without URL → 400)', async () => {
    const recipients21 = Array.from({ length: 21 }, (_, i) => `r${i}@example.com`);
    const cases: Array<[object, Record<string, string[]>]> = [
      [{ type: 'email', config: { recipients: ['a@example.com'] } }, { name: ['This field is required.'] }],
      [{ name: 'X', config: {} }, { type: ['This field is required.'] }],
      [{ name: 'X', type: 'sms' }, { type: ['"sms" is not a valid choice.'] }],
      [
        { name: 'X', type: 'email', config: { recipients: [] } },
        { config: ['Enter 1 to 20 email addresses.'] },
      ],
      [
        { name: 'X', type: 'email', config: { recipients: recipients21 } },
        { config: ['Enter 1 to 20 email addresses.'] },
      ],
      [
        { name: 'X', type: 'email', config: { recipients: ['ok@example.com', 'not-an-email'] } },
        { config: ["Enter a valid email address: 'not-an-email'."] },
      ],
      [
        { name: 'X', type: 'slack', config: {} },
        { config: ['A Slack channel needs its incoming-webhook URL (https://hooks.slack.com/...).'] },
      ],
      [
        { name: 'X', type: 'slack' },
        { config: ['A Slack channel needs its incoming-webhook URL (https://hooks.slack.com/...).'] },
      ],
      [
        { name: 'X', type: 'slack', config: { webhook_url: 'https://evil.example.com/services/x' } },
        { config: ['Enter a Slack incoming-webhook URL starting with https://hooks.slack.com/.'] },
      ],
      [
        { name: 'X', type: 'slack', config: { webhook_url: 'http://hooks.slack.com/services/x' } },
        { config: ['Enter a Slack incoming-webhook URL starting with https://hooks.slack.com/.'] },
      ],
      [{ name: 'X', type: 'webhook', config: {} }, { config: ['Choose one of your webhook endpoints.'] }],
      [
        { name: 'X', type: 'webhook', config: { endpoint: endpointB } },
        { config: [`Invalid pk "${endpointB}" - object does not exist.`] },
      ],
      [
        { name: 'billing TEAM', type: 'email', config: { recipients: ['a@example.com'] } },
        { name: ["A channel named 'billing TEAM' already exists."] },
      ],
    ];
    for (const [body, errors] of cases) {
      const response = await api.call('owner_a', 'POST', '/api/v1/channels/', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect((response.json() as { errors: object }).errors, JSON.stringify(body)).toEqual(errors);
    }
  });

  it('403 for analyst and viewer writes (before validation); 404 across tenants', async () => {
    const email = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=email')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    for (const user of ['analyst_a', 'viewer_a']) {
      const body = { name: 'N', type: 'email', config: { recipients: ['n@example.com'] } };
      expect((await api.call(user, 'POST', '/api/v1/channels/', body)).statusCode).toBe(403);
      expect((await api.call(user, 'POST', '/api/v1/channels/', { type: 'nope' })).statusCode).toBe(403);
      expect(
        (await api.call(user, 'PATCH', `/api/v1/channels/${email.id}/`, { enabled: false })).statusCode,
      ).toBe(403);
      expect((await api.call(user, 'DELETE', `/api/v1/channels/${email.id}/`)).statusCode).toBe(403);
      expect((await api.call(user, 'POST', `/api/v1/channels/${email.id}/test/`)).statusCode).toBe(403);
      expect((await api.call(user, 'GET', `/api/v1/channels/${email.id}/`)).statusCode).toBe(200);
    }
    expect((await api.call('viewer_b', 'GET', `/api/v1/channels/${email.id}/`)).statusCode).toBe(404);
    expect(((await api.call('viewer_b', 'GET', '/api/v1/channels/')).json() as Page<ChannelBody>).count).toBe(
      0,
    );
    const staffCross = await api.call(
      'operator1',
      'PATCH',
      `/api/v1/channels/${email.id}/?customer=${fx.customerB.id}`,
      { enabled: false },
    );
    expect(staffCross.statusCode).toBe(404);
    const staffOwn = await api.call('operator1', 'PATCH', `/api/v1/channels/${email.id}/`, {
      enabled: false,
      customer: fx.customerA.id,
    });
    expect(staffOwn.statusCode).toBe(200);
    expect((await audits(fx.customerA.id)).at(-1)?.metadata).toMatchObject({ acting_as_operator: true });
    await api.call('owner_a', 'PATCH', `/api/v1/channels/${email.id}/`, { enabled: true });
  });

  it('sends a test e-mail to the recipients (no alert record)', async () => {
    const email = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=email')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    const before = services.mailer.outbox.length;
    const response = await api.call('admin_a', 'POST', `/api/v1/channels/${email.id}/test/`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'sent', detail: 'Sent to 2 recipients.' });
    const sent = services.mailer.outbox.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to: 'a@example.com, b@example.com',
      subject: 'Payrixa test notification for A',
    });
    const alerts = await services.database.db.selectFrom('alert_events').select('id').execute();
    expect(alerts).toHaveLength(0);
    expect((await api.call('owner_a', 'POST', '/api/v1/channels/999999/test/')).statusCode).toBe(404);
  });

  it('sends a Slack test through the sealed URL: 2xx → sent, 500 → failed with the reason', async () => {
    const slack = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=slack')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    const calls: Array<{ url: string; body: string }> = [];
    let status = 200;
    vi.stubGlobal('fetch', async (url: string | URL, init?: RequestInit) => {
      calls.push({ url: String(url), body: String(init?.body) });
      return new Response(status === 200 ? 'ok' : 'invalid_token', { status });
    });
    const ok = await api.call('owner_a', 'POST', `/api/v1/channels/${slack.id}/test/`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'sent', detail: 'Slack answered HTTP 200.' });
    expect(calls[0]?.url).toBe('https://hooks.slack.com/services/T000/B000/otherToken1234');
    expect(JSON.parse(calls[0]?.body ?? '{}')).toEqual({
      text: ':white_check_mark: Payrixa test notification for A',
    });

    status = 500;
    const failed = await api.call('owner_a', 'POST', `/api/v1/channels/${slack.id}/test/`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toEqual({ status: 'failed', detail: 'HTTP 500: invalid_token' });
    expect(failed.body).not.toContain('otherToken');
  });

  it('SLACK_ENABLED=false fails at once without an HTTP call', async () => {
    const slack = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=slack')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    const fetchSpy = vi.fn(async () => new Response('ok'));
    const outcome = await sendTestNotification(
      {
        db: services.database.db,
        config: { ...services.config, slackEnabled: false },
        clock: services.clock,
        mailer: services.mailer,
        fetch: fetchSpy,
      },
      { actor: { customerId: fx.customerA.id, userId: null }, customerName: 'A', channelId: slack.id },
    );
    expect(outcome).toEqual({ status: 'failed', detail: 'Slack disabled' });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('delete removes the channel and takes it out of the rules that list it', async () => {
    const email = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=email')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    const webhook = (
      (await api.call('owner_a', 'GET', '/api/v1/channels/?type=webhook')).json() as Page<ChannelBody>
    ).results[0] as ChannelBody;
    const rule = await api.call('owner_a', 'POST', '/api/v1/alert-rules/', {
      name: 'Routed',
      channels: [webhook.id, email.id],
    });
    const ruleId = (rule.json() as { id: number }).id;
    expect((await api.call('viewer_b', 'DELETE', `/api/v1/channels/${email.id}/`)).statusCode).toBe(403);
    expect((await api.call('owner_a', 'DELETE', `/api/v1/channels/${email.id}/`)).statusCode).toBe(204);
    expect((await api.call('owner_a', 'GET', `/api/v1/channels/${email.id}/`)).statusCode).toBe(404);
    const after = (await api.call('owner_a', 'GET', `/api/v1/alert-rules/${ruleId}/`)).json() as {
      channels: number[];
    };
    expect(after.channels).toEqual([webhook.id]);
    const last = (await audits(fx.customerA.id)).at(-1);
    expect(last).toMatchObject({
      action: 'channel_deleted',
      metadata: expect.objectContaining({ rules_changed: 1 }),
    });
  });
});

describe('channels API: test of a webhook-type channel', () => {
  let endpointId: number;
  let channelId: number;

  beforeAll(async () => {
    const created = await createWebhookEndpoint(
      { db: services.database.db, config: services.config, clock: services.clock },
      { customerId: fx.customerA.id, userId: null },
      { name: 'Receiver', url: receiver.url('/payrixa') },
    );
    receiver.secret = created.secret;
    endpointId = created.endpoint.id;
    const channel = await api.call('admin_a', 'POST', '/api/v1/channels/', {
      name: 'Receiver channel',
      type: 'webhook',
      config: { endpoint: endpointId },
    });
    expect(channel.statusCode).toBe(201);
    channelId = (channel.json() as ChannelBody).id;
  });

  beforeEach(async () => {
    receiver.received.length = 0;
    receiver.respond = (_hook, res) => res.end('ok');
    await services.database.db
      .updateTable('webhook_endpoints')
      .set({ active: true, event_types: '[]' })
      .where('id', '=', endpointId)
      .execute();
  });

  async function deliveries() {
    return services.database.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'event_type', 'status', 'attempts', 'max_attempts', 'response_code', 'next_attempt_at'])
      .where('endpoint_id', '=', endpointId)
      .orderBy('id')
      .execute();
  }

  it('sends a signed ping through the endpoint and reports the answer; the delivery is in its log', async () => {
    const response = await api.call('admin_a', 'POST', `/api/v1/channels/${channelId}/test/`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'sent', detail: "Endpoint 'Receiver' answered HTTP 200." });

    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0];
    expect(hook?.path).toBe('/payrixa');
    expect(hook?.signatureValid).toBe(true);
    expect(hook?.headers['payrixa-event']).toBe('ping');
    expect(hook?.envelope).toMatchObject({
      type: 'ping',
      customer_id: fx.customerA.id,
      data: { message: 'This is a test event from Payrixa', endpoint_id: endpointId },
      metadata: { request_id: response.headers['x-request-id'] },
    });
    const rows = await deliveries();
    expect(rows).toEqual([
      expect.objectContaining({
        event_type: 'ping',
        status: 'success',
        attempts: 1,
        max_attempts: 1,
        response_code: 200,
      }),
    ]);
    expect(hook?.headers['payrixa-delivery']).toBe(String(rows[0]?.id));
    const audit = await services.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('entity_type', '=', 'webhook_delivery')
      .where('entity_id', '=', String(rows[0]?.id))
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['webhook_delivery_sent']);
    expect(await services.database.db.selectFrom('alert_events').select('id').execute()).toHaveLength(0);
  });

  it('a receiver answering 500 fails with its answer after one attempt (no retry)', async () => {
    const before = (await deliveries()).length;
    receiver.respond = (_hook, res) => {
      res.statusCode = 500;
      res.end('receiver broke');
    };
    const response = await api.call('admin_a', 'POST', `/api/v1/channels/${channelId}/test/`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'failed', detail: 'HTTP 500: receiver broke' });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.signatureValid).toBe(true);
    const rows = (await deliveries()).slice(before);
    expect(rows).toEqual([
      expect.objectContaining({
        event_type: 'ping',
        status: 'failed',
        attempts: 1,
        response_code: 500,
        next_attempt_at: null,
      }),
    ]);
  });

  it('an inactive or unsubscribed endpoint fails with the reason an alert would be skipped, sending nothing', async () => {
    const before = (await deliveries()).length;
    await services.database.db
      .updateTable('webhook_endpoints')
      .set({ active: false })
      .where('id', '=', endpointId)
      .execute();
    const inactive = await api.call('admin_a', 'POST', `/api/v1/channels/${channelId}/test/`);
    expect(inactive.json()).toEqual({ status: 'failed', detail: 'Endpoint is inactive' });

    await services.database.db
      .updateTable('webhook_endpoints')
      .set({ active: true, event_types: JSON.stringify(['analysis_run.completed']) })
      .where('id', '=', endpointId)
      .execute();
    const unsubscribed = await api.call('admin_a', 'POST', `/api/v1/channels/${channelId}/test/`);
    expect(unsubscribed.json()).toEqual({
      status: 'failed',
      detail: 'Endpoint is not subscribed to alert.triggered',
    });
    expect(receiver.received).toHaveLength(0);
    expect(await deliveries()).toHaveLength(before);
  });

  it('only callers with manage_webhooks may test it', async () => {
    for (const user of ['analyst_a', 'viewer_a']) {
      expect((await api.call(user, 'POST', `/api/v1/channels/${channelId}/test/`)).statusCode).toBe(403);
    }
    expect((await api.call('viewer_b', 'POST', `/api/v1/channels/${channelId}/test/`)).statusCode).toBe(403);
    expect(receiver.received).toHaveLength(0);
  });
});
