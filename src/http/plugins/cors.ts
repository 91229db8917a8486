import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/env.ts';

/**
 * CORS for the REST API (web-api-ops §3.7; pipeline step 7 of §1.1, before sessions, bearer
 * authentication and rate limits). Only `/api/v1/` answers CORS, and only for an origin in
 * `CORS_ALLOWED_ORIGINS` (exact scheme + host + port). Credentials are never allowed:
 * cross-origin clients authenticate with a JWT, never with the portal cookie.
 *
 * A preflight (`OPTIONS`) on an API path is answered 204 here, whatever the route, so it never
 * needs a login and never counts against a rate limit; an origin not on the list gets the
 * same 204 without any CORS header, which the browser reads as a refusal.
 */

export const CORS_ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
export const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, X-CSRF-Token, X-Request-Id, X-Idempotency-Key';
export const CORS_EXPOSE_HEADERS = 'X-Request-Id, X-Request-Duration-Ms, Retry-After, Location';
export const CORS_MAX_AGE_SECONDS = 600;

function isApiV1(url: string): boolean {
  return url === '/api/v1' || url.startsWith('/api/v1/') || url.startsWith('/api/v1?');
}

export function registerCors(app: FastifyInstance, config: Config): void {
  const allowed = new Set(config.corsAllowedOrigins);

  app.addHook('onRequest', async (request, reply) => {
    if (!isApiV1(request.url)) return;
    const origin = request.headers.origin;
    const allowedOrigin = typeof origin === 'string' && allowed.has(origin) ? origin : null;
    if (allowedOrigin) {
      reply.header('Access-Control-Allow-Origin', allowedOrigin);
      reply.header('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      if (allowedOrigin) {
        reply.header('Access-Control-Allow-Methods', CORS_ALLOW_METHODS);
        reply.header('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
        reply.header('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
      }
      return reply.code(204).send();
    }
    if (allowedOrigin) reply.header('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
  });
}
