import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAccount } from '../../../commands/create-account.ts';
import {
  createCustomer,
  duplicateCustomerMessage,
  validateCustomerName,
} from '../../../commands/create-customer.ts';
import { endUserSessions, issueResetToken, resetEmail } from '../../../commands/password-reset.ts';
import { AppError } from '../../../config/errors.ts';
import {
  enabledProducts,
  findCustomerById,
  findCustomerByName,
  listCustomerNames,
  listCustomerSummaries,
  renameCustomer,
  setCustomerActive,
  setProductEnabled,
} from '../../../db/repositories/customers.repository.ts';
import { listMembers, memberUserIds } from '../../../db/repositories/memberships.repository.ts';
import {
  canManageStaffAndActivation,
  parseRole,
  ROLE_LABELS,
  ROLES,
} from '../../../domain/accounts/permissions.ts';
import { PRODUCT_SLUGS, PRODUCTS, type ProductSlugName } from '../../../domain/accounts/products.ts';
import { memberAddedMessage } from '../../../domain/accounts/team-rules.ts';
import { recordAudit } from '../../../obs/audit.ts';
import { auditLogPage } from '../../../queries/audit-log.ts';
import type { Services } from '../../../services.ts';
import { requireStaff, sendForbidden, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { field, fieldList, queryParam } from './form.ts';

const AUDIT_PAGE_SIZE = 50;

function formatTable(date: Date | null): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

/** Operator console (web-api-ops §2.5) and the audit page (§3.9). Staff only. */
export function registerAdminRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const staff = { preHandler: requireStaff };

  app.get('/portal/admin/', staff, async (_request, reply) =>
    reply.redirect('/portal/admin/customers/', 302),
  );

  app.get('/portal/admin/customers/', staff, async (request, reply) => {
    const customers = (await listCustomerSummaries(db)).map((c) => ({
      ...c,
      productLabels: c.products.map((slug) => PRODUCTS[slug].label).join(', ') || '-',
    }));
    return renderPage(
      request,
      reply,
      'admin_customers',
      { customers },
      { title: 'Operator Console', section: 'operator' },
    );
  });

  function renderNew(
    request: FastifyRequest,
    reply: FastifyReply,
    values: Record<string, unknown>,
    errors: string[] | null,
    status = 200,
  ) {
    return renderPage(
      request,
      reply,
      'admin_customer_new',
      {
        values,
        errors,
        products: PRODUCT_SLUGS.map((slug) => PRODUCTS[slug]),
        roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
      },
      { title: 'New customer', section: 'operator', status },
    );
  }

  app.get('/portal/admin/customers/new/', staff, async (request, reply) =>
    renderNew(
      request,
      reply,
      {
        name: '',
        products: [...PRODUCT_SLUGS],
        username: '',
        email: '',
        role: 'owner',
        password_mode: 'invite',
      },
      null,
    ),
  );

  app.post('/portal/admin/customers/new/', staff, async (request, reply) => {
    const values = {
      name: field(request, 'name').trim(),
      products: fieldList(request, 'products').filter((p): p is ProductSlugName =>
        (PRODUCT_SLUGS as readonly string[]).includes(p),
      ),
      username: field(request, 'username').trim(),
      email: field(request, 'email').trim(),
      role: field(request, 'role') || 'owner',
      password_mode: field(request, 'password_mode') || 'invite',
      password: field(request, 'password'),
    };
    const nameProblem = validateCustomerName(values.name);
    if (nameProblem) return renderNew(request, reply, values, [nameProblem], 400);
    if (await findCustomerByName(db, values.name)) {
      return renderNew(request, reply, values, [duplicateCustomerMessage(values.name)], 400);
    }
    const withUser = values.username !== '' || values.email !== '';
    const role = parseRole(values.role);
    if (withUser && !role) return renderNew(request, reply, values, ['Select a valid role.'], 400);
    const now = services.clock.now();
    let invite: { user: { username: string; email: string }; token: string } | null = null;
    let customerId: number;
    try {
      customerId = await db.transaction().execute(async (trx) => {
        const customer = await createCustomer(trx, {
          name: values.name,
          products: values.products,
          actorUserId: request.auth.user!.id,
          requestId: request.id,
          ip: request.ip,
        });
        if (withUser && role) {
          const sendInvite = values.password_mode !== 'password';
          const user = await createAccount(trx, {
            username: values.username,
            email: values.email,
            password: sendInvite ? null : values.password,
            membership: { customerId: customer.id, role },
          });
          await recordAudit(trx, {
            action: 'user_created',
            customerId: customer.id,
            userId: request.auth.user!.id,
            entityType: 'user',
            entityId: user.id,
            requestId: request.id,
            ip: request.ip,
            metadata: { username: user.username, role, acting_as_operator: true },
          });
          if (sendInvite) invite = { user, token: await issueResetToken(trx, user.id, 'invite', now) };
        }
        return customer.id;
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid') {
        const messages = Object.values(error.errors ?? {}).flat();
        return renderNew(request, reply, values, messages.length ? messages : [error.message], 400);
      }
      throw error;
    }
    if (invite) await sendInvite(request, invite);
    request.flash('success', `Customer '${values.name}' created.`);
    return reply.redirect(`/portal/admin/customers/${customerId}/`, 302);
  });

  async function sendInvite(
    request: FastifyRequest,
    invite: { user: { username: string; email: string }; token: string },
  ) {
    try {
      await services.mailer.send(resetEmail(services.config, invite.user, invite.token, 'invite'));
    } catch (error) {
      request.log.error({ err: error }, 'invitation email failed');
    }
  }

  app.get<{ Params: { id: string } }>('/portal/admin/customers/:id/', staff, async (request, reply) => {
    const id = parseId(request.params.id);
    const customer = id === null ? undefined : await findCustomerById(db, id);
    if (!customer) return sendNotFoundPage(request, reply);
    const enabled = await enabledProducts(db, customer.id);
    const members = (await listMembers(db, customer.id)).map((m) => ({
      ...m,
      roleLabel: ROLE_LABELS[m.role],
      lastLogin: formatTable(m.last_login),
    }));
    return renderPage(
      request,
      reply,
      'admin_customer_detail',
      {
        customer,
        products: PRODUCT_SLUGS.map((slug) => ({ ...PRODUCTS[slug], enabled: enabled.includes(slug) })),
        members,
        roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
        canActivate: canManageStaffAndActivation(request.auth.actor),
      },
      { title: customer.name, section: 'operator' },
    );
  });

  app.post<{ Params: { id: string } }>('/portal/admin/customers/:id/', staff, async (request, reply) => {
    const id = parseId(request.params.id);
    const customer = id === null ? undefined : await findCustomerById(db, id);
    if (!customer) return sendNotFoundPage(request, reply);
    const back = `/portal/admin/customers/${customer.id}/`;
    const actorId = request.auth.user!.id;
    const audit = (action: string, metadata: Record<string, string | number | boolean | null> = {}) =>
      recordAudit(db, {
        action,
        customerId: customer.id,
        userId: actorId,
        entityType: 'customer',
        entityId: customer.id,
        requestId: request.id,
        ip: request.ip,
        metadata: { ...metadata, acting_as_operator: true },
      });
    const action = field(request, 'action');
    if (action === 'rename') {
      const name = field(request, 'name').trim();
      const problem = validateCustomerName(name);
      const existing = problem ? undefined : await findCustomerByName(db, name);
      if (problem || (existing && existing.id !== customer.id)) {
        request.flash('error', problem ?? duplicateCustomerMessage(name));
        return reply.redirect(back, 302);
      }
      await renameCustomer(db, customer.id, name);
      await audit('customer_updated', { name });
      request.flash('success', `Customer '${name}' updated.`);
    } else if (action === 'products') {
      const wanted = new Set(fieldList(request, 'products'));
      for (const slug of PRODUCT_SLUGS) {
        const on = wanted.has(slug);
        if (await setProductEnabled(db, customer.id, slug, on)) {
          await audit(on ? 'product_enabled' : 'product_disabled', { product: slug });
        }
      }
      request.flash('success', 'Products saved.');
    } else if (action === 'add_user') {
      const role = parseRole(field(request, 'role'));
      if (!role) {
        request.flash('error', 'Select a valid role.');
        return reply.redirect(back, 302);
      }
      const sendInviteMail = field(request, 'password_mode') !== 'password';
      let invite: { user: { username: string; email: string }; token: string } | null = null;
      try {
        await db.transaction().execute(async (trx) => {
          const user = await createAccount(trx, {
            username: field(request, 'username'),
            email: field(request, 'email'),
            firstName: field(request, 'first_name'),
            lastName: field(request, 'last_name'),
            password: sendInviteMail ? null : field(request, 'password'),
            membership: { customerId: customer.id, role },
          });
          await recordAudit(trx, {
            action: 'member_added',
            customerId: customer.id,
            userId: actorId,
            entityType: 'user',
            entityId: user.id,
            requestId: request.id,
            ip: request.ip,
            metadata: { username: user.username, role, acting_as_operator: true },
          });
          if (sendInviteMail)
            invite = { user, token: await issueResetToken(trx, user.id, 'invite', services.clock.now()) };
          request.flash(
            'success',
            sendInviteMail
              ? memberAddedMessage(user.username, role)
              : `Member ${user.username} added as ${ROLE_LABELS[role]}.`,
          );
        });
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid') {
          request.flash('error', error.message);
          return reply.redirect(back, 302);
        }
        throw error;
      }
      if (invite) await sendInvite(request, invite);
    } else if (action === 'deactivate' || action === 'reactivate') {
      if (!canManageStaffAndActivation(request.auth.actor)) return sendForbidden(request, reply, 'superuser');
      const active = action === 'reactivate';
      await setCustomerActive(db, customer.id, active);
      await audit(active ? 'customer_reactivated' : 'customer_deactivated');
      if (!active) {
        const now = services.clock.now();
        for (const userId of await memberUserIds(db, customer.id)) {
          await endUserSessions({ db, sessions: services.sessions, now }, userId);
        }
      }
      request.flash('success', `Customer '${customer.name}' ${active ? 'reactivated' : 'deactivated'}.`);
    } else {
      request.flash('error', 'Unknown action.');
    }
    return reply.redirect(back, 302);
  });

  app.get('/portal/admin/audit/', staff, async (request, reply) => {
    const page = Math.max(1, Number.parseInt(queryParam(request, 'page'), 10) || 1);
    const customer = parseId(queryParam(request, 'customer'));
    const action = queryParam(request, 'action').trim().slice(0, 50);
    const user = queryParam(request, 'user').trim().slice(0, 150);
    const date = /^\d{4}-\d{2}-\d{2}$/.test(queryParam(request, 'date')) ? queryParam(request, 'date') : '';
    const { rows, hasNext } = await auditLogPage(
      db,
      { customerId: customer, action, username: user, date },
      page,
      AUDIT_PAGE_SIZE,
    );
    const events = rows.map((r) => ({
      ...r,
      when: formatTable(r.created_at),
      metadataText: JSON.stringify(r.metadata),
    }));
    const params = (p: number) =>
      new URLSearchParams({
        ...(customer !== null ? { customer: String(customer) } : {}),
        ...(action ? { action } : {}),
        ...(user ? { user } : {}),
        ...(date ? { date } : {}),
        page: String(p),
      }).toString();
    const customers = await listCustomerNames(db);
    return renderPage(
      request,
      reply,
      'admin_audit',
      {
        events,
        customers,
        filters: { customer, action, user, date },
        previous: page > 1 ? `?${params(page - 1)}` : null,
        next: hasNext ? `?${params(page + 1)}` : null,
      },
      { title: 'Audit log', section: 'operator' },
    );
  });
}
