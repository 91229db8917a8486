import type {
  WebhookDeliveryAttemptRecord,
  WebhookDeliveryRecord,
} from '../db/repositories/webhook-deliveries.repository.ts';
import type { WebhookEndpointRecord } from '../db/repositories/webhook-endpoints.repository.ts';
import type { JsonObject, JsonValue, WebhookDeliveryStatus } from '../db/schema.ts';
import { tableDateTime } from './dates.ts';

/**
 * Webhooks (alerts-reports §9; web-api-ops §4.6 "webhook-endpoints"): the API shapes of
 * endpoints and deliveries, the portal rows, and the event envelope with its `data` builders.
 * Pure; the only output path of webhook bodies. No PHI (claim numbers, patient fields) and no
 * secret ever goes through here — an endpoint shows its `secret_last4` only, and the whole
 * secret leaves once, through {@link presentEndpointWithSecret}.
 */

/** Event types an endpoint can subscribe to (`ping` goes only to the endpoint tested). */
export const SUBSCRIBABLE_EVENT_TYPES = [
  'alert.triggered',
  'analysis_run.completed',
  'analysis_run.failed',
  'report.completed',
] as const;
export type WebhookEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number] | 'ping';

const iso = (value: Date | string | null): string | null => (value ? new Date(value).toISOString() : null);

export interface WebhookEndpointView {
  id: number;
  customer: number;
  name: string;
  url: string;
  active: boolean;
  event_types: string[];
  secret_last4: string;
  created_at: string;
}

