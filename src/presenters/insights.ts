import type { SystemEventRow } from '../db/repositories/analysis-runs.repository.ts';
import { formatTimestampCard } from '../domain/analytics/index.ts';

/** The insights feed (analytics §13.7): system events as cards. Pure. */

const EVENT_LABELS: Readonly<Record<string, string>> = {
  analysis_run_completed: 'Analysis Run Completed',
  analysis_run_failed: 'Analysis Run Failed',
  driftwatch_signal_created: 'DriftWatch Signal Created',
  denialscope_signal_created: 'DenialScope Signal Created',
  delayguard_signal_created: 'DelayGuard Signal Created',
  alert_event_created: 'Alert Created',
  alert_event_sent: 'Alert Sent',
  alert_event_failed: 'Alert Delivery Failed',
  alert_event_suppressed: 'Alert Suppressed',
  alert_deep_dive_viewed: 'Alert Deep Dive Viewed',
  operator_feedback_submitted: 'Operator Feedback Submitted',
  report_generated: 'Report Generated',
  weekly_report_sent: 'Weekly Report Sent',
  webhook_delivery_failed: 'Webhook Delivery Failed',
  ingestion_received: 'Ingestion Received',
  ingestion_processed: 'Ingestion Processed',
  ingestion_failed: 'Ingestion Failed',
  data_quality_anomaly: 'Data Quality Anomaly',
  mappings_reapplied: 'Mappings Reapplied',
  upload_deleted: 'Upload Deleted',
};

/** Display name of a system event type (unknown types: words title-cased). */
export function eventLabel(type: string): string {
  return (
    EVENT_LABELS[type] ??
    type
      .split('_')
      .filter(Boolean)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' ')
  );
}

/** The payload's top-level keys and values (non-strings as JSON); nothing for non-objects. */
export function payloadEntries(payload: unknown): Array<{ key: string; value: string }> {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return [];
  return Object.entries(payload as Record<string, unknown>).map(([key, value]) => ({
    key,
    value: typeof value === 'string' ? value : JSON.stringify(value ?? null),
  }));
}

/** One event card of the feed. */
export function presentInsightEvent(row: SystemEventRow) {
  return {
    id: row.id,
    type: row.event_type,
    label: eventLabel(row.event_type),
    // "Mon DD, YYYY HH:MM UTC", as the cards of the dashboards.
    date: formatTimestampCard(row.created_at),
    entries: payloadEntries(row.payload),
  };
}
