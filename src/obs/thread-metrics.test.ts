import { Registry, register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAlertMetrics } from './alert-metrics.ts';
import {
  applyMetricUpdates,
  flushMetrics,
  forwardingMetrics,
  forwardMetricsTo,
  isMetricsMessage,
  type MetricUpdate,
} from './thread-metrics.ts';
import { createWorkMetrics } from './work-metrics.ts';

/**
 * The bridge of thread-metrics.ts, with this test file standing in for a job thread (each
 * vitest file has its own module instances, like a thread): once forwarding, the global ports
 * queue their counts instead of counting, and the "parent" (a separate registry here) applies
 * the batch to metrics of the same names.
 */

/** A series' value; `name` may be a histogram's `_count` / `_sum` / `_bucket` series. */
async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric =
    registry.getSingleMetric(name.replace(/_(count|sum|bucket)$/, '')) ?? registry.getSingleMetric(name);
  const { values } = (await metric?.get()) ?? { values: [] };
  const match = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name &&
      Object.entries(labels).every(([key, expected]) => String(v.labels[key]) === expected),
  );
  return match?.value ?? 0;
}

describe('thread metrics bridge', () => {
  it('forwards alert and work counts from the global ports as one summed batch the parent applies exactly', async () => {
    const sent: MetricUpdate[][] = [];
    const alerts = createAlertMetrics(); // global registry, like a job thread's default port
    const work = createWorkMetrics();
    // A port on its own registry is never forwarded (tests in threads keep working).
    const ownRegistry = new Registry();
    const own = createAlertMetrics(ownRegistry);

    expect(forwardingMetrics()).toBe(false);
    forwardMetricsTo((updates) => sent.push(updates));
    expect(forwardingMetrics()).toBe(true);

    alerts.alertCreated('driftwatch', 'high');
    alerts.alertCreated('driftwatch', 'high');
    alerts.deliveryAttempted('slack', 'retry');
    work.jobFinished('ingest', 'ingest-upload', 'succeeded', 0.3);
    work.jobFinished('ingest', 'ingest-upload', 'succeeded', 42);
    own.alertSuppressed('cooldown');
    flushMetrics();

    expect(sent).toHaveLength(1);
    const batch = sent[0]!;
    expect(batch).toContainEqual({
      name: 'payrixa_alerts_created_total',
      labels: { product: 'driftwatch', severity: 'high' },
      values: [2],
    });
    expect(batch).toContainEqual({
      name: 'payrixa_job_duration_seconds',
      labels: { queue: 'ingest', kind: 'ingest-upload' },
      values: [0.3, 42],
    });
    expect(isMetricsMessage({ type: 'metrics', updates: batch })).toBe(true);
    // Nothing counted on this "thread's" own global registry; the own-registry port counted here.
    expect(await value(register, 'payrixa_alerts_created_total', { product: 'driftwatch' })).toBe(0);
    expect(await value(ownRegistry, 'payrixa_alerts_suppressed_total', { reason: 'cooldown' })).toBe(1);
    // An empty flush posts nothing.
    flushMetrics();
    expect(sent).toHaveLength(1);

    // The parent: its ports registered the same names; the batch lands there.
    const parent = new Registry();
    createAlertMetrics(parent);
    createWorkMetrics(parent);
    applyMetricUpdates(batch, parent);
    expect(
      await value(parent, 'payrixa_alerts_created_total', { product: 'driftwatch', severity: 'high' }),
    ).toBe(2);
    expect(await value(parent, 'payrixa_alert_deliveries_total', { channel: 'slack', result: 'retry' })).toBe(
      1,
    );
    const labels = { queue: 'ingest', kind: 'ingest-upload' };
    expect(await value(parent, 'payrixa_jobs_processed_total', { ...labels, result: 'succeeded' })).toBe(2);
    expect(await value(parent, 'payrixa_job_duration_seconds_count', labels)).toBe(2);
    expect(await value(parent, 'payrixa_job_duration_seconds_sum', labels)).toBeCloseTo(42.3, 6);
    expect(await value(parent, 'payrixa_job_duration_seconds_bucket', { ...labels, le: '0.5' })).toBe(1);
    // Unknown names are skipped, not thrown on.
    expect(() =>
      applyMetricUpdates([{ name: 'not_registered_total', labels: {}, values: [1] }], parent),
    ).not.toThrow();
  });
});
