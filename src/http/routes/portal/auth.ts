import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { authenticateUser } from '../../../commands/authenticate-user.ts';
import { isStaffUser, ROLE_LABELS } from '../../../domain/accounts/permissions.ts';
import { resolveNext, safeNextPath } from '../../../domain/accounts/safe-redirect.ts';
import { portalLockoutMessage } from '../../../domain/accounts/throttle.ts';
import { recordAudit } from '../../../obs/audit.ts';
import type { Services } from '../../../services.ts';
import { renderPage } from '../../page.ts';
import { LoginForm, LoginQuery, LogoutForm } from './accounts.schemas.ts';

export const INVALID_LOGIN_MESSAGE = 'Invalid username or password';
export const INACTIVE_CUSTOMER_MESSAGE = "Your organization's Payrixa account is inactive. Contact support.";
const LOGOUT_CONTEXT_MS = 5 * 60_000;

/** Login, logout and the logged-out card (web-api-ops §1.3, §1.6). */
export function registerPortalAuthRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  for (const url of ['/portal/', '/portal/products/']) {
    app.get(url, async (_request, reply) => reply.redirect('/portal/axis/', 302));
  }

  app.get<{ Querystring: Static<typeof LoginQuery> }>(
    '/portal/login/',
    { schema: { querystring: LoginQuery } },
    async (request, reply) => {
      if (request.auth.user) return reply.redirect('/portal/axis/', 302);
      return renderLogin(request, reply, { next: request.query.next ?? '', username: '', error: null });
    },
  );

  // A hostile field (NUL, a list, 100 kB) is a 400 page from the schema: no lookup, no attempt
  // counted against anyone's lockout.
  app.post<{ Body: Static<typeof LoginForm> }>(
    '/portal/login/',
    { schema: { body: LoginForm } },
    async (request, reply) => {
      const username = (request.body.username ?? '').trim();
      const password = request.body.password ?? '';
      const next = request.body.next ?? '';
      const outcome = await authenticateUser(
        { db, config: services.config, now: services.clock.now() },
        { username, password, ip: request.ip, requestId: request.id, channel: 'portal' },
      );
      switch (outcome.kind) {
        case 'locked':
          reply.header('Retry-After', String(outcome.retryAfterSeconds));
          return renderLogin(request, reply, {
            next,
            username,
            error: portalLockoutMessage(outcome.retryAfterSeconds),
            status: 429,
          });
        case 'invalid':
          return renderLogin(request, reply, { next, username, error: INVALID_LOGIN_MESSAGE });
        case 'inactive_customer':
          return renderLogin(request, reply, { next, username, error: INACTIVE_CUSTOMER_MESSAGE });
        case 'ok': {
          // Rotation (§3.1): a brand-new id and CSRF secret; the pre-login session is destroyed.
          const session = request.replaceSession(outcome.user.id);
          session.set('authAt', services.clock.now().getTime());
          return reply.redirect(resolveNext(next), 302);
        }
      }
    },
  );

  app.get('/portal/logout/', async (request, reply) =>
    renderPage(request, reply, 'logout', {}, { title: 'Log out' }),
  );

  app.post('/portal/logout/', { schema: { body: LogoutForm } }, async (request, reply) => {
    const { auth } = request;
    const user = auth.user;
    const fresh = request.replaceSession(null);
    if (user) {
      const operator = isStaffUser(auth.actor);
      const role = auth.membership?.role ?? null;
      fresh.set('logout', {
        expires: services.clock.now().getTime() + LOGOUT_CONTEXT_MS,
        wasOperator: operator,
        username: user.username,
        customer: operator ? null : (auth.customer?.name ?? null),
        role: role ? ROLE_LABELS[role] : null,
      });
      await recordAudit(db, {
        action: 'logout',
        userId: user.id,
        customerId: auth.membership?.customer_id ?? null,
        requestId: request.id,
        ip: request.ip,
      });
    }
    return reply.redirect('/portal/logged-out/', 302);
  });

  app.get('/portal/logged-out/', async (request, reply) => {
    const session = request.session;
    let context = null;
    const stored = session?.data.logout;
    if (session && stored) {
      session.set('logout', undefined);
      if (stored.expires > services.clock.now().getTime()) context = stored;
    }
    const html = app.renderer.render('logged_out', { context, flashes: session?.takeFlashes() ?? [] });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  function renderLogin(
    request: Parameters<typeof renderPage>[0],
    reply: Parameters<typeof renderPage>[1],
    data: { next: string; username: string; error: string | null; status?: number },
  ) {
    const html = app.renderer.render('login', {
      csrfToken: request.csrfToken(),
      next: safeNextPath(data.next) ?? '',
      username: data.username,
      error: data.error,
      flashes: request.session?.takeFlashes() ?? [],
    });
    return reply
      .code(data.status ?? 200)
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html);
  }
}
