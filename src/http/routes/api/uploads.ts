import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../../../config/errors.ts';
import { findQualityReport } from '../../../db/repositories/quality.repository.ts';
import { uploadStats } from '../../../db/repositories/uploads.repository.ts';
import type { UploadSource, UploadStatus } from '../../../db/schema.ts';
import {
  presentQualityReport,
  presentUploadDetail,
  presentUploadListItem,
  presentUploadProgress,
} from '../../../presenters/uploads.ts';
import { loadUploadQuality } from '../../../queries/upload-quality.ts';
import { listUploadsPage, type UploadOrderField } from '../../../queries/uploads-list.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import { registerUploadActionsApiRoutes } from './upload-actions.ts';
import { registerUploadCreateApiRoutes } from './upload-create.ts';
import { scopedUpload } from './upload-scope.ts';
import {
  CustomerOnlyQuery,
  QualityReport,
  UploadDetail,
  UploadListItem,
  UploadListQuery,
  UploadProgress,
  UploadStats,
} from './uploads.schemas.ts';

/**
 * `uploads/` of the REST API (web-api-ops §4.5, §4.6; ingestion spec §2.13), one registrar per
 * part: the reads here (list, stats, detail, progress, quality), the actions on one upload
 * (upload-actions.ts) and the multipart upload (upload-create.ts).
 */

/** A date or ISO date-time filter value as an instant; a pattern-valid but impossible one → 400. */
function instant(field: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  // `Date` rolls 2026-02-30 over to March: the calendar day must survive the round trip.
  const day = text.slice(0, 10);
  const calendarDay = new Date(`${day}T00:00:00Z`);
  if (
    Number.isNaN(date.getTime()) ||
    Number.isNaN(calendarDay.getTime()) ||
    calendarDay.toISOString().slice(0, 10) !== day
  )
    throw ValidationError.field(field, 'Enter a valid date/time.');
  return date;
}

const UPLOAD_ORDER_FIELDS = [
  'uploaded_at',
  'status',
  'row_count',
] as const satisfies readonly UploadOrderField[];

export function registerUploadsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const tag = 'Uploads';

  api.get(
    '/api/v1/uploads/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag, summary: 'List uploads', description: 'Default order `-uploaded_at`; ties `-id`.' },
        { querystring: UploadListQuery, response: { 200: Paginated(UploadListItem) } },
      ),
    },
    async (request) => {
      const { query } = request;
      const uploadedAfter = instant('uploaded_after', query.uploaded_after);
      const uploadedBefore = instant('uploaded_before', query.uploaded_before);
      const ordering = parseOrdering(query.ordering, UPLOAD_ORDER_FIELDS, [
        { field: 'uploaded_at', descending: true },
      ]);
      const pageRequest = parsePageRequest(request);
      const { count, rows } = await listUploadsPage(
        db,
        {
          customerId: request.apiCustomerId,
          ...(query.status ? { status: query.status as UploadStatus } : {}),
          ...(query.source ? { source: query.source as UploadSource } : {}),
          ...(uploadedAfter ? { uploadedAfter } : {}),
          ...(uploadedBefore ? { uploadedBefore } : {}),
        },
        ordering,
        pageRequest,
      );
      return paginate(request, pageRequest, count, rows.map(presentUploadListItem));
    },
  );

  api.get(
    '/api/v1/uploads/stats/',
    {
      preValidation: apiScope({ requireCustomer: true }),
      schema: operation(
        { tag, summary: 'Upload counts by status and the claims stored (unpaginated)' },
        { querystring: CustomerOnlyQuery, response: { 200: UploadStats } },
      ),
    },
    async (request) => uploadStats(db, request.apiCustomerId as number),
  );

  api.get(
    '/api/v1/uploads/:id/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag, summary: 'Get an upload' },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: UploadDetail } },
      ),
    },
    async (request) => {
      const upload = await scopedUpload(services, request, request.params.id);
      return presentUploadDetail(upload, await findQualityReport(db, upload.customer_id, upload.id));
    },
  );

  api.get(
    '/api/v1/uploads/:id/progress/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag, summary: 'Progress of an upload (poll while processing)' },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: UploadProgress } },
      ),
    },
    async (request) => presentUploadProgress(await scopedUpload(services, request, request.params.id)),
  );

  api.get(
    '/api/v1/uploads/:id/quality/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag, summary: 'Quality report of an upload', description: '404 until the upload has one.' },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: QualityReport } },
      ),
    },
    async (request) => {
      const upload = await scopedUpload(services, request, request.params.id);
      const quality = await loadUploadQuality(db, upload.customer_id, upload.id);
      if (!quality) throw new NotFoundError();
      return presentQualityReport(quality.report, quality.criticalAnomalies);
    },
  );

  registerUploadActionsApiRoutes(app, services);
  registerUploadCreateApiRoutes(app);
}
