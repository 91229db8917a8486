import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { describeError, NotFoundError } from '../config/errors.ts';
import { recordSystemEvent } from '../db/repositories/ingestion-records.repository.ts';
import {
  claimDueDelivery,
  findDeliveryOfEvent,
  findWebhookDelivery,
  insertDeliveryAttempt,
  insertWebhookDelivery,
  linkAlertDelivery,
  listDueDeliveryKeys,
  mirrorOntoAlertDeliveries,
  recordDeliveryOutcome,
  type WebhookDeliveryRecord,
} from '../db/repositories/webhook-deliveries.repository.ts';
import {
  findWebhookEndpoint,
  listSubscribedEndpoints,
  updateWebhookEndpoint,
  type WebhookEndpointRecord,
} from '../db/repositories/webhook-endpoints.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import { MAX_DELIVERY_ATTEMPTS, nextAttemptAfterFailure } from '../domain/alerts/retry.ts';
import { openSecret } from '../notify/secrets.ts';
import {
  BLOCKED_DESTINATION_MESSAGE,
  checkDestination,
  type HostResolver,
} from '../notify/webhooks/destination-guard.ts';
import { postWebhook, type WebhookPostInput } from '../notify/webhooks/http-post.ts';
import { SIGNATURE_HEADER, signatureHeaderValue, signatureTimestamp } from '../notify/webhooks/signature.ts';
import { recordAudit } from '../obs/audit.ts';
import {
  pingData,
  type RunEventSource,
  reportCompletedData,
  runCompletedData,
  runFailedData,
  serializeEnvelope,
  type WebhookEventType,
} from '../presenters/webhooks.ts';
import type { CustomerActor } from './customer-audit.ts';

/**
 * Outbound webhook deliveries (alerts-reports §9). A delivery is created with its envelope
 * serialised once (every attempt sends exactly those bytes) and due at once; each attempt
 * claims it (so the immediate send and the sweeper never both send), re-checks the
 * destination, signs with the time of the attempt, POSTs to the checked address, records an
 * attempt row and the outcome. Failures follow the shared retry schedule (§5: +2, +4, +8,
 * +16 minutes; `failed` after attempt 5) with audit `webhook_delivery_failed` and system event
 * `webhook_delivery_failed`; a success is audited `webhook_delivery_sent` with the envelope's
 * request id.
 *
 * Auto-disable (issue 12): an endpoint whose deliveries end `failed` AUTO_DISABLE_AFTER times
 * in a row (each already retried 5 times over 30 minutes) is switched off with a
 * `disabled_reason`; a success resets the count. Test pings neither count nor reset.
 */

/** Consecutive terminally failed deliveries after which an endpoint is deactivated. */
export const AUTO_DISABLE_AFTER = 5;
export const ENDPOINT_INACTIVE_MESSAGE = 'Endpoint is inactive';

export interface WebhookDeliveryDeps {
  db: Kysely<DB>;
  config: Config;
  clock: { now(): Date };
  /** DNS of the destination guard (tests inject one). */
  resolve?: HostResolver;
  /** Request deadline (default 10 s; tests shorten it). */
  timeoutMs?: number;
  /** TLS options for the POST (tests trusting a self-signed receiver). */
  tls?: WebhookPostInput['tls'];
  logger?: Pick<Logger, 'warn'>;
  /**
   * Called after a later attempt changed an alert delivery that mirrors a webhook delivery
   * (`alert_deliveries.webhook_delivery_id`), so the alert's status can be recomputed.
   */
  onAlertDeliveryChanged?: (customerId: number, alertEventId: number) => Promise<void> | void;
}

export interface AttemptResult {
  delivery: WebhookDeliveryRecord;
  /** False when the delivery was not due or already taken by another worker. */
  attempted: boolean;
  durationMs: number;
}

function newEventId(): string {
  return `evt_${randomUUID().replaceAll('-', '')}`;
}

