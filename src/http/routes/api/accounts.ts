import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  createCustomer,
  duplicateCustomerMessage,
  validateCustomerName,
} from '../../../commands/create-customer.ts';
import {
  addMember,
  changeMemberRole,
  removeMember,
  type TeamOutcome,
} from '../../../commands/manage-team.ts';
import { endUserSessions } from '../../../commands/password-reset.ts';
import { AppError } from '../../../config/errors.ts';
import {
  enabledProducts,
  findCustomerById,
  findCustomerByName,
  listCustomerSummaries,
  renameCustomer,
  setCustomerActive,
  setProductEnabled,
} from '../../../db/repositories/customers.repository.ts';
import { findMember, listMembers, memberUserIds } from '../../../db/repositories/memberships.repository.ts';
import {
  can,
  canManageStaffAndActivation,
  isStaffUser,
  parseRole,
  ROLES,
} from '../../../domain/accounts/permissions.ts';
import { isProductSlug, PRODUCT_SLUGS, type ProductSlugName } from '../../../domain/accounts/products.ts';
import { TEAM_MESSAGES } from '../../../domain/accounts/team-rules.ts';
import { recordAudit } from '../../../obs/audit.ts';
import { presentCustomer, presentMember } from '../../../presenters/accounts.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';
import { teamDepsFor } from '../../team-deps.ts';

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  return request.body && typeof request.body === 'object' && !Array.isArray(request.body)
    ? (request.body as Body)
    : {};
}

function str(value: unknown): string | null {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : null;
  return typeof value === 'string' ? value : null;
}

function apiError(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: Record<string, string[]>,
) {
  return reply.code(status).send({ detail, code, ...(errors ? { errors } : {}) });
}

function invalid(reply: FastifyReply, errors: Record<string, string[]>) {
  return apiError(reply, 400, 'invalid', 'Validation failed.', errors);
}

function parseId(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/** `enabled_products` as a list (JSON array, or repeated/comma-separated form values). */
function productsField(value: unknown): { products: ProductSlugName[] } | { error: string } {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!items) return { error: 'Expected a list of items.' };
  const products: ProductSlugName[] = [];
  for (const item of items) {
    const name = typeof item === 'string' ? item.trim().toLowerCase() : '';
    if (name === '') continue;
    if (!isProductSlug(name)) return { error: `"${String(item)}" is not a valid choice.` };
    if (!products.includes(name)) products.push(name);
  }
  return { products };
}

