import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAlert, insertFinding, insertJudgmentRow, insertRun } from '../../test/alert-fixtures.ts';
import { acmeCustomer, insertRule, SettableClock } from '../../test/alerts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { type CapturedMail, type SmtpCapture, startSmtpCapture } from '../../test/smtp-capture.ts';
import type { AnalysisRunType, DB, JsonObject } from '../db/schema.ts';
import { dispatchAlertsJob } from '../jobs/definitions/alerts.ts';
import type { JobContext } from '../jobs/types.ts';
import { createMailer, type Mailer } from '../notify/mail.ts';
import { silentLogger } from '../obs/logger.ts';
import { createArtifactStore } from '../reports/artifact-store.ts';
import type { ReportBuilders } from '../reports/builders.ts';
import { dispatchDueWeeklyReports, sendWeeklyReport, type WeeklyReportDeps } from './send-weekly-report.ts';

/**
 * The weekly report e-mail (alerts-reports §13.5, acceptance B19) through a real SMTP server on
 * loopback, with a fake PDF builder (the real one is tested on its own).
 */

let smtp: SmtpCapture;
let handle: TestDatabase;
let mailer: Mailer;
let dataDir: string;

const FAKE_PDF = Buffer.from('%PDF-1.4\n%weekly drift summary\n%%EOF\n');
const builders: ReportBuilders = {
  weekly_drift_summary: async () => {
    return { bytes: FAKE_PDF, recordCount: 3 };
  },
};

beforeAll(async () => {
  smtp = await startSmtpCapture();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-weekly-'));
  handle = await createTestDatabase({
    env: {
      ...smtp.env,
      PORTAL_BASE_URL: 'https://payrixa.example',
      DATA_DIR: dataDir,
    },
  });
  mailer = createMailer(handle.config, silentLogger());
});