/** Creates one delivery (status pending, due now) of an already serialised envelope. */
async function createDelivery(
  db: Kysely<DB>,
  customerId: number,
  endpointId: number,
  event: {
    eventId: string;
    type: WebhookEventType;
    body: string;
    requestId: string | null;
    maxAttempts: number;
  },
  now: Date,
): Promise<WebhookDeliveryRecord> {
  return insertWebhookDelivery(
    db,
    customerId,
    {
      endpointId,
      eventId: event.eventId,
      eventType: event.type,
      body: event.body,
      maxAttempts: event.maxAttempts,
      requestId: event.requestId,
    },
    now,
  );
}

interface SendOutcome {
  status: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
}

/** The network part of an attempt: guard, sign, POST. Never throws. */
async function send(
  deps: WebhookDeliveryDeps,
  endpoint: WebhookEndpointRecord,
  delivery: WebhookDeliveryRecord,
  at: Date,
  timestamp: number,
): Promise<SendOutcome> {
  try {
    const check = await checkDestination(endpoint.url, {
      allowPrivate: deps.config.webhookAllowPrivateTargets,
      ...(deps.resolve && { resolve: deps.resolve }),
    });
    if (!check.ok) {
      const error = check.reason === 'blocked' ? BLOCKED_DESTINATION_MESSAGE : `Error: ${check.detail}`;
      return { status: null, responseBody: null, error, durationMs: 0 };
    }
    const secret = openSecret(deps.config, endpoint.secret_enc);
    const previousSecret =
      endpoint.previous_secret_enc &&
      endpoint.previous_secret_expires_at &&
      new Date(endpoint.previous_secret_expires_at).getTime() > at.getTime()
        ? openSecret(deps.config, endpoint.previous_secret_enc)
        : null;
    const result = await postWebhook({
      destination: check.destination,
      body: delivery.body,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Payrixa-Webhooks/1.0',
        'Payrixa-Event': delivery.event_type,
        'Payrixa-Delivery': String(delivery.id),
        [SIGNATURE_HEADER]: signatureHeaderValue({ secret, previousSecret, timestamp, body: delivery.body }),
        // The request that caused the event (also in the envelope's metadata), when there was one.
        ...(delivery.request_id ? { 'X-Request-Id': delivery.request_id } : {}),
      },
      ...(deps.timeoutMs !== undefined && { timeoutMs: deps.timeoutMs }),
      ...(deps.tls && { tls: deps.tls }),
    });
    return {
      status: result.status,
      responseBody: result.status === null ? null : result.responseBody,
      error: result.ok ? null : result.error,
      durationMs: result.durationMs,
    };
  } catch (error) {
    // A secret that no key opens, or anything unexpected: a failed attempt, never a crash.
    return {
      status: null,
      responseBody: null,
      error: `Error: ${describeError(error)}`.slice(0, 500),
      durationMs: 0,
    };
  }
}

/**
 * One attempt of a due delivery. Returns without sending when it is not due (or another
 * worker holds it). `notifyAlertChanges: false` when the caller itself handles the alert
 * delivery (the first attempt of `deliverAlertTriggered`).
 */
