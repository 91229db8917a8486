import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { addMember } from '../../../commands/add-member.ts';
import { changeMemberRole, removeMember } from '../../../commands/manage-team.ts';
import { AppError, NotFoundError, PermissionDeniedError } from '../../../config/errors.ts';
import { listMembers } from '../../../db/repositories/memberships.repository.ts';
import { can, isStaffUser, parseRole, ROLE_LABELS, ROLES } from '../../../domain/accounts/permissions.ts';
import { TEAM_MESSAGES } from '../../../domain/accounts/team-rules.ts';
import { tableDateTime } from '../../../presenters/dates.ts';
import type { Services } from '../../../services.ts';
import { requireView, sendErrorPage, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { teamDepsFor } from '../../team-deps.ts';
import { TeamForm } from './accounts.schemas.ts';

/** Team page (web-api-ops §1.6 "Team", rules §2.4). */
export function registerTeamRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  async function renderTeam(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { errors?: Record<string, string[]>; values?: Record<string, string>; status?: number } = {},
  ) {
    const customer = request.auth.customer!;
    const members = (await listMembers(db, customer.id)).map((m) => ({
      ...m,
      roleLabel: ROLE_LABELS[m.role],
      lastLogin: tableDateTime(m.last_login),
      name: `${m.first_name} ${m.last_name}`.trim() || '-',
    }));
    const canManage = can(request.auth.actor, 'manage_users');
    // Admins may assign analyst/viewer only; owners and acting staff any role.
    const ownerLike = isStaffUser(request.auth.actor) || request.auth.role === 'owner';
    const assignable = ROLES.filter((r) => ownerLike || r === 'analyst' || r === 'viewer').map((r) => ({
      value: r,
      label: ROLE_LABELS[r],
    }));
    return renderPage(
      request,
      reply,
      'team',
      {
        members,
        canManage,
        assignable,
        errors: extra.errors ?? null,
        values: extra.values ?? { username: '', email: '', first_name: '', last_name: '', role: 'viewer' },
      },
      { title: 'Team', section: 'team', ...(extra.status ? { status: extra.status } : {}) },
    );
  }

  app.get('/portal/team/', { preHandler: requireView }, async (request, reply) => renderTeam(request, reply));

  /**
   * §4.2 order: a role that may never manage members gets the 403 before the form schema and
   * any lookup, so a missing or foreign membership id answers the same as an existing one.
   */
  async function mayManage(request: FastifyRequest, reply: FastifyReply) {
    const { auth } = request;
    // Every action of this form manages members (main 92a2021): 403 whatever the action.
    if (!can(auth.actor, 'manage_users', auth.customer?.id)) {
      request.log.warn({ user_id: auth.user?.id, permission: 'manage_users' }, 'team change refused');
      return sendErrorPage(request, reply, 403, 'Permission denied', TEAM_MESSAGES.noManageUsers);
    }
  }

  app.post<{ Body: Static<typeof TeamForm> }>(
    '/portal/team/',
    { preValidation: [requireView, mayManage], schema: { body: TeamForm } },
    async (request, reply) => {
      const { auth, body } = request;
      const customerId = auth.customer!.id;
      const deps = teamDepsFor(services, request);
      const action = body.action ?? '';
      const values = {
        username: (body.username ?? '').trim(),
        email: (body.email ?? '').trim(),
        first_name: (body.first_name ?? '').trim(),
        last_name: (body.last_name ?? '').trim(),
        role: body.role || 'viewer',
      };
      try {
        let message: string;
        if (action === 'add') {
          const role = parseRole(values.role);
          if (!role)
            return renderTeam(request, reply, {
              errors: { role: ['Select a valid role.'] },
              values,
              status: 400,
            });
          const added = await addMember(deps, auth.actor, {
            customerId,
            username: values.username,
            email: values.email,
            firstName: values.first_name,
            lastName: values.last_name,
            role,
          });
          message = added.message;
        } else if (action === 'change_role' || action === 'remove') {
          const membershipId = parseId((body.membership_id ?? '').trim());
          if (membershipId === null) return sendNotFoundPage(request, reply);
          if (action === 'remove') {
            message = await removeMember(deps, auth.actor, customerId, membershipId);
          } else {
            const role = parseRole(body.role ?? '');
            if (!role) {
              request.flash('error', 'Select a valid role.');
              return reply.redirect('/portal/team/', 302);
            }
            message = await changeMemberRole(deps, auth.actor, customerId, membershipId, role);
          }
        } else {
          request.flash('error', 'Unknown action.');
          return reply.redirect('/portal/team/', 302);
        }
        request.flash('success', message);
        return reply.redirect('/portal/team/', 302);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        if (error instanceof PermissionDeniedError) {
          request.log.warn({ user_id: auth.user?.id, permission: 'manage_users' }, 'team change refused');
          throw error;
        }
        if (error instanceof AppError && error.code === 'invalid' && error.errors) {
          // The addition form comes back with the field's message (a typed name or e-mail);
          // a refused role change or removal (last owner) is a message above the table.
          if (action === 'add')
            return renderTeam(request, reply, { errors: error.errors, values, status: 400 });
          request.flash('error', error.message);
          return reply.redirect('/portal/team/', 302);
        }
        throw error;
      }
    },
  );
}
