import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { createStaffAccount, deactivateStaffAccount } from '../../../commands/create-staff-account.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import { listStaffUsers } from '../../../db/repositories/users.repository.ts';
import { tableDateTime } from '../../../presenters/dates.ts';
import type { Services } from '../../../services.ts';
import { requireSuperuser, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { StaffUsersForm } from './accounts.schemas.ts';
import { firstMessage } from './form.ts';

/** Staff accounts (web-api-ops §2.5): superusers create and deactivate operators. */
export function registerAdminUserRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const back = '/portal/admin/users/';

  app.get('/portal/admin/users/', { preHandler: requireSuperuser }, async (request, reply) => {
    const staff = (await listStaffUsers(db)).map((u) => ({
      id: u.id,
      username: u.username,
      email: u.email,
      isSuperuser: u.is_superuser,
      isActive: u.is_active,
      lastLogin: tableDateTime(u.last_login),
      self: u.id === request.auth.user?.id,
    }));
    return renderPage(
      request,
      reply,
      'admin_users',
      { staff },
      { title: 'Staff accounts', section: 'operator' },
    );
  });

  app.post<{ Body: Static<typeof StaffUsersForm> }>(
    '/portal/admin/users/',
    { preValidation: requireSuperuser, schema: { body: StaffUsersForm } },
    async (request, reply) => {
      const { body } = request;
      const actor = request.auth.actor!;
      try {
        if (body.action === 'create') {
          const { user } = await createStaffAccount(
            { db, config: services.config, mailer: services.mailer, logger: request.log },
            {
              username: body.username ?? '',
              email: body.email ?? '',
              superuser: body.is_superuser === 'on' || body.is_superuser === 'true',
              actorUserId: actor.userId,
              requestId: request.id,
              ip: request.ip,
              now: services.clock.now(),
            },
          );
          request.flash(
            'success',
            `Staff user '${user.username}' created. An invitation email has been sent.`,
          );
        } else if (body.action === 'deactivate') {
          const userId = parseId(body.user_id ?? '');
          if (userId === null) return sendNotFoundPage(request, reply);
          const target = await deactivateStaffAccount(
            { db, sessions: services.sessions, now: services.clock.now() },
            actor,
            { userId, requestId: request.id, ip: request.ip },
          );
          request.flash('success', `Staff user '${target.username}' deactivated.`);
        } else {
          request.flash('error', 'Unknown action.');
        }
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        // A refused name, e-mail or staff rule: the message above the list, as before.
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        request.flash('error', firstMessage(error));
      }
      return reply.redirect(back, 302);
    },
  );
}