export async function attemptWebhookDelivery(
  deps: WebhookDeliveryDeps,
  customerId: number,
  deliveryId: number,
  options: { notifyAlertChanges?: boolean } = {},
): Promise<AttemptResult> {
  const startedAt = deps.clock.now();
  const claimed = await claimDueDelivery(deps.db, customerId, deliveryId, startedAt);
  if (!claimed) {
    const current = await findWebhookDelivery(deps.db, customerId, deliveryId);
    if (!current) throw new NotFoundError();
    return { delivery: current, attempted: false, durationMs: 0 };
  }
  const endpoint = await findWebhookEndpoint(deps.db, customerId, claimed.endpoint_id);
  const isPing = claimed.event_type === 'ping';

  // A retry for an endpoint switched off since: closed without sending (a ping is the owner's
  // explicit check and goes out anyway).
  const inactive = !endpoint || (!endpoint.active && !isPing);
  const attemptNo = claimed.attempts + 1;
  const timestamp = signatureTimestamp(startedAt);
  const outcome: SendOutcome = inactive
    ? { status: null, responseBody: null, error: ENDPOINT_INACTIVE_MESSAGE, durationMs: 0 }
    : await send(deps, endpoint, claimed, startedAt, timestamp);
  const success = outcome.error === null && outcome.status !== null;
  const next =
    success || inactive ? null : nextAttemptAfterFailure(attemptNo, startedAt, claimed.max_attempts);
  const status = success ? 'success' : next ? 'retrying' : 'failed';
  const now = deps.clock.now();

  const { delivery, alertEventIds } = await deps.db.transaction().execute(async (trx) => {
    if (!inactive) {
      await insertDeliveryAttempt(trx, customerId, {
        deliveryId,
        attemptNo,
        startedAt,
        durationMs: outcome.durationMs,
        signatureTimestamp: timestamp,
        responseCode: outcome.status,
        error: outcome.error,
      });
    }
    const delivery = await recordDeliveryOutcome(
      trx,
      customerId,
      deliveryId,
      {
        status,
        attempts: inactive ? claimed.attempts : attemptNo,
        lastAttemptAt: inactive ? (claimed.last_attempt_at ?? startedAt) : startedAt,
        nextAttemptAt: next,
        responseCode: outcome.status,
        responseBody: outcome.responseBody,
        lastError: outcome.error,
      },
      now,
    );
    const audit = {
      customerId,
      userId: null,
      entityType: 'webhook_delivery',
      entityId: deliveryId,
      requestId: delivery.request_id,
    };
    const facts: JsonObject = {
      endpoint_id: delivery.endpoint_id,
      event_id: delivery.event_id,
      event_type: delivery.event_type,
      attempts: delivery.attempts,
      response_code: delivery.response_code,
    };
    if (status === 'success') {
      await recordAudit(trx, { ...audit, action: 'webhook_delivery_sent', metadata: facts });
      if (endpoint && !isPing && endpoint.consecutive_failures > 0) {
        await updateWebhookEndpoint(trx, customerId, endpoint.id, { consecutiveFailures: 0 }, now);
      }
    } else if (status === 'failed') {
      await recordAudit(trx, {
        ...audit,
        action: 'webhook_delivery_failed',
        metadata: { ...facts, last_error: delivery.last_error },
      });
      if (!isPing) {
        await recordSystemEvent(trx, customerId, {
          eventType: 'webhook_delivery_failed',
          payload: {
            title: `Webhook delivery to '${endpoint?.name ?? 'deleted endpoint'}' failed`,
            ...facts,
            endpoint_name: endpoint?.name ?? null,
            last_error: delivery.last_error,
          },
          requestId: delivery.request_id,
        });
        if (endpoint && !inactive) await countTerminalFailure(trx, customerId, endpoint, delivery, now);
      }
    }
    const alertEventIds = await mirrorOntoAlertDeliveries(trx, customerId, delivery, now);
    return { delivery, alertEventIds };
  });

  if (options.notifyAlertChanges !== false && deps.onAlertDeliveryChanged) {
    for (const alertEventId of new Set(alertEventIds)) {
      try {
        await deps.onAlertDeliveryChanged(customerId, alertEventId);
      } catch (error) {
        deps.logger?.warn(
          { err: describeError(error), alert_event_id: alertEventId },
          'alert delivery callback failed',
        );
      }
    }
  }
  return { delivery, attempted: true, durationMs: outcome.durationMs };
}

