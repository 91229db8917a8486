import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  addAllowlistEntry,
  addCptMapping,
  addPayerMapping,
  type MappingActor,
  removeAllowlistEntry,
  removeCptMapping,
  removePayerMapping,
  removeProfile,
} from '../../../commands/manage-mappings.ts';
import { requestReapplyMappings } from '../../../commands/reapply-mappings.ts';
import { NotFoundError } from '../../../config/errors.ts';
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
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import {
  AllowlistCreate,
  AllowlistEntry,
  ColumnProfile,
  CptMapping,
  CptMappingCreate,
  CustomerQuery,
  JobAccepted,
  mappingListQuery,
  PayerMapping,
  PayerMappingCreate,
} from './mappings.schemas.ts';

/** Sorted by `?ordering=` over the one allowed field (case-insensitive; ties `-id`). */
function ordered<T extends { id: number }>(items: readonly T[], field: keyof T & string, raw?: string): T[] {
  const [term] = parseOrdering(raw, [field], [{ field, descending: false }]);
  const sorted = [...items].sort((a, b) => {
    const cmp = String(a[field]).toLowerCase().localeCompare(String(b[field]).toLowerCase());
    return cmp !== 0 ? cmp : b.id - a.id;
  });
  return term?.descending ? sorted.reverse() : sorted;
}

function customerOf(request: FastifyRequest): number {
  return request.apiCustomerId as number;
}

/**
 * `payer-mappings/`, `cpt-mappings/`, `payer-allowlist/`, `column-profiles/`, `mappings/reapply/`
 * (web-api-ops §4.5–§4.6, ingestion spec §5.3). Reads of mappings: view_reports; mapping writes,
 * profiles and the allow-list read: manage_mappings; allow-list writes: manage_configuration.
 * The scope guards run before validation (§4.2 order: 401 → 403 → 404 → 400).
 */
