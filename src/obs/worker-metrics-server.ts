import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Registry, register } from 'prom-client';
import type { Config } from '../config/env.ts';
import { describeError } from '../config/errors.ts';

/**
 * `payrixa worker`'s own `/metrics` (web-api-ops §5.2) on `127.0.0.1:<WORKER_METRICS_PORT>`:
 * the worker's registry, into which its job threads' counts are forwarded. Same rules as the web
 * route (§5.3): with METRICS_TOKEN set, `Authorization: Bearer <token>` (constant-time compare)
 * or 401 plain `Unauthorized`; METRICS_ENABLED=false → no listener at all. Loopback only: a
 * Prometheus on another host scrapes it through the host's own proxy or agent.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface WorkerMetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Whether `header` carries exactly `Bearer <token>`; constant time in the token's length. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`, 'utf8');
  const given = Buffer.from(header ?? '', 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time the same.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}

function plain(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(body);
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  token: string | null,
  registry: Registry,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/metrics/') return plain(response, 404, 'Not Found');
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return plain(response, 405, 'Method Not Allowed');
  if (token !== null && !bearerMatches(request.headers.authorization, token)) {
    return plain(response, 401, 'Unauthorized');
  }
  const body = await registry.metrics();
  response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/**
 * Listens on 127.0.0.1:`config.worker.metricsPort` (0 picks a free port, for tests). A port that
 * is taken is logged as a warning and yields null: the worker's jobs matter more than its scrape.
 */
export async function startWorkerMetricsServer(
  config: Config,
  logger: Logger,
  options: { port?: number; registry?: Registry } = {},
): Promise<WorkerMetricsServer | null> {
  if (!config.metrics.enabled) return null;
  const token = config.metrics.token;
  const registry = options.registry ?? register;
  const server: Server = createServer((request, response) => {
    answer(request, response, token, registry).catch((error) => {
      logger.error({ err: describeError(error) }, 'worker metrics scrape failed');
      if (!response.headersSent) plain(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  const wanted = options.port ?? config.worker.metricsPort;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: wanted }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    logger.warn(
      { err: describeError(error), port: wanted },
      'worker metrics port unavailable; running without /metrics',
    );
    return null;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : wanted;
  logger.info({ port }, 'worker metrics listening on 127.0.0.1');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
