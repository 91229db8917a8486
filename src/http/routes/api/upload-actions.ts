import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { deleteUpload, UploadNotDeletableError } from '../../../commands/delete-upload.ts';
import { cancelUploadMapping, completeUploadMapping } from '../../../commands/upload-mapping.ts';
import { AppError, PermissionDeniedError, ValidationError } from '../../../config/errors.ts';
import { canDeleteUploads, isStaffUser } from '../../../domain/accounts/permissions.ts';
import type { CanonicalField } from '../../../domain/claims/index.ts';
import { presentUploadDetail } from '../../../presenters/uploads.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { IdParams, operation } from '../../schemas/index.ts';
import { requireNeedsMapping, scopedUpload } from './upload-scope.ts';
import { CustomerOnlyQuery, DeleteConflict, MappingBody, UploadDetail } from './uploads.schemas.ts';

/** Actions on one upload of the REST API: delete, cancel the mapping step, map its columns (§4.5). */
export function registerUploadActionsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tag = 'Uploads';
  const write = apiScope({ permission: 'upload_claims', requireCustomer: true });

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
      const upload = await scopedUpload(services, request, request.params.id);
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
      const upload = await scopedUpload(services, request, request.params.id);
      requireNeedsMapping(upload);
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
      const upload = await scopedUpload(services, request, request.params.id);
      requireNeedsMapping(upload);
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
}
