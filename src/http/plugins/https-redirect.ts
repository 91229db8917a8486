import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/env.ts';
import { type ProxyTrust, proxyTrust } from '../client-ip.ts';

/** Routes that answer over plain HTTP too: load balancers and monitors probe them without TLS. */
const EXEMPT_ROUTES = new Set(['/api/v1/health/']);

/**
 * The scheme the client used (web-api-ops §3.6): `X-Forwarded-Proto` when the socket peer
 * is a trusted proxy (TRUST_PROXY; a unix-socket peer counts as loopback), else whether the
 * socket itself is TLS. The last entry wins, as for X-Forwarded-For: it is the one our own
 * proxy wrote. Anything but http/https is ignored.
 */
export function requestScheme(
  source: {
    socketAddress: string | undefined;
    encrypted: boolean;
    headers: Record<string, string | string[] | undefined>;
  },
  trusted: ProxyTrust,
): 'http' | 'https' {
  const socketScheme = source.encrypted ? 'https' : 'http';
  if (!trusted(source.socketAddress)) return socketScheme;
  const raw = source.headers['x-forwarded-proto'];
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  const forwarded = text?.split(',').pop()?.trim().toLowerCase();
  return forwarded === 'https' || forwarded === 'http' ? forwarded : socketScheme;
}

function schemeOf(request: FastifyRequest, trusted: ProxyTrust): 'http' | 'https' {
  const socket = request.raw.socket as { remoteAddress?: string; encrypted?: boolean };
  return requestScheme(
    { socketAddress: socket.remoteAddress, encrypted: socket.encrypted === true, headers: request.headers },
    trusted,
  );
}

/**
 * Pipeline step 4 (web-api-ops §1.1): settles `request.protocol` from the trusted proxy's
 * `X-Forwarded-Proto`, then, with SECURE_SSL_REDIRECT, answers a plain-HTTP request with a
 * 301 to the same URL on https. Registered after the host check, so the Location host is a
 * validated Host header and a bad host is still 400.
 *
 * Why not Fastify's own `request.protocol`: its trust function (proxy-addr) never trusts a
 * unix-socket peer, and production serves nginx on a unix socket — every request would look
 * like http and redirect forever. Like `request.ip` (client-ip.ts), the value becomes an own
 * property of the request, so HSTS, pagination links and everything else read the same answer.
 */
export function registerHttpsRedirect(app: FastifyInstance, config: Config): void {
  const trusted = proxyTrust(config.trustProxy);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.bare) return;
    const scheme = schemeOf(request, trusted);
    Object.defineProperty(request, 'protocol', { value: scheme, configurable: true, enumerable: true });
    if (!config.secureSslRedirect || scheme === 'https') return;
    if (request.routeOptions.url !== undefined && EXEMPT_ROUTES.has(request.routeOptions.url)) return;
    // The Host header passed hostAllowed (request-context.ts) and keeps its port, as the
    // request named it; X-Forwarded-Host is never used for the target.
    reply.redirect(`https://${request.headers.host}${request.url}`, 301);
    return reply;
  });
}
