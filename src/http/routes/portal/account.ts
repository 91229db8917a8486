import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import {
  completePasswordReset,
  endUserSessions,
  type ResetDeps,
  requestPasswordReset,
  userForResetToken,
} from '../../../commands/password-reset.ts';
import {
  findActiveUserByEmail,
  setPasswordHash,
  updateUserProfile,
} from '../../../db/repositories/users.repository.ts';
import {
  hashPassword,
  PASSWORD_MESSAGES,
  validatePassword,
  verifyPassword,
} from '../../../domain/accounts/passwords.ts';
import { recordAudit } from '../../../obs/audit.ts';
import type { Services } from '../../../services.ts';
import { requireLogin } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import {
  AccountForm,
  PasswordResetForm,
  PasswordResetRequestForm,
  ResetTokenParams,
} from './accounts.schemas.ts';
import { EMAIL_PATTERN } from './form.ts';

export const RESET_SENT_MESSAGE = 'If an account exists for that email, we have sent a password reset link.';
export const RESET_INVALID_MESSAGE = 'This password reset link is invalid or has expired.';
export const RESET_DONE_MESSAGE = 'Your password has been reset. Please log in.';
export const PASSWORD_CHANGED_MESSAGE = 'Your password was changed.';
const TOKEN_PARAM = /^[A-Za-z0-9_-]{1,200}$/;

