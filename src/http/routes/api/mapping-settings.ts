import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { addAllowlistEntry, removeAllowlistEntry, removeProfile } from '../../../commands/manage-mappings.ts';
import { requestReapplyMappings } from '../../../commands/reapply-mappings.ts';
import { NotFoundError } from '../../../config/errors.ts';
import {
  findColumnMappingProfile,
  listColumnMappingProfiles,
} from '../../../db/repositories/mappings.repository.ts';
import {
  findPayerAllowlistEntry,
  listPayerAllowlist,
} from '../../../db/repositories/mappings-admin.repository.ts';
import { presentAllowlistEntry, presentColumnProfile } from '../../../presenters/claims.ts';
import type { Services } from '../../../services.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, operation, Paginated } from '../../schemas/index.ts';
import { customerOf, mappingRouteContext, ordered } from './mapping-context.ts';
import {
  AllowlistCreate,
  AllowlistEntry,
  ColumnProfile,
  CustomerQuery,
  JobAccepted,
  mappingListQuery,
} from './mappings.schemas.ts';

/**
 * `payer-allowlist/`, `column-profiles/` and `mappings/reapply/` (web-api-ops §4.5–§4.6,
 * ingestion spec §5.3): the allow-list read and the profiles need manage_mappings, allow-list
 * writes manage_configuration. Registered by mappings.ts.
 */
export function registerMappingSettingsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db, deps, write, configure, actorOf, deleted } = mappingRouteContext(services);

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
          tag: 'Payer mappings',
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
