import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Rate } from '../../config/env.ts';
import { throttledDetail } from '../../domain/accounts/throttle.ts';
import {
  hashSessionId,
  isIssuedBeforeCutoff,
  jwtKeyFromString,
  verifyCsrfToken,
  verifyJwt,
} from '../../domain/accounts/tokens.ts';
import { countCsrfFailure, countThrottled, type ThrottleScope } from '../../obs/metrics.ts';
import type { Services } from '../../services.ts';
import { csrfOriginAllowed } from '../csrf-origin.ts';
import '../api-tenancy.ts';
import { ANONYMOUS, type AuthState, loadAuthState } from '../auth-state.ts';
import { pathOf } from '../params.ts';
import { CSRF_COOKIE, type FlashLevel, isSessionIdShape, PortalSession, SESSION_COOKIE } from '../session.ts';
import { isApiPath } from '../types.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How the route authenticates: default (bearer JWT, then session), `token-endpoint`
     * (the public JWT endpoints: no credentials attempted), `ingestion` (ingestion token
     * only: the plugin does nothing), `none` (no session, no throttle).
     */
    auth?: 'token-endpoint' | 'ingestion' | 'none';
    /** false: the route verifies CSRF itself with `request.checkCsrf` (multipart forms). */
    csrf?: boolean;
  }
  interface FastifyRequest {
    /** The portal session (null when the request carries none and none was needed). */
    session: PortalSession | null;
    auth: AuthState;
    /** True when the request's session was ended by the idle timeout. */
    sessionExpired: boolean;
    /** A CSRF token for forms; creates an anonymous session when there is none. */
    csrfToken(): string;
    /** Queues a flash message (creates a session when needed). */
    flash(level: FlashLevel, message: string): void;
    /** Verifies a submitted CSRF token against the session (routes with `csrf: false`). */
    checkCsrf(token: unknown): boolean;
    /** Ensures there is a (possibly anonymous) session and returns it. */
    ensureSession(): PortalSession;
    /** Replaces the session by a fresh one (login/logout/expiry); the old id is destroyed. */
    replaceSession(userId: number | null): PortalSession;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const PORTAL_CSRF_MESSAGE = 'Forbidden (CSRF token missing or incorrect).';
export const API_CSRF_DETAIL = 'CSRF Failed: CSRF token missing or incorrect.';
export const IDLE_EXPIRED_MESSAGE = (minutes: number) =>
  `Your session expired after ${minutes} minutes of inactivity. Please log in again.`;
/** Last-activity writes are coalesced to one per minute (§3.1). */
const TOUCH_INTERVAL_MS = 60_000;

function skipsEverything(request: FastifyRequest): boolean {
  const config = request.routeOptions.config;
  if (config.bare || config.auth === 'ingestion' || config.auth === 'none') return true;
  const path = pathOf(request.url);
  return path.startsWith('/static/') || path === '/metrics' || path === '/api/v1/health/';
}

/** Sends the 401 of §4.2 with the Bearer challenge. */
export function sendUnauthenticated(
  reply: FastifyReply,
  code: 'not_authenticated' | 'token_not_valid',
): FastifyReply {
  reply.header('WWW-Authenticate', 'Bearer realm="api"');
  return reply
    .code(401)
    .type('application/json; charset=utf-8')
    .send(
      code === 'not_authenticated'
        ? { detail: 'Authentication credentials were not provided.', code }
        : { detail: 'Given token not valid for any token type', code },
    );
}

/**
 * The CSRF check of a write authenticated by the session: the token (the `X-CSRFToken` header
 * first, else the form's) and, in production, the Origin/Referer. The plugin's hook runs it
 * for every form; multipart uploads (`config.csrf = false`) run it with their streamed fields.
 */
export function sessionCsrfOk(
  request: FastifyRequest,
  config: Parameters<typeof csrfOriginAllowed>[0],
  formToken: unknown,
): boolean {
  const header = request.headers['x-csrf-token'] ?? request.headers['x-csrftoken'];
  return (
    request.checkCsrf(typeof header === 'string' ? header : formToken) &&
    csrfOriginAllowed(config, { origin: request.headers.origin, referer: request.headers.referer })
  );
}

/** The portal's 403 page of a failed CSRF check (logged; no navigation: the session is not trusted). */
export function sendPortalCsrfFailure(request: FastifyRequest, reply: FastifyReply, version: string) {
  countCsrfFailure();
  request.log.warn({ route: request.routeOptions.url }, 'CSRF check failed');
  return reply
    .code(403)
    .type('text/html; charset=utf-8')
    .send(
      request.server.renderer.render('error', {
        status: 403,
        title: 'Forbidden',
        message: PORTAL_CSRF_MESSAGE,
        requestId: request.id,
        version,
      }),
    );
}

/**
 * Sessions, bearer authentication, rate limits and CSRF (web-api-ops §1.1 steps 8–9,
 * §3.1, §3.2, §3.8, §4.3). Route-level access (login required, permissions, staff) is
 * decided by the guards in ../guards.ts with the state resolved here.
 */
export async function registerAuth(app: FastifyInstance, services: Services): Promise<void> {
  const { config } = services;
  await app.register(fastifyCookie);
  const idleMs = config.session.idleMinutes * 60_000;
  const absoluteMs = config.session.absoluteHours * 3_600_000;
  const jwtKeys = [jwtKeyFromString(config.jwtSigningKey)];
  const csrfKeys = [config.secretKey, ...config.secretKeyFallbacks];
  const now = () => services.clock.now().getTime();
  const cookieOptions = {
    path: '/',
    sameSite: 'lax' as const,
    secure: config.sessionCookieSecure,
  };

  app.decorateRequest('session', null);
  app.decorateRequest('auth', null as unknown as AuthState);
  app.decorateRequest('sessionExpired', false);
  app.decorateRequest('apiCustomerId', null);
  app.decorateRequest('apiActor', null);
  app.decorateRequest('ensureSession', function (this: FastifyRequest) {
    if (!this.session || this.session.destroyed) {
      const fresh = PortalSession.create(now());
      if (this.session) fresh.replacedHash = this.session.hash;
      this.session = fresh;
    }
    return this.session;
  });
  app.decorateRequest('replaceSession', function (this: FastifyRequest, userId: number | null) {
    const old = this.session;
    const fresh = PortalSession.create(now(), userId);
    if (old && !old.isNew) fresh.replacedHash = old.hash;
    else if (old?.replacedHash) fresh.replacedHash = old.replacedHash;
    this.session = fresh;
    return fresh;
  });
  app.decorateRequest('csrfToken', function (this: FastifyRequest) {
    return this.ensureSession().csrfToken(config.secretKey);
  });
  app.decorateRequest('flash', function (this: FastifyRequest, level: FlashLevel, message: string) {
    this.ensureSession().flash(level, message);
  });
  app.decorateRequest('checkCsrf', function (this: FastifyRequest, token: unknown) {
    if (!this.session || this.session.isNew) return false;
    return verifyCsrfToken(typeof token === 'string' ? token : null, this.session.data.csrf, csrfKeys);
  });

  async function throttle(
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    rate: Rate | null,
    scope: ThrottleScope,
  ) {
    if (!rate) return null;
    const decision = await services.rateLimits.hit(key, rate, now());
    if (decision.allowed) return null;
    countThrottled(scope);
    const api = scope !== 'portal';
    reply.header('Retry-After', String(decision.retryAfterSeconds));
    reply.code(429);
    if (api) {
      return reply
        .type('application/json; charset=utf-8')
        .send({ detail: throttledDetail(decision.retryAfterSeconds), code: 'throttled' });
    }
    request.log.warn({ scope: 'portal' }, 'portal rate limit exceeded');
    return reply.type('text/html; charset=utf-8').send(
      app.renderer.render('error', {
        status: 429,
        title: 'Too many requests',
        message: 'Rate limit exceeded. Please try again later.',
        requestId: request.id,
        version: config.version,
      }),
    );
  }

  app.addHook('onRequest', async (request, reply) => {
    request.auth = ANONYMOUS;
    if (skipsEverything(request)) return;
    const api = isApiPath(request.url);
    const tokenEndpoint = request.routeOptions.config.auth === 'token-endpoint';

    // 1. Bearer JWT (API only); when present it wins and cookies are ignored.
    const authorization = request.headers.authorization;
    const bearer =
      api && !tokenEndpoint && typeof authorization === 'string' && /^bearer\s/i.test(authorization);
    if (bearer) {
      const token = authorization.replace(/^bearer\s+/i, '').trim();
      const result = await verifyJwt(token, {
        keys: jwtKeys,
        expectedType: 'access',
        now: services.clock.now(),
      });
      if (!result.ok) return sendUnauthenticated(reply, 'token_not_valid');
      const loaded = await loadAuthState(services.database.db, result.claims.user_id, 'jwt', null);
      if (!loaded.ok || isIssuedBeforeCutoff(result.claims.iat, loaded.state.user?.tokens_valid_after)) {
        return sendUnauthenticated(reply, 'token_not_valid');
      }
      request.auth = loaded.state;
    } else if (!tokenEndpoint) {
      // 2. Session cookie.
      const cookie = request.cookies[SESSION_COOKIE];
      if (isSessionIdShape(cookie)) {
        const stored = await services.sessions.get(hashSessionId(cookie));
        if (stored) {
          const session = PortalSession.fromStore(cookie, stored);
          request.session = session;
          const t = now();
          if (t - stored.createdAt > absoluteMs) {
            request.replaceSession(null);
          } else if (t - stored.lastActivityAt > idleMs) {
            const fresh = request.replaceSession(null);
            if (stored.userId !== null) {
              request.sessionExpired = true;
              fresh.flash('info', IDLE_EXPIRED_MESSAGE(config.session.idleMinutes));
            }
          } else {
            if (
              request.headers['x-payrixa-background'] !== '1' &&
              t - stored.lastActivityAt >= TOUCH_INTERVAL_MS
            ) {
              session.record.lastActivityAt = t;
              session.dirty = true;
            }
            if (stored.userId !== null) {
              const acting = session.data.acting ?? null;
              const loaded = await loadAuthState(services.database.db, stored.userId, 'session', acting);
              const authAt = session.data.authAt ?? stored.createdAt;
              if (
                !loaded.ok ||
                (loaded.state.user?.tokens_valid_after &&
                  authAt < loaded.state.user.tokens_valid_after.getTime())
              ) {
                request.replaceSession(null);
              } else {
                if (loaded.actingCleared) session.set('acting', null);
                request.auth = loaded.state;
              }
            }
          }
        }
      }
    }

    // 3. Rate limits (§3.8).
    const ip = request.ip;
    if (api) {
      const user = request.auth.user;
      const sent = user
        ? await throttle(request, reply, `api-user:${user.id}`, config.rateLimits.apiUser, 'api_user')
        : await throttle(request, reply, `api-anon:${ip}`, config.rateLimits.apiAnon, 'api_anon');
      if (sent) return sent;
    } else if (pathOf(request.url).startsWith('/portal/')) {
      const sent = await throttle(request, reply, `portal:${ip}`, config.rateLimits.portal, 'portal');
      if (sent) return sent;
    }
  });

  // 4. CSRF for unsafe requests authenticated by the session (after body parsing).
  app.addHook('preValidation', async (request, reply) => {
    if (!UNSAFE.has(request.method) || skipsEverything(request)) return;
    if (request.routeOptions.config.csrf === false) return;
    const api = isApiPath(request.url);
    if (api && (request.auth.via !== 'session' || request.routeOptions.config.auth === 'token-endpoint'))
      return;
    if (!api && !pathOf(request.url).startsWith('/portal/')) return;
    const body = request.body as Record<string, unknown> | undefined;
    const formToken = body && typeof body === 'object' ? body['csrf_token'] : null;
    if (sessionCsrfOk(request, config, formToken)) return;
    if (!api) return sendPortalCsrfFailure(request, reply, config.version);
    countCsrfFailure();
    request.log.warn({ route: request.routeOptions.url }, 'CSRF check failed');
    return reply
      .code(403)
      .type('application/json; charset=utf-8')
      .send({ detail: API_CSRF_DETAIL, code: 'csrf_failed' });
  });

  // 5. Persist session changes and set or clear cookies.
  app.addHook('onSend', async (request, reply, payload) => {
    const session = request.session;
    if (!session) return payload;
    if (session.replacedHash) await services.sessions.destroy(session.replacedHash);
    if (session.destroyed) {
      await services.sessions.destroy(session.hash);
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      reply.clearCookie(CSRF_COOKIE, cookieOptions);
      return payload;
    }
    if (session.dirty) {
      const record = session.record;
      record.expiresAt = Math.min(record.lastActivityAt + idleMs, record.createdAt + absoluteMs);
      await services.sessions.save(session.hash, record, now());
    }
    if (session.isNew) {
      reply.setCookie(SESSION_COOKIE, session.id, { ...cookieOptions, httpOnly: true });
      reply.setCookie(CSRF_COOKIE, session.csrfToken(config.secretKey), {
        ...cookieOptions,
        httpOnly: false,
      });
    }
    return payload;
  });
}
