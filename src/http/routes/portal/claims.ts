import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../config/errors.ts';
import {
  type ClaimFilters,
  type ClaimOrder,
  claimFilterChoices,
  countFilteredClaims,
  findClaimInScope,
  payerSummary,
  searchClaims,
} from '../../../db/repositories/claims-browser.repository.ts';
import {
  presentClaimBrowserRow,
  presentClaimDetailRows,
  presentPayerSummary,
} from '../../../presenters/claims.ts';
import type { Services } from '../../../services.ts';
import { sendClaimsCsv } from '../../claims-export.ts';
import {
  CLAIM_FILTER_PARAMS,
  type ClaimFilterParam,
  claimIdReader,
  parseClaimFilters,
  parseClaimOrdering,
  rawClaimFilters,
} from '../../claims-query.ts';
import { requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { ClaimIdParams, ClaimsExportQuery, ClaimsPageQuery } from './claims.schemas.ts';

const PAGE_SIZE = 50;

const SORTABLE: ReadonlyArray<[string, string]> = [
  ['payer', 'Payer'],
  ['outcome', 'Outcome'],
  ['submitted_date', 'Submitted'],
  ['decided_date', 'Decided'],
  ['allowed_amount', 'Allowed'],
];

function queryString(params: Record<string, string>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== '') search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Filters of the request shown in forms and links (the claim number is never echoed into URLs). */
function linkFilters(raw: Record<ClaimFilterParam, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CLAIM_FILTER_PARAMS) if (name !== 'claim_id') out[name] = raw[name];
  return out;
}

/** Claims browser, claim detail and CSV export (web-api-ops §1.3, §1.6 "Claims"). */
export function registerClaimsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const readClaimId = claimIdReader(services.config);

  function parseRequest(request: FastifyRequest):
    | {
        ok: true;
        raw: Record<ClaimFilterParam, string>;
        filters: ClaimFilters;
        order: ClaimOrder[];
        ordering: string;
      }
    | {
        ok: false;
        raw: Record<ClaimFilterParam, string>;
        errors: Record<string, string[]>;
        ordering: string;
      } {
    const customerId = request.auth.customer!.id;
    const raw = rawClaimFilters(request);
    const { filters, errors } = parseClaimFilters(raw, { customerId, config: services.config });
    const ordering = ((request.query as { ordering?: string }).ordering ?? '').trim();
    const parsedOrder = parseClaimOrdering(ordering);
    if ('invalid' in parsedOrder) errors['ordering'] = [`Invalid ordering field: ${parsedOrder.invalid}`];
    if (Object.keys(errors).length > 0 || 'invalid' in parsedOrder)
      return { ok: false, raw, errors, ordering };
    return { ok: true, raw, filters, order: parsedOrder.order, ordering };
  }

  app.get<{ Querystring: { page?: number } }>(
    '/portal/claims/',
    { preValidation: requireView, schema: { querystring: ClaimsPageQuery } },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const parsed = parseRequest(request);
      const choices = await claimFilterChoices(db, customerId);
      const base = {
        values: parsed.raw,
        choices,
        outcomes: ['PAID', 'DENIED', 'OTHER'],
        ordering: parsed.ordering,
        totalClaims: 0,
      };
      if (!parsed.ok) {
        return renderPage(
          request,
          reply,
          'claims',
          {
            ...base,
            errors: parsed.errors,
            claims: [],
            summary: [],
            pager: null,
            sortLinks: [],
            exportUrl: null,
          },
          { title: 'Claims', section: 'claims', status: 400 },
        );
      }
      const count = await countFilteredClaims(db, customerId, parsed.filters);
      const lastPage = Math.max(1, Math.ceil(count / PAGE_SIZE));
      const page = Math.min(lastPage, request.query.page ?? 1);
      const records = await searchClaims(db, customerId, parsed.filters, {
        order: parsed.order,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      });
      const summary = (await payerSummary(db, customerId, parsed.filters)).map(presentPayerSummary);
      const filters = linkFilters(parsed.raw);
      const claims = records.map(presentClaimBrowserRow);
      const current = parsed.order[0];
      const sortLinks = SORTABLE.map(([field, label]) => {
        const active = current?.field === field;
        const next = active && !current.descending ? `-${field}` : field;
        return {
          label,
          href: `/portal/claims/${queryString({ ...filters, ordering: next })}`,
          indicator: active ? (current.descending ? ' ▼' : ' ▲') : '',
        };
      });
      const withOrder = { ...filters, ordering: parsed.ordering };
      const pager = {
        page,
        lastPage,
        count,
        previous: page > 1 ? `/portal/claims/${queryString({ ...withOrder, page: String(page - 1) })}` : null,
        next:
          page < lastPage ? `/portal/claims/${queryString({ ...withOrder, page: String(page + 1) })}` : null,
      };
      return renderPage(
        request,
        reply,
        'claims',
        {
          ...base,
          totalClaims: count,
          errors: null,
          claims,
          summary,
          pager,
          sortLinks,
          exportUrl: `/portal/claims/export.csv${queryString(withOrder)}`,
        },
        { title: 'Claims', section: 'claims' },
      );
    },
  );

  app.get(
    '/portal/claims/export.csv',
    { preValidation: requireView, schema: { querystring: ClaimsExportQuery } },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const parsed = parseRequest(request);
      if (!parsed.ok) {
        request.flash('error', Object.values(parsed.errors).flat().join(' '));
        return reply.redirect('/portal/claims/', 302);
      }
      return sendClaimsCsv(request, reply, services, customerId, parsed.filters, parsed.order, 'portal');
    },
  );

  app.get<{ Params: { id: number } }>(
    '/portal/claims/:id/',
    { preValidation: requireView, schema: { params: ClaimIdParams } },
    async (request, reply) => {
      // A reversed claim (deleted upload, 835 reversal) is not stored data any more: 404.
      const claim = await findClaimInScope(db, request.auth.customer!.id, request.params.id);
      if (!claim) throw new NotFoundError();
      const rows = presentClaimDetailRows(claim, readClaimId(claim));
      return renderPage(
        request,
        reply,
        'claim_detail',
        { claim: { id: claim.id }, rows },
        { title: `Claim ${claim.id}`, section: 'claims' },
      );
    },
  );
}
