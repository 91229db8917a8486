import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deleteUpload, UploadNotDeletableError } from '../../../commands/delete-upload.ts';
import { DuplicateFileError, FileTooLargeError } from '../../../commands/upload-claims-file.ts';
import { cancelUploadMapping, completeUploadMapping } from '../../../commands/upload-mapping.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import { findQualityReport } from '../../../db/repositories/quality.repository.ts';
import { type UploadRecord, uploadStats } from '../../../db/repositories/uploads.repository.ts';
import type { UploadSource, UploadStatus } from '../../../db/schema.ts';
import { canDeleteUploads, isStaffUser } from '../../../domain/accounts/permissions.ts';
import { CANONICAL_COLUMNS, type CanonicalField } from '../../../domain/claims/index.ts';
import {
  presentQualityReport,
  presentUploadDetail,
  presentUploadListItem,
  presentUploadProgress,
} from '../../../presenters/uploads.ts';
import type { OrderTerm } from '../../../queries/reports.ts';
import { loadUploadQuality } from '../../../queries/upload-quality.ts';
import {
  findUploadScoped,
  listUploadsPage,
  UPLOAD_ORDER_COLUMNS,
  type UploadOrderField,
} from '../../../queries/uploads-list.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { API_CSRF_DETAIL } from '../../plugins/auth.ts';
import { enforceUploadRate, receiveUpload, truthyField, UploadRefusedError } from '../../upload-multipart.ts';

/** `uploads/` of the REST API (web-api-ops §4.5, §4.6; ingestion spec §2.13). */

const STATUSES: readonly UploadStatus[] = [
  'queued',
  'processing',
  'needs_mapping',
  'success',
  'partial',
  'failed',
  'deleted',
];
const SOURCES: readonly UploadSource[] = ['web_ui', 'api', 'ingest', 'cli'];

function apiError(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ detail, code, ...extra });
}

function notFound(reply: FastifyReply) {
  return apiError(reply, 404, 'not_found', 'Not found.');
}

