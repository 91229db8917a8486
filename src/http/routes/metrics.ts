import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { register } from 'prom-client';
import { describeError } from '../../config/errors.ts';
import { scrapeMetrics } from '../../obs/cluster-metrics.ts';
import { requestInFlight, startRuntimeMetrics, trackDatabasePool } from '../../obs/metrics.ts';
import type { Services } from '../../services.ts';
import { pathOf } from '../params.ts';

/** Paths the metrics leave out (as the request observer does): health checks and the scrape. */
const UNCOUNTED = new Set(['/api/v1/health/', '/metrics']);

/** Compares digests so neither the token's content nor its length leaks through timing. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  const presented = match?.[1]?.trim() ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token)) && presented !== '';
}

function counted(request: FastifyRequest): boolean {
  return !request.routeOptions.config.bare && !UNCOUNTED.has(pathOf(request.url));
}

/**
 * `/metrics` (web-api-ops §1.1 step 6, §5.3): Prometheus text exposition 0.0.4; 404 when
 * METRICS_ENABLED=false; with METRICS_TOKEN, `Authorization: Bearer <token>` or 401 plain
 * `Unauthorized`. No session, throttle or CSRF (the auth plugin skips `/metrics`), and never
 * counted in the metrics or the request log. Also starts the runtime collectors, reports the
 * database pool and tracks requests in flight for this app.
 */
export function registerMetrics(app: FastifyInstance, services: Services): void {
  const { config } = services;
  startRuntimeMetrics(config.version);
  const untrack = trackDatabasePool(() => services.database.poolStats());
  app.addHook('onClose', async () => {
    untrack();
  });

  // In flight from receipt until the response is closed ('close' fires whether it finished or
  // the client went away, so the gauge cannot drift).
  app.addHook('onRequest', async (request, reply) => {
    if (!counted(request)) return;
    const ended = requestInFlight();
    reply.raw.once('close', ended);
  });

  if (!config.metrics.enabled) return;
  const token = config.metrics.token;
  app.get('/metrics', { config: { auth: 'none' } }, async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    if (token !== null && !bearerMatches(request.headers.authorization, token)) {
      reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return reply.code(401).type('text/plain; charset=utf-8').send('Unauthorized');
    }
    let text: string;
    try {
      text = await scrapeMetrics();
    } catch (error) {
      request.log.error({ err: describeError(error) }, 'metrics scrape failed');
      return reply.code(503).type('text/plain; charset=utf-8').send('Metrics unavailable');
    }
    return reply.code(200).type(register.contentType).send(text);
  });
}
