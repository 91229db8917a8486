import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  addAllowlistEntry,
  addCptMapping,
  addPayerMapping,
  type MappingActor,
  type MappingOutcome,
  removeAllowlistEntry,
  removeCptMapping,
  removePayerMapping,
  removeProfile,
} from '../../../commands/manage-mappings.ts';
import { requestReapplyMappings } from '../../../commands/reapply-mappings.ts';
import {
  findColumnMappingProfile,
  listColumnMappingProfiles,
  listCptGroupMappings,
  listPayerMappings,
} from '../../../db/repositories/mappings.repository.ts';
import {
  findCptGroupMapping,
  findPayerAllowlistEntry,
  findPayerMapping,
  listPayerAllowlist,
} from '../../../db/repositories/mappings-admin.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import {
  presentAllowlistEntry,
  presentColumnProfile,
  presentCptMapping,
  presentPayerMapping,
} from '../../../presenters/claims.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  return request.body && typeof request.body === 'object' && !Array.isArray(request.body)
    ? (request.body as Body)
    : {};
}

/** A body field as a string: null when missing, '' when not a string. */
function text(data: Body, name: string): string | null {
  const value = data[name];
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
  return typeof value === 'string' ? value : '';
}

function parseId(value: string): number | null {
  if (!/^\d{1,15}$/.test(value)) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : null;
}

function notFound(reply: FastifyReply) {
  return reply.code(404).send({ detail: 'Not found.', code: 'not_found' });
}

function invalid(reply: FastifyReply, errors: Record<string, string[]>) {
  return reply.code(400).send({ detail: 'Validation failed.', code: 'invalid', errors });
}

/** Sorts by `?ordering=` (the one allowed field, asc or desc; ties `-id`), or null when invalid. */
function ordered<T extends { id: number }>(
  request: FastifyRequest,
  reply: FastifyReply,
  items: T[],
  field: keyof T & string,
): T[] | null {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const raw = typeof query['ordering'] === 'string' ? query['ordering'].trim() : '';
  let descending = false;
  if (raw !== '') {
    for (const part of raw.split(',')) {
      const term = part.trim();
      const name = term.startsWith('-') ? term.slice(1) : term;
      if (name !== field) {
        reply.code(400).send({ detail: `Invalid ordering field: ${name}`, code: 'invalid_ordering' });
        return null;
      }
      descending = term.startsWith('-');
    }
  }
  const sorted = [...items].sort((a, b) => {
    const cmp = String(a[field]).toLowerCase().localeCompare(String(b[field]).toLowerCase());
    return cmp !== 0 ? cmp : b.id - a.id;
  });
  return descending ? sorted.reverse() : sorted;
}

/**
 * `payer-mappings/`, `cpt-mappings/`, `payer-allowlist/`, `mappings/reapply/` (web-api-ops
 * §4.5–§4.6, ingestion spec §5.3). Reads of mappings: view_reports; mapping writes and the
 * allow-list read: manage_mappings; allow-list writes: manage_configuration.
 */
