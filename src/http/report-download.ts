import type { FastifyReply, FastifyRequest } from 'fastify';
import { runDownload } from '../commands/report-artifact.ts';
import { isStaffUser } from '../domain/accounts/permissions.ts';
import { ARTIFACT_KIND_OF_FORMAT, type ReportFormat } from '../domain/reports/artifacts.ts';
import { recordAudit } from '../obs/audit.ts';
import { createArtifactStore } from '../reports/artifact-store.ts';
import type { ReportFilters } from '../reports/builders.ts';
import type { Services } from '../services.ts';

/**
 * A run's report file as an attachment (alerts-reports §13.2), shared by the portal route
 * `/portal/reports/<id>/download/<format>/` and `GET /api/v1/reports/{id}/download/`. The
 * command serves the stored artifact or (re)builds it; an unknown or foreign run, or a format
 * the run does not offer, is its NotFoundError (the portal's 404 page, the API's problem body).
 * The file is built before the audit row is written, so a failed build records no export.
 */
export async function sendRunDownload(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  input: {
    customerId: number;
    runId: number;
    format: ReportFormat;
    filters: ReportFilters;
    via: 'portal' | 'api';
  },
): Promise<FastifyReply> {
  const { db } = services.database;
  const download = await runDownload(
    { db, clock: services.clock, store: createArtifactStore(services.config.dataDir) },
    { customerId: input.customerId, runId: input.runId, format: input.format, filters: input.filters },
  );
  const actor = request.apiActor ?? request.auth.actor;
  await recordAudit(db, {
    action: 'report_exported',
    customerId: input.customerId,
    userId: request.auth.user?.id ?? null,
    entityType: 'analysis_run',
    entityId: input.runId,
    requestId: request.id,
    ip: request.ip,
    metadata: {
      export_type: ARTIFACT_KIND_OF_FORMAT[input.format],
      format: input.format,
      record_count: download.recordCount,
      via: input.via,
      // Filter names only, as the claims export does: a payer name stays out of the audit log.
      filters: Object.entries(input.filters)
        .filter(([, value]) => value !== undefined && value !== '')
        .map(([name]) => name)
        .sort(),
      ...(actor && isStaffUser(actor) ? { acting_as_operator: true } : {}),
    },
  });
  // File names are built from a slug of [a-z0-9_], a date and the extension: nothing to escape.
  return reply
    .code(200)
    .header('Content-Type', download.contentType)
    .header('Content-Disposition', `attachment; filename="${download.filename}"`)
    .header('Content-Length', String(download.bytes.length))
    .header('Cache-Control', 'no-store')
    .send(download.bytes);
}

/** The download filters as the routes receive them: blank payer is no filter. */
export function downloadFilters(query: { min_severity?: number; payer?: string }): ReportFilters {
  const payer = query.payer?.trim() ?? '';
  return {
    ...(query.min_severity !== undefined && { minSeverity: query.min_severity }),
    ...(payer !== '' && { payer }),
  };
}
