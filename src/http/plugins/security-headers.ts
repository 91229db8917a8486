import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/env.ts';

/**
 * Security headers on every response except bare routes (web-api-ops §3.6): a strict CSP
 * for pages (no inline scripts), a locked-down one for JSON and files, and the usual
 * framing, sniffing, referrer and permissions policies. HSTS only in production over HTTPS.
 */
export function registerSecurityHeaders(app: FastifyInstance, config: Config): void {
  const pageCsp = [
    "default-src 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    ...(config.isProduction ? ['upgrade-insecure-requests'] : []),
    ...(config.cspReportUri ? [`report-uri ${config.cspReportUri}`] : []),
  ].join('; ');
  const dataCsp = "default-src 'none'; frame-ancestors 'none'";
  const hsts =
    config.hsts.seconds > 0
      ? `max-age=${config.hsts.seconds}${config.hsts.includeSubdomains ? '; includeSubDomains' : ''}${config.hsts.preload ? '; preload' : ''}`
      : null;

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.config.bare) return payload;
    const contentType = String(reply.getHeader('content-type') ?? '');
    reply.header('Content-Security-Policy', contentType.startsWith('text/html') ? pageCsp : dataCsp);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (hsts && config.isProduction && request.protocol === 'https')
      reply.header('Strict-Transport-Security', hsts);
    return payload;
  });
}
