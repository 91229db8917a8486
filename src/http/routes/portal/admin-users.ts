import type { FastifyInstance } from 'fastify';
import { createStaffAccount } from '../../../commands/create-staff-account.ts';
import { endUserSessions, resetEmail } from '../../../commands/password-reset.ts';
import { AppError } from '../../../config/errors.ts';
import { findUserById, listStaffUsers, setUserActive } from '../../../db/repositories/users.repository.ts';
import { checkStaffAccountChange } from '../../../domain/accounts/team-rules.ts';
import { recordAudit } from '../../../obs/audit.ts';
import type { Services } from '../../../services.ts';
import { requireSuperuser, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { field } from './form.ts';

/** Staff accounts (web-api-ops §2.5): superusers create and deactivate operators. */
export function registerAdminUserRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get('/portal/admin/users/', { preHandler: requireSuperuser }, async (request, reply) => {
    const staff = (await listStaffUsers(db)).map((u) => ({
      id: u.id,
      username: u.username,
      email: u.email,
      isSuperuser: u.is_superuser,
      isActive: u.is_active,
      lastLogin: u.last_login ? new Date(u.last_login).toISOString().slice(0, 16).replace('T', ' ') : '-',
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

  app.post('/portal/admin/users/', { preHandler: requireSuperuser }, async (request, reply) => {
    const actorId = request.auth.user!.id;
    const action = field(request, 'action');
    if (action === 'create') {
      const superuser = field(request, 'is_superuser') === 'on' || field(request, 'is_superuser') === 'true';
      try {
        const { user, token } = await createStaffAccount(db, {
          username: field(request, 'username'),
          email: field(request, 'email'),
          superuser,
          actorUserId: actorId,
          requestId: request.id,
          ip: request.ip,
          now: services.clock.now(),
        });
        try {
          await services.mailer.send(resetEmail(services.config, user, token, 'invite'));
        } catch (error) {
          request.log.error({ err: error }, 'invitation email failed');
        }
        request.flash('success', `Staff user '${user.username}' created. An invitation email has been sent.`);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'invalid')) throw error;
        request.flash('error', error.message);
      }
      return reply.redirect('/portal/admin/users/', 302);
    }
    if (action === 'deactivate') {
      const idText = field(request, 'user_id');
      const target = /^\d{1,15}$/.test(idText) ? await findUserById(db, Number(idText)) : undefined;
      if (!target?.is_staff) return sendNotFoundPage(request, reply);
      const superusers = (await listStaffUsers(db)).filter((u) => u.is_active && u.is_superuser).length;
      const rule = checkStaffAccountChange({
        actor: request.auth.actor,
        target: { userId: target.id, isActive: target.is_active, isSuperuser: target.is_superuser },
        change: 'deactivate',
        activeSuperuserCount: superusers,
      });
      if (!rule.ok) {
        request.flash('error', rule.message);
        return reply.redirect('/portal/admin/users/', 302);
      }
      await setUserActive(db, target.id, false);
      await endUserSessions({ db, sessions: services.sessions, now: services.clock.now() }, target.id);
      await recordAudit(db, {
        action: 'user_deactivated',
        userId: actorId,
        entityType: 'user',
        entityId: target.id,
        requestId: request.id,
        ip: request.ip,
        metadata: { username: target.username },
      });
      request.flash('success', `Staff user '${target.username}' deactivated.`);
      return reply.redirect('/portal/admin/users/', 302);
    }
    request.flash('error', 'Unknown action.');
    return reply.redirect('/portal/admin/users/', 302);
  });
}
