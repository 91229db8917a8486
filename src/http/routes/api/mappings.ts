import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  addCptMapping,
  addPayerMapping,
  removeCptMapping,
  removePayerMapping,
} from '../../../commands/manage-mappings.ts';
import { NotFoundError } from '../../../config/errors.ts';
import { listCptGroupMappings, listPayerMappings } from '../../../db/repositories/mappings.repository.ts';
import { findCptGroupMapping, findPayerMapping } from '../../../db/repositories/mappings-admin.repository.ts';
import { presentCptMapping, presentPayerMapping } from '../../../presenters/claims.ts';
import type { Services } from '../../../services.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, operation, Paginated } from '../../schemas/index.ts';
import { customerOf, mappingRouteContext, ordered } from './mapping-context.ts';
import { registerMappingSettingsApiRoutes } from './mapping-settings.ts';
import {
  CptMapping,
  CptMappingCreate,
  CustomerQuery,
  mappingListQuery,
  PayerMapping,
  PayerMappingCreate,
} from './mappings.schemas.ts';

/**
 * `payer-mappings/`, `cpt-mappings/`, `payer-allowlist/`, `column-profiles/`, `mappings/reapply/`
 * (web-api-ops §4.5–§4.6, ingestion spec §5.3). Reads of mappings: view_reports; mapping writes,
 * profiles and the allow-list read: manage_mappings; allow-list writes: manage_configuration.
 * The scope guards run before validation (§4.2 order: 401 → 403 → 404 → 400).
 */
export function registerMappingsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db, deps, read, write, actorOf, deleted } = mappingRouteContext(services);

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

  registerMappingSettingsApiRoutes(app, services);
}