/** Own account page and the password-reset / invitation flow (§1.3, §3.3, §3.5). */
export function registerAccountRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const resetDeps = (request: FastifyRequest): ResetDeps => ({
    db,
    config: services.config,
    mailer: services.mailer,
    rateLimits: services.rateLimits,
    sessions: services.sessions,
    now: services.clock.now(),
    logger: request.log,
  });

  function renderStandalone(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown>,
    status = 200,
  ) {
    const html = app.renderer.render(template, {
      ...data,
      csrfToken: request.csrfToken(),
      flashes: request.session?.takeFlashes() ?? [],
    });
    return reply.code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
  }

  /** "This password reset link is invalid or has expired." (404), whatever made it so. */
  function renderInvalidLink(request: FastifyRequest, reply: FastifyReply) {
    return renderStandalone(
      request,
      reply,
      'password_reset_invalid',
      { message: RESET_INVALID_MESSAGE },
      404,
    );
  }

  app.get('/portal/password-reset/', async (request, reply) =>
    renderStandalone(request, reply, 'password_reset_request', {}),
  );

  app.post<{ Body: Static<typeof PasswordResetRequestForm> }>(
    '/portal/password-reset/',
    { schema: { body: PasswordResetRequestForm } },
    async (request, reply) => {
      await requestPasswordReset(resetDeps(request), {
        email: request.body.email ?? '',
        ip: request.ip,
        requestId: request.id,
      });
      return reply.redirect('/portal/password-reset/sent/', 302);
    },
  );

  app.get('/portal/password-reset/sent/', async (request, reply) =>
    renderStandalone(request, reply, 'password_reset_sent', { message: RESET_SENT_MESSAGE }),
  );

  // A token that is not text of at most 200 characters is the 404 page of a malformed path
  // parameter; one of the wrong shape or unknown is the invalid-link page (404), as before.
  app.get<{ Params: Static<typeof ResetTokenParams> }>(
    '/portal/password-reset/:token/',
    { schema: { params: ResetTokenParams } },
    async (request, reply) => {
      const token = request.params.token;
      const found = TOKEN_PARAM.test(token) ? await userForResetToken(db, token, services.clock.now()) : null;
      if (!found) return renderInvalidLink(request, reply);
      return renderStandalone(request, reply, 'password_reset_form', {
        token,
        username: found.user.username,
        invite: found.purpose === 'invite',
        errors: null,
      });
    },
  );

  app.post<{ Params: Static<typeof ResetTokenParams>; Body: Static<typeof PasswordResetForm> }>(
    '/portal/password-reset/:token/',
    { schema: { params: ResetTokenParams, body: PasswordResetForm } },
    async (request, reply) => {
      const token = request.params.token;
      if (!TOKEN_PARAM.test(token)) {
        return renderInvalidLink(request, reply);
      }
      const outcome = await completePasswordReset(resetDeps(request), {
        token,
        password: request.body.new_password1 ?? '',
        confirm: request.body.new_password2 ?? '',
        ip: request.ip,
        requestId: request.id,
      });
      if (outcome.ok) {
        request.replaceSession(null).flash('success', RESET_DONE_MESSAGE);
        return reply.redirect('/portal/login/', 302);
      }
      if ('invalidToken' in outcome) {
        return renderInvalidLink(request, reply);
      }
      const found = await userForResetToken(db, token, services.clock.now());
      return renderStandalone(
        request,
        reply,
        'password_reset_form',
        {
          token,
          username: found?.user.username ?? '',
          invite: found?.purpose === 'invite',
          errors: outcome.errors,
        },
        400,
      );
    },
  );

  function renderAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { profileErrors?: string[]; passwordErrors?: string[]; status?: number } = {},
  ) {
    const user = request.auth.user!;
    return renderPage(
      request,
      reply,
      'account',
      {
        user: {
          username: user.username,
          email: user.email,
          first_name: user.first_name,
          last_name: user.last_name,
        },
        profileErrors: extra.profileErrors ?? null,
        passwordErrors: extra.passwordErrors ?? null,
      },
      { title: 'Account', section: 'account', ...(extra.status ? { status: extra.status } : {}) },
    );
  }

  app.get('/portal/account/', { preHandler: requireLogin }, async (request, reply) =>
    renderAccount(request, reply),
  );

  // A logged-out visitor is sent to the login before the form schema is looked at.
  app.post<{ Body: Static<typeof AccountForm> }>(
    '/portal/account/',
    { preValidation: requireLogin, schema: { body: AccountForm } },
    async (request, reply) => {
      const user = request.auth.user!;
      const { body } = request;
      const action = body.action ?? '';
      if (action === 'profile') {
        const email = (body.email ?? '').trim();
        const firstName = (body.first_name ?? '').trim().slice(0, 150);
        const lastName = (body.last_name ?? '').trim().slice(0, 150);
        if (!EMAIL_PATTERN.test(email) || email.length > 254) {
          return renderAccount(request, reply, {
            profileErrors: ['Enter a valid email address.'],
            status: 400,
          });
        }
        const other = await findActiveUserByEmail(db, email);
        if (other && other.id !== user.id) {
          return renderAccount(request, reply, {
            profileErrors: ['A user with that email already exists.'],
            status: 400,
          });
        }
        await updateUserProfile(db, user.id, { email, firstName, lastName });
        request.flash('success', 'Your profile was saved.');
        return reply.redirect('/portal/account/', 302);
      }
      if (action === 'password') {
        const current = body.old_password ?? '';
        const next1 = body.new_password1 ?? '';
        const next2 = body.new_password2 ?? '';
        if (!(await verifyPassword(current, user.password_hash))) {
          return renderAccount(request, reply, {
            passwordErrors: [PASSWORD_MESSAGES.currentIncorrect],
            status: 400,
          });
        }
        if (next1 !== next2) {
          return renderAccount(request, reply, {
            passwordErrors: ["The two password fields didn't match."],
            status: 400,
          });
        }
        const problems = validatePassword(next1, {
          username: user.username,
          email: user.email,
          firstName: user.first_name,
          lastName: user.last_name,
        });
        if (problems.length > 0)
          return renderAccount(request, reply, { passwordErrors: problems, status: 400 });
        const now = services.clock.now();
        await setPasswordHash(db, user.id, await hashPassword(next1));
        // Other sessions and all JWTs end; this session continues under a new id (§3.1).
        const session = request.ensureSession();
        await endUserSessions({ db, sessions: services.sessions, now }, user.id, session.hash);
        session.rotate(now.getTime());
        session.set('authAt', now.getTime());
        await recordAudit(db, {
          action: 'password_changed',
          userId: user.id,
          entityType: 'user',
          entityId: user.id,
          requestId: request.id,
          ip: request.ip,
        });
        request.flash('success', PASSWORD_CHANGED_MESSAGE);
        return reply.redirect('/portal/account/', 302);
      }
      request.flash('error', 'Unknown action.');
      return reply.redirect('/portal/account/', 302);
    },
  );
}
