import { createWriteStream } from 'node:fs';
import type { DestinationStream, Logger } from 'pino';
import type { FinishedRequest, RequestListener } from '../http/plugins/request-observer.ts';
import { payrixaLogger } from './logger.ts';

/** Above this a request is logged as a warning (`SLOW REQUEST`), web-api-ops §5.1. */
export const SLOW_REQUEST_MS = 2_000;
/** Above this it is an error (`VERY SLOW REQUEST`). */
export const VERY_SLOW_REQUEST_MS = 5_000;

export type RequestLogLevel = 'debug' | 'warn' | 'error';

/** The level and message of a request's log line (§5.1). `path` carries no query string. */
export function requestLogLine(finished: FinishedRequest): { level: RequestLogLevel; msg: string } {
  // Two decimals, as in X-Request-Duration-Ms, so the log line and the header agree.
  const ms = finished.durationMs.toFixed(2);
  const line = `${finished.method} ${finished.path} - ${finished.status} - ${ms}ms - user=${finished.username ?? 'anonymous'}`;
  if (finished.durationMs > VERY_SLOW_REQUEST_MS)
    return { level: 'error', msg: `VERY SLOW REQUEST: ${line}` };
  if (finished.durationMs > SLOW_REQUEST_MS) return { level: 'warn', msg: `SLOW REQUEST: ${line}` };
  return { level: 'debug', msg: `REQUEST: ${line}` };
}

/** The structured fields of the line (§5.6 context): ids only, never names or the query. */
export function requestLogFields(finished: FinishedRequest): Record<string, unknown> {
  return {
    request_id: finished.requestId,
    method: finished.method,
    route: finished.route,
    status: finished.status,
    duration_ms: Math.round(finished.durationMs * 100) / 100,
    user_id: finished.userId,
    customer_id: finished.customerId,
  };
}

/**
 * The request log listener (§5.1): one line per request except static files (health and
 * `/metrics` never reach listeners) on the process logger at the level of
 * {@link requestLogLine}, and the same line on the access log when there is one (every request,
 * whatever LOG_LEVEL: it is the access record).
 */
export function requestLogListener(logger: Logger, accessLog: Logger | null = null): RequestListener {
  return (finished) => {
    if (finished.isStatic) return;
    const { level, msg } = requestLogLine(finished);
    const fields = requestLogFields(finished);
    logger[level](fields, msg);
    accessLog?.[level](fields, msg);
  };
}

/**
 * A JSON-lines logger in the process log's format (ts, level, logger, pid, redaction) on
 * `destination`, at debug so it keeps every request line.
 */
export function createAccessLogger(destination: DestinationStream, name = 'payrixa.request'): Logger {
  return payrixaLogger(name, 'debug', destination);
}

/** One append stream per file per process, however many apps the process builds (tests). */
const accessLogs = new Map<string, Logger>();

/** The ACCESS_LOG_FILE logger of this process (null when the variable is unset). */
export function accessLogFor(file: string | null): Logger | null {
  if (!file) return null;
  let logger = accessLogs.get(file);
  if (!logger) {
    logger = createAccessLogger(createWriteStream(file, { flags: 'a' }));
    accessLogs.set(file, logger);
  }
  return logger;
}
