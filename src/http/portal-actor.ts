import type { FastifyRequest } from 'fastify';
import { actingAsOperator } from './auth-state.ts';

/**
 * Who a portal command acts for and as: the context customer, the user, whether staff act for
 * the customer (audited as `acting_as_operator`), and the request's id and address for the
 * audit event. The shape of the mapping and quality commands' actors.
 */
export function portalActor(request: FastifyRequest) {
  return {
    customerId: request.auth.customer!.id,
    userId: request.auth.user?.id ?? null,
    actingAsOperator: actingAsOperator(request.auth),
    requestId: request.id,
    ip: request.ip,
  };
}
