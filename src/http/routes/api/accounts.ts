import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { addMember } from '../../../commands/add-member.ts';
import { createCustomerAlone } from '../../../commands/create-customer.ts';
import { changeMemberRole, removeMember } from '../../../commands/manage-team.ts';
import { updateCustomer } from '../../../commands/update-customer.ts';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../../config/errors.ts';
import {
  enabledProducts,
  findCustomerById,
  listCustomerSummaries,
} from '../../../db/repositories/customers.repository.ts';
import { findMember, listMembers } from '../../../db/repositories/memberships.repository.ts';
import {
  can,
  canManageStaffAndActivation,
  isStaffUser,
  ROLES,
} from '../../../domain/accounts/permissions.ts';
import { isProductSlug, PRODUCT_SLUGS, type ProductSlugName } from '../../../domain/accounts/products.ts';
import { TEAM_MESSAGES } from '../../../domain/accounts/team-rules.ts';
import { presentCustomer, presentMember } from '../../../presenters/accounts.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import { teamDepsFor } from '../../team-deps.ts';
import {
  Customer,
  CustomerCreate,
  CustomerListQuery,
  CustomerUpdate,
  Member,
  MemberCreate,
  MemberListQuery,
  MemberUpdate,
} from './accounts.schemas.ts';
import { CustomerQuery } from './mappings.schemas.ts';

/** `enabled_products` as slugs: a validated list, or a form's comma-separated text. */
function productsOf(value: readonly string[] | string): ProductSlugName[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  const products: ProductSlugName[] = [];
  for (const item of items) {
    const name = item.trim().toLowerCase();
    if (name === '') continue;
    if (!isProductSlug(name))
      throw ValidationError.field('enabled_products', `"${item.trim()}" is not a valid choice.`);
    if (!products.includes(name)) products.push(name);
  }
  return products;
}

/** Platform staff only (customers are created and changed from the operator side). */
async function staffOnly(request: FastifyRequest): Promise<void> {
  if (!isStaffUser(request.auth.actor)) throw new PermissionDeniedError();
}

/** Activation is a superuser's change (§2.5); checked before validation (403 before 400). */
async function activationBySuperuser(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | undefined;
  if (
    body &&
    typeof body === 'object' &&
    body['is_active'] !== undefined &&
    !canManageStaffAndActivation(request.auth.actor)
  )
    throw new PermissionDeniedError();
}

/** §2.4 message; the permission check comes before the lookup and the body (§4.2). */
async function manageUsers(request: FastifyRequest): Promise<void> {
  if (!can(request.apiActor, 'manage_users', request.apiCustomerId))
    throw new PermissionDeniedError(TEAM_MESSAGES.noManageUsers);
}

