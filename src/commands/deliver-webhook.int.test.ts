import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AccountFixtures, createAccountFixtures } from '../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver.ts';
import type { HostResolver } from '../notify/webhooks/destination-guard.ts';
import { alertTriggeredData } from '../presenters/webhooks.ts';
import {
  AUTO_DISABLE_AFTER,
  attemptWebhookDelivery,
  deliverAlertTriggered,
  dispatchDueWebhookDeliveries,
  emitRunWebhookEvents,
  sendWebhookTestEvent,
  type WebhookDeliveryDeps,
} from './deliver-webhook.ts';
import {
  createWebhookEndpoint,
  rotateWebhookSecret,
  WEBHOOK_URL_MESSAGE,
} from './manage-webhook-endpoints.ts';

/** alerts-reports §9 and B15 against a real receiver on loopback (private targets allowed). */

let services: TestServices;
let fx: AccountFixtures;
let receiver: WebhookReceiver;
let now = new Date('2026-12-07T10:00:00.000Z');
const clock = { now: () => now };
const at = (hhmm: string) => {
  now = new Date(`2026-12-07T${hhmm}:00.000Z`);
};
let deps: WebhookDeliveryDeps;
let runId = 1000;
let endpointSeq = 0;

beforeAll(async () => {
  services = await createTestServices({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  fx = await createAccountFixtures(services.database.db);
  receiver = await startWebhookReceiver(() => Math.floor(now.getTime() / 1000));
  deps = { db: services.database.db, config: services.config, clock };
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await services?.dispose();
});

beforeEach(async () => {
  // Each test starts without endpoints (their delivery logs go with them).
  await services.database.db.deleteFrom('webhook_endpoints').execute();
  at('10:00');
  receiver.received.length = 0;
  receiver.respond = (_hook, res) => res.end('ok');
});

const actor = () => ({
  customerId: fx.customerA.id,
  userId: fx.users['owner_a'] ?? null,
  requestId: 'req-test',
});

async function endpoint(input: { event_types?: string[]; url?: string; active?: boolean } = {}) {
  const created = await createWebhookEndpoint({ ...deps }, actor(), {
    name: `hook-${++endpointSeq}`,
    url: input.url ?? receiver.url(`/hook-${endpointSeq}`),
    ...(input.event_types && { event_types: input.event_types }),
    ...(input.active !== undefined && { active: input.active }),
  });
  receiver.secret = created.secret;
  return created;
}

function run(status: 'success' | 'failed' = 'success') {
  return {
    customer_id: fx.customerA.id,
    id: ++runId,
    product: 'driftwatch',
    as_of: '2026-12-06',
    status,
    run_type: 'manual',
    duration_ms: 1234,
    error_message: status === 'failed' ? 'boom' : null,
    finished_at: now,
  };
}

async function attemptsOf(deliveryId: number) {
  return services.database.db
    .selectFrom('webhook_delivery_attempts')
    .selectAll()
    .where('customer_id', '=', fx.customerA.id)
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt_no')
    .execute();
}

async function audits(action: string, entityId: number) {
  return services.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .where('entity_id', '=', String(entityId))
    .execute();
}

describe('B15: retries, success, subscriptions, test event', () => {
  it('500 five times: retrying at 10:00, 10:02, 10:06, 10:14, failed at 10:30 with 5 attempt rows and audit', async () => {
    await endpoint();
    receiver.respond = (_hook, res) => res.writeHead(500).end('Internal Server Error');
    const [first] = await emitRunWebhookEvents(deps, run(), {
      findings: 3,
      counts: { high: 1, medium: 2 },
      requestId: 'req-run',
    });
    expect(first).toMatchObject({
      status: 'retrying',
      attempts: 1,
      response_code: 500,
      last_error: 'HTTP 500: Internal Server Error',
      next_attempt_at: new Date('2026-12-07T10:02:00.000Z'),
    });
    const id = first!.id;
    // Not due yet: the sweeper at 10:01 sends nothing.
    at('10:01');
    expect(await dispatchDueWebhookDeliveries(deps)).toMatchObject({ due: 0, attempted: 0 });
    const schedule: Array<[string, string | null]> = [
      ['10:02', '2026-12-07T10:06:00.000Z'],
      ['10:06', '2026-12-07T10:14:00.000Z'],
      ['10:14', '2026-12-07T10:30:00.000Z'],
      ['10:30', null],
    ];
    for (const [time, next] of schedule) {
      at(time);
      const swept = await dispatchDueWebhookDeliveries(deps);
      expect(swept.attempted).toBe(1);
      const row = await services.database.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      if (next) expect(row).toMatchObject({ status: 'retrying', next_attempt_at: new Date(next) });
      else expect(row).toMatchObject({ status: 'failed', attempts: 5, next_attempt_at: null });
    }
    const attempts = await attemptsOf(id);
    expect(attempts.map((a) => [a.attempt_no, a.response_code, a.error])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [n, 500, 'HTTP 500: Internal Server Error']),
    );
    expect(attempts.map((a) => Number(a.signature_timestamp))).toEqual(
      ['10:00', '10:02', '10:06', '10:14', '10:30'].map((t) => Date.parse(`2026-12-07T${t}:00Z`) / 1000),
    );
    // Every attempt sent the same bytes, each signed with its own timestamp, all valid.
    expect(receiver.received).toHaveLength(5);
    expect(new Set(receiver.received.map((r) => r.rawBody.toString())).size).toBe(1);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.headers['payrixa-signature'])).size).toBe(5);
    expect(await audits('webhook_delivery_failed', id)).toHaveLength(1);
    const events = await services.database.db
      .selectFrom('system_events')
      .selectAll()
      .where('event_type', '=', 'webhook_delivery_failed')
      .execute();
    expect(events.some((e) => (e.payload as { event_id?: string }).event_id === first!.event_id)).toBe(true);
    // Nothing is due any more.
    at('11:30');
    expect((await dispatchDueWebhookDeliveries(deps)).due).toBe(0);
  });

  it('200 on attempt 1: success, one attempt, audit with the envelope request id; headers and envelope', async () => {
    const { endpoint: ep } = await endpoint();
    receiver.respond = (_hook, res) => res.writeHead(200).end('thanks');
    const [delivery] = await emitRunWebhookEvents(deps, run(), {
      findings: 2,
      counts: { high: 2 },
      requestId: 'req-42',
    });
    expect(delivery).toMatchObject({
      status: 'success',
      attempts: 1,
      response_code: 200,
      response_body: 'thanks',
      last_error: null,
    });
    const [hook] = receiver.received;
    expect(hook?.signatureValid).toBe(true);
    expect(hook?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Payrixa-Webhooks/1.0',
      'payrixa-event': 'analysis_run.completed',
      'payrixa-delivery': String(delivery!.id),
      'x-request-id': 'req-42',
    });
    expect(hook?.rawBody.toString()).toBe(delivery!.body);
    expect(hook?.envelope).toEqual({
      id: delivery!.event_id,
      type: 'analysis_run.completed',
      created_at: '2026-12-07T10:00:00.000Z',
      customer_id: fx.customerA.id,
      data: {
        run_id: runId,
        product: 'driftwatch',
        as_of: '2026-12-06',
        findings: 2,
        counts: { high: 2 },
        duration_ms: 1234,
      },
      metadata: { request_id: 'req-42' },
    });
    const [audit] = await audits('webhook_delivery_sent', delivery!.id);
    expect(audit).toMatchObject({ customer_id: fx.customerA.id, request_id: 'req-42' });
    expect(audit?.metadata).toMatchObject({
      endpoint_id: ep.id,
      event_type: 'analysis_run.completed',
      response_code: 200,
    });
    expect(await attemptsOf(delivery!.id)).toHaveLength(1);
  });

  it('subscriptions: ["report.completed"] receives no analysis_run.completed; inactive endpoints nothing; re-emitting creates no duplicate', async () => {
    const reportsOnly = await endpoint({ event_types: ['report.completed'] });
    const failuresOnly = await endpoint({ event_types: ['analysis_run.failed'] });
    const all = await endpoint();
    await endpoint({ active: false });
    const completed = run('success');
    const sent = await emitRunWebhookEvents(deps, completed);
    expect(sent.map((d) => d.endpoint_id)).toEqual([all.endpoint.id]);
    expect(await emitRunWebhookEvents(deps, completed)).toEqual([]);
    const failed = await emitRunWebhookEvents(deps, run('failed'));
    expect(failed.map((d) => d.endpoint_id).sort()).toEqual(
      [failuresOnly.endpoint.id, all.endpoint.id].sort(),
    );
    expect(JSON.parse(failed[0]!.body).data).toEqual({
      run_id: runId,
      product: 'driftwatch',
      as_of: '2026-12-06',
      error: 'boom',
    });
    expect(receiver.received.some((r) => r.path === `/hook-${reportsOnly.endpoint.id}`)).toBe(false);
    // Backtests send nothing.
    expect(await emitRunWebhookEvents(deps, { ...run(), run_type: 'backtest' })).toEqual([]);
  });

  it('"Send test event": ping, one attempt, no retry', async () => {
    const { endpoint: ep } = await endpoint();
    receiver.respond = (_hook, res) => res.writeHead(500).end('nope');
    const result = await sendWebhookTestEvent(deps, actor(), ep.id);
    expect(result.delivery).toMatchObject({
      event_type: 'ping',
      status: 'failed',
      attempts: 1,
      max_attempts: 1,
      last_error: 'HTTP 500: nope',
    });
    expect(receiver.received[0]?.envelope.data).toEqual({
      message: 'This is a test event from Payrixa',
      endpoint_id: ep.id,
    });
    at('11:00');
    expect((await dispatchDueWebhookDeliveries(deps)).due).toBe(0);
    expect(receiver.received).toHaveLength(1);
    receiver.respond = (_hook, res) => res.end('pong');
    const ok = await sendWebhookTestEvent(deps, actor(), ep.id);
    expect(ok.delivery).toMatchObject({ status: 'success', response_code: 200, attempts: 1 });
  });
});

