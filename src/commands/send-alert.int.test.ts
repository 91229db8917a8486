import { afterEach, describe, expect, it } from 'vitest';
import {
  acmeCustomer,
  alertsOf,
  auditCount,
  deliveriesOf,
  insertEmailChannel,
  insertRule,
  insertSlackChannel,
  recordingMailer,
  runDriftWatch,
  SettableClock,
  SLACK_URL,
  sendDeps,
  slackStub,
  T,
} from '../../test/alerts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { insertDefaultAlertRule } from '../db/repositories/alert-rules.repository.ts';
import { listRunFindings } from '../db/repositories/findings.repository.ts';
import { weeklyPdfFilename } from '../domain/alerts/index.ts';
import { evaluateAlerts } from './evaluate-alerts.ts';
import { dispatchDueDeliveries, refreshAlertStatus, sendAlert, sendPendingAlerts } from './send-alert.ts';

const PORTAL = 'https://payrixa.example';

describe('alert engine (alerts-reports §3–§8)', () => {
  let handle: TestDatabase | undefined;

  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  async function open(env: Record<string, string> = {}) {
    handle = await createTestDatabase({ env: { PORTAL_BASE_URL: PORTAL, ...env } });
    return { db: handle.database.db, config: handle.config };
  }

  it('B1: evaluation is idempotent, a re-run re-links, the Settings email goes once with the PDF', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    await insertRule(db, 42, { name: 'High Denial Rate Alert', metric: 'severity', threshold_value: 0.7 });
    const evalDeps = { db, clock, portalBaseUrl: PORTAL };

    const runId = await runDriftWatch(db, 42);
    const first = await evaluateAlerts(evalDeps, { customerId: 42, runId, requestId: 'req-b1' });
    expect(first.created).toHaveLength(1);
    let [alert] = await alertsOf(db, 42);
    expect(alert).toMatchObject({
      status: 'pending',
      payer: 'UnitedHealthcare',
      severity_label: 'high',
      entity_key: 'unitedhealthcare|eval',
      request_id: 'req-b1',
      rule_priority: 0,
    });
    expect(alert?.payload).toMatchObject({
      payer: 'UnitedHealthcare',
      rule_name: 'High Denial Rate Alert',
      rule_threshold: 0.7,
      rule_metric: 'severity',
      rule_threshold_type: 'gte',
      rule_level: 'critical',
      signal_type: 'DENIAL_RATE',
      portal_url: `${PORTAL}/portal/alerts/${alert?.id}/deep-dive/`,
    });
    expect(await auditCount(db, 42, 'alert_event_created')).toBe(1);

    const again = await evaluateAlerts(evalDeps, { customerId: 42, runId });
    expect(again).toMatchObject({ created: [], reused: [alert?.id] });
    expect(await auditCount(db, 42, 'alert_event_created')).toBe(1);

    // Re-running the analysis for the same as_of replaces the finding rows.
    const before = alert?.finding_id;
    await runDriftWatch(db, 42);
    const [newFinding] = await listRunFindings(db, 42, runId);
    expect(newFinding?.id).not.toBe(before);
    await evaluateAlerts(evalDeps, { customerId: 42, runId });
    const relinked = await alertsOf(db, 42);
    expect(relinked).toHaveLength(1);
    expect(relinked[0]).toMatchObject({ id: alert?.id, finding_id: newFinding?.id, status: 'pending' });

    const mailer = recordingMailer();
    const pdfRequests: unknown[] = [];
    const deps = sendDeps(db, config, {
      mailer,
      clock,
      weeklyPdf: async (run) => {
        pdfRequests.push(run);
        return { content: Buffer.from('%PDF-1.4 test') };
      },
    });
    expect(await sendPendingAlerts(deps, 42)).toMatchObject({ sent: 1 });
    [alert] = await alertsOf(db, 42);
    expect(alert).toMatchObject({ status: 'sent', suppressed: false });
    expect(alert?.notification_sent_at).toEqual(new Date('2026-03-02T06:00:00Z'));
    const deliveries = await deliveriesOf(db, 42, alert?.id as number);
    expect(deliveries).toMatchObject([
      {
        channel_key: 'settings-email',
        channel_id: null,
        channel_type: 'email',
        channel_name: 'Settings email',
        target_summary: '1 recipient',
        status: 'success',
        attempts: 1,
        attachment_error: null,
      },
    ]);
    expect(mailer.outbox).toHaveLength(1);
    const email = mailer.outbox[0];
    expect(email?.to).toBe('billing@acme.example');
    expect(email?.subject).toBe('[DriftWatch Alert] Acme Family Practice - High Severity');
    expect(email?.html).toContain('DriftWatch Alert');
    expect(email?.html).toContain('Acme Family Practice');
    expect(email?.text).toContain('DriftWatch Alert - Acme Family Practice');
    expect(email?.text).toContain('Request ID: req-b1');
    expect(email?.headers).toEqual({ 'X-Payrixa-Alert-Id': String(alert?.id), 'X-Request-Id': 'req-b1' });
    expect(email?.attachments?.map((a) => [a.filename, a.contentType])).toEqual([
      ['payrixa_weekly_drift_acme_family_practice_2026-03-02.pdf', 'application/pdf'],
    ]);
    expect(weeklyPdfFilename('Acme Family Practice', T)).toBe(email?.attachments?.[0]?.filename);
    expect(pdfRequests).toEqual([{ customerId: 42, runId, asOf: T }]);
    expect(await auditCount(db, 42, 'alert_event_sent')).toBe(1);
    const events = await db
      .selectFrom('system_events')
      .select('event_type')
      .where('customer_id', '=', 42)
      .where('event_type', 'like', 'alert_event_%')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.event_type)).toEqual(['alert_event_created', 'alert_event_sent']);

    // Sending again is a no-op: no email, no new audit, no new delivery.
    expect(await sendAlert(deps, 42, alert?.id as number)).toBe('noop');
    expect(await sendPendingAlerts(deps, 42)).toMatchObject({ sent: 0, noop: 0 });
    // A refresh reports where the alert stands, moving nothing and recording nothing.
    expect(await refreshAlertStatus(db, 42, alert?.id as number, clock.now())).toBe('sent');
    expect(await refreshAlertStatus(db, 42, 999_999, clock.now())).toBeUndefined();
    expect(await auditCount(db, 42, 'alert_event_sent')).toBe(1);
    expect(await dispatchDueDeliveries(deps)).toBe(0);
    expect(mailer.outbox).toHaveLength(1);
    expect(await auditCount(db, 42, 'alert_event_sent')).toBe(1);
  });

  it('without a PDF provider or with attach_pdf off the email goes without attachment and without error', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    await insertDefaultAlertRule(db, 42);
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const mailer = recordingMailer();
    await sendPendingAlerts(sendDeps(db, config, { mailer, clock }), 42);
    expect(mailer.outbox[0]?.attachments).toBeUndefined();
    const [alert] = await alertsOf(db, 42);
    expect(await deliveriesOf(db, 42, alert?.id as number)).toMatchObject([
      { status: 'success', attachment_error: null },
    ]);
  });

  it('a failing PDF is stored in attachment_error and the email still goes', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    await insertDefaultAlertRule(db, 42);
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const mailer = recordingMailer();
    const deps = sendDeps(db, config, {
      mailer,
      clock,
      weeklyPdf: async () => {
        throw new Error('renderer unavailable');
      },
    });
    await sendPendingAlerts(deps, 42);
    const [alert] = await alertsOf(db, 42);
    expect(alert?.status).toBe('sent');
    expect(await deliveriesOf(db, 42, alert?.id as number)).toMatchObject([
      { status: 'success', attachment_error: 'renderer unavailable' },
    ]);
    expect(mailer.outbox).toHaveLength(1);
  });

  it('no channel and no to_email: failed "No notification channel configured"', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db, { toEmail: '' });
    await insertDefaultAlertRule(db, 42);
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    await sendPendingAlerts(sendDeps(db, config, { mailer: recordingMailer(), clock }), 42);
    const [alert] = await alertsOf(db, 42);
    expect(alert).toMatchObject({ status: 'failed', error_message: 'No notification channel configured' });
    expect(await deliveriesOf(db, 42, alert?.id as number)).toHaveLength(0);
    expect(await auditCount(db, 42, 'alert_event_failed')).toBe(1);
  });

  it('B3: priority with cooldown — one Slack message, the second alert suppressed', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    const slackId = await insertSlackChannel(db, config, 42, 'Payer desk Slack');
    await insertEmailChannel(db, 42, 'Billing team', ['billing@acme.example']);
    const r1 = await insertRule(db, 42, { name: 'Payer desk', priority: 10, channelIds: [slackId] });
    await insertDefaultAlertRule(db, 42);
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const alerts = await alertsOf(db, 42);
    expect(alerts).toHaveLength(2);

    const slack = slackStub(200, () => clock.advance(1_000));
    const mailer = recordingMailer();
    // Ids are not priority order: the default rule's alert may well have the lower id.
    expect(await sendPendingAlerts(sendDeps(db, config, { mailer, clock, fetch: slack }), 42)).toMatchObject({
      sent: 1,
      suppressed: 1,
    });
    const e1 = (await alertsOf(db, 42)).find((a) => a.rule_id === r1);
    const e2 = (await alertsOf(db, 42)).find((a) => a.rule_id !== r1);
    expect(e1).toMatchObject({ status: 'sent', suppressed: false });
    expect(e1?.notification_sent_at).toEqual(new Date('2026-03-02T06:00:01Z'));
    expect(e2).toMatchObject({ status: 'sent', suppressed: true, suppression_reason: 'cooldown' });
    expect(await deliveriesOf(db, 42, e2?.id as number)).toHaveLength(0);
    expect(slack.calls).toHaveLength(1);
    expect(slack.calls[0]?.url).toBe(SLACK_URL);
    expect(mailer.outbox).toHaveLength(0);
    const body = slack.calls[0]?.body as {
      text: string;
      blocks: unknown[];
      attachments: Array<{ text: string }>;
    };
    expect(body.text).toBe('🚨 DriftWatch Alert: UnitedHealthcare Denial rate');
    expect(body.attachments[0]?.text).toBe('This alert was triggered by the *Payer desk* rule.');
    const suppressedAudit = await db
      .selectFrom('audit_events')
      .select('metadata')
      .where('customer_id', '=', 42)
      .where('action', '=', 'alert_event_sent')
      .where('entity_id', '=', String(e2?.id))
      .executeTakeFirstOrThrow();
    expect(suppressedAudit.metadata).toEqual({ suppressed: true, reason: 'cooldown' });
  });

  it('B7: one channel succeeds, email retries through the sweeper at +2, +6, +14, +30 min then fails', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    const emailId = await insertEmailChannel(db, 42, 'Billing team', ['billing@acme.example']);
    const slackId = await insertSlackChannel(db, config, 42, 'Payer desk Slack');
    await insertRule(db, 42, { name: 'Both', channelIds: [emailId, slackId] });
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const mailer = recordingMailer('421 Service not available');
    const deps = sendDeps(db, config, { mailer, clock, fetch: slackStub(200, () => clock.advance(1_000)) });
    await sendPendingAlerts(deps, 42);
    const [alert] = await alertsOf(db, 42);
    const alertId = alert?.id as number;
    expect(alert).toMatchObject({ status: 'sent' });
    expect(alert?.notification_sent_at).toEqual(new Date('2026-03-02T06:00:01Z'));
    let [email, slack] = await deliveriesOf(db, 42, alertId);
    expect(slack).toMatchObject({
      channel_type: 'slack',
      status: 'success',
      response_code: 200,
      attempts: 1,
    });
    expect(email).toMatchObject({
      channel_type: 'email',
      status: 'retrying',
      attempts: 1,
      last_error: '421 Service not available',
    });
    expect(email?.next_attempt_at).toEqual(new Date('2026-03-02T06:02:00Z'));

    // Not yet due: the sweeper leaves it alone.
    clock.set('2026-03-02T06:01:59Z');
    expect(await dispatchDueDeliveries(deps)).toBe(0);
    const schedule: Array<[string, string | null, string]> = [
      ['2026-03-02T06:02:00Z', '2026-03-02T06:06:00.000Z', 'retrying'],
      ['2026-03-02T06:06:00Z', '2026-03-02T06:14:00.000Z', 'retrying'],
      ['2026-03-02T06:14:00Z', '2026-03-02T06:30:00.000Z', 'retrying'],
      ['2026-03-02T06:30:00Z', null, 'failed'],
    ];
    for (const [now, next, status] of schedule) {
      clock.set(now);
      expect(await dispatchDueDeliveries(deps)).toBe(1);
      [email, slack] = await deliveriesOf(db, 42, alertId);
      expect(email?.status, now).toBe(status);
      expect(email?.next_attempt_at?.toISOString() ?? null, now).toBe(next);
      expect(email?.last_attempt_at).toEqual(new Date(now));
    }
    expect(email?.attempts).toBe(5);
    expect(mailer.attempts).toBe(5);
    clock.set('2026-03-02T08:00:00Z');
    expect(await dispatchDueDeliveries(deps)).toBe(0);
    const [after] = await alertsOf(db, 42);
    expect(after).toMatchObject({ status: 'sent', error_message: null });
    expect(after?.notification_sent_at).toEqual(new Date('2026-03-02T06:00:01Z'));
    expect(await auditCount(db, 42, 'alert_event_sent')).toBe(1);
    expect(await auditCount(db, 42, 'alert_event_failed')).toBe(0);
  });

  it('B8: all channels fail — pending until the 5th attempt, then failed with the summary; later sends are no-ops', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    await insertEmailChannel(db, 42, 'Billing team', ['billing@acme.example']);
    await insertDefaultAlertRule(db, 42);
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const mailer = recordingMailer('SMTP Error');
    const deps = sendDeps(db, config, { mailer, clock });
    await sendPendingAlerts(deps, 42);
    const alertId = (await alertsOf(db, 42))[0]?.id as number;
    for (const now of ['2026-03-02T06:02:00Z', '2026-03-02T06:06:00Z', '2026-03-02T06:14:00Z']) {
      expect((await alertsOf(db, 42))[0]?.status).toBe('pending');
      clock.set(now);
      await dispatchDueDeliveries(deps);
    }
    expect((await alertsOf(db, 42))[0]?.status).toBe('pending');
    clock.set('2026-03-02T06:30:00Z');
    await dispatchDueDeliveries(deps);
    const [alert] = await alertsOf(db, 42);
    expect(alert).toMatchObject({
      status: 'failed',
      error_message: 'All channels failed: email: SMTP Error',
      notification_sent_at: null,
    });
    expect(await deliveriesOf(db, 42, alertId)).toMatchObject([{ status: 'failed', attempts: 5 }]);
    expect(await auditCount(db, 42, 'alert_event_failed')).toBe(1);
    expect(await auditCount(db, 42, 'alert_event_sent')).toBe(0);
    expect(await sendAlert(deps, 42, alertId)).toBe('noop');
    clock.set('2026-03-02T09:00:00Z');
    expect(await dispatchDueDeliveries(deps)).toBe(0);
    expect(mailer.attempts).toBe(5);
  });

  it('B9: Slack disabled fails at once without an HTTP call; with an email channel as well the alert is sent', async () => {
    const { db, config } = await open({ SLACK_ENABLED: 'false' });
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    const slackId = await insertSlackChannel(db, config, 42, 'Payer desk Slack');
    const ruleId = await insertRule(db, 42, { name: 'Slack only', channelIds: [slackId] });
    const evalDeps = { db, clock, portalBaseUrl: PORTAL };
    await evaluateAlerts(evalDeps, { customerId: 42, runId: await runDriftWatch(db, 42) });
    const slack = slackStub(200);
    const mailer = recordingMailer();
    const deps = sendDeps(db, config, { mailer, clock, fetch: slack });
    await sendPendingAlerts(deps, 42);
    let [alert] = await alertsOf(db, 42);
    expect(alert).toMatchObject({
      status: 'failed',
      error_message: 'All channels failed: slack: Slack disabled',
      notification_sent_at: null,
    });
    expect(await deliveriesOf(db, 42, alert?.id as number)).toMatchObject([
      { status: 'failed', attempts: 1, last_error: 'Slack disabled', next_attempt_at: null },
    ]);
    expect(slack.calls).toHaveLength(0);
    clock.set('2026-03-02T07:00:00Z');
    expect(await dispatchDueDeliveries(deps)).toBe(0);

    // Route the rule to Slack and email; a fresh alert (the old one removed) is sent by email.
    const emailId = await insertEmailChannel(db, 42, 'Billing team', ['billing@acme.example']);
    await db
      .updateTable('alert_rules')
      .set({ channel_ids: JSON.stringify([slackId, emailId]) })
      .where('id', '=', ruleId)
      .execute();
    await db.deleteFrom('alert_events').where('customer_id', '=', 42).execute();
    await evaluateAlerts(evalDeps, { customerId: 42, runId: (alert as { run_id: number }).run_id });
    await sendPendingAlerts(deps, 42);
    [alert] = await alertsOf(db, 42);
    expect(alert?.status).toBe('sent');
    expect((await deliveriesOf(db, 42, alert?.id as number)).map((d) => [d.channel_type, d.status])).toEqual([
      ['slack', 'failed'],
      ['email', 'success'],
    ]);
    expect(slack.calls).toHaveLength(0);
    expect(mailer.outbox).toHaveLength(1);
  });

  it('Slack: a non-2xx answer is a retryable failure; a channel without a URL fails at once', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    const broken = await insertSlackChannel(db, config, 42, 'Broken', null);
    const failing = await insertSlackChannel(db, config, 42, 'Failing');
    await insertRule(db, 42, { name: 'Slack', channelIds: [broken, failing] });
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const slack = slackStub(500);
    await sendPendingAlerts(sendDeps(db, config, { mailer: recordingMailer(), clock, fetch: slack }), 42);
    const [alert] = await alertsOf(db, 42);
    expect(alert?.status).toBe('pending');
    expect(await deliveriesOf(db, 42, alert?.id as number)).toMatchObject([
      { channel_name: 'Broken', status: 'failed', last_error: 'Slack channel has no webhook URL' },
      { channel_name: 'Failing', status: 'retrying', response_code: 500, last_error: 'HTTP 500: boom' },
    ]);
    expect(slack.calls).toHaveLength(1);
  });

  it('webhook channels: skipped without the webhook sender; a result is mirrored when one is given', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    const channel = await db
      .insertInto('notification_channels')
      .values({ customer_id: 42, name: 'Ops hook', type: 'webhook', config: JSON.stringify({ endpoint: 7 }) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await insertRule(db, 42, { name: 'Hook', channelIds: [channel.id] });
    const evalDeps = { db, clock, portalBaseUrl: PORTAL };
    const runId = await runDriftWatch(db, 42);
    await evaluateAlerts(evalDeps, { customerId: 42, runId });
    await sendPendingAlerts(sendDeps(db, config, { mailer: recordingMailer(), clock }), 42);
    let [alert] = await alertsOf(db, 42);
    expect(alert).toMatchObject({
      status: 'failed',
      error_message: 'All channels failed: webhook: Webhook delivery unavailable',
    });
    expect(await deliveriesOf(db, 42, alert?.id as number)).toMatchObject([{ status: 'skipped' }]);

    await db.deleteFrom('alert_events').where('customer_id', '=', 42).execute();
    await evaluateAlerts(evalDeps, { customerId: 42, runId });
    const calls: unknown[] = [];
    await sendPendingAlerts(
      sendDeps(db, config, {
        mailer: recordingMailer(),
        clock,
        deliverAlertWebhook: async (input) => {
          calls.push(input);
          return {
            status: 'success',
            webhookDeliveryId: 77,
            responseCode: 200,
            error: null,
            nextAttemptAt: null,
          };
        },
      }),
      42,
    );
    [alert] = await alertsOf(db, 42);
    expect(alert?.status).toBe('sent');
    const [delivery] = await deliveriesOf(db, 42, alert?.id as number);
    expect(delivery).toMatchObject({ status: 'success', webhook_delivery_id: 77, response_code: 200 });
    expect(calls).toEqual([
      {
        customerId: 42,
        alertEventId: alert?.id,
        alertDeliveryId: delivery?.id,
        endpointId: 7,
        requestId: alert?.request_id,
      },
    ]);
  });

  it('B5(f): history of another key (payer, signal or product) never counts', async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T12:00:00Z'));
    await acmeCustomer(db);
    await insertDefaultAlertRule(db, 42);
    const otherKeys = [
      { product: 'driftwatch', signal_type: 'DENIAL_RATE', entity_key: 'aetna|eval', payer: 'Aetna' },
      {
        product: 'driftwatch',
        signal_type: 'DECISION_TIME',
        entity_key: 'unitedhealthcare|eval',
        payer: 'UnitedHealthcare',
      },
      {
        product: 'denialscope',
        signal_type: 'denial_rate_spike',
        entity_key: 'unitedhealthcare|eval',
        payer: 'UnitedHealthcare',
      },
    ] as const;
    let n = 0;
    for (const key of otherKeys) {
      for (let i = 0; i < 2; i += 1) {
        n += 1;
        const row = await db
          .insertInto('alert_events')
          .values({
            customer_id: 42,
            rule_id: 999,
            run_id: 999,
            finding_fingerprint: `${'e'.repeat(30)}${String(n).padStart(2, '0')}`,
            ...key,
            status: 'resolved',
            payload: JSON.stringify({}),
            severity: 0.8,
            severity_label: 'high',
            notification_sent_at: '2026-03-02T11:00:00Z',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await db
          .insertInto('operator_judgments')
          .values({
            customer_id: 42,
            alert_event_id: row.id,
            operator_id: 1,
            operator_username: 'dana',
            verdict: 'noise',
            reason_codes: JSON.stringify([]),
            verdict_at: '2026-03-02T11:30:00Z',
          })
          .execute();
      }
    }
    await evaluateAlerts(
      { db, clock, portalBaseUrl: PORTAL },
      { customerId: 42, runId: await runDriftWatch(db, 42) },
    );
    const mailer = recordingMailer();
    await sendPendingAlerts(sendDeps(db, config, { mailer, clock }), 42);
    expect((await alertsOf(db, 42)).find((a) => a.rule_id !== 999)).toMatchObject({
      status: 'sent',
      suppressed: false,
      entity_key: 'unitedhealthcare|eval',
    });
    expect(mailer.outbox).toHaveLength(1);
  });

  it("B5(g) / B13: another tenant's cooldown and noise memory never suppress its alerts", async () => {
    const { db, config } = await open();
    const clock = new SettableClock(new Date('2026-03-02T12:00:00Z'));
    await acmeCustomer(db, { id: 42 });
    await acmeCustomer(db, { id: 43, name: 'Other Practice', toEmail: 'billing@other.example' });
    await insertDefaultAlertRule(db, 42);
    await insertDefaultAlertRule(db, 43);
    // Customer A: two findings of the key judged noise today, one notified an hour ago.
    for (const [i, notifiedAt] of [
      [1, '2026-03-02T11:00:00Z'],
      [2, '2026-02-20T12:00:00Z'],
    ] as const) {
      const row = await db
        .insertInto('alert_events')
        .values({
          customer_id: 42,
          rule_id: 999,
          product: 'driftwatch',
          run_id: 999,
          finding_fingerprint: `${'f'.repeat(31)}${i}`,
          signal_type: 'DENIAL_RATE',
          payer: 'UnitedHealthcare',
          entity_key: 'unitedhealthcare|eval',
          status: 'resolved',
          payload: JSON.stringify({}),
          severity: 0.8,
          severity_label: 'high',
          notification_sent_at: notifiedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('operator_judgments')
        .values({
          customer_id: 42,
          alert_event_id: row.id,
          operator_id: 1,
          operator_username: 'dana',
          verdict: 'noise',
          reason_codes: JSON.stringify([]),
          verdict_at: '2026-03-02T11:30:00Z',
        })
        .execute();
    }
    const evalDeps = { db, clock, portalBaseUrl: PORTAL };
    await evaluateAlerts(evalDeps, { customerId: 43, runId: await runDriftWatch(db, 43) });
    await evaluateAlerts(evalDeps, { customerId: 42, runId: await runDriftWatch(db, 42) });
    const mailer = recordingMailer();
    const deps = sendDeps(db, config, { mailer, clock });
    await sendPendingAlerts(deps, 43);
    await sendPendingAlerts(deps, 42);
    const [b] = await alertsOf(db, 43);
    expect(b).toMatchObject({ status: 'sent', suppressed: false, entity_key: 'unitedhealthcare|eval' });
    const a = (await alertsOf(db, 42)).find((x) => x.rule_id !== 999);
    expect(a).toMatchObject({ status: 'sent', suppressed: true, suppression_reason: 'cooldown' });
    expect(mailer.outbox.map((m) => m.to)).toEqual(['billing@other.example']);

    // Past A's cooldown, A's noise memory (2 findings) suppresses A's next alert, never B's.
    await db
      .deleteFrom('alert_events')
      .where('customer_id', 'in', [42, 43])
      .where('rule_id', '<>', 999)
      .execute();
    clock.set('2026-03-02T18:00:00Z');
    await db
      .updateTable('alert_events')
      .set({ notification_sent_at: '2026-03-01T00:00:00Z' })
      .where('rule_id', '=', 999)
      .execute();
    await evaluateAlerts(evalDeps, { customerId: 42, runId: (a as { run_id: number }).run_id });
    await evaluateAlerts(evalDeps, { customerId: 43, runId: (b as { run_id: number }).run_id });
    await sendPendingAlerts(deps, 42);
    await sendPendingAlerts(deps, 43);
    expect((await alertsOf(db, 42)).find((x) => x.rule_id !== 999)).toMatchObject({
      suppressed: true,
      suppression_reason: 'noise_memory',
    });
    expect((await alertsOf(db, 43))[0]).toMatchObject({ status: 'sent', suppressed: false });
  });
});
