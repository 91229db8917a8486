import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ALL_CUSTOMERS,
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
import { claimIdReader, parseClaimFilters, parseClaimOrdering, rawClaimFilters } from '../../claims-query.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { sendClaimsCsv } from '../portal/claims.ts';

function single(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function parseId(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * `claims/`, `claims/<id>/`, `claims/payer_summary/`, `claims/export/` (web-api-ops §4.5–§4.6).
 * Members see their customer's claims; staff list and read across customers unless they name
 * one with `?customer=`, which `payer_summary/`, `export/` and the `claim_id` filter require.
 */
export function registerClaimsApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const readClaimId = claimIdReader(services.config);
  const scope = apiScope({ permission: 'view_reports', requireCustomer: true });
  const readScope = apiScope({ permission: 'view_reports' });

  function claimScope(request: FastifyRequest): ClaimScope {
    return request.apiCustomerId ?? ALL_CUSTOMERS;
  }

  /** Filters and ordering of the request, or the 400 already sent. */
  function parseQuery(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { ordering: boolean },
  ): { filters: ClaimFilters; order: ClaimOrder[] } | null {
    const customerId = request.apiCustomerId;
    const raw = rawClaimFilters(request);
    if (customerId === null && raw.claim_id) {
      reply.code(400).send({ detail: 'Platform staff must specify a customer.', code: 'customer_required' });
      return null;
    }
    const { filters, errors } = parseClaimFilters(raw, { customerId, config: services.config });
    let order: ClaimOrder[] = [];
    if (options.ordering) {
      const parsed = parseClaimOrdering(single((request.query as Record<string, unknown>)['ordering']));
      if ('invalid' in parsed) {
        reply
          .code(400)
          .send({ detail: `Invalid ordering field: ${parsed.invalid}`, code: 'invalid_ordering' });
        return null;
      }
      order = parsed.order;
    }
    if (Object.keys(errors).length > 0) {
      reply.code(400).send({ detail: 'Validation failed.', code: 'invalid', errors });
      return null;
    }
    return { filters, order };
  }

  app.get('/api/v1/claims/', { preHandler: readScope }, async (request, reply) => {
    const pageRequest = parsePageRequest(request);
    const parsed = parseQuery(request, reply, { ordering: true });
    if (!parsed) return reply;
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
  });

  app.get('/api/v1/claims/payer_summary/', { preHandler: scope }, async (request, reply) => {
    const parsed = parseQuery(request, reply, { ordering: false });
    if (!parsed) return reply;
    const rows = await payerSummary(db, request.apiCustomerId as number, parsed.filters);
    return rows.map(presentPayerSummary);
  });

  app.get('/api/v1/claims/export/', { preHandler: scope }, async (request, reply) => {
    const parsed = parseQuery(request, reply, { ordering: true });
    if (!parsed) return reply;
    return sendClaimsCsv(
      request,
      reply,
      services,
      request.apiCustomerId as number,
      parsed.filters,
      parsed.order,
      'api',
    );
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/claims/:id/',
    { preHandler: readScope },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const claim = id === null ? undefined : await findClaimInScope(db, claimScope(request), id);
      if (!claim) return reply.code(404).send({ detail: 'Not found.', code: 'not_found' });
      return presentClaimDetail(claim, readClaimId(claim));
    },
  );
}