/** One more terminal failure of the endpoint; at the threshold it is switched off. */
async function countTerminalFailure(
  trx: Kysely<DB>,
  customerId: number,
  endpoint: WebhookEndpointRecord,
  delivery: WebhookDeliveryRecord,
  now: Date,
): Promise<void> {
  const locked = await findWebhookEndpoint(trx, customerId, endpoint.id, { forUpdate: true });
  if (!locked) return;
  const failures = locked.consecutive_failures + 1;
  if (failures < AUTO_DISABLE_AFTER || !locked.active) {
    await updateWebhookEndpoint(trx, customerId, locked.id, { consecutiveFailures: failures }, now);
    return;
  }
  const reason = `Disabled automatically after ${failures} consecutive failed deliveries (last error: ${delivery.last_error ?? 'unknown'})`;
  await updateWebhookEndpoint(
    trx,
    customerId,
    locked.id,
    { consecutiveFailures: failures, active: false, disabledReason: reason.slice(0, 200) },
    now,
  );
  await recordAudit(trx, {
    action: 'webhook_endpoint_updated',
    customerId,
    userId: null,
    entityType: 'webhook_endpoint',
    entityId: locked.id,
    requestId: delivery.request_id,
    metadata: {
      name: locked.name,
      changes: { active: false },
      auto_disabled: true,
      consecutive_failures: failures,
    },
  });
  await recordSystemEvent(trx, customerId, {
    eventType: 'webhook_endpoint_disabled',
    payload: {
      title: `Webhook endpoint '${locked.name}' disabled after ${failures} failed deliveries`,
      endpoint_id: locked.id,
      endpoint_name: locked.name,
      consecutive_failures: failures,
      last_error: delivery.last_error,
    },
    requestId: delivery.request_id,
  });
}

/**
 * "Send test event" (§9 "Test send"): event `ping` to this endpoint only, one synchronous
 * attempt (`max_attempts` 1, no retry). Returns the delivery and the attempt's duration.
 */
export async function sendWebhookTestEvent(
  deps: WebhookDeliveryDeps,
  actor: CustomerActor,
  endpointId: number,
): Promise<AttemptResult> {
  const endpoint = await findWebhookEndpoint(deps.db, actor.customerId, endpointId);
  if (!endpoint) throw new NotFoundError();
  const now = deps.clock.now();
  const eventId = newEventId();
  const requestId = actor.requestId ?? null;
  const body = serializeEnvelope({
    eventId,
    type: 'ping',
    createdAt: now,
    customerId: actor.customerId,
    data: pingData(endpoint.id),
    requestId,
  });
  const created = await createDelivery(
    deps.db,
    actor.customerId,
    endpoint.id,
    { eventId, type: 'ping', body, requestId, maxAttempts: 1 },
    now,
  );
  return attemptWebhookDelivery(deps, actor.customerId, created.id);
}

export interface RunWebhookEventInput extends RunEventSource {
  customer_id: number;
  status: string;
  run_type?: string;
  finished_at?: Date | string | null;
}

/**
 * `analysis_run.completed` / `analysis_run.failed` to every active endpoint subscribed (empty
 * `event_types` = all). Backtests are simulations and send nothing; other statuses neither.
 * The event id is derived from the run and its finish time, so calling this twice for the same
 * outcome (a retried job) creates no second delivery, while a re-run that finishes again is a
 * new event.
 */
export async function emitRunWebhookEvents(
  deps: WebhookDeliveryDeps,
  run: RunWebhookEventInput,
  extras: { findings?: number; counts?: Readonly<Record<string, number>>; requestId?: string | null } = {},
): Promise<WebhookDeliveryRecord[]> {
  if (run.run_type === 'backtest') return [];
  const type: WebhookEventType | null =
    run.status === 'success'
      ? 'analysis_run.completed'
      : run.status === 'failed'
        ? 'analysis_run.failed'
        : null;
  if (!type) return [];
  const customerId = run.customer_id;
  const endpoints = await listSubscribedEndpoints(deps.db, customerId, type);
  if (endpoints.length === 0) return [];
  const now = deps.clock.now();
  const finished = run.finished_at ? new Date(run.finished_at).getTime() : 0;
  const eventId = `evt_run_${run.id}_${run.status}_${finished}`;
  const requestId = extras.requestId ?? null;
  const data =
    type === 'analysis_run.completed'
      ? runCompletedData(run, extras.findings ?? 0, extras.counts ?? {})
      : runFailedData(run);
  return deliverToEndpoints(deps, customerId, endpoints, { eventId, type, data, requestId }, now);
}