export function registerMappingsApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const deps = { db, cache: services.cache };
  const read = apiScope({ permission: 'view_reports', requireCustomer: true });
  const write = apiScope({ permission: 'manage_mappings', requireCustomer: true });
  const configure = apiScope({ permission: 'manage_configuration', requireCustomer: true });

  function actorOf(request: FastifyRequest): MappingActor {
    return {
      customerId: request.apiCustomerId as number,
      userId: request.auth.user?.id ?? null,
      actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
      requestId: request.id,
      ip: request.ip,
    };
  }

  function created<T>(reply: FastifyReply, outcome: MappingOutcome<T>, present: (record: T) => unknown) {
    if (outcome.ok) return reply.code(201).send(present(outcome.record));
    if (outcome.kind === 'not_found') return notFound(reply);
    return invalid(reply, { [outcome.field]: [outcome.message] });
  }

  function deleted<T>(reply: FastifyReply, outcome: MappingOutcome<T>) {
    return outcome.ok ? reply.code(204).send() : notFound(reply);
  }

  /** Required fields of a create, as field errors. */
  function required(data: Body, names: string[]): Record<string, string[]> | null {
    const errors: Record<string, string[]> = {};
    for (const name of names) {
      const value = text(data, name);
      if (value === null || value.trim() === '') errors[name] = ['This field is required.'];
    }
    return Object.keys(errors).length > 0 ? errors : null;
  }

  // --- payer mappings ---------------------------------------------------------------------

  app.get('/api/v1/payer-mappings/', { preHandler: read }, async (request, reply) => {
    const rows = ordered(
      request,
      reply,
      await listPayerMappings(db, request.apiCustomerId as number),
      'raw_name',
    );
    return rows ? paginateArray(request, rows.map(presentPayerMapping)) : reply;
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/payer-mappings/:id/',
    { preHandler: read },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const row = id === null ? undefined : await findPayerMapping(db, request.apiCustomerId as number, id);
      return row ? presentPayerMapping(row) : notFound(reply);
    },
  );

  app.post('/api/v1/payer-mappings/', { preHandler: write }, async (request, reply) => {
    const data = body(request);
    const errors = required(data, ['raw_name', 'normalized_name']);
    if (errors) return invalid(reply, errors);
    const outcome = await addPayerMapping(deps, actorOf(request), {
      rawName: text(data, 'raw_name') ?? '',
      normalizedName: text(data, 'normalized_name') ?? '',
    });
    return created(reply, outcome, presentPayerMapping);
  });

  app.delete<{ Params: { id: string } }>(
    '/api/v1/payer-mappings/:id/',
    { preHandler: write },
    async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === null) return notFound(reply);
      return deleted(reply, await removePayerMapping(deps, actorOf(request), id));
    },
  );

  // --- CPT group mappings -----------------------------------------------------------------

  app.get('/api/v1/cpt-mappings/', { preHandler: read }, async (request, reply) => {
    const rows = ordered(
      request,
      reply,
      await listCptGroupMappings(db, request.apiCustomerId as number),
      'cpt_code',
    );
    return rows ? paginateArray(request, rows.map(presentCptMapping)) : reply;
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/cpt-mappings/:id/',
    { preHandler: read },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const row =
        id === null ? undefined : await findCptGroupMapping(db, request.apiCustomerId as number, id);
      return row ? presentCptMapping(row) : notFound(reply);
    },
  );

  app.post('/api/v1/cpt-mappings/', { preHandler: write }, async (request, reply) => {
    const data = body(request);
    const errors = required(data, ['cpt_code', 'cpt_group']);
    if (errors) return invalid(reply, errors);
    const outcome = await addCptMapping(deps, actorOf(request), {
      cptCode: text(data, 'cpt_code') ?? '',
      cptGroup: text(data, 'cpt_group') ?? '',
    });
    return created(reply, outcome, presentCptMapping);
  });

  app.delete<{ Params: { id: string } }>(
    '/api/v1/cpt-mappings/:id/',
    { preHandler: write },
    async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === null) return notFound(reply);
      return deleted(reply, await removeCptMapping(deps, actorOf(request), id));
    },
  );

  // --- payer allow-list -------------------------------------------------------------------

  app.get('/api/v1/payer-allowlist/', { preHandler: write }, async (request, reply) => {
    const rows = ordered(
      request,
      reply,
      await listPayerAllowlist(db, request.apiCustomerId as number),
      'name',
    );
    return rows ? paginateArray(request, rows.map(presentAllowlistEntry)) : reply;
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/payer-allowlist/:id/',
    { preHandler: write },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const row =
        id === null ? undefined : await findPayerAllowlistEntry(db, request.apiCustomerId as number, id);
      return row ? presentAllowlistEntry(row) : notFound(reply);
    },
  );

  app.post('/api/v1/payer-allowlist/', { preHandler: configure }, async (request, reply) => {
    const data = body(request);
    const errors = required(data, ['name']);
    if (errors) return invalid(reply, errors);
    const outcome = await addAllowlistEntry(deps, actorOf(request), { name: text(data, 'name') ?? '' });
    return created(reply, outcome, presentAllowlistEntry);
  });

  app.delete<{ Params: { id: string } }>(
    '/api/v1/payer-allowlist/:id/',
    { preHandler: configure },
    async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === null) return notFound(reply);
      return deleted(reply, await removeAllowlistEntry(deps, actorOf(request), id));
    },
  );

  // --- column-mapping profiles (GET, DELETE) --------------------------------------------

  app.get('/api/v1/column-profiles/', { preHandler: write }, async (request, reply) => {
    const rows = ordered(
      request,
      reply,
      await listColumnMappingProfiles(db, request.apiCustomerId as number),
      'name',
    );
    return rows ? paginateArray(request, rows.map(presentColumnProfile)) : reply;
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/column-profiles/:id/',
    { preHandler: write },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const row =
        id === null ? undefined : await findColumnMappingProfile(db, request.apiCustomerId as number, id);
      return row ? presentColumnProfile(row) : notFound(reply);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/column-profiles/:id/',
    { preHandler: write },
    async (request, reply) => {
      const id = parseId(request.params.id);
      if (id === null) return notFound(reply);
      return deleted(reply, await removeProfile(deps, actorOf(request), id));
    },
  );

  // --- re-apply ---------------------------------------------------------------------------

  app.post('/api/v1/mappings/reapply/', { preHandler: write }, async (request, reply) => {
    const actor = actorOf(request);
    const { jobId } = await requestReapplyMappings(services.queue, {
      customerId: actor.customerId,
      userId: actor.userId,
      requestId: request.id,
    });
    const statusUrl = new URL(`/api/v1/jobs/${jobId}/`, `${request.protocol}://${request.host}`).toString();
    return reply.code(202).header('Location', statusUrl).send({ job_id: jobId, status_url: statusUrl });
  });
}
