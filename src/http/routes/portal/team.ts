import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  addMember,
  changeMemberRole,
  removeMember,
  type TeamOutcome,
} from '../../../commands/manage-team.ts';
import { listMembers } from '../../../db/repositories/memberships.repository.ts';
import { can, isStaffUser, parseRole, ROLE_LABELS, ROLES } from '../../../domain/accounts/permissions.ts';
import { TEAM_MESSAGES } from '../../../domain/accounts/team-rules.ts';
import type { Services } from '../../../services.ts';
import { requireView, sendErrorPage, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { teamDepsFor } from '../../team-deps.ts';
import { field } from './form.ts';

function formatTable(date: Date | null): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

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
      lastLogin: formatTable(m.last_login),
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

  app.post('/portal/team/', { preHandler: requireView }, async (request, reply) => {
    const { auth } = request;
    const customerId = auth.customer!.id;
    const deps = teamDepsFor(services, request);
    const action = field(request, 'action');
    // §4.2 order: a role that may never manage members gets the 403 before any lookup (every
    // action of this form manages members), so a missing or foreign membership id answers the
    // same as an existing one (no 404 probe).
    if (!can(auth.actor, 'manage_users', customerId)) {
      request.log.warn({ user_id: auth.user?.id, permission: 'manage_users' }, 'team change refused');
      return sendErrorPage(request, reply, 403, 'Permission denied', TEAM_MESSAGES.noManageUsers);
    }
    const membershipId = parseId(field(request, 'membership_id').trim());
    let outcome: TeamOutcome;
    if (action === 'add') {
      const values = {
        username: field(request, 'username').trim(),
        email: field(request, 'email').trim(),
        first_name: field(request, 'first_name').trim(),
        last_name: field(request, 'last_name').trim(),
        role: field(request, 'role') || 'viewer',
      };
      const role = parseRole(values.role);
      if (!role)
        return renderTeam(request, reply, {
          errors: { role: ['Select a valid role.'] },
          values,
          status: 400,
        });
      outcome = await addMember(deps, auth.actor, customerId, {
        username: values.username,
        email: values.email,
        firstName: values.first_name,
        lastName: values.last_name,
        role,
      });
      if (!outcome.ok && outcome.kind === 'invalid') {
        return renderTeam(request, reply, { errors: outcome.errors, values, status: 400 });
      }
      if (!outcome.ok && outcome.kind === 'rule' && outcome.status === 400) {
        const key = outcome.message === TEAM_MESSAGES.emailTaken ? 'email' : 'username';
        return renderTeam(request, reply, { errors: { [key]: [outcome.message] }, values, status: 400 });
      }
    } else if (action === 'change_role') {
      const role = parseRole(field(request, 'role'));
      if (membershipId === null) return sendNotFoundPage(request, reply);
      if (!role) {
        request.flash('error', 'Select a valid role.');
        return reply.redirect('/portal/team/', 302);
      }
      outcome = await changeMemberRole(deps, auth.actor, customerId, membershipId, role);
    } else if (action === 'remove') {
      if (membershipId === null) return sendNotFoundPage(request, reply);
      outcome = await removeMember(deps, auth.actor, customerId, membershipId);
    } else {
      request.flash('error', 'Unknown action.');
      return reply.redirect('/portal/team/', 302);
    }
    if (outcome.ok) {
      request.flash('success', outcome.message);
      return reply.redirect('/portal/team/', 302);
    }
    if (outcome.kind === 'not_found') return sendNotFoundPage(request, reply);
    if (outcome.kind === 'rule' && outcome.status === 403) {
      request.log.warn({ user_id: auth.user?.id, permission: 'manage_users' }, 'team change refused');
      return sendErrorPage(request, reply, 403, 'Permission denied', outcome.message);
    }
    request.flash('error', outcome.message);
    return reply.redirect('/portal/team/', 302);
  });
}
