import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountFixtures } from '../../../test/accounts.ts';
import { createTestServices, type TestServices } from '../../../test/services.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/webhook-receiver.ts';
import { createWebhookEndpoint } from '../../commands/manage-webhook-endpoints.ts';
import { insertWebhookDelivery } from '../../db/repositories/webhook-deliveries.repository.ts';
import { silentLogger } from '../../obs/logger.ts';
import type { JobContext } from '../types.ts';
import { configuredSchedules } from './index.ts';
import { WEBHOOK_DISPATCH_JOB } from './webhooks.ts';

let services: TestServices;
let receiver: WebhookReceiver;

beforeAll(async () => {
  services = await createTestServices({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  receiver = await startWebhookReceiver(() => Math.floor(Date.now() / 1000));
}, 180_000);

afterAll(async () => {
  await receiver?.close();
  await services?.dispose();
});

describe('webhooks.dispatch', () => {
  it('is registered and scheduled every minute (SCHEDULE_ALERT_DISPATCH)', () => {
    expect(services.registry.get(WEBHOOK_DISPATCH_JOB)).toMatchObject({ queue: 'webhooks' });
    expect(configuredSchedules(services.config, services.registry)).toContainEqual({
      name: 'webhook_dispatch',
      cron: '* * * * *',
      kind: WEBHOOK_DISPATCH_JOB,
    });
  });

  it('sends a due delivery a crashed process never attempted', async () => {
    const db = services.database.db;
    const fx = await createAccountFixtures(db);
    const { endpoint, secret } = await createWebhookEndpoint(
      { db, config: services.config, clock: { now: () => new Date() } },
      { customerId: fx.customerA.id, userId: null },
      { name: 'Sweep', url: receiver.url('/sweep') },
    );
    receiver.secret = secret;
    const body = '{"id":"evt_sweep","type":"ping"}';
    const delivery = await insertWebhookDelivery(
      db,
      fx.customerA.id,
      {
        endpointId: endpoint.id,
        eventId: 'evt_sweep',
        eventType: 'ping',
        body,
        maxAttempts: 1,
        requestId: null,
      },
      new Date(Date.now() - 60_000),
    );
    const definition = services.registry.get(WEBHOOK_DISPATCH_JOB)!;
    const result = await definition.handler({ logger: silentLogger() } as unknown as JobContext<
      Record<string, never>
    >);
    expect(result).toEqual({ due: 1, attempted: 1, succeeded: 1 });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({ signatureValid: true });
    expect(receiver.received[0]?.rawBody.toString()).toBe(body);
    const row = await db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', delivery.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('success');
  });
});