/** `customers/` and `members/` (web-api-ops §4.5, §4.6). */
export function registerAccountsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;

  async function customerView(id: number) {
    const customer = await findCustomerById(db, id);
    if (!customer) throw new NotFoundError();
    return presentCustomer(customer, await enabledProducts(db, id));
  }

  // --- customers ------------------------------------------------------------------------

  const customersTag = 'Customers';
  api.get(
    '/api/v1/customers/',
    {
      preValidation: apiScope(),
      schema: operation(
        {
          tag: customersTag,
          summary: 'List customers',
          description: 'Members see their own customer; staff see all (ordered by name).',
        },
        { querystring: CustomerListQuery, response: { 200: Paginated(Customer) } },
      ),
    },
    async (request) => {
      const all = await listCustomerSummaries(db);
      const scoped = request.apiCustomerId === null ? all : all.filter((c) => c.id === request.apiCustomerId);
      const ordered = [...scoped].sort((a, b) => a.name.localeCompare(b.name) || b.id - a.id);
      return paginateArray(
        request,
        ordered.map((c) => presentCustomer(c, c.products)),
      );
    },
  );

  api.get(
    '/api/v1/customers/:id/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag: customersTag, summary: 'Get a customer' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: Customer } },
      ),
    },
    async (request) => {
      const id = request.params.id;
      if (request.apiCustomerId !== null && request.apiCustomerId !== id) throw new NotFoundError();
      return customerView(id);
    },
  );

  api.post(
    '/api/v1/customers/',
    {
      preValidation: [apiScope(), staffOnly],
      schema: operation(
        { tag: customersTag, summary: 'Create a customer (staff)' },
        { body: CustomerCreate, response: { 201: Customer } },
      ),
    },
    async (request, reply) => {
      const { name, enabled_products } = request.body;
      const products = enabled_products === undefined ? [...PRODUCT_SLUGS] : productsOf(enabled_products);
      const customer = await createCustomerAlone(db, {
        name,
        products,
        actorUserId: request.auth.user!.id,
        requestId: request.id,
        ip: request.ip,
        via: 'api',
      });
      return reply.code(201).send(await customerView(customer.id));
    },
  );

  api.patch(
    '/api/v1/customers/:id/',
    {
      preValidation: [apiScope(), staffOnly, activationBySuperuser],
      schema: operation(
        {
          tag: customersTag,
          summary: 'Change a customer (staff; activation: superuser)',
          description: 'Deactivating ends every member’s sessions and tokens.',
        },
        { params: IdParams, body: CustomerUpdate, response: { 200: Customer } },
      ),
    },
    async (request) => {
      const { name, enabled_products, is_active } = request.body;
      await updateCustomer(
        { db, sessions: services.sessions, now: services.clock.now() },
        { userId: request.auth.user!.id, requestId: request.id, ip: request.ip },
        request.params.id,
        {
          ...(name !== undefined ? { name } : {}),
          ...(enabled_products !== undefined ? { products: productsOf(enabled_products) } : {}),
          ...(is_active !== undefined ? { isActive: is_active } : {}),
        },
      );
      return customerView(request.params.id);
    },
  );

  // --- members --------------------------------------------------------------------------

  const membersTag = 'Members';
  const ROLE_RANK = new Map(ROLES.map((r, i) => [r, i]));

  api.get(
    '/api/v1/members/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag: membersTag, summary: 'List members' },
        { querystring: MemberListQuery, response: { 200: Paginated(Member) } },
      ),
    },
    async (request) => {
      const terms = parseOrdering(request.query.ordering, ['username', 'role'] as const, [
        { field: 'username', descending: false },
      ]);
      const customerIds =
        request.apiCustomerId === null
          ? (await listCustomerSummaries(db)).map((c) => c.id)
          : [request.apiCustomerId];
      const members = (await Promise.all(customerIds.map((id) => listMembers(db, id)))).flat();
      members.sort((a, b) => {
        for (const { field, descending } of terms) {
          const cmp =
            field === 'role'
              ? (ROLE_RANK.get(a.role) ?? 0) - (ROLE_RANK.get(b.role) ?? 0)
              : a.username.toLowerCase().localeCompare(b.username.toLowerCase());
          if (cmp !== 0) return descending ? -cmp : cmp;
        }
        return b.id - a.id;
      });
      return paginateArray(request, members.map(presentMember));
    },
  );

  const manage = [apiScope({ requireCustomer: true }), manageUsers];

  api.post(
    '/api/v1/members/',
    {
      preValidation: manage,
      schema: operation(
        {
          tag: membersTag,
          summary: 'Add a member (invitation e-mail)',
          description: 'Rules of §2.4: permission messages are 403, last-owner messages 400.',
        },
        { body: MemberCreate, response: { 201: Member } },
      ),
    },
    async (request, reply) => {
      const { username, email, first_name, last_name, role } = request.body;
      const { membership } = await addMember(teamDepsFor(services, request), request.apiActor, {
        customerId: request.apiCustomerId as number,
        username: username.trim(),
        email: email.trim(),
        firstName: first_name?.trim() ?? '',
        lastName: last_name?.trim() ?? '',
        role,
      });
      return reply.code(201).send(presentMember(membership));
    },
  );

  api.patch(
    '/api/v1/members/:id/',
    {
      preValidation: manage,
      schema: operation(
        { tag: membersTag, summary: "Change a member's role" },
        { params: IdParams, body: MemberUpdate, response: { 200: Member } },
      ),
    },
    async (request) => {
      const customerId = request.apiCustomerId as number;
      const { id } = request.params;
      if (!(await findMember(db, customerId, id))) throw new NotFoundError();
      await changeMemberRole(
        teamDepsFor(services, request),
        request.apiActor,
        customerId,
        id,
        request.body.role,
      );
      const member = await findMember(db, customerId, id);
      if (!member) throw new NotFoundError();
      return presentMember(member);
    },
  );

  api.delete(
    '/api/v1/members/:id/',
    {
      preValidation: manage,
      schema: operation(
        { tag: membersTag, summary: 'Remove a member' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Removed.' }) },
        },
      ),
    },
    async (request, reply) => {
      await removeMember(
        teamDepsFor(services, request),
        request.apiActor,
        request.apiCustomerId as number,
        request.params.id,
      );
      return reply.code(204).send(null);
    },
  );
}
