import { type Registry, register } from 'prom-client';
import type { AlertDeliveryStatus, AnalysisProduct, ChannelType, SuppressionReason } from '../db/schema.ts';
import { forwardableCounter as counter } from './thread-metrics.ts';

/**
 * The alerting counters of web-api-ops §5.2. Labels are closed sets (product, severity label,
 * channel type, result, suppression reason): never a customer, payer or user, so the series
 * stay few and carry no tenant data.
 *
 * Commands take an {@link AlertMetrics} port (tests pass one on their own registry); the
 * default, {@link alertMetrics}, registers on prom-client's global registry, which is what a
 * process's `/metrics` exposes. Jobs run in worker threads, each with its own module instance
 * and global registry; there the counters are forwarded to the owning process (thread-metrics.ts).
 */

export type AlertDeliveryResult = 'success' | 'failure' | 'retry';

export interface AlertMetrics {
  /** A new alert event (not a re-used one); `severity` is the finding's severity label. */
  alertCreated(product: AnalysisProduct, severity: string): void;
  /** An alert moved to `sent` because a channel delivered it (suppressed alerts are not sent). */
  alertSent(product: AnalysisProduct): void;
  /** One delivery attempt on a channel and how it ended. */
  deliveryAttempted(channel: ChannelType, result: AlertDeliveryResult): void;
  alertSuppressed(reason: SuppressionReason): void;
}

export function createAlertMetrics(registry: Registry = register): AlertMetrics {
  const created = counter(registry, 'payrixa_alerts_created_total', 'Alert events created', [
    'product',
    'severity',
  ]);
  const sent = counter(registry, 'payrixa_alerts_sent_total', 'Alerts delivered to at least one channel', [
    'product',
  ]);
  const deliveries = counter(
    registry,
    'payrixa_alert_deliveries_total',
    'Alert delivery attempts by channel type and result',
    ['channel', 'result'],
  );
  const suppressed = counter(registry, 'payrixa_alerts_suppressed_total', 'Alerts suppressed', ['reason']);
  return {
    alertCreated: (product, severity) => created({ product, severity }),
    alertSent: (product) => sent({ product }),
    deliveryAttempted: (channel, result) => deliveries({ channel, result }),
    alertSuppressed: (reason) => suppressed({ reason }),
  };
}

/** The process's counters (prom-client's global registry). */
export const alertMetrics: AlertMetrics = createAlertMetrics();

/**
 * The metric result of an attempt from the record's status after it: `retrying` = a failure
 * that will be tried again, `failed` = the final failure. `skipped` (no attempt possible, e.g.
 * webhook delivery unavailable) and the non-attempt statuses are not counted.
 */
export function deliveryResultOf(status: AlertDeliveryStatus): AlertDeliveryResult | null {
  switch (status) {
    case 'success':
      return 'success';
    case 'retrying':
      return 'retry';
    case 'failed':
      return 'failure';
    default:
      return null;
  }
}