/** `customers/` and `members/` (web-api-ops §4.5, §4.6). */
export function registerAccountsApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  // --- customers ------------------------------------------------------------------------

  async function customerView(id: number) {
    const customer = await findCustomerById(db, id);
    return customer ? presentCustomer(customer, await enabledProducts(db, id)) : null;
  }

  app.get('/api/v1/customers/', { preHandler: apiScope() }, async (request) => {
    const all = await listCustomerSummaries(db);
    const scoped = request.apiCustomerId === null ? all : all.filter((c) => c.id === request.apiCustomerId);
    const ordered = [...scoped].sort((a, b) => a.name.localeCompare(b.name) || b.id - a.id);
    return paginateArray(
      request,
      ordered.map((c) => presentCustomer(c, c.products)),
    );
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/customers/:id/',
    { preHandler: apiScope() },
    async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === null || (request.apiCustomerId !== null && request.apiCustomerId !== id)) {
        return apiError(reply, 404, 'not_found', 'Not found.');
      }
      const view = await customerView(id);
      return view ?? apiError(reply, 404, 'not_found', 'Not found.');
    },
  );

  app.post('/api/v1/customers/', { preHandler: apiScope() }, async (request, reply) => {
    if (!isStaffUser(request.auth.actor)) {
      return apiError(reply, 403, 'permission_denied', 'You do not have permission to perform this action.');
    }
    const data = body(request);
    const name = str(data['name']);
    if (!name) return invalid(reply, { name: ['This field is required.'] });
    let products: ProductSlugName[] = [...PRODUCT_SLUGS];
    if (data['enabled_products'] !== undefined) {
      const parsed = productsField(data['enabled_products']);
      if ('error' in parsed) return invalid(reply, { enabled_products: [parsed.error] });
      products = parsed.products;
    }
    try {
      const customer = await db.transaction().execute((trx) =>
        createCustomer(trx, {
          name,
          products,
          actorUserId: request.auth.user!.id,
          requestId: request.id,
          ip: request.ip,
          via: 'api',
        }),
      );
      return reply.code(201).send(await customerView(customer.id));
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid') return invalid(reply, error.errors ?? {});
      throw error;
    }
  });

  app.patch<{ Params: { id: string } }>(
    '/api/v1/customers/:id/',
    { preHandler: apiScope() },
    async (request, reply) => {
      const actor = request.auth.actor;
      if (!isStaffUser(actor)) {
        return apiError(
          reply,
          403,
          'permission_denied',
          'You do not have permission to perform this action.',
        );
      }
      const data = body(request);
      if (data['is_active'] !== undefined && !canManageStaffAndActivation(actor)) {
        return apiError(
          reply,
          403,
          'permission_denied',
          'You do not have permission to perform this action.',
        );
      }
      const id = parseId(request.params.id);
      const customer = id === null ? undefined : await findCustomerById(db, id);
      if (!customer) return apiError(reply, 404, 'not_found', 'Not found.');
      const errors: Record<string, string[]> = {};
      const name = data['name'] === undefined ? null : str(data['name']);
      if (data['name'] !== undefined) {
        const problem = name === null ? 'Not a valid string.' : validateCustomerName(name);
        const existing = problem || name === null ? undefined : await findCustomerByName(db, name);
        if (problem) errors['name'] = [problem];
        else if (existing && existing.id !== customer.id)
          errors['name'] = [duplicateCustomerMessage((name as string).trim())];
      }
      let products: ProductSlugName[] | null = null;
      if (data['enabled_products'] !== undefined) {
        const parsed = productsField(data['enabled_products']);
        if ('error' in parsed) errors['enabled_products'] = [parsed.error];
        else products = parsed.products;
      }
      let active: boolean | null = null;
      if (data['is_active'] !== undefined) {
        const raw = data['is_active'];
        if (raw === true || raw === 'true') active = true;
        else if (raw === false || raw === 'false') active = false;
        else errors['is_active'] = ['Must be a valid boolean.'];
      }
      if (Object.keys(errors).length > 0) return invalid(reply, errors);
      const audit = (action: string, metadata: Record<string, string | boolean> = {}) =>
        recordAudit(db, {
          action,
          customerId: customer.id,
          userId: request.auth.user!.id,
          entityType: 'customer',
          entityId: customer.id,
          requestId: request.id,
          ip: request.ip,
          metadata: { ...metadata, acting_as_operator: true },
        });
      if (name !== null && name.trim() !== customer.name) {
        await renameCustomer(db, customer.id, name);
        await audit('customer_updated', { name: name.trim() });
      }
      if (products) {
        for (const slug of PRODUCT_SLUGS) {
          const on = products.includes(slug);
          if (await setProductEnabled(db, customer.id, slug, on))
            await audit(on ? 'product_enabled' : 'product_disabled', { product: slug });
        }
      }
      if (active !== null && active !== customer.is_active) {
        await setCustomerActive(db, customer.id, active);
        await audit(active ? 'customer_reactivated' : 'customer_deactivated');
        if (!active) {
          for (const userId of await memberUserIds(db, customer.id)) {
            await endUserSessions({ db, sessions: services.sessions, now: services.clock.now() }, userId);
          }
        }
      }
      return customerView(customer.id);
    },
  );

  // --- members --------------------------------------------------------------------------

  const ORDERING = new Set(['username', '-username', 'role', '-role']);
  const ROLE_RANK = new Map(ROLES.map((r, i) => [r, i]));

  app.get('/api/v1/members/', { preHandler: apiScope() }, async (request, reply) => {
    const ordering = str((request.query as Record<string, unknown>)['ordering']) ?? 'username';
    const fields = ordering
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const bad = fields.find((f) => !ORDERING.has(f));
    if (bad) return apiError(reply, 400, 'invalid_ordering', `Invalid ordering field: ${bad}`);
    const customerIds =
      request.apiCustomerId === null
        ? (await listCustomerSummaries(db)).map((c) => c.id)
        : [request.apiCustomerId];
    const members = (await Promise.all(customerIds.map((id) => listMembers(db, id)))).flat();
    members.sort((a, b) => {
      for (const f of fields) {
        const desc = f.startsWith('-');
        const key = desc ? f.slice(1) : f;
        const cmp =
          key === 'role'
            ? (ROLE_RANK.get(a.role) ?? 0) - (ROLE_RANK.get(b.role) ?? 0)
            : a.username.toLowerCase().localeCompare(b.username.toLowerCase());
        if (cmp !== 0) return desc ? -cmp : cmp;
      }
      return b.id - a.id;
    });
    return paginateArray(request, members.map(presentMember));
  });

  function sendOutcome(reply: FastifyReply, outcome: Exclude<TeamOutcome, { ok: true }>) {
    if (outcome.kind === 'not_found') return apiError(reply, 404, 'not_found', 'Not found.');
    if (outcome.kind === 'invalid') return invalid(reply, outcome.errors);
    if (outcome.status === 403) return apiError(reply, 403, 'permission_denied', outcome.message);
    return apiError(reply, 400, 'invalid', outcome.message, { non_field_errors: [outcome.message] });
  }

  const manage = { preHandler: apiScope({ requireCustomer: true }) };

  /** §4.2 order: the permission check (with the §2.4 message) comes before the lookup. */
  function refuseWithoutManageUsers(request: FastifyRequest, reply: FastifyReply) {
    if (!can(request.apiActor, 'manage_users', request.apiCustomerId)) {
      return apiError(reply, 403, 'permission_denied', TEAM_MESSAGES.noManageUsers);
    }
    return null;
  }

  app.post('/api/v1/members/', manage, async (request, reply) => {
    const refused = refuseWithoutManageUsers(request, reply);
    if (refused) return refused;
    const data = body(request);
    const errors: Record<string, string[]> = {};
    const username = str(data['username'])?.trim() ?? '';
    const email = str(data['email'])?.trim() ?? '';
    if (!username) errors['username'] = ['This field is required.'];
    if (!email) errors['email'] = ['This field is required.'];
    const roleText = str(data['role']);
    const role = roleText === null ? null : parseRole(roleText);
    if (roleText === null) errors['role'] = ['This field is required.'];
    else if (!role) errors['role'] = [`"${roleText}" is not a valid choice.`];
    if (Object.keys(errors).length > 0) return invalid(reply, errors);
    const customerId = request.apiCustomerId as number;
    const outcome = await addMember(teamDepsFor(services, request), request.apiActor, customerId, {
      username,
      email,
      firstName: str(data['first_name'])?.trim() ?? '',
      lastName: str(data['last_name'])?.trim() ?? '',
      role: role!,
    });
    if (!outcome.ok) {
      if (outcome.kind === 'rule' && outcome.status === 400) {
        const key = outcome.message === TEAM_MESSAGES.emailTaken ? 'email' : 'username';
        return invalid(reply, { [key]: [outcome.message] });
      }
      return sendOutcome(reply, outcome);
    }
    const created = (await listMembers(db, customerId)).find(
      (m) => m.username.toLowerCase() === username.toLowerCase(),
    );
    return reply.code(201).send(created ? presentMember(created) : null);
  });

  app.patch<{ Params: { id: string } }>('/api/v1/members/:id/', manage, async (request, reply) => {
    const refused = refuseWithoutManageUsers(request, reply);
    if (refused) return refused;
    const id = parseId(request.params.id);
    const customerId = request.apiCustomerId as number;
    if (id === null || !(await findMember(db, customerId, id)))
      return apiError(reply, 404, 'not_found', 'Not found.');
    const roleText = str(body(request)['role']);
    const role = roleText === null ? null : parseRole(roleText);
    if (!role)
      return invalid(reply, {
        role: [roleText === null ? 'This field is required.' : `"${roleText}" is not a valid choice.`],
      });
    const outcome = await changeMemberRole(
      teamDepsFor(services, request),
      request.apiActor,
      customerId,
      id,
      role,
    );
    if (!outcome.ok) return sendOutcome(reply, outcome);
    const member = await findMember(db, customerId, id);
    return member ? presentMember(member) : apiError(reply, 404, 'not_found', 'Not found.');
  });

  app.delete<{ Params: { id: string } }>('/api/v1/members/:id/', manage, async (request, reply) => {
    const refused = refuseWithoutManageUsers(request, reply);
    if (refused) return refused;
    const id = parseId(request.params.id);
    if (id === null) return apiError(reply, 404, 'not_found', 'Not found.');
    const outcome = await removeMember(
      teamDepsFor(services, request),
      request.apiActor,
      request.apiCustomerId as number,
      id,
    );
    if (!outcome.ok) return sendOutcome(reply, outcome);
    return reply.code(204).send();
  });
}
