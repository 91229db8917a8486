import type { Insertable, Kysely } from 'kysely';
import { runAnalysis } from '../src/commands/run-analysis.ts';
import type { SendAlertDeps } from '../src/commands/send-alert.ts';
import type { Config } from '../src/config/env.ts';
import type { DB } from '../src/db/schema.ts';
import type { AlertRulesTable } from '../src/db/schema-alerts.ts';
import type { Mailer, MailMessage } from '../src/notify/mail.ts';
import { sealSecret } from '../src/notify/secrets.ts';
import { silentLogger } from '../src/obs/logger.ts';
import type { Clock } from '../src/services.ts';
import { a1Claims, createAnalyticsCustomer, writeClaims } from './analytics.ts';

/** Alerting test fixtures: a settable clock, mailers, rules, channels and an A1 DriftWatch run. */

export const T = '2026-03-02';
export const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';

/** A clock that stays where it is put. */
export class SettableClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** A mailer that keeps messages, or fails every send with `failWith`. */
export function recordingMailer(failWith?: string): Mailer & { attempts: number } {
  const outbox: MailMessage[] = [];
  const mailer = {
    kind: 'memory' as const,
    outbox,
    attempts: 0,
    async send(message: MailMessage) {
      mailer.attempts += 1;
      if (failWith) throw new Error(failWith);
      outbox.push(message);
    },
    async close() {},
  };
  return mailer;
}

/** A Slack transport that records calls and answers `status` (optionally moving the clock). */
export function slackStub(
  status = 200,
  onCall?: () => void,
): typeof fetch & { calls: Array<{ url: string; body: unknown }> } {
  const calls: Array<{ url: string; body: unknown }> = [];
  const stub = (async (url: string | URL | Request, init?: RequestInit) => {
    onCall?.();
    calls.push({ url: String(url), body: JSON.parse(String(init?.body ?? 'null')) });
    return new Response(status === 200 ? 'ok' : 'boom', { status });
  }) as typeof fetch & { calls: typeof calls };
  stub.calls = calls;
  return stub;
}

/** "Acme Family Practice" (id 42 unless given) with DriftWatch, to_email set and the A1 claims. */
export async function acmeCustomer(
  db: Kysely<DB>,
  options: { id?: number; name?: string; toEmail?: string } = {},
): Promise<number> {
  const id = await createAnalyticsCustomer(db, {
    id: options.id ?? 42,
    name: options.name ?? 'Acme Family Practice',
    products: ['driftwatch'],
  });
  await db
    .updateTable('customer_settings')
    .set({ to_email: options.toEmail ?? 'billing@acme.example' })
    .where('customer_id', '=', id)
    .execute();
  await writeClaims(db, id, a1Claims(T));
  return id;
}

/** Runs DriftWatch for `T` (the A1 finding: UnitedHealthcare / EVAL / DENIAL_RATE, High). */
export async function runDriftWatch(db: Kysely<DB>, customerId: number): Promise<number> {
  const result = await runAnalysis({ db }, { customerId, product: 'driftwatch', asOf: T });
  return result.run.id;
}

export async function insertRule(
  db: Kysely<DB>,
  customerId: number,
  rule: Partial<Omit<Insertable<AlertRulesTable>, 'channel_ids' | 'scope'>> & {
    name: string;
    channelIds?: number[];
  },
): Promise<number> {
  const { channelIds, ...rest } = rule;
  const row = await db
    .insertInto('alert_rules')
    .values({
      customer_id: customerId,
      severity: 'critical',
      ...rest,
      scope: JSON.stringify({}),
      channel_ids: JSON.stringify(channelIds ?? []),
      routing_tags: JSON.stringify([]),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertEmailChannel(
  db: Kysely<DB>,
  customerId: number,
  name: string,
  recipients: string[],
): Promise<number> {
  const row = await db
    .insertInto('notification_channels')
    .values({ customer_id: customerId, name, type: 'email', config: JSON.stringify({ recipients }) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertSlackChannel(
  db: Kysely<DB>,
  config: Config,
  customerId: number,
  name: string,
  url: string | null = SLACK_URL,
): Promise<number> {
  const row = await db
    .insertInto('notification_channels')
    .values({
      customer_id: customerId,
      name,
      type: 'slack',
      config: JSON.stringify({}),
      secret_enc: url === null ? null : sealSecret(config, url),
      secret_last4: url === null ? null : url.slice(-4),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function sendDeps(
  db: Kysely<DB>,
  config: Config,
  overrides: Partial<SendAlertDeps> & Pick<SendAlertDeps, 'mailer' | 'clock'>,
): SendAlertDeps {
  return { db, config, logger: silentLogger(), ...overrides };
}

export async function auditCount(db: Kysely<DB>, customerId: number, action: string): Promise<number> {
  const rows = await db
    .selectFrom('audit_events')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('action', '=', action)
    .execute();
  return rows.length;
}

export async function alertsOf(db: Kysely<DB>, customerId: number) {
  return db
    .selectFrom('alert_events')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
}

export async function deliveriesOf(db: Kysely<DB>, customerId: number, alertId: number) {
  return db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertId)
    .orderBy('id')
    .execute();
}