describe('one attempt at a time', () => {
  it('the immediate send and a sweep racing for the same delivery send it once', async () => {
    const { endpoint: ep, secret } = await endpoint();
    receiver.secret = secret;
    const db = services.database.db;
    const body = '{"id":"evt_race","type":"ping"}';
    const delivery = await db
      .insertInto('webhook_deliveries')
      .values({
        customer_id: fx.customerA.id,
        endpoint_id: ep.id,
        event_id: 'evt_race',
        event_type: 'ping',
        body,
        max_attempts: 1,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    receiver.respond = (_hook, res) => setTimeout(() => res.end('ok'), 50);
    const [a, b, swept] = await Promise.all([
      attemptWebhookDelivery(deps, fx.customerA.id, delivery.id),
      attemptWebhookDelivery(deps, fx.customerA.id, delivery.id),
      dispatchDueWebhookDeliveries(deps),
    ]);
    expect([a.attempted, b.attempted].filter(Boolean).length + swept.attempted).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect(await attemptsOf(delivery.id)).toHaveLength(1);
  });
});

describe('destination guard at save and at each attempt', () => {
  const strict = () => ({ ...deps, config: { ...services.config, webhookAllowPrivateTargets: false } });

  it('saving https://127.0.0.1/hook without the allow flag → 400', async () => {
    await expect(
      createWebhookEndpoint(strict(), actor(), { name: 'loop', url: 'https://127.0.0.1/hook' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: WEBHOOK_URL_MESSAGE,
      errors: { url: [WEBHOOK_URL_MESSAGE] },
    });
  });

  it('a saved host that later resolves to 10.0.0.5 is blocked with no connection made', async () => {
    let answer = '93.184.216.34';
    const resolve: HostResolver = async () => [{ address: answer, family: 4 }];
    const port = new URL(receiver.url()).port;
    const saved = await createWebhookEndpoint({ ...strict(), resolve }, actor(), {
      name: 'rebinding',
      url: `http://hooks.example.test:${port}/hook`,
    });
    answer = '10.0.0.5';
    const before = receiver.received.length;
    const [delivery] = await emitRunWebhookEvents({ ...strict(), resolve }, run());
    expect(delivery).toMatchObject({
      endpoint_id: saved.endpoint.id,
      status: 'retrying',
      response_code: null,
      last_error: 'Blocked: destination address not allowed',
    });
    expect(receiver.received.length).toBe(before);
    // With private targets allowed, the same name now reaching 127.0.0.1 is connected to by
    // that address while the Host header keeps the name.
    answer = '127.0.0.1';
    receiver.secret = saved.secret;
    at('10:02');
    const retried = await attemptWebhookDelivery({ ...deps, resolve }, fx.customerA.id, delivery!.id);
    expect(retried.delivery.status).toBe('success');
    expect(receiver.received.at(-1)?.headers.host).toBe(`hooks.example.test:${port}`);
  });
});

describe('bad endpoints: slow, huge, redirecting', () => {
  it('no answer within the deadline → "Request timed out" and a retry', async () => {
    await endpoint();
    receiver.respond = () => {
      /* never answers */
    };
    const [delivery] = await emitRunWebhookEvents({ ...deps, timeoutMs: 200 }, run());
    expect(delivery).toMatchObject({
      status: 'retrying',
      last_error: 'Request timed out',
      response_code: null,
    });
  });

  it('a huge response body is stored capped at 1,000 characters', async () => {
    await endpoint();
    receiver.respond = (_hook, res) => {
      res.writeHead(200);
      res.on('error', () => {});
      for (let i = 0; i < 100 && !res.destroyed; i++) res.write('z'.repeat(10_000));
      res.end();
    };
    const [delivery] = await emitRunWebhookEvents(deps, run());
    expect(delivery).toMatchObject({ status: 'success', response_code: 200 });
    expect(delivery!.response_body).toBe('z'.repeat(1_000));
  });

  it('a redirect is not followed and counts as a failure', async () => {
    await endpoint();
    receiver.respond = (_hook, res) => res.writeHead(301, { Location: receiver.url('/elsewhere') }).end();
    const [delivery] = await emitRunWebhookEvents(deps, run());
    expect(delivery).toMatchObject({ status: 'retrying', response_code: 301, last_error: 'HTTP 301' });
    expect(receiver.received.map((r) => r.path)).not.toContain('/elsewhere');
  });
});

async function failDeliveryCompletely(): Promise<number> {
  at('10:00');
  const [delivery] = await emitRunWebhookEvents(deps, run());
  for (const time of ['10:02', '10:06', '10:14', '10:30']) {
    at(time);
    await dispatchDueWebhookDeliveries(deps);
  }
  return delivery!.id;
}

describe('auto-disable after repeated failures', () => {
  it(`${AUTO_DISABLE_AFTER} deliveries failed in a row switch the endpoint off; a success resets the count`, async () => {
    const { endpoint: ep } = await endpoint();
    receiver.respond = (_hook, res) => res.writeHead(500).end('down');
    for (let i = 0; i < AUTO_DISABLE_AFTER - 1; i++) await failDeliveryCompletely();
    const find = () =>
      services.database.db
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', ep.id)
        .executeTakeFirstOrThrow();
    expect(await find()).toMatchObject({ active: true, consecutive_failures: AUTO_DISABLE_AFTER - 1 });
    // One success resets the count.
    receiver.respond = (_hook, res) => res.end('ok');
    await emitRunWebhookEvents(deps, run());
    expect(await find()).toMatchObject({ active: true, consecutive_failures: 0 });
    receiver.respond = (_hook, res) => res.writeHead(500).end('down');
    for (let i = 0; i < AUTO_DISABLE_AFTER; i++) await failDeliveryCompletely();
    const disabled = await find();
    expect(disabled).toMatchObject({ active: false, consecutive_failures: AUTO_DISABLE_AFTER });
    expect(disabled.disabled_reason).toBe(
      `Disabled automatically after ${AUTO_DISABLE_AFTER} consecutive failed deliveries (last error: HTTP 500: down)`,
    );
    const [audit] = await audits('webhook_endpoint_updated', ep.id);
    expect(audit?.metadata).toMatchObject({ auto_disabled: true, changes: { active: false } });
    const event = await services.database.db
      .selectFrom('system_events')
      .selectAll()
      .where('event_type', '=', 'webhook_endpoint_disabled')
      .executeTakeFirst();
    expect(event?.payload).toMatchObject({ endpoint_id: ep.id, consecutive_failures: AUTO_DISABLE_AFTER });
    // A disabled endpoint gets no more events.
    expect(await emitRunWebhookEvents(deps, run())).toEqual([]);
  });
});

describe('secret rotation', () => {
  it('for 24 hours a second v1 signed with the old secret is appended', async () => {
    const { endpoint: ep, secret: oldSecret } = await endpoint();
    const rotated = await rotateWebhookSecret(deps, actor(), ep.id);
    expect(rotated.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(rotated.endpoint.secret_last4).toBe(rotated.secret.slice(-4));
    // A receiver still holding the old secret verifies.
    receiver.secret = oldSecret;
    await sendWebhookTestEvent(deps, actor(), ep.id);
    const header = String(receiver.received.at(-1)?.headers['payrixa-signature']);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(receiver.received.at(-1)?.signatureValid).toBe(true);
    // 24 h later only the new secret signs.
    now = new Date(now.getTime() + 24 * 3_600_000 + 1_000);
    await sendWebhookTestEvent(deps, actor(), ep.id);
    expect(String(receiver.received.at(-1)?.headers['payrixa-signature']).match(/v1=/g)).toHaveLength(1);
    expect(receiver.received.at(-1)?.signatureValid).toBe(false);
    receiver.secret = rotated.secret;
    await sendWebhookTestEvent(deps, actor(), ep.id);
    expect(receiver.received.at(-1)?.signatureValid).toBe(true);
    expect(await audits('webhook_secret_rotated', ep.id)).toHaveLength(1);
  });
});

describe('alert.triggered through a webhook channel', () => {
  async function alertWithDelivery(fingerprint: string) {
    const db = services.database.db;
    const alert = await db
      .insertInto('alert_events')
      .values({
        customer_id: fx.customerA.id,
        rule_id: 1,
        product: 'driftwatch',
        run_id: 1,
        finding_fingerprint: fingerprint.padEnd(32, '0'),
        signal_type: 'DENIAL_RATE',
        payer: 'Aetna',
        entity_key: 'aetna|',
        severity: 0.8,
        severity_label: 'high',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const delivery = await db
      .insertInto('alert_deliveries')
      .values({
        customer_id: fx.customerA.id,
        alert_event_id: alert.id,
        channel_key: 'channel:9',
        channel_id: 9,
        channel_type: 'webhook',
        channel_name: 'hooks',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { alertId: alert.id, alertDeliveryId: delivery.id };
  }

  const data = (alertId: number) =>
    alertTriggeredData({
      alertId,
      status: 'pending',
      triggeredAt: now,
      rule: { id: 1, name: 'High severity findings', level: 'critical' },
      evidence: { rows: [1, 2, 3, 4, 5, 6, 7].map((n) => ({ n })) },
      portalUrl: `http://localhost:8000/portal/alerts/${alertId}/deep-dive/`,
    });

  it('not subscribed or inactive → skipped; otherwise delivered, linked, and later retries mirrored with the callback', async () => {
    const reportsOnly = await endpoint({ event_types: ['report.completed'] });
    const a1 = await alertWithDelivery('a1');
    expect(
      await deliverAlertTriggered(deps, {
        customerId: fx.customerA.id,
        alertEventId: a1.alertId,
        alertDeliveryId: a1.alertDeliveryId,
        endpointId: reportsOnly.endpoint.id,
        requestId: 'req-a',
        data: data(a1.alertId),
      }),
    ).toMatchObject({ status: 'skipped', webhookDeliveryId: null });

    const { endpoint: ep } = await endpoint({ event_types: ['alert.triggered'] });
    receiver.respond = (_hook, res) => res.writeHead(502).end('Bad Gateway');
    const changed: number[] = [];
    const withCallback = {
      ...deps,
      onAlertDeliveryChanged: (_c: number, alertEventId: number) => void changed.push(alertEventId),
    };
    const first = await deliverAlertTriggered(withCallback, {
      customerId: fx.customerA.id,
      alertEventId: a1.alertId,
      alertDeliveryId: a1.alertDeliveryId,
      endpointId: ep.id,
      requestId: 'req-a',
      data: data(a1.alertId),
    });
    expect(first).toMatchObject({
      status: 'retrying',
      responseCode: 502,
      error: 'HTTP 502: Bad Gateway',
      nextAttemptAt: new Date('2026-12-07T10:02:00.000Z'),
    });
    expect(changed).toEqual([]);
    const hook = receiver.received.at(-1)!;
    expect(hook.envelope).toMatchObject({ id: `evt_alert_${a1.alertId}`, type: 'alert.triggered' });
    expect((hook.envelope.data['evidence'] as { rows: unknown[] }).rows).toHaveLength(5);

    receiver.respond = (_hook, res) => res.end('ok');
    at('10:02');
    await dispatchDueWebhookDeliveries(withCallback);
    expect(changed).toEqual([a1.alertId]);
    const mirrored = await services.database.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('id', '=', a1.alertDeliveryId)
      .executeTakeFirstOrThrow();
    expect(mirrored).toMatchObject({
      webhook_delivery_id: first.webhookDeliveryId,
      status: 'success',
      attempts: 2,
      response_code: 200,
      last_error: null,
      delivered_at: new Date('2026-12-07T10:02:00.000Z'),
    });
    // Delivering the same alert again reuses the delivery: the receiver sees no duplicate.
    const count = receiver.received.length;
    const again = await deliverAlertTriggered(deps, {
      customerId: fx.customerA.id,
      alertEventId: a1.alertId,
      alertDeliveryId: a1.alertDeliveryId,
      endpointId: ep.id,
      requestId: 'req-a',
      data: data(a1.alertId),
    });
    expect(again).toMatchObject({ status: 'success', webhookDeliveryId: first.webhookDeliveryId });
    expect(receiver.received.length).toBe(count);
  });

  it("another customer's endpoint is never used", async () => {
    const { endpoint: ep } = await endpoint();
    const result = await deliverAlertTriggered(deps, {
      customerId: fx.customerB.id,
      alertEventId: 1,
      alertDeliveryId: 1,
      endpointId: ep.id,
      requestId: null,
      data: {},
    });
    expect(result.status).toBe('skipped');
  });
});
