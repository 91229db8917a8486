/**
 * Error tracking (web-api-ops §5.5): the `ErrorReporter` port and its Sentry adapter.
 *
 * Enabled only when SENTRY_DSN is set. The SDK (`@sentry/core`, ~200 ms to import) is loaded
 * with a dynamic import when a reporter is created with a DSN, so a process without one never
 * loads it. The client itself lives in ./sentry-client.ts.
 *
 * One reporter per thread: the web process, `payrixa worker` and every job thread
 * (src/jobs/job-thread.ts: own module instances) install their own with
 * {@link installErrorReporter}; code that reports (the HTTP error handler, the job executor)
 * asks {@link errorReporter} for the current one and gets the no-op until one is installed.
 */
import { randomUUID } from 'node:crypto';
import type { Transport } from '@sentry/core';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';
import type { Logger } from './logger.ts';

/** Tags of §5.5 (Sentry indexes tags; nothing else is searchable). */
export interface ErrorTags {
  request_id?: string;
  route?: string;
  job_kind?: string;
}

/** The request an error happened in, as the Sentry event's `request` (scrubbed before sending). */
export interface ErrorRequestContext {
  method: string;
  /** Absolute URL without the query string. */
  url: string;
  headers: Record<string, string>;
  query_string?: string;
  cookies?: Record<string, string>;
  /** Present when the request had a body; its content is never handed to the SDK. */
  data?: string;
}

export interface ErrorContext {
  request?: ErrorRequestContext;
  /** Who was signed in: id and username only (§5.5 keeps those, no email). */
  user?: { id: number; username: string };
}

export interface ErrorReporter {
  /** True when events are sent somewhere (SENTRY_DSN set). */
  readonly enabled: boolean;
  /** Reports an error; returns the event id (null when disabled). Never throws. */
  capture(error: unknown, tags?: ErrorTags, context?: ErrorContext): string | null;
  /** Reports an informational message (the `sentry-test` command); returns the event id. */
  captureMessage(message: string, tags?: ErrorTags): string | null;
  /** Waits up to `timeoutMs` for queued events to be sent; true when all were. */
  flush(timeoutMs: number): Promise<boolean>;
  /**
   * The HTTP status Sentry answered for an event: undefined while it is not sent, null when
   * the request failed without an answer. Kept for the last few events only (`sentry-test`).
   */
  deliveryStatus(eventId: string): number | null | undefined;
}

/** The reporter of a process without SENTRY_DSN: nothing is loaded, nothing is sent. */
export const disabledErrorReporter: ErrorReporter = {
  enabled: false,
  capture: () => null,
  captureMessage: () => null,
  flush: async () => true,
  deliveryStatus: () => undefined,
};

/** The longest a flush waits for the SDK to finish loading, on top of its own budget. */
const SDK_LOAD_LIMIT_MS = 10_000;

/** Delivery statuses remembered (only `sentry-test` asks, right after sending one event). */
const REMEMBERED_STATUSES = 100;

/** Builds the SDK transport for the client's transport options (tests record envelopes). */
export type TransportFactory = (options: { url: string }) => Transport;

export interface ErrorReporterOptions {
  logger?: Logger;
  /** Replaces the HTTP transport (tests). */
  transport?: TransportFactory;
}

/**
 * The reporter for this configuration: the no-op without SENTRY_DSN, else a Sentry client
 * loaded in the background. Events captured before the SDK finished loading wait for it.
 */
export function createErrorReporter(config: Config, options: ErrorReporterOptions = {}): ErrorReporter {
  const dsn = config.sentry.dsn;
  if (!dsn) return disabledErrorReporter;
  const logger = options.logger;
  const statuses = new Map<string, number | null>();
  const onSent = (eventId: string, statusCode: number | null): void => {
    statuses.set(eventId, statusCode);
    if (statuses.size > REMEMBERED_STATUSES) statuses.delete(statuses.keys().next().value as string);
  };
  const client = import('./sentry-client.ts')
    .then((module) => module.startSentryClient(config, dsn, { transport: options.transport, onSent }))
    .catch((error: unknown) => {
      logger?.error({ err: describeError(error) }, 'error tracking could not start; errors are not reported');
      return null;
    });
  // Captures still waiting for the SDK to load: flush waits for them before flushing the client.
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    const settled = work
      .catch((error: unknown) => logger?.warn({ err: describeError(error) }, 'error report failed'))
      .finally(() => pending.delete(settled));
    pending.add(settled);
  };
  // Sentry's event ids are 32 hex digits; choosing it here lets capture answer at once.
  const newEventId = () => randomUUID().replaceAll('-', '');
  return {
    enabled: true,
    capture(error, tags = {}, context = {}) {
      const eventId = newEventId();
      track(client.then((sentry) => sentry?.captureException(error, eventId, tags, context)));
      return eventId;
    },
    captureMessage(message, tags = {}) {
      const eventId = newEventId();
      track(client.then((sentry) => sentry?.captureMessage(message, eventId, tags)));
      return eventId;
    },
    async flush(timeoutMs) {
      // Loading the SDK does not count against the budget (a crash right after start-up must
      // still be sent), but it is bounded.
      const sentry = await withTimeout(client, SDK_LOAD_LIMIT_MS, null);
      const deadline = Date.now() + timeoutMs;
      await withTimeout(Promise.allSettled([...pending]), Math.max(0, deadline - Date.now()), null);
      if (!sentry) return pending.size === 0;
      return (await sentry.flush(Math.max(1, deadline - Date.now()))) && pending.size === 0;
    },
    deliveryStatus: (eventId) => statuses.get(eventId),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let current: ErrorReporter = disabledErrorReporter;

/** Makes `reporter` the one this thread reports to; returns it. */
export function installErrorReporter(reporter: ErrorReporter): ErrorReporter {
  current = reporter;
  return reporter;
}

/** The reporter of this thread (the no-op until one is installed). */
export function errorReporter(): ErrorReporter {
  return current;
}

/**
 * Reports a crash of the process (uncaught exception, unhandled rejection) before it exits:
 * logs it, sends it, waits up to `flushMs`, exits 1 — what Node does by default, plus the
 * report. Installed only when a reporter is enabled, so without SENTRY_DSN Node's own
 * behaviour is untouched.
 */
export function reportProcessCrashes(reporter: ErrorReporter, logger: Logger, flushMs = 2_000): void {
  if (!reporter.enabled) return;
  let crashing = false;
  const crash = (error: unknown, origin: string): void => {
    if (crashing) return;
    crashing = true;
    logger.fatal({ err: error, origin }, 'process crashed');
    reporter.capture(error);
    void reporter.flush(flushMs).finally(() => process.exit(1));
  };
  process.on('uncaughtException', (error, origin) => crash(error, origin));
  process.on('unhandledRejection', (reason) => crash(reason, 'unhandledRejection'));
}
