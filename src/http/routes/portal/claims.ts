import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ClaimFilters,
  type ClaimOrder,
  claimFilterChoices,
  countFilteredClaims,
  findClaimInScope,
  iterateFilteredClaims,
  payerSummary,
  searchClaims,
} from '../../../db/repositories/claims-browser.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import { recordAudit } from '../../../obs/audit.ts';
import { claimCsvHeader, claimCsvLine, money, presentPayerSummary } from '../../../presenters/claims.ts';
import type { Services } from '../../../services.ts';
import {
  CLAIM_FILTER_PARAMS,
  type ClaimFilterParam,
  claimIdReader,
  parseClaimFilters,
  parseClaimOrdering,
  rawClaimFilters,
} from '../../claims-query.ts';
import { requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { queryParam } from './form.ts';

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
    const ordering = queryParam(request, 'ordering').trim();
    const parsedOrder = parseClaimOrdering(ordering);
    if ('invalid' in parsedOrder) errors['ordering'] = [`Invalid ordering field: ${parsedOrder.invalid}`];
    if (Object.keys(errors).length > 0 || 'invalid' in parsedOrder)
      return { ok: false, raw, errors, ordering };
    return { ok: true, raw, filters, order: parsedOrder.order, ordering };
  }

  app.get('/portal/claims/', { preHandler: requireView }, async (request, reply) => {
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
    const pageText = queryParam(request, 'page');
    const lastPage = Math.max(1, Math.ceil(count / PAGE_SIZE));
    const page = Math.min(lastPage, /^\d{1,9}$/.test(pageText) ? Math.max(1, Number(pageText)) : 1);
    const records = await searchClaims(db, customerId, parsed.filters, {
      order: parsed.order,
      limit: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE,
    });
    const summary = (await payerSummary(db, customerId, parsed.filters)).map(presentPayerSummary);
    const filters = linkFilters(parsed.raw);
    const claims = records.map((c) => ({
      id: c.id,
      claimId: c.claim_id_last4 ? `…${c.claim_id_last4}` : '-',
      payer: c.payer,
      cpt: c.cpt,
      cptGroup: c.cpt_group,
      outcome: c.outcome,
      submitted: c.submitted_date,
      decided: c.decided_date ?? '-',
      allowed: money(c.allowed_amount) ?? '-',
      paid: money(c.paid_amount) ?? '-',
      denialReason: c.denial_reason_code ?? c.denial_reason_text ?? '-',
    }));
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
  });

  app.get('/portal/claims/export.csv', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const parsed = parseRequest(request);
    if (!parsed.ok) {
      request.flash('error', Object.values(parsed.errors).flat().join(' '));
      return reply.redirect('/portal/claims/', 302);
    }
    return sendClaimsCsv(request, reply, services, customerId, parsed.filters, parsed.order, 'portal');
  });

  app.get<{ Params: { id: string } }>(
    '/portal/claims/:id/',
    { preHandler: requireView },
    async (request, reply) => {
      const id = parseId(request.params.id);
      // A reversed claim (deleted upload, 835 reversal) is not stored data any more: 404.
      const claim = id === null ? undefined : await findClaimInScope(db, request.auth.customer!.id, id);
      if (!claim) return sendNotFoundPage(request, reply);
      const rows: Array<[string, string]> = [
        ['Claim ID', readClaimId(claim) ?? '-'],
        ['Payer', claim.payer],
        ['CPT', claim.cpt ?? '-'],
        ['CPT Group', claim.cpt_group],
        ['Modifiers', claim.modifiers ?? '-'],
        ['Outcome', claim.outcome],
        ['Submitted', claim.submitted_date],
        ['Decided', claim.decided_date ?? '-'],
        ['Payment date', claim.payment_date ?? '-'],
        ['Billed', money(claim.billed_amount) ?? '-'],
        ['Allowed', money(claim.allowed_amount) ?? '-'],
        ['Paid', money(claim.paid_amount) ?? '-'],
        ['Denial reason code', claim.denial_reason_code ?? '-'],
        ['Denial reason', claim.denial_reason_text ?? '-'],
        ['Authorization required', yesNo(claim.authorization_required)],
        ['Authorization obtained', yesNo(claim.authorization_obtained)],
        ['Place of service', claim.place_of_service ?? '-'],
        ['Upload', `#${claim.upload_id}`],
        ['Revision', String(claim.revision)],
      ];
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

function yesNo(value: boolean | null): string {
  return value === null ? 'Unknown' : value ? 'Yes' : 'No';
}

/**
 * Streams the filtered claims as CSV (page by page) after recording `data_exported`. Shared by
 * the portal export and `GET /api/v1/claims/export/`.
 */
export async function sendClaimsCsv(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  customerId: number,
  filters: ClaimFilters,
  order: readonly ClaimOrder[],
  via: 'portal' | 'api',
): Promise<FastifyReply> {
  const { db } = services.database;
  const readClaimId = claimIdReader(services.config);
  const actor = request.apiActor ?? request.auth.actor;
  // The first page is read before the 200 is committed (and before the audit event): a query
  // that fails at once is an ordinary error response, never a 200 with only the header line.
  const claims = iterateFilteredClaims(db, customerId, filters, order.length > 0 ? order : undefined);
  const first = await claims.next();
  await recordAudit(db, {
    action: 'data_exported',
    customerId,
    userId: request.auth.user?.id ?? null,
    entityType: 'claims',
    requestId: request.id,
    ip: request.ip,
    metadata: {
      format: 'csv',
      via,
      // Filter names only: values (a claim number) never go into the audit log.
      filters: Object.keys(filters).sort(),
      ...(actor && isStaffUser(actor) ? { acting_as_operator: true } : {}),
    },
  });
  const log = request.log;
  async function* lines(): AsyncGenerator<string> {
    yield claimCsvHeader();
    if (first.done) return;
    yield claimCsvLine(first.value, readClaimId(first.value));
    try {
      for await (const claim of claims) yield claimCsvLine(claim, readClaimId(claim));
    } catch (error) {
      // Rows have been sent, so the status cannot change any more. Log it (with the request
      // id) and abort the response: the client sees an incomplete download (no final chunk)
      // rather than a file that looks complete but lacks rows. The process carries on.
      log.error({ err: error }, 'claims export failed after the first rows');
      throw error;
    }
  }
  const day = services.clock.now().toISOString().slice(0, 10).replace(/-/g, '');
  const body = Readable.from(lines());
  // A stream error is handled here (logged above), so it never surfaces as an unhandled one.
  body.on('error', () => {});
  return reply
    .code(200)
    .header('Content-Type', 'text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="claims-${day}.csv"`)
    .header('Cache-Control', 'no-store')
    .send(body);
}
