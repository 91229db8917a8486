import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { findCustomerById } from '../db/repositories/customers.repository.ts';
import { type Actor, can, isStaffUser, type Permission } from '../domain/accounts/permissions.ts';
import { sendUnauthenticated } from './plugins/auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The customer an API request works on (set by {@link apiScope}): the member's own
     * customer, the staff user's `customer` parameter, or null for staff listing across
     * all customers.
     */
    apiCustomerId: number | null;
    /** The actor with the staff `customer` parameter applied as acting customer. */
    apiActor: Actor | null;
  }
}

function sendApiError(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ detail, code });
}

function customerParameter(request: FastifyRequest): string | null {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
    string,
    unknown
  >;
  const raw = query['customer'] ?? body['customer'];
  if (typeof raw === 'number') return String(raw);
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : null;
}

export interface ApiScopeOptions {
  /** Role permission the action needs (checked on the resolved customer). */
  permission?: Permission;
  /**
   * True for creates, writes and customer-scoped actions: staff must name a customer
   * (400 `customer_required`). False for reads: staff without one list all customers.
   */
  requireCustomer?: boolean;
}

/**
 * API authentication + tenancy + permission, in the order of §4.2 (401 → 403 → handler):
 * members are confined to their customer (a `customer` parameter is ignored for them),
 * staff name one with `customer` (query or body), users without membership get 403
 * `no_customer`, missing permissions 403 `permission_denied`.
 */
export function apiScope(options: ApiScopeOptions = {}): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const { auth } = request;
    if (!auth.user || !auth.actor) return sendUnauthenticated(reply, 'not_authenticated');
    let customerId: number | null;
    let actor: Actor = auth.actor;
    if (isStaffUser(actor)) {
      const param = customerParameter(request);
      if (param === null) {
        if (
          options.requireCustomer ||
          (options.permission !== undefined && options.permission !== 'view_reports')
        ) {
          return sendApiError(reply, 400, 'customer_required', 'Platform staff must specify a customer.');
        }
        customerId = null;
      } else {
        const id = /^\d{1,15}$/.test(param) ? Number(param) : Number.NaN;
        const customer = Number.isSafeInteger(id)
          ? await findCustomerById(request.server.services.database.db, id)
          : undefined;
        if (!customer) return sendApiError(reply, 404, 'not_found', 'Not found.');
        customerId = customer.id;
        actor = { ...actor, actingCustomerId: customer.id };
      }
    } else {
      if (!auth.membership) {
        return sendApiError(reply, 403, 'no_customer', 'Your account is not linked to a customer.');
      }
      customerId = auth.membership.customer_id;
    }
    if (options.permission && customerId !== null && !can(actor, options.permission, customerId)) {
      return sendApiError(
        reply,
        403,
        'permission_denied',
        'You do not have permission to perform this action.',
      );
    }
    request.apiCustomerId = customerId;
    request.apiActor = actor;
  };
}
