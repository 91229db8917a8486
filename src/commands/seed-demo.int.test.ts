import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { listMailbox, mailboxDir, readMailboxMessage } from '../notify/mail.ts';
import { DEMO_EMAIL_CHANNEL, seedDemo } from './seed-demo.ts';

let services: TestServices | null = null;
afterEach(async () => {
  await services?.dispose();
  services = null;
});

/**
 * Issue 12 item 8: `payrixa demo` on a fresh DATA_DIR creates the "Billing team" email channel,
 * and its analyses produce alert events that are sent at once, so the local mailbox holds them
 * when the demo prints its summary.
 */
describe(`demo alerts (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('creates alert events, sends them through the email channel and fills the mailbox', async () => {
    services = await createTestServices({ env: { EMAIL_BACKEND: 'mailbox' } });
    const db = services.database.db;
    expect(services.mailer.kind).toBe('mailbox');
    const result = await seedDemo(services, { today: '2026-11-27' });
    expect(result.analyses.map((a) => a.error)).toEqual([null, null, null]);

    const channels = await db
      .selectFrom('notification_channels')
      .selectAll()
      .where('customer_id', '=', result.customerId)
      .execute();
    expect(channels.map((c) => [c.name, c.type, c.config])).toEqual([
      [DEMO_EMAIL_CHANNEL, 'email', { recipients: ['demo-owner@riverside.example'] }],
    ]);
    const rules = await db
      .selectFrom('alert_rules')
      .select(['name', 'enabled'])
      .where('customer_id', '=', result.customerId)
      .execute();
    expect(rules).toEqual([{ name: 'High severity findings', enabled: true }]);

    const events = await db
      .selectFrom('alert_events')
      .select(['id', 'status', 'suppressed'])
      .where('customer_id', '=', result.customerId)
      .execute();
    expect(events.length).toBeGreaterThan(0);
    expect(result.alerts?.created).toBe(events.length);
    expect(events.filter((e) => e.status === 'pending')).toEqual([]);

    const emailed = await db
      .selectFrom('alert_deliveries')
      .select(['alert_event_id', 'status', 'channel_name'])
      .where('customer_id', '=', result.customerId)
      .where('channel_type', '=', 'email')
      .where('channel_id', '=', channels[0]?.id ?? -1)
      .where('status', '=', 'success')
      .execute();
    expect(emailed.length).toBeGreaterThan(0);
    expect(result.alerts?.sent).toBe(events.filter((e) => e.status === 'sent').length);
    expect(result.alerts?.sent).toBeGreaterThan(0);

    // Each successful email delivery is one message in the mailbox, addressed to the channel.
    const dir = mailboxDir(services.config);
    const mailbox = await listMailbox(dir);
    const toChannel = mailbox.filter((m) => m.to.includes('demo-owner@riverside.example'));
    expect(toChannel).toHaveLength(emailed.length);
    const first = await readMailboxMessage(dir, toChannel[0]?.id ?? '');
    expect(first?.text.length).toBeGreaterThan(0);
    const alertIds = new Set(emailed.map((d) => String(d.alert_event_id)));
    const mailedIds = await Promise.all(
      toChannel.map(async (m) => (await readMailboxMessage(dir, m.id))?.headers['X-Payrixa-Alert-Id']),
    );
    expect(new Set(mailedIds)).toEqual(alertIds);
  }, 900_000);
});