/**
 * One delivery per endpoint of an event (skipping endpoints that already have it, so a repeated
 * call creates nothing), created together, then each attempted once right away.
 */
async function deliverToEndpoints(
  deps: WebhookDeliveryDeps,
  customerId: number,
  endpoints: readonly WebhookEndpointRecord[],
  event: { eventId: string; type: WebhookEventType; data: JsonObject; requestId: string | null },
  now: Date,
): Promise<WebhookDeliveryRecord[]> {
  const { eventId, type, requestId } = event;
  const body = serializeEnvelope({ eventId, type, createdAt: now, customerId, data: event.data, requestId });
  const created = await deps.db.transaction().execute(async (trx) => {
    const rows: WebhookDeliveryRecord[] = [];
    for (const endpoint of endpoints) {
      if (await findDeliveryOfEvent(trx, customerId, endpoint.id, eventId)) continue;
      rows.push(
        await createDelivery(
          trx,
          customerId,
          endpoint.id,
          { eventId, type, body, requestId, maxAttempts: MAX_DELIVERY_ATTEMPTS },
          now,
        ),
      );
    }
    return rows;
  });
  const results = await Promise.all(created.map((d) => attemptWebhookDelivery(deps, customerId, d.id)));
  return results.map((r) => r.delivery);
}

export const ENDPOINT_NOT_FOUND_MESSAGE = 'Webhook endpoint not found';

/**
 * Why an alert through this endpoint would be skipped (inactive, not subscribed to
 * `alert.triggered`), or null when it would be sent. A webhook channel's "Send test
 * notification" asks the same question, so the test tells what an alert would do.
 */
export function alertWebhookSkipReason(endpoint: WebhookEndpointRecord): string | null {
  if (!endpoint.active) return ENDPOINT_INACTIVE_MESSAGE;
  if (endpoint.event_types.length > 0 && !endpoint.event_types.includes('alert.triggered'))
    return 'Endpoint is not subscribed to alert.triggered';
  return null;
}

/**
 * `report.completed` (§9) after a run's weekly PDF was generated, to every active endpoint
 * subscribed. The event id is derived from the artifact and its content hash: generating the
 * same bytes again (a retried job, a re-run over unchanged data) is the same event and creates
 * no second delivery, while a PDF whose content changed is a new event.
 */
export async function emitReportCompletedEvent(
  deps: WebhookDeliveryDeps,
  input: {
    customerId: number;
    runId: number;
    artifact: { id: number; kind: string; sha256: string };
    format: string;
    requestId?: string | null;
  },
): Promise<WebhookDeliveryRecord[]> {
  const type: WebhookEventType = 'report.completed';
  const endpoints = await listSubscribedEndpoints(deps.db, input.customerId, type);
  if (endpoints.length === 0) return [];
  const data = reportCompletedData({
    runId: input.runId,
    artifactId: input.artifact.id,
    kind: input.artifact.kind,
    contentHash: input.artifact.sha256,
    downloadUrl: `${deps.config.portalBaseUrl}/api/v1/reports/${input.runId}/download/?format=${input.format}`,
  });
  const eventId = `evt_report_${input.artifact.id}_${input.artifact.sha256.slice(0, 16)}`;
  return deliverToEndpoints(
    deps,
    input.customerId,
    endpoints,
    { eventId, type, data, requestId: input.requestId ?? null },
    deps.clock.now(),
  );
}

