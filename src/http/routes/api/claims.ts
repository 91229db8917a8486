import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, NotFoundError, ValidationError } from '../../../config/errors.ts';
import {
  ALL_CUSTOMERS,
  CLAIM_ORDER_FIELDS,
  type ClaimFilters,
  type ClaimOrder,
  type ClaimScope,
  countFilteredClaims,
  findClaimInScope,
  payerSummary,
  searchClaims,
} from '../../../db/repositories/claims-browser.repository.ts';
import { presentClaimDetail, presentClaimListItem, presentPayerSummary } from '../../../presenters/claims.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { sendClaimsCsv } from '../../claims-export.ts';
import {
  CLAIM_FILTER_PARAMS,
  type ClaimFilterParam,
  claimIdReader,
  parseClaimFilters,
} from '../../claims-query.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import {
  ClaimDetail,
  ClaimDetailQuery,
  ClaimExportQuery,
  ClaimListItem,
  ClaimListQuery,
  ClaimsCsv,
  PayerSummaryQuery,
  PayerSummaryRow,
} from './claims.schemas.ts';

type ClaimQuery = Partial<Record<ClaimFilterParam, string | number>> & { ordering?: string };

/**
 * `claims/`, `claims/<id>/`, `claims/payer_summary/`, `claims/export/` (web-api-ops §4.5–§4.6).
 * Members see their customer's claims; staff list and read across customers unless they name
 * one with `?customer=`, which `payer_summary/`, `export/` and the `claim_id` filter require.
 * The schemas (claims.schemas.ts) bound every filter, so the export validates everything before
 * it commits to a 200.
 */
export function registerClaimsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const readClaimId = claimIdReader(services.config);
  const scope = apiScope({ permission: 'view_reports', requireCustomer: true });
  const readScope = apiScope({ permission: 'view_reports' });
  const tag = 'Claims';

  function claimScope(request: FastifyRequest): ClaimScope {
    return request.apiCustomerId ?? ALL_CUSTOMERS;
  }

  /** The validated query as repository filters and ordering (typed errors on a rule break). */
  function parseQuery(
    request: FastifyRequest,
    query: ClaimQuery,
  ): { filters: ClaimFilters; order: ClaimOrder[] } {
    const customerId = request.apiCustomerId;
    const raw = {} as Record<ClaimFilterParam, string>;
    for (const name of CLAIM_FILTER_PARAMS)
      raw[name] = query[name] === undefined ? '' : String(query[name]).trim();
    if (customerId === null && raw.claim_id)
      throw new AppError('customer_required', 'Platform staff must specify a customer.', 400);
    const { filters, errors } = parseClaimFilters(raw, { customerId, config: services.config });
    const order = parseOrdering(query.ordering, CLAIM_ORDER_FIELDS);
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    return { filters, order };
  }

  api.get(
    '/api/v1/claims/',
    {
      preValidation: readScope,
      schema: operation(
        {
          tag,
          summary: 'List claims',
          description: 'Stored (not reversed) claims; default order `-decided_date`.',
        },
        { querystring: ClaimListQuery, response: { 200: Paginated(ClaimListItem) } },
      ),
    },
    async (request) => {
      const pageRequest = parsePageRequest(request);
      const parsed = parseQuery(request, request.query);
      const count = await countFilteredClaims(db, claimScope(request), parsed.filters);
      const rows = await searchClaims(db, claimScope(request), parsed.filters, {
        order: parsed.order,
        limit: pageRequest.limit,
        offset: pageRequest.offset,
      });
      return paginate(
        request,
        pageRequest,
        count,
        rows.map((claim) => presentClaimListItem(claim, readClaimId(claim))),
      );
    },
  );

  api.get(
    '/api/v1/claims/payer_summary/',
    {
      preValidation: scope,
      schema: operation(
        {
          tag,
          summary: 'Claims per payer (unpaginated)',
          description: 'Ordered by total claims, descending.',
        },
        { querystring: PayerSummaryQuery, response: { 200: Type.Array(PayerSummaryRow) } },
      ),
    },
    async (request) => {
      const parsed = parseQuery(request, request.query);
      const rows = await payerSummary(db, request.apiCustomerId as number, parsed.filters);
      return rows.map(presentPayerSummary);
    },
  );

  api.get(
    '/api/v1/claims/export/',
    {
      preValidation: scope,
      schema: {
        ...operation(
          {
            tag,
            summary: 'Export the filtered claims as CSV',
            description:
              'Audited (`data_exported`, filter names only). Filters are validated before any row is sent.',
          },
          { querystring: ClaimExportQuery, response: { 200: ClaimsCsv } },
        ),
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const parsed = parseQuery(request, request.query);
      return sendClaimsCsv(
        request,
        reply,
        services,
        request.apiCustomerId as number,
        parsed.filters,
        parsed.order,
        'api',
      );
    },
  );

  api.get(
    '/api/v1/claims/:id/',
    {
      preValidation: readScope,
      schema: operation(
        { tag, summary: 'Get a claim' },
        { params: IdParams, querystring: ClaimDetailQuery, response: { 200: ClaimDetail } },
      ),
    },
    async (request) => {
      const claim = await findClaimInScope(db, claimScope(request), request.params.id);
      if (!claim) throw new NotFoundError();
      return presentClaimDetail(claim, readClaimId(claim));
    },
  );
}
