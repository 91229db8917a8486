import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acmeCustomer,
  alertsOf,
  deliveriesOf,
  insertRule,
  runDriftWatch,
  SettableClock,
} from '../../test/alerts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { readPdf } from '../../test/pdf-text.ts';
import { type SmtpCapture, startSmtpCapture } from '../../test/smtp-capture.ts';
import { createMailer, type Mailer } from '../notify/mail.ts';
import { silentLogger } from '../obs/logger.ts';
import { sha256Hex } from '../reports/artifact-store.ts';
import { evaluateAndSendAlertsNow } from './alert-runs-now.ts';

/**
 * The alert e-mail carries the run's real weekly PDF (alerts-reports §7 "Attachment", B1)
 * through a real SMTP server on loopback: the `weeklyPdf` seam is wired to the run's PDF
 * download (built and recorded when missing), and `attach_pdf` off sends no attachment.
 * Driven through `evaluateAndSendAlertsNow` — the path of `payrixa analyze`; the alert jobs get
 * the same provider in registerJobs.
 */

let smtp: SmtpCapture;
/** Raw messages received, line ends normalised. */
const mails = (): string[] => smtp.received.map((mail) => mail.raw.replace(/\r\n/g, '\n'));
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

/** The base64 body of the MIME part whose Content-Type is application/pdf, decoded. */
function pdfAttachment(raw: string): { filename: string; bytes: Buffer } | null {
  const match = raw.match(
    /Content-Type: application\/pdf;[\s\S]*?filename=([^\s;]+)[\s\S]*?\n\n([A-Za-z0-9+/=\n]+)\n--/,
  );
  if (!match) return null;
  return {
    filename: match[1] as string,
    bytes: Buffer.from((match[2] as string).replace(/\n/g, ''), 'base64'),
  };
}

describe('alert e-mail with the weekly PDF (loopback smtp-server)', () => {
  it('attaches the run’s real PDF as payrixa_weekly_drift_{slug}_{as_of}.pdf; attach_pdf off → none', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    await insertRule(db, 42, { name: 'High Denial Rate Alert', threshold_value: 0.7 });
    const runId = await runDriftWatch(db, 42);
    const run = { id: runId, run_type: 'manual' as const };
    const deps = { db, config: handle.config, mailer, clock, logger: silentLogger() };

    const result = await evaluateAndSendAlertsNow(deps, 42, [run], 'req-pdf');
    expect(result).toMatchObject({ created: 1, sent: 1 });
    expect(mails()).toHaveLength(1);
    const attachment = pdfAttachment(mails()[0] as string);
    expect(attachment?.filename).toBe('payrixa_weekly_drift_acme_family_practice_2026-03-02.pdf');
    const bytes = attachment?.bytes as Buffer;
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // The attachment is the run's recorded artifact (built on demand), not a copy made for mail.
    const artifact = await db
      .selectFrom('report_artifacts')
      .selectAll()
      .where('customer_id', '=', 42)
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(sha256Hex(bytes)).toBe(artifact.sha256);
    const text = (await readPdf(bytes)).pages.flat();
    expect(text).toContain('Customer: Acme Family Practice');
    expect(text).toContain('This report contains 1 drift findings across 1 unique payers');
    const [alert] = await alertsOf(db, 42);
    const [delivery] = await deliveriesOf(db, 42, alert?.id as number);
    expect(delivery).toMatchObject({ status: 'success', attachment_error: null });

    // attach_pdf off: the next alert's e-mail has no attachment.
    await db
      .updateTable('customer_settings')
      .set({ attach_pdf: false })
      .where('customer_id', '=', 42)
      .execute();
    await db.deleteFrom('alert_events').where('customer_id', '=', 42).execute();
    await evaluateAndSendAlertsNow(deps, 42, [run], 'req-pdf-2');
    expect(mails()).toHaveLength(2);
    expect(mails()[1]).not.toMatch(/application\/pdf/);
    expect(mails()[1]).toContain('Subject: [DriftWatch Alert] Acme Family Practice - High Severity');
  });
});
