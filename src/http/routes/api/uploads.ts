import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { deleteUpload, UploadNotDeletableError } from '../../../commands/delete-upload.ts';
import { DuplicateFileError, FileTooLargeError } from '../../../commands/upload-claims-file.ts';
import { cancelUploadMapping, completeUploadMapping } from '../../../commands/upload-mapping.ts';
import {
  AppError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
} from '../../../config/errors.ts';
import { findQualityReport } from '../../../db/repositories/quality.repository.ts';
import { type UploadRecord, uploadStats } from '../../../db/repositories/uploads.repository.ts';
import type { UploadSource, UploadStatus } from '../../../db/schema.ts';
import { canDeleteUploads, isStaffUser } from '../../../domain/accounts/permissions.ts';
import type { CanonicalField } from '../../../domain/claims/index.ts';
import {
  presentQualityReport,
  presentUploadDetail,
  presentUploadListItem,
  presentUploadProgress,
} from '../../../presenters/uploads.ts';
import { loadUploadQuality } from '../../../queries/upload-quality.ts';
import { findUploadScoped, listUploadsPage, type UploadOrderField } from '../../../queries/uploads-list.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { API_CSRF_DETAIL } from '../../plugins/auth.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import { enforceUploadRate, receiveUpload, truthyField, UploadRefusedError } from '../../upload-multipart.ts';
import {
  CustomerOnlyQuery,
  DeleteConflict,
  DuplicateFile,
  MappingBody,
  QualityReport,
  UploadAccepted,
  UploadDetail,
  UploadListItem,
  UploadListQuery,
  UploadProgress,
  UploadStats,
} from './uploads.schemas.ts';

