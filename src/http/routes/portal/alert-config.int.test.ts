import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AccountFixtures, createAccountFixtures, loggedInClient } from '../../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../../test/services.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/webhook-receiver.ts';
import { sealSecret } from '../../../notify/secrets.ts';
import { buildApp } from '../../app.ts';

let services: TestServices;
let app: FastifyInstance;
let fx: AccountFixtures;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // Private targets allowed: the webhook channel's test sends to a receiver on loopback.
  services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '10000/minute',
      EMAIL_BACKEND: 'memory',
      SLACK_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    },
  });
  app = await buildApp(services);
  fx = await createAccountFixtures(services.database.db);
  receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await app?.close();
  await services?.dispose();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** The page text with Eta's entity escapes undone (flash messages quote names). */
function text(body: string): string {
  return body
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const RULE_FORM = {
  name: 'Aetna spikes',
  description: '',
  product: 'denialscope',
  scope_payer: 'Aetna',
  scope_cpt_group: '',
  metric: 'relative_increase',
  threshold_type: 'gte',
  threshold_value: '0.5',
  severity: 'critical',
  priority: '7',
  routing_tags: 'billing',
  enabled: 'on',
};

async function ruleNamed(name: string) {
  return services.database.db
    .selectFrom('alert_rules')
    .selectAll()
    .where('customer_id', '=', fx.customerA.id)
    .where('name', '=', name)
    .executeTakeFirst();
}

async function channelNamed(name: string) {
  return services.database.db
    .selectFrom('notification_channels')
    .selectAll()
    .where('customer_id', '=', fx.customerA.id)
    .where('name', '=', name)
    .executeTakeFirst();
}

describe('/portal/alerts/rules/', () => {
  it('renders for every role; only owners and admins get the forms', async () => {
    for (const user of ['owner_a', 'admin_a', 'analyst_a', 'viewer_a']) {
      const c = await loggedInClient(app, user);
      const page = await c.get('/portal/alerts/rules/');
      expect(page.statusCode, user).toBe(200);
      const body = text(page.body);
      expect(body).toContain('<title>Payrixa Portal - Alert rules</title>');
      expect(body).toContain('High severity findings');
      expect(body).toContain('severity ≥ 0.70');
      expect(body).toContain('Critical');
      expect(body).toContain('All enabled channels');
      expect(body).toContain('href="/portal/alerts/channels/"');
      const manager = user === 'owner_a' || user === 'admin_a';
      expect(body.includes('Create rule'), user).toBe(manager);
      expect(body.includes('Only owners and admins can change alert rules.'), user).toBe(!manager);
      const rule = await ruleNamed('High severity findings');
      const edit = await c.get(`/portal/alerts/rules/${rule?.id}/`);
      expect(edit.statusCode).toBe(200);
      expect(edit.body.includes('<fieldset disabled>'), user).toBe(!manager);
    }
  });

  it('creates, updates and deletes a rule with the exact messages and audit events', async () => {
    const c = await loggedInClient(app, 'admin_a');
    const created = await c.post('/portal/alerts/rules/', RULE_FORM);
    expect(created.statusCode).toBe(302);
    expect(created.headers.location).toBe('/portal/alerts/rules/');
    const list = text((await c.get('/portal/alerts/rules/')).body);
    expect(list).toContain("Alert rule 'Aetna spikes' created.");
    expect(list).toContain('relative_increase ≥ 0.50');
    expect(list).toContain('payer = Aetna');
    const row = await ruleNamed('Aetna spikes');
    expect(row).toMatchObject({
      product: 'denialscope',
      scope: { payer: 'Aetna' },
      threshold_value: 0.5,
      severity: 'critical',
      priority: 7,
      routing_tags: ['billing'],
      enabled: true,
    });

    const invalid = await c.post('/portal/alerts/rules/', {
      ...RULE_FORM,
      name: 'aetna SPIKES',
      threshold_value: 'lots',
    });
    expect(invalid.statusCode).toBe(400);
    const invalidBody = text(invalid.body);
    expect(invalidBody).toContain("An alert rule named 'aetna SPIKES' already exists.");
    expect(invalidBody).toContain('A valid number is required.');
    expect(invalidBody).toContain('value="lots"');

    const { enabled: _enabled, ...unticked } = RULE_FORM;
    const updated = await c.post(`/portal/alerts/rules/${row?.id}/`, {
      ...unticked,
      name: 'Aetna spikes v2',
    });
    expect(updated.statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/rules/')).body)).toContain(
      "Alert rule 'Aetna spikes v2' updated.",
    );
    expect(await ruleNamed('Aetna spikes v2')).toMatchObject({ enabled: false });

    const deleted = await c.post(`/portal/alerts/rules/${row?.id}/delete/`);
    expect(deleted.statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/rules/')).body)).toContain(
      "Alert rule 'Aetna spikes v2' deleted.",
    );
    expect(await ruleNamed('Aetna spikes v2')).toBeUndefined();
    expect((await c.get(`/portal/alerts/rules/${row?.id}/`)).statusCode).toBe(404);
    expect((await c.post(`/portal/alerts/rules/${row?.id}/delete/`)).statusCode).toBe(404);

    const actions = await services.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('customer_id', '=', fx.customerA.id)
      .where('entity_type', '=', 'alert_rule')
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'alert_rule_created',
      'alert_rule_updated',
      'alert_rule_deleted',
    ]);
  });

  it('needs CSRF; analysts and viewers get 403 on every POST; other customers’ rules are 404', async () => {
    const rule = await ruleNamed('High severity findings');
    const admin = await loggedInClient(app, 'admin_a');
    const noCsrf = await admin.post('/portal/alerts/rules/', RULE_FORM, { csrf: false });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.body).toContain('CSRF');
    expect(
      (await admin.post(`/portal/alerts/rules/${rule?.id}/delete/`, {}, { csrf: false })).statusCode,
    ).toBe(403);
    expect(await ruleNamed('High severity findings')).toBeDefined();

    for (const user of ['analyst_a', 'viewer_a']) {
      const c = await loggedInClient(app, user);
      expect((await c.post('/portal/alerts/rules/', RULE_FORM)).statusCode).toBe(403);
      expect((await c.post(`/portal/alerts/rules/${rule?.id}/`, RULE_FORM)).statusCode).toBe(403);
      expect((await c.post(`/portal/alerts/rules/${rule?.id}/delete/`)).statusCode).toBe(403);
    }
    expect(await ruleNamed('High severity findings')).toBeDefined();
    expect(await ruleNamed('Aetna spikes')).toBeUndefined();

    const b = await loggedInClient(app, 'viewer_b');
    expect((await b.get(`/portal/alerts/rules/${rule?.id}/`)).statusCode).toBe(404);
    const staff = await loggedInClient(app, 'operator1');
    await staff.post('/portal/operator/switch/', { customer_id: String(fx.customerB.id) });
    expect((await staff.post(`/portal/alerts/rules/${rule?.id}/delete/`)).statusCode).toBe(404);
    const staffCreate = await staff.post('/portal/alerts/rules/', { ...RULE_FORM, name: 'Staff made' });
    expect(staffCreate.statusCode).toBe(302);
    const staffRule = await services.database.db
      .selectFrom('alert_rules')
      .select('customer_id')
      .where('name', '=', 'Staff made')
      .executeTakeFirstOrThrow();
    expect(staffRule.customer_id).toBe(fx.customerB.id);
  });
});

