import { Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acmeCustomer,
  insertEmailChannel,
  insertRule,
  insertSlackChannel,
  recordingMailer,
  runDriftWatch,
  SettableClock,
  sendDeps,
  slackStub,
} from '../../test/alerts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { evaluateAlerts } from '../commands/evaluate-alerts.ts';
import { dispatchDueDeliveries, sendPendingAlerts } from '../commands/send-alert.ts';
import { insertDefaultAlertRule } from '../db/repositories/alert-rules.repository.ts';
import { createAlertMetrics } from './alert-metrics.ts';

/** The alert counters of web-api-ops §5.2 move with the engine's decisions. */

const PORTAL = 'https://payrixa.example';

async function values(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  // In label order, so the expectations do not depend on which series was touched first.
  return (await metric.get()).values
    .map((v) => ({ labels: v.labels, value: v.value }))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

describe('alert metrics', () => {
  let handle: TestDatabase | undefined;

  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it('count created, sent, suppressed alerts and each delivery attempt by channel and result', async () => {
    handle = await createTestDatabase({ env: { PORTAL_BASE_URL: PORTAL } });
    const { db } = handle.database;
    const config = handle.config;
    const registry = new Registry();
    const metrics = createAlertMetrics(registry);
    const clock = new SettableClock(new Date('2026-03-02T06:00:00Z'));
    await acmeCustomer(db);
    const slackId = await insertSlackChannel(db, config, 42, 'Payer desk Slack');
    const emailId = await insertEmailChannel(db, 42, 'Billing team', ['billing@acme.example']);
    await insertRule(db, 42, { name: 'Payer desk', priority: 10, channelIds: [emailId, slackId] });
    await insertDefaultAlertRule(db, 42);
    const evalDeps = { db, clock, portalBaseUrl: PORTAL, metrics };
    const runId = await runDriftWatch(db, 42);

    // The A1 finding (high) matches both rules: two alert events.
    expect((await evaluateAlerts(evalDeps, { customerId: 42, runId })).created).toHaveLength(2);
    // Evaluating again re-uses them: nothing more is counted.
    expect((await evaluateAlerts(evalDeps, { customerId: 42, runId })).reused).toHaveLength(2);
    expect(await values(registry, 'payrixa_alerts_created_total')).toEqual([
      { labels: { product: 'driftwatch', severity: 'high' }, value: 2 },
    ]);

    // Slack delivers, email fails and retries; the second alert falls into the cooldown.
    const deps = sendDeps(db, config, {
      mailer: recordingMailer('421 Service not available'),
      clock,
      fetch: slackStub(200),
      metrics,
    });
    expect(await sendPendingAlerts(deps, 42)).toMatchObject({ sent: 1, suppressed: 1 });
    expect(await values(registry, 'payrixa_alerts_sent_total')).toEqual([
      { labels: { product: 'driftwatch' }, value: 1 },
    ]);
    expect(await values(registry, 'payrixa_alerts_suppressed_total')).toEqual([
      { labels: { reason: 'cooldown' }, value: 1 },
    ]);
    expect(await values(registry, 'payrixa_alert_deliveries_total')).toEqual([
      { labels: { channel: 'email', result: 'retry' }, value: 1 },
      { labels: { channel: 'slack', result: 'success' }, value: 1 },
    ]);

    // The sweeper's attempts at +2, +6, +14 retry again; the one at +30 is the final failure.
    for (const now of [
      '2026-03-02T06:02:00Z',
      '2026-03-02T06:06:00Z',
      '2026-03-02T06:14:00Z',
      '2026-03-02T06:30:00Z',
    ]) {
      clock.set(now);
      expect(await dispatchDueDeliveries(deps)).toBe(1);
    }
    expect(await values(registry, 'payrixa_alert_deliveries_total')).toEqual([
      { labels: { channel: 'email', result: 'failure' }, value: 1 },
      { labels: { channel: 'email', result: 'retry' }, value: 4 },
      { labels: { channel: 'slack', result: 'success' }, value: 1 },
    ]);
    // The alert was already sent: later deliveries never count it again.
    expect(await values(registry, 'payrixa_alerts_sent_total')).toEqual([
      { labels: { product: 'driftwatch' }, value: 1 },
    ]);
  });

  it('the process counters live on the global registry with tenant-free labels only', async () => {
    createAlertMetrics(register);
    // Creating them again on the same registry re-uses the counters instead of failing.
    createAlertMetrics(register);
    const text = await register.metrics();
    expect(text).toContain('# TYPE payrixa_alerts_created_total counter');
    expect(text).toContain('# TYPE payrixa_alerts_sent_total counter');
    expect(text).toContain('# TYPE payrixa_alert_deliveries_total counter');
    expect(text).toContain('# TYPE payrixa_alerts_suppressed_total counter');
    const registry = new Registry();
    const metrics = createAlertMetrics(registry);
    metrics.alertCreated('driftwatch', 'high');
    metrics.alertSent('driftwatch');
    metrics.deliveryAttempted('webhook', 'failure');
    metrics.alertSuppressed('noise_memory');
    const labelNames = new Set(
      (await registry.getMetricsAsJSON()).flatMap((m) => m.values.flatMap((v) => Object.keys(v.labels))),
    );
    expect([...labelNames].sort()).toEqual(['channel', 'product', 'reason', 'result', 'severity']);
  });
});