afterAll(async () => {
  await mailer?.close();
  await handle?.close();
  await smtp?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function depsAt(clock: SettableClock): WeeklyReportDeps {
  return {
    db: handle.database.db,
    config: handle.config,
    mailer,
    clock,
    store: createArtifactStore(dataDir),
    builders,
    logger: silentLogger(),
  };
}

/** A customer with the weekly e-mail on (unless told) and a scheduled run of 2026-03-02 with 3 findings. */
async function weeklyCustomer(
  db: Kysely<DB>,
  options: { id: number; name: string; enabled?: boolean; runType?: AnalysisRunType; attachPdf?: boolean },
): Promise<number> {
  await acmeCustomer(db, { id: options.id, name: options.name, toEmail: `billing@c${options.id}.example` });
  await db
    .updateTable('customer_settings')
    .set({
      cc_email: `cfo@c${options.id}.example`,
      weekly_report_enabled: options.enabled ?? true,
      attach_pdf: options.attachPdf ?? true,
    })
    .where('customer_id', '=', options.id)
    .execute();
  const runId = await insertRun(db, options.id, { asOf: '2026-03-02' });
  await db
    .updateTable('analysis_runs')
    .set({ run_type: options.runType ?? 'scheduled', finished_at: new Date('2026-03-02T06:00:30Z') })
    .where('id', '=', runId)
    .execute();
  await insertFinding(db, options.id, runId, { payer: 'UnitedHealthcare', cpt_group: 'EVAL' });
  await insertFinding(db, options.id, runId, {
    payer: 'Aetna',
    severity: 0.95,
    severity_label: 'critical',
  });
  await insertFinding(db, options.id, runId, { payer: 'Aetna', severity: 0.3, severity_label: 'low' });
  return runId;
}

async function deliveryOf(db: Kysely<DB>, customerId: number) {
  return db.selectFrom('report_deliveries').selectAll().where('customer_id', '=', customerId).execute();
}

async function sentEvents(db: Kysely<DB>, customerId: number) {
  return db
    .selectFrom('system_events')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('event_type', '=', 'weekly_report_sent')
    .execute();
}

describe('weekly report e-mail over SMTP (B19)', () => {
  it('sends one e-mail with the subject, To/Cc, summary, top findings, recovered this month and the PDF; a re-run never resends', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:01:00Z'));
    const runId = await weeklyCustomer(db, { id: 42, name: 'Acme Family Practice' });
    // Recovered this month (March) counts; February does not.
    const ruleId = await insertRule(db, 42, { name: 'Any finding' });
    const [finding] = await db.selectFrom('findings').selectAll().where('run_id', '=', runId).execute();
    if (!finding) throw new Error('no finding');
    const alert = await insertAlert(db, 42, finding, { ruleId });
    await insertJudgmentRow(db, 42, alert.id, {
      operatorId: 1,
      verdict: 'real',
      verdictAt: new Date('2026-03-01T10:00:00Z'),
      recoveredAmount: '1250.50',
      recoveredDate: '2026-03-01',
    });
    await insertJudgmentRow(db, 42, alert.id, {
      operatorId: 2,
      verdict: 'real',
      verdictAt: new Date('2026-02-20T10:00:00Z'),
      recoveredAmount: '900.00',
      recoveredDate: '2026-02-20',
    });

    const before = smtp.received.length;
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 42, runId })).toBe('sent');
    expect(smtp.received).toHaveLength(before + 1);
    const message = smtp.received.at(-1) as CapturedMail;
    expect(message.to.sort()).toEqual(['billing@c42.example', 'cfo@c42.example']);
    const raw = message.raw.replace(/\r\n/g, '\n');
    expect(raw).toContain('Subject: [Payrixa] Weekly Drift Report - Acme Family Practice - 2026-03-02');
    expect(raw).toMatch(/^To: billing@c42\.example$/m);
    expect(raw).toMatch(/^Cc: cfo@c42\.example$/m);
    expect(raw).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(raw).toMatch(/Content-Type: text\/html; charset=utf-8/);
    expect(raw).toContain('filename=payrixa_weekly_drift_acme_family_practice_2026-03-02.pdf');
    expect(raw).toContain(FAKE_PDF.toString('base64'));
    // The text part (quoted-printable at most for the bullet): the spec's lines.
    const text = decodeQuotedPrintable(raw);
    expect(text).toContain('Weekly Payer Drift Report');
    expect(text).toContain('Acme Family Practice • data through 2026-03-01');
    expect(text).toContain('3 drift findings across 2 payers (1 critical, 1 high, 0 medium, 1 low)');
    expect(text).toContain('1. Aetna');
    expect(text).toContain('Recovered this month: $1,250.50');
    expect(text).toContain('https://payrixa.example/portal/products/driftwatch/');
    expect(text).toContain('https://payrixa.example/portal/reports/');

    const [delivery] = await deliveryOf(db, 42);
    expect(delivery).toMatchObject({
      run_id: runId,
      kind: 'weekly_email',
      status: 'sent',
      attempts: 1,
      next_attempt_at: null,
      last_error: null,
      recipients: ['billing@c42.example', 'cfo@c42.example'],
    });
    expect(delivery?.delivered_at).toEqual(new Date('2026-03-02T06:01:00Z'));
    const events = await sentEvents(db, 42);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ run_id: runId, as_of: '2026-03-02', pdf_attached: true });
    // The PDF was built and stored as the run's artifact.
    const artifact = await db
      .selectFrom('report_artifacts')
      .selectAll()
      .where('customer_id', '=', 42)
      .executeTakeFirst();
    expect(artifact?.kind).toBe('weekly_drift_summary');

    // The job again (a duplicate), then the Wednesday post-upload re-run of the same as_of.
    clock.set('2026-03-04T10:00:00Z');
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 42, runId })).toBe('already_recorded');
    await db.updateTable('analysis_runs').set({ run_type: 'post_upload' }).where('id', '=', runId).execute();
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 42, runId })).toBe('not_applicable');
    expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(0);
    expect(smtp.received).toHaveLength(before + 1);
    expect(await sentEvents(db, 42)).toHaveLength(1);
  });

  it('sends nothing when the weekly e-mail is off (the default) or for a manual run', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:01:00Z'));
    const before = smtp.received.length;
    const off = await weeklyCustomer(db, { id: 43, name: 'Off Clinic', enabled: false });
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 43, runId: off })).toBe('disabled');
    const manual = await weeklyCustomer(db, { id: 44, name: 'Manual Clinic', runType: 'manual' });
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 44, runId: manual })).toBe('not_applicable');
    // Another customer's run id is not this customer's run.
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 43, runId: manual })).toBe('not_applicable');
    expect(smtp.received).toHaveLength(before);
    expect(await deliveryOf(db, 43)).toEqual([]);
    expect(await deliveryOf(db, 44)).toEqual([]);
    expect(await sentEvents(db, 43)).toEqual([]);
  });

  it('retries a refused message at +2, +6, +14 and +30 minutes through the sweeper, then fails after 5 attempts', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:01:00Z'));
    const runId = await weeklyCustomer(db, { id: 45, name: 'Retry Clinic', attachPdf: false });
    const before = smtp.received.length;
    smtp.refuse = { code: 421, message: 'Service not available' };
    try {
      expect(await sendWeeklyReport(depsAt(clock), { customerId: 45, runId })).toBe('retrying');
      let [delivery] = await deliveryOf(db, 45);
      expect(delivery).toMatchObject({ status: 'retrying', attempts: 1 });
      expect(delivery?.last_error).toContain('421');
      expect(delivery?.next_attempt_at).toEqual(new Date('2026-03-02T06:03:00Z'));

      // Not due yet: the sweeper leaves it alone.
      clock.set('2026-03-02T06:02:59Z');
      expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(0);

      const schedule = [
        '2026-03-02T06:03:00Z',
        '2026-03-02T06:07:00Z',
        '2026-03-02T06:15:00Z',
        '2026-03-02T06:31:00Z',
      ];
      for (const [index, due] of schedule.entries()) {
        clock.set(due);
        expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(1);
        [delivery] = await deliveryOf(db, 45);
        expect(delivery?.attempts).toBe(index + 2);
        expect(delivery?.next_attempt_at).toEqual(
          schedule[index + 1] ? new Date(schedule[index + 1] as string) : null,
        );
      }
      expect(delivery).toMatchObject({ status: 'failed', attempts: 5, delivered_at: null });
      clock.set('2026-03-02T08:00:00Z');
      expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(0);
    } finally {
      smtp.refuse = null;
    }
    expect(smtp.received).toHaveLength(before);
    expect(await sentEvents(db, 45)).toEqual([]);
  });

  it('a retry that succeeds is sent once; a PDF that cannot be built is retried like a refusal', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:01:00Z'));
    const runId = await weeklyCustomer(db, { id: 46, name: 'Late Clinic' });
    const before = smtp.received.length;
    const broken: WeeklyReportDeps = {
      ...depsAt(clock),
      builders: {
        weekly_drift_summary: async () => {
          throw new Error('disk full');
        },
      },
    };
    expect(await sendWeeklyReport(broken, { customerId: 46, runId })).toBe('retrying');
    const [failed] = await deliveryOf(db, 46);
    expect(failed?.last_error).toBe('disk full');
    clock.set('2026-03-02T06:03:00Z');
    expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(1);
    const [sent] = await deliveryOf(db, 46);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect(smtp.received).toHaveLength(before + 1);
    expect(await sentEvents(db, 46)).toHaveLength(1);
  });

  it('waits for the customer’s local day and hour (time_zone, weekly_report_day, weekly_report_hour)', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:01:00Z'));
    const runId = await weeklyCustomer(db, { id: 47, name: 'Chicago Clinic' });
    await db
      .updateTable('customer_settings')
      .set({ time_zone: 'America/Chicago', weekly_report_day: 'monday', weekly_report_hour: 8 })
      .where('customer_id', '=', 47)
      .execute();
    const before = smtp.received.length;
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 47, runId })).toBe('waiting');
    const [waiting] = await deliveryOf(db, 47);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(waiting?.next_attempt_at).toEqual(new Date('2026-03-02T14:00:00Z'));
    clock.set('2026-03-02T13:59:00Z');
    expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(0);
    clock.set('2026-03-02T14:00:00Z');
    expect(await dispatchDueWeeklyReports(depsAt(clock))).toBe(1);
    expect(smtp.received).toHaveLength(before + 1);
    const [sent] = await deliveryOf(db, 47);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('the alert dispatch sweeper (SCHEDULE_ALERT_DISPATCH) sends weekly e-mails that became due', async () => {
    const db = handle.database.db;
    const clock = new SettableClock(new Date('2026-03-02T06:01:00Z'));
    const runId = await weeklyCustomer(db, { id: 48, name: 'Sweeper Clinic', attachPdf: false });
    await db
      .updateTable('customer_settings')
      .set({ weekly_report_day: 'tuesday', weekly_report_hour: 7 })
      .where('customer_id', '=', 48)
      .execute();
    expect(await sendWeeklyReport(depsAt(clock), { customerId: 48, runId })).toBe('waiting');
    const before = smtp.received.length;
    clock.set('2026-03-03T07:00:00Z');
    const job = dispatchAlertsJob({ db, config: handle.config, mailer, clock });
    // The handler reads only the logger of its context.
    const context = { logger: silentLogger() } as unknown as JobContext<JsonObject>;
    expect(await job.handler(context)).toEqual({ due: 0, weekly_reports: 1 });
    expect(smtp.received).toHaveLength(before + 1);
    expect((await deliveryOf(db, 48))[0]?.status).toBe('sent');
  });
  // When the job is queued (after a scheduled DriftWatch run's PDF): src/jobs/definitions/reports.int.test.ts.
});

/** The message with quoted-printable soft breaks and escapes undone (text and HTML parts). */
function decodeQuotedPrintable(raw: string): string {
  const joined = raw.replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