/** `uploads/` of the REST API (web-api-ops §4.5, §4.6; ingestion spec §2.13). */

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
  const write = apiScope({ permission: 'upload_claims', requireCustomer: true });

  /** The caller's upload (members: own customer; staff: any, or the named customer's); else 404. */
  async function scopedUpload(request: FastifyRequest, id: number): Promise<UploadRecord> {
    const upload = await findUploadScoped(db, request.apiCustomerId, id);
    if (!upload) throw new NotFoundError();
    return upload;
  }

  function needsMapping(upload: UploadRecord): void {
    if (upload.status !== 'needs_mapping')
      throw new ConflictError('This upload does not need a column mapping.');
  }

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
      const upload = await scopedUpload(request, request.params.id);
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
    async (request) => presentUploadProgress(await scopedUpload(request, request.params.id)),
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
      const upload = await scopedUpload(request, request.params.id);
      const quality = await loadUploadQuality(db, upload.customer_id, upload.id);
      if (!quality) throw new NotFoundError();
      return presentQualityReport(quality.report, quality.criticalAnomalies);
    },
  );

  // Soft removal (docs/DECISIONS.md "Deleting an upload"): 204; owner/admin only; 409 while the
  // upload is not final or already deleted.
  api.delete(
    '/api/v1/uploads/:id/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Delete an upload (owner, admin)',
          description:
            'Soft removal: its claims leave the data; 409 while it is not final or already deleted.',
        },
        {
          params: IdParams,
          querystring: CustomerOnlyQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }), 409: DeleteConflict },
        },
      ),
    },
    async (request, reply) => {
      const customerId = request.apiCustomerId as number;
      if (!canDeleteUploads(request.apiActor, customerId)) throw new PermissionDeniedError();
      const upload = await scopedUpload(request, request.params.id);
      try {
        await deleteUpload(services, {
          customerId,
          uploadId: upload.id,
          userId: request.auth.user!.id,
          requestId: request.id,
          ip: request.ip,
          actingAsOperator: isStaffUser(request.apiActor),
        });
      } catch (error) {
        if (error instanceof UploadNotDeletableError)
          return reply.code(409).send({ detail: error.message, code: 'conflict', status: error.status });
        throw error;
      }
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/api/v1/uploads/:id/cancel/',
    {
      preValidation: write,
      schema: operation(
        { tag, summary: 'Cancel the mapping step (the upload fails)', extraErrors: [409] },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: UploadDetail } },
      ),
    },
    async (request) => {
      const upload = await scopedUpload(request, request.params.id);
      needsMapping(upload);
      const failed = await cancelUploadMapping(services, {
        customerId: upload.customer_id,
        uploadId: upload.id,
        userId: request.auth.user!.id,
        requestId: request.id,
      });
      return presentUploadDetail(failed, undefined);
    },
  );

  api.post(
    '/api/v1/uploads/:id/mapping/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Map the columns of a `needs_mapping` upload',
          description:
            'Each canonical field at most once; saving a profile names it. 202: processing starts.',
          extraErrors: [409],
        },
        { params: IdParams, body: MappingBody, response: { 202: UploadDetail } },
      ),
    },
    async (request, reply) => {
      const upload = await scopedUpload(request, request.params.id);
      needsMapping(upload);
      const map: Partial<Record<CanonicalField, string>> = {};
      for (const [header, target] of Object.entries(request.body.columns)) {
        if (target === 'ignore' || target === null || target === '') continue;
        const field = target as CanonicalField;
        if (map[field]) throw ValidationError.field('columns', `More than one column is mapped to ${field}`);
        map[field] = header;
      }
      try {
        const done = await completeUploadMapping(services, {
          customerId: upload.customer_id,
          uploadId: upload.id,
          map,
          profileName: request.body.profile_name ?? '',
          userId: request.auth.user!.id,
          requestId: request.id,
          ip: request.ip,
        });
        return reply.code(202).send(presentUploadDetail(done.upload, undefined));
      } catch (error) {
        if (
          error instanceof AppError &&
          (error.code === 'invalid_mapping' || error.code === 'profile_exists')
        )
          throw ValidationError.field(
            error.code === 'profile_exists' ? 'profile_name' : 'columns',
            error.message,
          );
        throw error;
      }
    },
  );

  api.post(
    '/api/v1/uploads/',
    {
      preValidation: write,
      // Multipart: the CSRF token of session callers is checked here, before the file is read.
      config: { csrf: false },
      schema: {
        ...operation(
          {
            tag,
            summary: 'Upload a claims file (multipart)',
            description:
              'Fields: `file` (alias `csv_file`), optional `allow_duplicate` (boolean) and `column_profile` ' +
              '(id). 202 with the upload, `Location: /api/v1/uploads/<id>/` and `status_url` (its progress). ' +
              'An identical file is a 409 `duplicate_file` with `upload_id`.',
            extraErrors: [413, 415],
          },
          { querystring: CustomerOnlyQuery, response: { 202: UploadAccepted, 409: DuplicateFile } },
        ),
        consumes: ['multipart/form-data'],
      },
    },
    async (request, reply) => {
      const customerId = request.apiCustomerId as number;
      const viaSession = request.auth.via === 'session';
      const csrfOk = (fields: Record<string, string>) => {
        if (!viaSession) return true;
        const header = request.headers['x-csrf-token'] ?? request.headers['x-csrftoken'];
        return request.checkCsrf(typeof header === 'string' ? header : fields['csrf_token']);
      };
      const csrfFailed = () => new PermissionDeniedError(API_CSRF_DETAIL, 'csrf_failed');
      const noFile = () => new ValidationError({ file: ['No file uploaded'] }, 'No file uploaded');
      if (!request.isMultipart()) {
        const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
          string,
          unknown
        >;
        if (!csrfOk({ csrf_token: typeof body['csrf_token'] === 'string' ? body['csrf_token'] : '' }))
          throw csrfFailed();
        throw noFile();
      }
      let received: Awaited<ReturnType<typeof receiveUpload>>;
      try {
        received = await receiveUpload(request, {
          fileFields: ['file', 'csv_file'],
          check: async (fields) => {
            if (!csrfOk(fields)) throw new UploadRefusedError('csrf');
            const profile = fields['column_profile'];
            if (profile !== undefined && profile.trim() !== '' && !/^[1-9]\d{0,14}$/.test(profile.trim())) {
              throw new UploadRefusedError('invalid', 'A valid integer is required.');
            }
            await enforceUploadRate(request, customerId);
          },
          input: (fields) => {
            const profile = fields['column_profile']?.trim();
            // Checked again here: a `column_profile` sent after the file is read only now.
            if (profile && !/^[1-9]\d{0,14}$/.test(profile))
              throw new UploadRefusedError('invalid', 'A valid integer is required.');
            return {
              customerId,
              source: 'api',
              allowDuplicate: truthyField(fields['allow_duplicate']),
              uploadedBy: request.auth.user!.id,
              requestId: request.id,
              ip: request.ip,
              ...(profile ? { columnProfileId: Number(profile) } : {}),
            };
          },
        });
      } catch (error) {
        if (error instanceof UploadRefusedError) {
          if (error.reason === 'invalid')
            throw ValidationError.field('column_profile', error.detail ?? 'Invalid value.');
          if (error.reason === 'rate_limited') {
            reply.header('Retry-After', String(error.retryAfterSeconds ?? 60));
            throw new AppError('throttled', error.detail ?? 'Upload limit reached.', 429);
          }
          throw csrfFailed();
        }
        if (error instanceof DuplicateFileError) {
          const detail = error.message.replace(/ Tick “Upload again” to process it anyway\.$/, '');
          return reply.code(409).send({ detail, code: 'duplicate_file', upload_id: error.uploadId });
        }
        if (error instanceof FileTooLargeError) throw new AppError('payload_too_large', error.message, 413);
        if (error instanceof AppError && error.code === 'no_file') throw noFile();
        if (error instanceof AppError && error.code === 'column_profile_not_found')
          throw ValidationError.field('column_profile', error.message);
        throw error;
      }
      if (!received.result) {
        if (!csrfOk(received.fields)) throw csrfFailed();
        throw noFile();
      }
      const { upload } = received.result;
      const location = `/api/v1/uploads/${upload.id}/`;
      return reply
        .code(202)
        .header('Location', location)
        .send({
          ...presentUploadDetail(upload, undefined),
          status_url: `${location}progress/`,
        });
    },
  );
}