export function registerMappingsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const deps = { db, cache: services.cache };
  const read = apiScope({ permission: 'view_reports', requireCustomer: true });
  const write = apiScope({ permission: 'manage_mappings', requireCustomer: true });
  const configure = apiScope({ permission: 'manage_configuration', requireCustomer: true });

  function actorOf(request: FastifyRequest): MappingActor {
    return {
      customerId: customerOf(request),
      userId: request.auth.user?.id ?? null,
      actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
      requestId: request.id,
      ip: request.ip,
    };
  }

  // The commands throw NotFoundError / ValidationError, rendered by the one error path.
  const deleted = async (reply: FastifyReply, removal: Promise<unknown>) => {
    await removal;
    return reply.code(204).send();
  };

  // --- payer mappings ---------------------------------------------------------------------

  const payerTag = 'Payer mappings';
  api.get(
    '/api/v1/payer-mappings/',
    {
      preValidation: read,
      schema: operation(
        { tag: payerTag, summary: 'List payer mappings' },
        { querystring: mappingListQuery('raw_name'), response: { 200: Paginated(PayerMapping) } },
      ),
    },
    async (request) => {
      const rows = await listPayerMappings(db, customerOf(request));
      return paginateArray(
        request,
        ordered(rows, 'raw_name', request.query.ordering).map(presentPayerMapping),
      );
    },
  );

  api.get(
    '/api/v1/payer-mappings/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag: payerTag, summary: 'Get a payer mapping' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: PayerMapping } },
      ),
    },
    async (request) => {
      const row = await findPayerMapping(db, customerOf(request), request.params.id);
      if (!row) throw new NotFoundError();
      return presentPayerMapping(row);
    },
  );

  api.post(
    '/api/v1/payer-mappings/',
    {
      preValidation: write,
      schema: operation(
        {
          tag: payerTag,
          summary: 'Add a payer mapping',
          description:
            'Raw names are matched case-insensitively with whitespace collapsed; a duplicate is a 400 on `raw_name`.',
        },
        { body: PayerMappingCreate, response: { 201: PayerMapping } },
      ),
    },
    async (request, reply) => {
      const record = await addPayerMapping(deps, actorOf(request), {
        rawName: request.body.raw_name,
        normalizedName: request.body.normalized_name,
      });
      return reply.code(201).send(presentPayerMapping(record));
    },
  );

  api.delete(
    '/api/v1/payer-mappings/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag: payerTag, summary: 'Delete a payer mapping' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => deleted(reply, removePayerMapping(deps, actorOf(request), request.params.id)),
  );

  // --- CPT group mappings -----------------------------------------------------------------

  const cptTag = 'CPT group mappings';
  api.get(
    '/api/v1/cpt-mappings/',
    {
      preValidation: read,
      schema: operation(
        { tag: cptTag, summary: 'List CPT group mappings' },
        { querystring: mappingListQuery('cpt_code'), response: { 200: Paginated(CptMapping) } },
      ),
    },
    async (request) => {
      const rows = await listCptGroupMappings(db, customerOf(request));
      return paginateArray(request, ordered(rows, 'cpt_code', request.query.ordering).map(presentCptMapping));
    },
  );

  api.get(
    '/api/v1/cpt-mappings/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag: cptTag, summary: 'Get a CPT group mapping' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: CptMapping } },
      ),
    },
    async (request) => {
      const row = await findCptGroupMapping(db, customerOf(request), request.params.id);
      if (!row) throw new NotFoundError();
      return presentCptMapping(row);
    },
  );

  api.post(
    '/api/v1/cpt-mappings/',
    {
      preValidation: write,
      schema: operation(
        { tag: cptTag, summary: 'Add a CPT group mapping' },
        { body: CptMappingCreate, response: { 201: CptMapping } },
      ),
    },
    async (request, reply) => {
      const record = await addCptMapping(deps, actorOf(request), {
        cptCode: request.body.cpt_code,
        cptGroup: request.body.cpt_group,
      });
      return reply.code(201).send(presentCptMapping(record));
    },
  );

  api.delete(
    '/api/v1/cpt-mappings/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag: cptTag, summary: 'Delete a CPT group mapping' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => deleted(reply, removeCptMapping(deps, actorOf(request), request.params.id)),
  );

  // --- payer allow-list -------------------------------------------------------------------

  const allowTag = 'Payer allow-list';
  api.get(
    '/api/v1/payer-allowlist/',
    {
      preValidation: write,
      schema: operation(
        { tag: allowTag, summary: 'List the payer allow-list' },
        { querystring: mappingListQuery('name'), response: { 200: Paginated(AllowlistEntry) } },
      ),
    },
    async (request) => {
      const rows = await listPayerAllowlist(db, customerOf(request));
      return paginateArray(request, ordered(rows, 'name', request.query.ordering).map(presentAllowlistEntry));
    },
  );

  api.get(
    '/api/v1/payer-allowlist/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag: allowTag, summary: 'Get an allow-list entry' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: AllowlistEntry } },
      ),
    },
    async (request) => {
      const row = await findPayerAllowlistEntry(db, customerOf(request), request.params.id);
      if (!row) throw new NotFoundError();
      return presentAllowlistEntry(row);
    },
  );

  api.post(
    '/api/v1/payer-allowlist/',
    {
      preValidation: configure,
      schema: operation(
        {
          tag: allowTag,
          summary: 'Add a payer to the allow-list',
          description: 'Names on the allow-list pass the PHI person-name check (owner and admin only).',
        },
        { body: AllowlistCreate, response: { 201: AllowlistEntry } },
      ),
    },
    async (request, reply) => {
      const record = await addAllowlistEntry(deps, actorOf(request), { name: request.body.name });
      return reply.code(201).send(presentAllowlistEntry(record));
    },
  );

  api.delete(
    '/api/v1/payer-allowlist/:id/',
    {
      preValidation: configure,
      schema: operation(
        { tag: allowTag, summary: 'Remove a payer from the allow-list' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => deleted(reply, removeAllowlistEntry(deps, actorOf(request), request.params.id)),
  );

  // --- column-mapping profiles (GET, DELETE) --------------------------------------------

  const profileTag = 'Column profiles';
  api.get(
    '/api/v1/column-profiles/',
    {
      preValidation: write,
      schema: operation(
        { tag: profileTag, summary: 'List column-mapping profiles' },
        { querystring: mappingListQuery('name'), response: { 200: Paginated(ColumnProfile) } },
      ),
    },
    async (request) => {
      const rows = await listColumnMappingProfiles(db, customerOf(request));
      return paginateArray(request, ordered(rows, 'name', request.query.ordering).map(presentColumnProfile));
    },
  );

  api.get(
    '/api/v1/column-profiles/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag: profileTag, summary: 'Get a column-mapping profile' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: ColumnProfile } },
      ),
    },
    async (request) => {
      const row = await findColumnMappingProfile(db, customerOf(request), request.params.id);
      if (!row) throw new NotFoundError();
      return presentColumnProfile(row);
    },
  );

  api.delete(
    '/api/v1/column-profiles/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag: profileTag, summary: 'Delete a column-mapping profile' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => deleted(reply, removeProfile(deps, actorOf(request), request.params.id)),
  );

  // --- re-apply ---------------------------------------------------------------------------

  api.post(
    '/api/v1/mappings/reapply/',
    {
      preValidation: write,
      schema: operation(
        {
          tag: payerTag,
          summary: 'Re-apply mappings to stored claims',
          description: 'Starts a background job; poll `status_url` (also in `Location`).',
        },
        { querystring: CustomerQuery, response: { 202: JobAccepted } },
      ),
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { jobId } = await requestReapplyMappings(services.queue, {
        customerId: actor.customerId,
        userId: actor.userId,
        requestId: request.id,
      });
      // Relative, as the spec writes it (§4.5): valid behind any proxy or host name.
      const statusUrl = `/api/v1/jobs/${jobId}/`;
      return reply.code(202).header('Location', statusUrl).send({ job_id: jobId, status_url: statusUrl });
    },
  );
}
