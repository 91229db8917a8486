import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ClaimFilters,
  type ClaimOrder,
  iterateFilteredClaims,
} from '../db/repositories/claims-browser.repository.ts';
import { isStaffUser } from '../domain/accounts/permissions.ts';
import { recordAudit } from '../obs/audit.ts';
import { claimCsvHeader, claimCsvLine } from '../presenters/claims.ts';
import type { Services } from '../services.ts';
import { claimIdReader } from './claims-query.ts';

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
