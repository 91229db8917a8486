import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { addMember, consoleActorFor } from '../../../commands/add-member.ts';
import { createCustomerWithFirstUser } from '../../../commands/create-customer.ts';
import { type CustomerChanges, updateCustomer } from '../../../commands/update-customer.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import { enabledProducts, findCustomerById } from '../../../db/repositories/customers.repository.ts';
import { listMembers } from '../../../db/repositories/memberships.repository.ts';
import {
  canManageStaffAndActivation,
  parseRole,
  ROLE_LABELS,
  ROLES,
} from '../../../domain/accounts/permissions.ts';
import {
  isProductSlug,
  PRODUCT_SLUGS,
  PRODUCTS,
  type ProductSlugName,
} from '../../../domain/accounts/products.ts';
import { tableDateTime } from '../../../presenters/dates.ts';
import type { Services } from '../../../services.ts';
import { requireStaff, sendForbidden, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { teamDepsFor } from '../../team-deps.ts';
import { CustomerActionForm, CustomerIdParams, NewCustomerForm } from './accounts.schemas.ts';
import { field, firstMessage } from './form.ts';

type NewCustomerBody = Static<typeof NewCustomerForm>;
type CustomerActionBody = Static<typeof CustomerActionForm>;

const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] }));

/** The ticked product checkboxes that name a product (others are ignored, as before). */
function productsOf(value: string | string[] | undefined): ProductSlugName[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return PRODUCT_SLUGS.filter((slug) => list.includes(slug) && isProductSlug(slug));
}

/** (De)activation is a superuser's change (§2.5): refused before the form schema (403 before 400). */
async function activationBySuperuser(request: FastifyRequest, reply: FastifyReply) {
  const action = field(request, 'action');
  if (
    (action === 'deactivate' || action === 'reactivate') &&
    !canManageStaffAndActivation(request.auth.actor)
  )
    return sendForbidden(request, reply, 'superuser');
}

/**
 * Customers in the operator console (web-api-ops §2.5): create one (with its first user), and
 * on its page rename it, switch products, add users and (superusers) (de)activate it. Every
 * change is a command (create-customer.ts, update-customer.ts, add-member.ts); a refused
 * change is a message on the page. Staff only.
 */
export function registerAdminCustomerRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

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
      { values, errors, products: PRODUCT_SLUGS.map((slug) => PRODUCTS[slug]), roles: ROLE_OPTIONS },
      { title: 'New customer', section: 'operator', status },
    );
  }

  app.get('/portal/admin/customers/new/', { preHandler: requireStaff }, async (request, reply) =>
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

  app.post<{ Body: NewCustomerBody }>(
    '/portal/admin/customers/new/',
    { preValidation: requireStaff, schema: { body: NewCustomerForm } },
    async (request, reply) => {
      const { body } = request;
      const values = {
        name: (body.name ?? '').trim(),
        products: productsOf(body.products),
        username: (body.username ?? '').trim(),
        email: (body.email ?? '').trim(),
        role: body.role || 'owner',
        password_mode: body.password_mode || 'invite',
        password: body.password ?? '',
      };
      const withUser = values.username !== '' || values.email !== '';
      const role = parseRole(values.role);
      if (withUser && !role) return renderNew(request, reply, values, ['Select a valid role.'], 400);
      try {
        const customer = await createCustomerWithFirstUser(
          teamDepsFor(services, request),
          request.auth.actor!,
          { name: values.name, products: values.products },
          withUser && role
            ? {
                username: values.username,
                email: values.email,
                role,
                password: values.password_mode === 'password' ? values.password : null,
              }
            : null,
        );
        request.flash('success', `Customer '${customer.name}' created.`);
        return reply.redirect(`/portal/admin/customers/${customer.id}/`, 302);
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid') {
          const messages = Object.values(error.errors ?? {}).flat();
          return renderNew(request, reply, values, messages.length ? messages : [error.message], 400);
        }
        throw error;
      }
    },
  );

  app.get<{ Params: { id: number } }>(
    '/portal/admin/customers/:id/',
    { preValidation: requireStaff, schema: { params: CustomerIdParams } },
    async (request, reply) => {
      const customer = await findCustomerById(db, request.params.id);
      if (!customer) return sendNotFoundPage(request, reply);
      const enabled = await enabledProducts(db, customer.id);
      const members = (await listMembers(db, customer.id)).map((m) => ({
        ...m,
        roleLabel: ROLE_LABELS[m.role],
        lastLogin: tableDateTime(m.last_login),
      }));
      return renderPage(
        request,
        reply,
        'admin_customer_detail',
        {
          customer,
          products: PRODUCT_SLUGS.map((slug) => ({ ...PRODUCTS[slug], enabled: enabled.includes(slug) })),
          members,
          roles: ROLE_OPTIONS,
          canActivate: canManageStaffAndActivation(request.auth.actor),
        },
        { title: customer.name, section: 'operator' },
      );
    },
  );

  /** The success message of a change to the customer, or null for an unknown action. */
  async function changeCustomer(
    request: FastifyRequest,
    customer: { id: number; name: string },
    body: CustomerActionBody,
  ): Promise<string | null> {
    let changes: CustomerChanges;
    let message: string;
    switch (body.action) {
      case 'rename':
        changes = { name: body.name ?? '' };
        message = `Customer '${(body.name ?? '').trim()}' updated.`;
        break;
      case 'products':
        changes = { products: productsOf(body.products) };
        message = 'Products saved.';
        break;
      case 'deactivate':
      case 'reactivate':
        changes = { isActive: body.action === 'reactivate' };
        message = `Customer '${customer.name}' ${body.action}d.`;
        break;
      case 'add_user': {
        const role = parseRole(body.role ?? '');
        if (!role) throw new AppError('invalid', 'Select a valid role.', 400);
        const added = await addMember(
          teamDepsFor(services, request),
          consoleActorFor(request.auth.actor!, customer.id),
          {
            customerId: customer.id,
            username: body.username ?? '',
            email: body.email ?? '',
            firstName: body.first_name ?? '',
            lastName: body.last_name ?? '',
            role,
            password: body.password_mode === 'password' ? (body.password ?? '') : null,
          },
        );
        return added.message;
      }
      default:
        return null;
    }
    await updateCustomer(
      { db, sessions: services.sessions, now: services.clock.now() },
      { userId: request.auth.user!.id, requestId: request.id, ip: request.ip },
      customer.id,
      changes,
    );
    return message;
  }

  app.post<{ Params: { id: number }; Body: CustomerActionBody }>(
    '/portal/admin/customers/:id/',
    {
      preValidation: [requireStaff, activationBySuperuser],
      schema: { params: CustomerIdParams, body: CustomerActionForm },
    },
    async (request, reply) => {
      const customer = await findCustomerById(db, request.params.id);
      if (!customer) return sendNotFoundPage(request, reply);
      try {
        const message = await changeCustomer(request, customer, request.body);
        request.flash(message === null ? 'error' : 'success', message ?? 'Unknown action.');
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        request.flash('error', firstMessage(error));
      }
      return reply.redirect(`/portal/admin/customers/${customer.id}/`, 302);
    },
  );
}
