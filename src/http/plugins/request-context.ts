import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/env.ts';

const INCOMING_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** X-Request-Id: the incoming one when well-formed (nginx passes its own), else a UUID v4. */
export function requestIdFor(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
}

/** Milliseconds since receipt with exactly two decimals (`12.34`). */
export function elapsedMs(request: FastifyRequest): string {
  return (Number(process.hrtime.bigint() - request.startedAt) / 1e6).toFixed(2);
}

/** Matches a Host header (port ignored) against ALLOWED_HOSTS (exact, or `.example.org` for subdomains). */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (!hostHeader) return false;
  const host = hostHeader
    .trim()
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '[$1]');
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern === '*') return true;
    if (pattern.startsWith('.')) return host === pattern.slice(1) || host.endsWith(pattern);
    return host === pattern;
  });
}

/**
 * Request id, timer and host validation, in the order of web-api-ops §1.1. Bare routes
 * (root health) skip all of it.
 */
export function registerRequestContext(app: FastifyInstance, config: Config): void {
  app.decorateRequest('startedAt', 0n);
  app.addHook('onRequest', async (request, reply) => {
    request.startedAt = process.hrtime.bigint();
    if (request.routeOptions.config.bare) return;
    reply.header('X-Request-Id', request.id);
    if (!hostAllowed(request.headers.host, config.allowedHosts)) {
      reply.code(400).type('text/plain; charset=utf-8').send('Bad Request (400)');
      return reply;
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.routeOptions.config.bare) reply.header('X-Request-Duration-Ms', elapsedMs(request));
    return payload;
  });
}