export interface AlertTriggeredInput {
  customerId: number;
  alertEventId: number;
  alertDeliveryId: number;
  endpointId: number;
  requestId: string | null;
  /** The `alert.triggered` data, built with `alertTriggeredData` (presenters/webhooks.ts). */
  data: JsonObject;
}

export interface AlertTriggeredResult {
  status: 'success' | 'retrying' | 'failed' | 'skipped';
  webhookDeliveryId: number | null;
  responseCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

/**
 * An alert through a webhook channel (§5 "webhook" row): skipped when the endpoint is gone,
 * inactive or not subscribed to `alert.triggered`; otherwise one delivery (event id
 * `evt_alert_<alert id>`, reused if the job runs again) linked to the alert delivery and
 * attempted now. Later retries run from the sweeper and are mirrored onto the alert delivery.
 */
export async function deliverAlertTriggered(
  deps: WebhookDeliveryDeps,
  input: AlertTriggeredInput,
): Promise<AlertTriggeredResult> {
  const { customerId } = input;
  const skipped = (error: string): AlertTriggeredResult => ({
    status: 'skipped',
    webhookDeliveryId: null,
    responseCode: null,
    error,
    nextAttemptAt: null,
  });
  const endpoint = await findWebhookEndpoint(deps.db, customerId, input.endpointId);
  if (!endpoint) return skipped(ENDPOINT_NOT_FOUND_MESSAGE);
  const skipReason = alertWebhookSkipReason(endpoint);
  if (skipReason !== null) return skipped(skipReason);

  const eventId = `evt_alert_${input.alertEventId}`;
  const now = deps.clock.now();
  const delivery = await deps.db.transaction().execute(async (trx) => {
    const existing = await findDeliveryOfEvent(trx, customerId, endpoint.id, eventId);
    const row =
      existing ??
      (await createDelivery(
        trx,
        customerId,
        endpoint.id,
        {
          eventId,
          type: 'alert.triggered',
          body: serializeEnvelope({
            eventId,
            type: 'alert.triggered',
            createdAt: now,
            customerId,
            data: input.data,
            requestId: input.requestId,
          }),
          requestId: input.requestId,
          maxAttempts: MAX_DELIVERY_ATTEMPTS,
        },
        now,
      ));
    await linkAlertDelivery(trx, customerId, input.alertDeliveryId, row.id, now);
    return row;
  });
  const { delivery: after } = await attemptWebhookDelivery(deps, customerId, delivery.id, {
    notifyAlertChanges: false,
  });
  const open = after.status === 'pending' || after.status === 'retrying';
  return {
    // Not yet attempted here (held by another worker) reads as retrying: it is still open.
    status: after.status === 'pending' ? 'retrying' : after.status,
    webhookDeliveryId: after.id,
    responseCode: after.response_code,
    error: after.last_error,
    nextAttemptAt: open ? after.next_attempt_at : null,
  };
}

/** The sweeper (§5, every minute): attempts every due delivery, a few at a time. */
export async function dispatchDueWebhookDeliveries(
  deps: WebhookDeliveryDeps,
  options: { limit?: number; concurrency?: number } = {},
): Promise<{ due: number; attempted: number; succeeded: number }> {
  const due = await listDueDeliveryKeys(deps.db, deps.clock.now(), options.limit ?? 200);
  let attempted = 0;
  let succeeded = 0;
  const queue = [...due];
  const worker = async () => {
    for (let key = queue.shift(); key; key = queue.shift()) {
      try {
        const result = await attemptWebhookDelivery(deps, key.customer_id, key.id);
        if (result.attempted) attempted++;
        if (result.delivery.status === 'success') succeeded++;
      } catch (error) {
        deps.logger?.warn({ err: describeError(error), delivery_id: key.id }, 'webhook attempt failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return { due: due.length, attempted, succeeded };
}
