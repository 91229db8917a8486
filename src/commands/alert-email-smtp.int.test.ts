import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acmeCustomer,
  alertsOf,
  deliveriesOf,
  insertRule,
  runDriftWatch,
  SettableClock,
  sendDeps,
} from '../../test/alerts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { type CapturedMail, type SmtpCapture, startSmtpCapture } from '../../test/smtp-capture.ts';
import { createMailer, type Mailer } from '../notify/mail.ts';
import { silentLogger } from '../obs/logger.ts';
import { evaluateAlerts } from './evaluate-alerts.ts';
import { sendPendingAlerts } from './send-alert.ts';

/** The alert email through a real SMTP server on loopback (EMAIL_BACKEND=smtp), §7 and §5. */

let smtp: SmtpCapture;
let handle: TestDatabase;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  handle = await createTestDatabase({
    env: {
      ...smtp.env,
      PORTAL_BASE_URL: 'https://payrixa.example',
    },
  });
  mailer = createMailer(handle.config, silentLogger());
});

afterAll(async () => {
  await mailer?.close();
  await handle?.close();
  await smtp?.close();
});

describe('alert email over SMTP (loopback smtp-server)', () => {
  it('delivers one MIME message with the subject, both parts, the headers and the PDF; a 421 reply is retried', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    await db
      .updateTable('customer_settings')
      .set({ cc_email: 'cfo@acme.example' })
      .where('customer_id', '=', 42)
      .execute();
    await insertRule(db, 42, { name: 'High Denial Rate Alert', threshold_value: 0.7 });
    const runId = await runDriftWatch(db, 42);
    await evaluateAlerts(
      { db, clock, portalBaseUrl: 'https://payrixa.example' },
      { customerId: 42, runId, requestId: 'req-smtp-1' },
    );
    expect(mailer.kind).toBe('smtp');
    const deps = sendDeps(db, handle.config, {
      mailer,
      clock,
      weeklyPdf: async () => ({ content: Buffer.from('%PDF-1.4\n%test\n') }),
    });
    await sendPendingAlerts(deps, 42);
    const [alert] = await alertsOf(db, 42);
    expect(alert?.status).toBe('sent');
    expect(smtp.received).toHaveLength(1);
    const message = smtp.received[0] as CapturedMail;
    expect(message.from).toBe('alerts@payrixa.com');
    expect(message.to.sort()).toEqual(['billing@acme.example', 'cfo@acme.example']);
    const raw = message.raw.replace(/\r\n/g, '\n');
    expect(raw).toContain('Subject: [DriftWatch Alert] Acme Family Practice - High Severity');
    expect(raw).toMatch(/^From: Payrixa <alerts@payrixa\.com>$/m);
    expect(raw).toMatch(/^To: billing@acme\.example$/m);
    expect(raw).toMatch(/^Cc: cfo@acme\.example$/m);
    // Header names are case-insensitive (nodemailer writes "X-Payrixa-Alert-ID").
    expect(raw).toMatch(new RegExp(`^X-Payrixa-Alert-Id: ${alert?.id}$`, 'im'));
    expect(raw).toMatch(/^X-Request-Id: req-smtp-1$/im);
    expect(raw).toMatch(/Content-Type: multipart\/mixed/);
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(raw).toMatch(/Content-Type: text\/html; charset=utf-8/);
    // Long header values are folded onto a continuation line.
    expect(raw).toMatch(
      /Content-Type: application\/pdf;\s+name=payrixa_weekly_drift_acme_family_practice_2026-03-02\.pdf/,
    );
    expect(raw).toContain('filename=payrixa_weekly_drift_acme_family_practice_2026-03-02.pdf');

    // A refused message (421) leaves the record retrying with the server's reply.
    smtp.refuse = { code: 421, message: 'Service not available' };
    try {
      await db.deleteFrom('alert_events').where('customer_id', '=', 42).execute();
      await evaluateAlerts(
        { db, clock, portalBaseUrl: 'https://payrixa.example' },
        { customerId: 42, runId },
      );
      await sendPendingAlerts(deps, 42);
    } finally {
      smtp.refuse = null;
    }
    const [retrying] = await alertsOf(db, 42);
    expect(retrying?.status).toBe('pending');
    const [delivery] = await deliveriesOf(db, 42, retrying?.id as number);
    expect(delivery).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(delivery?.last_error).toContain('421');
    expect(delivery?.next_attempt_at).toEqual(new Date('2026-03-02T06:02:00Z'));
    expect(smtp.received).toHaveLength(1);
  });
});
