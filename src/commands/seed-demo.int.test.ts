import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createTestServices, type TestServices } from '../../test/services.ts';
import { demoAlertLines } from '../cli/commands/demo.ts';
import type { DB } from '../db/schema.ts';
import { listMailbox, mailboxDir, mailDestination, readMailboxMessage } from '../notify/mail.ts';
import { DEMO_EMAIL_CHANNEL, seedDemo } from './seed-demo.ts';

let services: TestServices | null = null;
afterEach(async () => {
  await services?.dispose();
  services = null;
});

/**
 * Issue 12 item 8: `payrixa demo` on a fresh DATA_DIR creates the "Billing team" email channel,
 * and its analyses produce alert events that are sent at once, so the local mailbox holds them
 * when the demo prints its summary. A second start keeps the data (and the mailbox) and says
 * where the alerts are; `--reset` empties the mailbox so it matches the fresh demo.
 */

/** The alert ids of the mailbox's messages (X-Payrixa-Alert-Id), as a sorted list. */
async function mailedAlertIds(dir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const summary of await listMailbox(dir)) {
    const id = (await readMailboxMessage(dir, summary.id))?.headers['X-Payrixa-Alert-Id'];
    if (id !== undefined) ids.push(id);
  }
  return ids.sort();
}

async function emailedAlertIds(db: Kysely<DB>, customerId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_deliveries')
    .select('alert_event_id')
    .where('customer_id', '=', customerId)
    .where('channel_type', '=', 'email')
    .where('status', '=', 'success')
    .execute();
  return rows.map((r) => String(r.alert_event_id)).sort();
}
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

  it('a second start keeps the alerts and the mailbox and says where they are; --reset empties the mailbox', async () => {
    services = await createTestServices({ env: { EMAIL_BACKEND: 'mailbox' } });
    const db = services.database.db;
    const dir = mailboxDir(services.config);
    const today = '2026-11-27';
    const first = await seedDemo(services, { today });
    const firstMail = await listMailbox(dir);
    const firstEmailed = await emailedAlertIds(db, first.customerId);
    expect(firstEmailed.length).toBeGreaterThan(0);
    expect(first.totals).toEqual({ alerts: first.alerts.created, emailed: firstEmailed.length });

    // Kept: nothing is raised or sent again, the mailbox is as it was and the summary says so.
    const kept = await seedDemo(services, { today });
    expect(kept).toMatchObject({ created: false, customerId: first.customerId, mailboxCleared: null });
    expect(kept.alerts).toEqual({ created: 0, sent: 0, suppressed: 0, failed: 0, pending: 0 });
    expect(kept.totals).toEqual(first.totals);
    expect(await listMailbox(dir)).toEqual(firstMail);
    expect(await mailedAlertIds(dir)).toEqual(firstEmailed);
    expect(demoAlertLines(kept, mailDestination(services.config))).toEqual([
      `Alerts       ${first.totals.alerts} kept from earlier runs (${first.totals.emailed} emailed); none new (no new analysis ran)`,
      `Email        kept in the local mailbox ${dir} (list it with 'payrixa mail')`,
    ]);

    // A demo seeded before alerting existed (no channel, no alerts): a start brings it up to date.
    await db.deleteFrom('alert_events').where('customer_id', '=', first.customerId).execute();
    await db.deleteFrom('notification_channels').where('customer_id', '=', first.customerId).execute();
    const upgraded = await seedDemo(services, { today });
    expect(upgraded.created).toBe(false);
    expect(upgraded.alerts.created).toBe(first.alerts.created);
    expect(upgraded.alerts.sent).toBe(first.alerts.sent);
    const upgradedEmailed = await emailedAlertIds(db, first.customerId);
    expect(upgradedEmailed).toHaveLength(firstEmailed.length);
    expect(await mailedAlertIds(dir)).toEqual([...firstEmailed, ...upgradedEmailed].sort());
    expect(demoAlertLines(upgraded, 'X')[0]).toMatch(
      /^Alerts {7}\d+ kept from earlier runs \(\d+ emailed\); now \d+ created, \d+ sent/,
    );

    // --reset: the mailbox holds exactly the fresh demo's alert email.
    const before = (await listMailbox(dir)).length;
    const reset = await seedDemo(services, { today, reset: true });
    expect(reset).toMatchObject({ created: true, mailboxCleared: before });
    expect(reset.customerId).not.toBe(first.customerId);
    const resetEmailed = await emailedAlertIds(db, reset.customerId);
    expect(resetEmailed.length).toBeGreaterThan(0);
    expect(await mailedAlertIds(dir)).toEqual(resetEmailed);
    expect(await listMailbox(dir)).toHaveLength(resetEmailed.length);
  }, 900_000);
});