describe('/portal/alerts/channels/', () => {
  it('renders for every role with the Settings email fallback', async () => {
    await services.database.db
      .updateTable('customer_settings')
      .set({ to_email: 'alerts@a.example', cc_email: 'cfo@a.example' })
      .where('customer_id', '=', fx.customerA.id)
      .execute();
    for (const user of ['owner_a', 'admin_a', 'analyst_a', 'viewer_a']) {
      const c = await loggedInClient(app, user);
      const page = await c.get('/portal/alerts/channels/');
      expect(page.statusCode, user).toBe(200);
      const body = text(page.body);
      expect(body).toContain('<title>Payrixa Portal - Notification channels</title>');
      expect(body).toContain('Settings email');
      expect(body).toContain('alerts@a.example, cc cfo@a.example');
      expect(body).toContain('When no channel is enabled, alerts go to the Settings email');
      expect(body).toContain('href="/portal/settings/"');
      expect(body).toContain('href="/portal/alerts/rules/"');
      const manager = user === 'owner_a' || user === 'admin_a';
      expect(body.includes('Add a channel'), user).toBe(manager);
    }
  });

  it('creates email and Slack channels ("Channel … saved."), masks the URL, edits, tests and deletes', async () => {
    const c = await loggedInClient(app, 'owner_a');
    const email = await c.post('/portal/alerts/channels/', {
      name: 'Billing mail',
      type: 'email',
      recipients: 'one@a.example\ntwo@a.example',
      enabled: 'on',
    });
    expect(email.statusCode).toBe(302);
    let list = text((await c.get('/portal/alerts/channels/')).body);
    expect(list).toContain("Channel 'Billing mail' saved.");
    expect(list).toContain('2 recipients');
    expect(list).toContain('Fallback only');

    const url = 'https://hooks.slack.com/services/T1/B1/portalSecretQ7r9';
    expect(
      (
        await c.post('/portal/alerts/channels/', {
          name: 'Slack ops',
          type: 'slack',
          webhook_url: url,
          enabled: 'on',
        })
      ).statusCode,
    ).toBe(302);
    list = text((await c.get('/portal/alerts/channels/')).body);
    expect(list).toContain("Channel 'Slack ops' saved.");
    expect(list).toContain('hooks.slack.com …Q7r9');
    expect(list).not.toContain('portalSecret');
    const slack = await channelNamed('Slack ops');
    const edit = text((await c.get(`/portal/alerts/channels/${slack?.id}/`)).body);
    expect(edit).toContain('…Q7r9');
    expect(edit).not.toContain('portalSecret');

    // B9: a Slack channel without a URL is refused; the typed URL is never echoed back.
    const missing = await c.post('/portal/alerts/channels/', {
      name: 'Slack 2',
      type: 'slack',
      webhook_url: '',
    });
    expect(missing.statusCode).toBe(400);
    expect(text(missing.body)).toContain('A Slack channel needs its incoming-webhook URL');
    const wrong = await c.post('/portal/alerts/channels/', {
      name: 'Slack 3',
      type: 'slack',
      webhook_url: 'https://example.com/secretish',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).not.toContain('secretish');

    // Edit: blank URL keeps it; unticked = disabled.
    const saved = await c.post(`/portal/alerts/channels/${slack?.id}/`, {
      name: 'Slack #ops',
      webhook_url: '',
    });
    expect(saved.statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain("Channel 'Slack #ops' saved.");
    const after = await channelNamed('Slack #ops');
    expect(after).toMatchObject({ enabled: false, secret_last4: 'Q7r9' });
    expect(after?.secret_enc).toEqual(slack?.secret_enc);

    // Send test: e-mail through the mailer.
    const mail = await channelNamed('Billing mail');
    const before = services.mailer.outbox.length;
    expect((await c.post(`/portal/alerts/channels/${mail?.id}/test/`)).statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain(
      "Test notification sent to 'Billing mail'.",
    );
    expect(services.mailer.outbox.slice(before)).toEqual([
      expect.objectContaining({
        to: 'one@a.example, two@a.example',
        subject: 'Payrixa test notification for A',
      }),
    ]);

    // Slack answering 500.
    vi.stubGlobal('fetch', async () => new Response('no_service', { status: 500 }));
    expect((await c.post(`/portal/alerts/channels/${slack?.id}/test/`)).statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain(
      "Test notification to 'Slack #ops' failed: HTTP 500: no_service",
    );
    vi.stubGlobal('fetch', async () => new Response('ok', { status: 200 }));
    await c.post(`/portal/alerts/channels/${slack?.id}/test/`);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain(
      "Test notification sent to 'Slack #ops'.",
    );

    const removed = await c.post(`/portal/alerts/channels/${mail?.id}/delete/`);
    expect(removed.statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain("Channel 'Billing mail' deleted.");
    expect(await channelNamed('Billing mail')).toBeUndefined();

    const log = await services.database.db
      .selectFrom('audit_events')
      .select(['action', 'metadata'])
      .where('customer_id', '=', fx.customerA.id)
      .where('entity_type', '=', 'notification_channel')
      .orderBy('id')
      .execute();
    expect(log.map((a) => a.action)).toEqual([
      'channel_created',
      'channel_created',
      'channel_updated',
      'channel_deleted',
    ]);
    expect(JSON.stringify(log)).not.toContain('portalSecret');
  });

  it('needs CSRF; analysts and viewers get 403; another customer’s channel is 404', async () => {
    const slack = await channelNamed('Slack #ops');
    const owner = await loggedInClient(app, 'owner_a');
    expect(
      (
        await owner.post(
          '/portal/alerts/channels/',
          { name: 'X', type: 'email', recipients: 'x@a.example' },
          { csrf: false },
        )
      ).statusCode,
    ).toBe(403);
    expect(
      (await owner.post(`/portal/alerts/channels/${slack?.id}/test/`, {}, { csrf: false })).statusCode,
    ).toBe(403);
    expect(await channelNamed('X')).toBeUndefined();
    for (const user of ['analyst_a', 'viewer_a']) {
      const c = await loggedInClient(app, user);
      expect((await c.get(`/portal/alerts/channels/${slack?.id}/`)).statusCode).toBe(200);
      const form = { name: 'Y', type: 'email', recipients: 'y@a.example' };
      expect((await c.post('/portal/alerts/channels/', form)).statusCode).toBe(403);
      expect((await c.post(`/portal/alerts/channels/${slack?.id}/`, { name: 'Z' })).statusCode).toBe(403);
      expect((await c.post(`/portal/alerts/channels/${slack?.id}/test/`)).statusCode).toBe(403);
      expect((await c.post(`/portal/alerts/channels/${slack?.id}/delete/`)).statusCode).toBe(403);
    }
    expect(await channelNamed('Slack #ops')).toBeDefined();
    const b = await loggedInClient(app, 'viewer_b');
    expect((await b.get(`/portal/alerts/channels/${slack?.id}/`)).statusCode).toBe(404);
    const staff = await loggedInClient(app, 'operator1');
    await staff.post('/portal/operator/switch/', { customer_id: String(fx.customerB.id) });
    expect((await staff.post(`/portal/alerts/channels/${slack?.id}/delete/`)).statusCode).toBe(404);
  });

  it('webhook-type channels name one of the customer’s endpoints; their test sends a signed ping there', async () => {
    receiver.secret = 'b'.repeat(64);
    const endpoint = await services.database.db
      .insertInto('webhook_endpoints')
      .values({
        customer_id: fx.customerA.id,
        name: 'Ops hook',
        url: receiver.url('/ops'),
        event_types: '[]',
        secret_enc: sealSecret(services.config, receiver.secret),
        secret_last4: 'bbbb',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const c = await loggedInClient(app, 'admin_a');
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain('Ops hook');
    const created = await c.post('/portal/alerts/channels/', {
      name: 'Hook channel',
      type: 'webhook',
      endpoint: String(endpoint.id),
      enabled: 'on',
    });
    expect(created.statusCode).toBe(302);
    const row = await channelNamed('Hook channel');
    expect(row?.config).toEqual({ endpoint: endpoint.id });

    const sent = await c.post(`/portal/alerts/channels/${row?.id}/test/`);
    expect(sent.statusCode).toBe(302);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain(
      "Test notification sent to 'Hook channel'.",
    );
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({
      path: '/ops',
      signatureValid: true,
      envelope: { type: 'ping', data: { endpoint_id: endpoint.id } },
    });

    receiver.respond = (_hook, res) => {
      res.statusCode = 500;
      res.end('down for maintenance');
    };
    await c.post(`/portal/alerts/channels/${row?.id}/test/`);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain(
      "Test notification to 'Hook channel' failed: HTTP 500: down for maintenance",
    );
    expect(receiver.received).toHaveLength(2);

    await services.database.db
      .updateTable('webhook_endpoints')
      .set({ active: false })
      .where('id', '=', endpoint.id)
      .execute();
    await c.post(`/portal/alerts/channels/${row?.id}/test/`);
    expect(text((await c.get('/portal/alerts/channels/')).body)).toContain(
      "Test notification to 'Hook channel' failed: Endpoint is inactive",
    );
    expect(receiver.received).toHaveLength(2);
    const log = await services.database.db
      .selectFrom('webhook_deliveries')
      .select(['event_type', 'status'])
      .where('endpoint_id', '=', endpoint.id)
      .orderBy('id')
      .execute();
    expect(log).toEqual([
      { event_type: 'ping', status: 'success' },
      { event_type: 'ping', status: 'failed' },
    ]);

    const bad = await c.post('/portal/alerts/channels/', { name: 'Hook 2', type: 'webhook', endpoint: '' });
    expect(bad.statusCode).toBe(400);
    expect(text(bad.body)).toContain('Choose one of your webhook endpoints.');
  });
});
