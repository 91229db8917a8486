import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { DuplicateFileError, FileTooLargeError } from '../../../commands/upload-claims-file.ts';
import { AppError, PermissionDeniedError, ValidationError } from '../../../config/errors.ts';
import { countCsrfFailure } from '../../../obs/metrics.ts';
import { presentUploadDetail } from '../../../presenters/uploads.ts';
import { apiScope } from '../../api-tenancy.ts';
import { API_CSRF_DETAIL, sessionCsrfOk } from '../../plugins/auth.ts';
import { operation } from '../../schemas/index.ts';
import {
  enforceUploadRate,
  receiveUpload,
  truthyField,
  UploadRefusedError,
  validateMultipartFields,
} from '../../upload-multipart.ts';
import { CustomerOnlyQuery, DuplicateFile, UploadAccepted, UploadFields } from './uploads.schemas.ts';

/**
 * `POST /api/v1/uploads/` (ingestion spec §2.1–§2.2): the file streams to disk while its text
 * fields are validated against {@link UploadFields} (upload-multipart.ts); every multipart or
 * parser failure is a 4xx.
 */
export function registerUploadCreateApiRoutes(app: FastifyInstance): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tag = 'Uploads';
  const write = apiScope({ permission: 'upload_claims', requireCustomer: true });

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
      const csrfOk = (fields: Record<string, string>) =>
        !viaSession || sessionCsrfOk(request, request.server.services.config, fields['csrf_token']);
      const csrfFailed = () => {
        countCsrfFailure();
        return new PermissionDeniedError(API_CSRF_DETAIL, 'csrf_failed');
      };
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
          // `allow_duplicate` a flag, `column_profile` an id (text): checked before the file and
          // again once every part is read, so a field sent after the file obeys the same schema.
          fieldsSchema: UploadFields,
          check: async (fields) => {
            if (!csrfOk(fields)) throw new UploadRefusedError('csrf');
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
        validateMultipartFields(request, UploadFields, received.fields);
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
