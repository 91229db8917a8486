import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pathOf } from '../params.ts';

/**
 * One finished request as observability sees it (web-api-ops §5.1, §5.2, §5.4): the matched
 * route template rather than the raw path for anything that aggregates, and the path without
 * its query string for anything a person reads.
 */
export interface FinishedRequest {
  timestamp: Date;
  requestId: string;
  method: string;
  /** `/api/v1/uploads/{id}/`, `unmatched` for 404s, `/static/*` for assets. */
  route: string;
  /** The path without query string (query strings may carry PHI and are never recorded). */
  path: string;
  status: number;
  durationMs: number;
  /** Username, or null for anonymous requests (JWT users are resolved by the auth plugin). */
  username: string | null;
  userId: number | null;
  customerId: number | null;
  /** True when the route is a static asset (metrics record it; request logs do not). */
  isStatic: boolean;
}

/** Told about every observed request; must not throw (errors are caught and logged). */
export type RequestListener = (finished: FinishedRequest) => void;

/** Paths observability ignores entirely: health checks and the scrape endpoint itself. */
const UNOBSERVED = new Set(['/health/', '/healthz/', '/ping/', '/api/v1/health/', '/metrics']);

/** Fastify's `/uploads/:id/` as the spec's `/uploads/{id}/`; `*` wildcards kept. */
export function routeTemplate(url: string | undefined): string {
  if (!url) return 'unmatched';
  if (url.startsWith('/static/')) return '/static/*';
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The label and fields of a finished request, or null when it is not observed. */
export function describeFinishedRequest(
  request: FastifyRequest,
  status: number,
  durationMs: number,
  timestamp: Date,
): FinishedRequest | null {
  if (request.routeOptions.config.bare) return null;
  const path = pathOf(request.url);
  if (UNOBSERVED.has(path)) return null;
  const route = routeTemplate(request.routeOptions.url);
  const auth = request.auth;
  return {
    timestamp,
    requestId: request.id,
    method: request.method,
    route,
    path,
    status,
    durationMs,
    username: auth?.user?.username ?? null,
    userId: auth?.user?.id ?? null,
    customerId: auth?.customer?.id ?? null,
    isStatic: route === '/static/*',
  };
}

/**
 * Step 11 of the request pipeline (§1.1): once the response is written, every listener
 * (Prometheus metrics, the request log, the staff dashboard's recent-request buffer) is told
 * about it. Listeners are synchronous and cheap; a failing one is logged and never affects
 * the response or the other listeners.
 */
export function registerRequestObserver(app: FastifyInstance, listeners: readonly RequestListener[]): void {
  app.addHook('onResponse', async (request, reply) => {
    const durationMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
    const finished = describeFinishedRequest(request, reply.statusCode, durationMs, new Date());
    if (!finished) return;
    for (const listener of listeners) {
      try {
        listener(finished);
      } catch (error) {
        request.log.error({ err: String(error) }, 'request observer failed');
      }
    }
  });
}
