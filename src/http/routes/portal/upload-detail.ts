import type { FastifyInstance } from 'fastify';
import { isDeletableStatus } from '../../../commands/delete-upload.ts';
import { NotFoundError } from '../../../config/errors.ts';
import {
  FINAL_UPLOAD_STATUSES,
  findUpload,
  type UploadRecord,
} from '../../../db/repositories/uploads.repository.ts';
import { canDeleteUploads } from '../../../domain/accounts/permissions.ts';
import {
  dateRange,
  formatLabel,
  minuteStamp,
  rejectionPage,
  rejectionsCsv,
  uploaderLabel,
} from '../../../presenters/upload-pages.ts';
import {
  presentUploadProgress,
  qualityCategoryLabels,
  UPLOAD_STATUS_LABELS,
  uploadRecommendations,
} from '../../../presenters/uploads.ts';
import { loadUploadPeople, loadUploadRejections } from '../../../queries/upload-pages.ts';
import { loadUploadQuality } from '../../../queries/upload-quality.ts';
import type { Services } from '../../../services.ts';
import { requirePermission } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { UploadDetailQuery, UploadIdParams } from './uploads.schemas.ts';

/** An upload's page, its progress fragment and its rejections download (§1.3, §2.13). */

const CATEGORY_OPTIONS = [
  ['', 'All categories'],
  ['phi', 'PHI detected'],
  ['missing_fields', 'Missing fields'],
  ['invalid_dates', 'Invalid dates'],
  ['invalid_values', 'Invalid values'],
];

/** The customer's upload, or the 404 page (another customer's id included). */
export async function uploadOrNotFound(
  services: Services,
  customerId: number,
  id: number,
): Promise<UploadRecord> {
  const upload = await findUpload(services.database.db, customerId, id);
  if (!upload) throw new NotFoundError();
  return upload;
}

export function registerUploadDetailRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const requireUpload = requirePermission('upload_claims');

  app.get<{ Params: { id: number }; Querystring: { category?: string; page?: number } }>(
    '/portal/uploads/:id/',
    { preValidation: requireUpload, schema: { params: UploadIdParams, querystring: UploadDetailQuery } },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const upload = await uploadOrNotFound(services, customerId, request.params.id);
      const quality = await loadUploadQuality(db, customerId, upload.id);
      const report = quality?.report;
      const people = await loadUploadPeople(db, upload);
      const category = request.query.category ?? '';
      const rejections = rejectionPage(report?.rejection_details ?? [], category, request.query.page ?? 1);
      const warnings = report?.warnings ?? [];
      const final = FINAL_UPLOAD_STATUSES.includes(upload.status);
      const tone =
        upload.status === 'success' ? 'success' : upload.status === 'partial' ? 'warning' : 'error';
      return renderPage(
        request,
        reply,
        'upload_detail',
        {
          upload: {
            id: upload.id,
            filename: upload.filename,
            status: upload.status,
            statusLabel: UPLOAD_STATUS_LABELS[upload.status],
            uploaded: minuteStamp(upload.created_at),
            by: uploaderLabel(upload, people.names),
            format: formatLabel(upload.format),
            dateRange: dateRange(upload),
            error: upload.error_message,
          },
          final,
          canDelete: isDeletableStatus(upload.status) && canDeleteUploads(request.auth.actor),
          deleted:
            upload.status === 'deleted'
              ? { at: minuteStamp(upload.deleted_at), by: people.deletedBy ?? 'Unknown user' }
              : null,
          // A deleted upload shows the deletion notice instead of its processing summary.
          summary: final && upload.status !== 'deleted' ? upload.summary_message : null,
          summaryTone: tone,
          privacyAlert: upload.privacy_alert,
          progress: presentUploadProgress(upload),
          report: report
            ? {
                total: report.total_rows,
                accepted: report.accepted_rows,
                inserted: report.inserted_rows,
                updated: report.updated_rows,
                duplicates: report.duplicate_rows,
                rejected: report.rejected_rows,
                warnings: report.warning_rows,
                score: Math.round(Number(report.quality_score) * 100),
                grade: report.grade,
                identifierColumns: report.identifier_columns,
                categories: qualityCategoryLabels(report),
                truncated: report.rejection_details_truncated,
              }
            : null,
          rejections: rejections.rows,
          rejectionCount: rejections.count,
          rejectionPage: rejections.page,
          rejectionPages: rejections.pages,
          category,
          categories: CATEGORY_OPTIONS,
          fileWarnings: warnings.filter((w) => w.row === null),
          rowWarnings: warnings.filter((w) => w.row !== null),
          recommendations: quality ? uploadRecommendations(quality.report, quality.criticalAnomalies) : [],
        },
        { title: `Upload #${upload.id}`, section: 'uploads' },
      );
    },
  );

  // Progress fragment (web-api-ops §1.3): what the detail page's progress box shows.
  app.get<{ Params: { id: number } }>(
    '/portal/uploads/:id/progress/',
    { preValidation: requireUpload, schema: { params: UploadIdParams } },
    async (request, reply) => {
      const upload = await uploadOrNotFound(services, request.auth.customer!.id, request.params.id);
      const progress = presentUploadProgress(upload);
      const html = app.renderer.render('upload_progress', {
        progress,
        label: UPLOAD_STATUS_LABELS[progress.status],
      });
      return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/portal/uploads/:id/rejections.csv',
    { preValidation: requireUpload, schema: { params: UploadIdParams } },
    async (request, reply) => {
      const upload = await uploadOrNotFound(services, request.auth.customer!.id, request.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="upload-${upload.id}-rejections.csv"`)
        .send(rejectionsCsv(await loadUploadRejections(db, upload)));
    },
  );
}
