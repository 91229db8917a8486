import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MappingActor } from '../../../commands/manage-mappings.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { parseOrdering } from '../../schemas/index.ts';

/** What the mapping registrars (mappings.ts, mapping-settings.ts) share. */

/** Sorted by `?ordering=` over the one allowed field (case-insensitive; ties `-id`). */
export function ordered<T extends { id: number }>(
  items: readonly T[],
  field: keyof T & string,
  raw?: string,
): T[] {
  const [term] = parseOrdering(raw, [field], [{ field, descending: false }]);
  const sorted = [...items].sort((a, b) => {
    const cmp = String(a[field]).toLowerCase().localeCompare(String(b[field]).toLowerCase());
    return cmp !== 0 ? cmp : b.id - a.id;
  });
  return term?.descending ? sorted.reverse() : sorted;
}

export function customerOf(request: FastifyRequest): number {
  return request.apiCustomerId as number;
}

/** The scopes, the command dependencies and the actor of the mapping routes. */
export function mappingRouteContext(services: Services) {
  const { db } = services.database;
  return {
    db,
    deps: { db, cache: services.cache },
    read: apiScope({ permission: 'view_reports', requireCustomer: true }),
    write: apiScope({ permission: 'manage_mappings', requireCustomer: true }),
    configure: apiScope({ permission: 'manage_configuration', requireCustomer: true }),
    actorOf(request: FastifyRequest): MappingActor {
      return {
        customerId: customerOf(request),
        userId: request.auth.user?.id ?? null,
        actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
        requestId: request.id,
        ip: request.ip,
      };
    },
    // The commands throw NotFoundError / ValidationError, rendered by the one error path.
    async deleted(reply: FastifyReply, removal: Promise<unknown>) {
      await removal;
      return reply.code(204).send();
    },
  };
}
