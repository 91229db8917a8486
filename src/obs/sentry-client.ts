/**
 * The Sentry client behind `ErrorReporter` (./sentry.ts), loaded only when SENTRY_DSN is set.
 *
 * `@sentry/core`'s ServerRuntimeClient rather than @sentry/node: no auto-instrumentation, no
 * OpenTelemetry, no local-variables inspector (§5.5: local variables off), no request-body
 * capture — the event carries only what `captureException` is given, and the scrubber
 * (./sentry-scrub.ts) runs on every event, transaction and breadcrumb before sending. The
 * transport is a plain `fetch` POST of the envelope.
 */
import { hostname } from 'node:os';
import {
  type BaseTransportOptions,
  createStackParser,
  createTransport,
  dedupeIntegration,
  type Event,
  type EventHint,
  getCurrentScope,
  linkedErrorsIntegration,
  nodeStackLineParser,
  type Scope,
  ServerRuntimeClient,
  type Transport,
} from '@sentry/core';
import type { Config } from '../config/env.ts';
import type { ErrorContext, ErrorTags, TransportFactory } from './sentry.ts';
import { scrubSentryBreadcrumb, scrubSentryEvent } from './sentry-scrub.ts';

/** How long one envelope POST may take before it counts as failed. */
const SEND_TIMEOUT_MS = 10_000;

/** The envelope transport over `fetch` (Node 20's global). */
export function fetchTransport(options: BaseTransportOptions): Transport {
  return createTransport(options, async (request) => {
    const response = await fetch(options.url, {
      method: 'POST',
      body: request.body,
      headers: { 'Content-Type': 'application/x-sentry-envelope', ...options.headers },
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    // The body is not needed; reading it releases the connection.
    await response.arrayBuffer().catch(() => undefined);
    return {
      statusCode: response.status,
      headers: {
        'x-sentry-rate-limits': response.headers.get('X-Sentry-Rate-Limits'),
        'retry-after': response.headers.get('Retry-After'),
      },
    };
  });
}

export interface SentryClientHandle {
  captureException(error: unknown, eventId: string, tags: ErrorTags, context: ErrorContext): void;
  captureMessage(message: string, eventId: string, tags: ErrorTags): void;
  flush(timeoutMs: number): Promise<boolean>;
}

/** Only the tags that have a value (Sentry rejects empty tag values). */
function definedTags(tags: ErrorTags): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([, value]) => typeof value === 'string' && value));
}

export interface SentryClientOptions {
  /** Replaces the fetch transport (tests). */
  transport?: TransportFactory | undefined;
  /** Told the HTTP status of each sent event (null: no answer). */
  onSent?: (eventId: string, statusCode: number | null) => void;
}

export function startSentryClient(
  config: Config,
  dsn: string,
  { transport, onSent }: SentryClientOptions = {},
): SentryClientHandle {
  const client = new ServerRuntimeClient({
    dsn,
    environment: config.sentry.environment,
    release: config.sentry.release,
    serverName: config.sentry.serverName ?? hostname(),
    tracesSampleRate: config.sentry.tracesSampleRate,
    // §5.5: default PII off — no IP addresses, cookies or bodies collected by the SDK.
    sendDefaultPii: false,
    platform: 'node',
    runtime: { name: 'node', version: process.version },
    // The cause chain of an error (`new Error(…, { cause })`) and no duplicate of the same error
    // reported twice in a row. Nothing else: no console, HTTP or local-variables capture.
    integrations: [linkedErrorsIntegration(), dedupeIntegration()],
    stackParser: createStackParser(nodeStackLineParser()),
    transport: transport ?? fetchTransport,
    beforeSend: (event) => scrubSentryEvent(event),
    beforeSendTransaction: (event) => scrubSentryEvent(event),
    beforeBreadcrumb: (breadcrumb) => scrubSentryBreadcrumb(breadcrumb),
  });
  client.init();
  client.on('afterSendEvent', (event, response) => {
    if (event.event_id) onSent?.(event.event_id, response.statusCode ?? null);
  });
  // Top-level SDK calls (Sentry.addBreadcrumb, …) from anywhere in this thread reach this
  // client, and so pass through beforeBreadcrumb like everything else.
  getCurrentScope().setClient(client);

  const scopeFor = (tags: ErrorTags): Scope => {
    const scope = getCurrentScope().clone();
    scope.setTags(definedTags(tags));
    return scope;
  };
  return {
    captureException(error, eventId, tags, context) {
      const scope = scopeFor(tags);
      if (context.user) scope.setUser({ id: context.user.id, username: context.user.username });
      const request = context.request;
      if (request) scope.addEventProcessor((event: Event) => ({ ...event, request: { ...request } }));
      const hint: EventHint = {
        event_id: eventId,
        originalException: error,
        mechanism: { type: 'payrixa', handled: false },
      };
      client.captureException(error, hint, scope);
    },
    captureMessage(message, eventId, tags) {
      // Level error: alert rules filtering on errors fire for the test event too.
      client.captureMessage(message, 'error', { event_id: eventId }, scopeFor(tags));
    },
    async flush(timeoutMs) {
      return client.flush(timeoutMs);
    },
  };
}