function parseId(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

function query(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A date or ISO date-time filter value, else null. */
function parseInstant(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function registerUploadsApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  /** The caller's upload (members: own customer; staff: any, or the named customer's). */
  async function scopedUpload(
    request: FastifyRequest<{ Params: { id: string } }>,
  ): Promise<UploadRecord | null> {
    const id = parseId(request.params.id);
    if (id === null) return null;
    return (await findUploadScoped(db, request.apiCustomerId, id)) ?? null;
  }

  app.get('/api/v1/uploads/', { preHandler: apiScope() }, async (request, reply) => {
    const errors: Record<string, string[]> = {};
    const status = query(request, 'status');
    const source = query(request, 'source');
    const after = query(request, 'uploaded_after');
    const before = query(request, 'uploaded_before');
    if (status !== undefined && !STATUSES.includes(status as UploadStatus))
      errors['status'] = [`Select a valid choice. ${status} is not one of the available choices.`];
    if (source !== undefined && !SOURCES.includes(source as UploadSource))
      errors['source'] = [`Select a valid choice. ${source} is not one of the available choices.`];
    const afterDate = after === undefined ? null : parseInstant(after);
    const beforeDate = before === undefined ? null : parseInstant(before);
    if (after !== undefined && !afterDate) errors['uploaded_after'] = ['Enter a valid date/time.'];
    if (before !== undefined && !beforeDate) errors['uploaded_before'] = ['Enter a valid date/time.'];
    if (Object.keys(errors).length) return apiError(reply, 400, 'invalid', 'Validation failed.', { errors });

    const orderings: OrderTerm<UploadOrderField>[] = [];
    for (const item of (query(request, 'ordering') ?? '-uploaded_at').split(',')) {
      const name = item.trim();
      if (name === '') continue;
      const field = name.replace(/^-/, '');
      if (!(field in UPLOAD_ORDER_COLUMNS))
        return apiError(reply, 400, 'invalid_ordering', `Invalid ordering field: ${name}`);
      orderings.push({ field: field as UploadOrderField, descending: name.startsWith('-') });
    }

    const pageRequest = parsePageRequest(request);
    const { count, rows } = await listUploadsPage(
      db,
      {
        customerId: request.apiCustomerId,
        ...(status ? { status: status as UploadStatus } : {}),
        ...(source ? { source: source as UploadSource } : {}),
        ...(afterDate ? { uploadedAfter: afterDate } : {}),
        ...(beforeDate ? { uploadedBefore: beforeDate } : {}),
      },
      orderings,
      pageRequest,
    );
    return paginate(request, pageRequest, count, rows.map(presentUploadListItem));
  });

  app.get('/api/v1/uploads/stats/', { preHandler: apiScope({ requireCustomer: true }) }, async (request) =>
    uploadStats(db, request.apiCustomerId!),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/uploads/:id/',
    { preHandler: apiScope() },
    async (request, reply) => {
      const upload = await scopedUpload(request);
      if (!upload) return notFound(reply);
      return presentUploadDetail(upload, await findQualityReport(db, upload.customer_id, upload.id));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/uploads/:id/progress/',
    { preHandler: apiScope() },
    async (request, reply) => {
      const upload = await scopedUpload(request);
      if (!upload) return notFound(reply);
      return presentUploadProgress(upload);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/uploads/:id/quality/',
    { preHandler: apiScope() },
    async (request, reply) => {
      const upload = await scopedUpload(request);
      if (!upload) return notFound(reply);
      const quality = await loadUploadQuality(db, upload.customer_id, upload.id);
      if (!quality) return notFound(reply);
      return presentQualityReport(quality.report, quality.criticalAnomalies);
    },
  );

  // Soft removal (docs/DECISIONS.md "Deleting an upload"): 204; owner/admin only; 409 while the
  // upload is not final or already deleted.
  app.delete<{ Params: { id: string } }>(
    '/api/v1/uploads/:id/',
    { preHandler: apiScope({ permission: 'upload_claims', requireCustomer: true }) },
    async (request, reply) => {
      const customerId = request.apiCustomerId!;
      if (!canDeleteUploads(request.apiActor, customerId))
        return apiError(
          reply,
          403,
          'permission_denied',
          'You do not have permission to perform this action.',
        );
      const upload = await scopedUpload(request);
      if (!upload) return notFound(reply);
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
          return apiError(reply, 409, 'conflict', error.message, { status: error.status });
        if (error instanceof NotFoundError) return notFound(reply);
        throw error;
      }
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/uploads/:id/cancel/',
    { preHandler: apiScope({ permission: 'upload_claims', requireCustomer: true }) },
    async (request, reply) => {
      const upload = await scopedUpload(request);
      if (!upload) return notFound(reply);
      if (upload.status !== 'needs_mapping')
        return apiError(reply, 409, 'conflict', 'This upload does not need a column mapping.');
      const failed = await cancelUploadMapping(services, {
        customerId: upload.customer_id,
        uploadId: upload.id,
        userId: request.auth.user!.id,
        requestId: request.id,
      });
      return presentUploadDetail(failed, undefined);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/uploads/:id/mapping/',
    { preHandler: apiScope({ permission: 'upload_claims', requireCustomer: true }) },
    async (request, reply) => {
      const upload = await scopedUpload(request);
      if (!upload) return notFound(reply);
      if (upload.status !== 'needs_mapping')
        return apiError(reply, 409, 'conflict', 'This upload does not need a column mapping.');
      const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
        string,
        unknown
      >;
      const columns = body['columns'];
      if (!columns || typeof columns !== 'object' || Array.isArray(columns))
        return apiError(reply, 400, 'invalid', 'Validation failed.', {
          errors: { columns: ['This field is required.'] },
        });
      const canonical: readonly string[] = CANONICAL_COLUMNS;
      const map: Partial<Record<CanonicalField, string>> = {};
      for (const [header, target] of Object.entries(columns as Record<string, unknown>)) {
        if (target === 'ignore' || target === null || target === '') continue;
        if (typeof target !== 'string' || !canonical.includes(target))
          return apiError(reply, 400, 'invalid', 'Validation failed.', {
            errors: { columns: [`"${String(target)}" is not a valid choice.`] },
          });
        const field = target as CanonicalField;
        if (map[field]) {
          return apiError(reply, 400, 'invalid', 'Validation failed.', {
            errors: { columns: [`More than one column is mapped to ${field}`] },
          });
        }
        map[field] = header;
      }
      const profileName = typeof body['profile_name'] === 'string' ? body['profile_name'] : '';
      try {
        const done = await completeUploadMapping(services, {
          customerId: upload.customer_id,
          uploadId: upload.id,
          map,
          profileName,
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
          return apiError(reply, 400, 'invalid', 'Validation failed.', {
            errors: { [error.code === 'profile_exists' ? 'profile_name' : 'columns']: [error.message] },
          });
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/uploads/',
    {
      preHandler: apiScope({ permission: 'upload_claims', requireCustomer: true }),
      // Multipart: the CSRF token of session callers is checked here, before the file is read.
      config: { csrf: false },
    },
    async (request, reply) => {
      const customerId = request.apiCustomerId!;
      const viaSession = request.auth.via === 'session';
      const csrfOk = (fields: Record<string, string>) => {
        if (!viaSession) return true;
        const header = request.headers['x-csrf-token'] ?? request.headers['x-csrftoken'];
        return request.checkCsrf(typeof header === 'string' ? header : fields['csrf_token']);
      };
      const csrfFailed = () => apiError(reply, 403, 'csrf_failed', API_CSRF_DETAIL);
      if (!request.isMultipart()) {
        const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
          string,
          unknown
        >;
        if (!csrfOk({ csrf_token: typeof body['csrf_token'] === 'string' ? body['csrf_token'] : '' }))
          return csrfFailed();
        return apiError(reply, 400, 'invalid', 'No file uploaded', {
          errors: { file: ['No file uploaded'] },
        });
      }
      let received: Awaited<ReturnType<typeof receiveUpload>>;
      try {
        received = await receiveUpload(request, {
          fileFields: ['file', 'csv_file'],
          check: async (fields) => {
            if (!csrfOk(fields)) throw new UploadRefusedError('csrf');
            const profile = fields['column_profile'];
            if (profile !== undefined && profile.trim() !== '' && parseId(profile.trim()) === null) {
              throw new UploadRefusedError('invalid', 'A valid integer is required.');
            }
            await enforceUploadRate(request, customerId);
          },
          input: (fields) => {
            const profile = fields['column_profile']?.trim();
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
            return apiError(reply, 400, 'invalid', 'Validation failed.', {
              errors: { column_profile: [error.detail ?? 'Invalid value.'] },
            });
          if (error.reason === 'rate_limited') {
            reply.header('Retry-After', String(error.retryAfterSeconds ?? 60));
            return apiError(reply, 429, 'throttled', error.detail ?? 'Upload limit reached.');
          }
          return csrfFailed();
        }
        if (error instanceof DuplicateFileError) {
          const detail = error.message.replace(/ Tick “Upload again” to process it anyway\.$/, '');
          return apiError(reply, 409, 'duplicate_file', detail, { upload_id: error.uploadId });
        }
        if (error instanceof FileTooLargeError)
          return apiError(reply, 413, 'payload_too_large', error.message);
        if (error instanceof AppError && error.code === 'no_file')
          return apiError(reply, 400, 'invalid', error.message, { errors: { file: [error.message] } });
        if (error instanceof AppError && error.code === 'column_profile_not_found')
          return apiError(reply, 400, 'invalid', 'Validation failed.', {
            errors: { column_profile: [error.message] },
          });
        throw error;
      }
      if (!received.result) {
        if (!csrfOk(received.fields)) return csrfFailed();
        return apiError(reply, 400, 'invalid', 'No file uploaded', {
          errors: { file: ['No file uploaded'] },
        });
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