export function presentWebhookEndpoint(row: WebhookEndpointRecord): WebhookEndpointView {
  return {
    id: row.id,
    customer: row.customer_id,
    name: row.name,
    url: row.url,
    active: row.active,
    event_types: [...row.event_types],
    secret_last4: row.secret_last4,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/** The create and rotate-secret responses: the endpoint plus the whole secret, this once. */
export function presentEndpointWithSecret(
  row: WebhookEndpointRecord,
  secret: string,
): WebhookEndpointView & { secret: string } {
  return { ...presentWebhookEndpoint(row), secret };
}

export interface WebhookDeliveryView {
  id: number;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  response_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

export function presentWebhookDelivery(row: WebhookDeliveryRecord): WebhookDeliveryView {
  const open = row.status === 'pending' || row.status === 'retrying';
  return {
    id: row.id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    response_code: row.response_code,
    last_error: row.last_error,
    last_attempt_at: iso(row.last_attempt_at),
    // A finished delivery has no next attempt (the column may still hold a lease).
    next_attempt_at: open ? iso(row.next_attempt_at) : null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

// --- portal ------------------------------------------------------------------------------

export interface EndpointRow {
  id: number;
  name: string;
  url: string;
  active: boolean;
  statusLabel: string;
  disabledReason: string | null;
  eventTypes: string;
  secretMasked: string;
  created: string;
}

export function presentEndpointRow(row: WebhookEndpointRecord): EndpointRow {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    active: row.active,
    statusLabel: row.active ? 'Active' : row.disabled_reason ? 'Disabled automatically' : 'Inactive',
    disabledReason: row.disabled_reason,
    eventTypes: row.event_types.length === 0 ? 'All events' : row.event_types.join(', '),
    secretMasked: `••••${row.secret_last4}`,
    created: tableDateTime(row.created_at),
  };
}

export interface DeliveryRow {
  id: number;
  created: string;
  eventType: string;
  eventId: string;
  status: string;
  attempts: string;
  lastResponse: string;
  nextAttempt: string;
  body: string;
  attemptRows: Array<{
    attemptNo: number;
    started: string;
    durationMs: number;
    signatureTimestamp: number;
    responseCode: string;
    error: string;
  }>;
}

export function presentDeliveryRows(
  deliveries: readonly WebhookDeliveryRecord[],
  attempts: readonly WebhookDeliveryAttemptRecord[],
): DeliveryRow[] {
  return deliveries.map((d) => {
    const view = presentWebhookDelivery(d);
    return {
      id: d.id,
      created: tableDateTime(d.created_at),
      eventType: d.event_type,
      eventId: d.event_id,
      status: d.status,
      attempts: `${d.attempts}/${d.max_attempts}`,
      lastResponse: d.response_code !== null ? `HTTP ${d.response_code}` : (d.last_error ?? '-'),
      nextAttempt: view.next_attempt_at ? tableDateTime(view.next_attempt_at) : '-',
      body: d.body,
      attemptRows: attempts
        .filter((a) => a.delivery_id === d.id)
        .map((a) => ({
          attemptNo: a.attempt_no,
          started: tableDateTime(a.started_at),
          durationMs: a.duration_ms,
          signatureTimestamp: Number(a.signature_timestamp),
          responseCode: a.response_code === null ? '-' : String(a.response_code),
          error: a.error ?? '',
        })),
    };
  });
}

/** "Test event delivered (HTTP 200 in 143 ms)" / "Test event failed: HTTP 500: …". */
export function testEventMessage(
  delivery: Pick<WebhookDeliveryRecord, 'status' | 'response_code' | 'last_error'>,
  durationMs: number,
): { ok: boolean; message: string } {
  if (delivery.status === 'success') {
    return { ok: true, message: `Test event delivered (HTTP ${delivery.response_code} in ${durationMs} ms)` };
  }
  return { ok: false, message: `Test event failed: ${delivery.last_error ?? 'unknown error'}` };
}

// --- the envelope ------------------------------------------------------------------------

export interface EnvelopeInput {
  eventId: string;
  type: WebhookEventType;
  createdAt: Date;
  customerId: number;
  data: JsonObject;
  requestId: string | null;
}

/**
 * The body of every delivery of an event: compact JSON in this key order, serialised once and
 * stored; attempts send the stored text byte for byte.
 */
export function serializeEnvelope(input: EnvelopeInput): string {
  return JSON.stringify({
    id: input.eventId,
    type: input.type,
    created_at: input.createdAt.toISOString(),
    customer_id: input.customerId,
    data: input.data,
    metadata: { request_id: input.requestId },
  });
}

export function pingData(endpointId: number): JsonObject {
  return { message: 'This is a test event from Payrixa', endpoint_id: endpointId };
}

export interface RunEventSource {
  id: number;
  product: string;
  as_of: string;
  duration_ms: number | null;
  error_message: string | null;
}

/** `analysis_run.completed`: counts only — never finding rows or claim data. */
export function runCompletedData(
  run: RunEventSource,
  findings: number,
  counts: Readonly<Record<string, number>>,
): JsonObject {
  return {
    run_id: run.id,
    product: run.product,
    as_of: run.as_of,
    findings,
    counts: { ...counts },
    duration_ms: run.duration_ms,
  };
}

export function runFailedData(run: RunEventSource): JsonObject {
  return { run_id: run.id, product: run.product, as_of: run.as_of, error: run.error_message };
}

/** `alert.triggered` (§9): evidence keeps at most 5 rows. */
export function alertTriggeredData(input: {
  alertId: number;
  status: string;
  triggeredAt: Date;
  rule: { id: number | null; name: string; level: string };
  evidence: JsonObject;
  portalUrl: string;
}): JsonObject {
  const evidence: Record<string, JsonValue> = { ...input.evidence };
  const rows = evidence['rows'];
  if (Array.isArray(rows)) evidence['rows'] = rows.slice(0, 5);
  return {
    alert_id: input.alertId,
    status: input.status,
    triggered_at: input.triggeredAt.toISOString(),
    rule: { id: input.rule.id, name: input.rule.name, level: input.rule.level },
    evidence,
    portal_url: input.portalUrl,
  };
}

export function reportCompletedData(input: {
  runId: number;
  artifactId: number;
  kind: string;
  contentHash: string;
  downloadUrl: string;
}): JsonObject {
  return {
    run_id: input.runId,
    artifact_id: input.artifactId,
    kind: input.kind,
    content_hash: input.contentHash,
    download_url: input.downloadUrl,
  };
}
