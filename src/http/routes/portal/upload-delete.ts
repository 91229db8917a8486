import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deleteUpload, isDeletableStatus, UploadNotDeletableError } from '../../../commands/delete-upload.ts';
import type { UploadRecord } from '../../../db/repositories/uploads.repository.ts';
import { canDeleteUploads } from '../../../domain/accounts/permissions.ts';
import { countClaimsOfUpload } from '../../../queries/upload-pages.ts';
import type { Services } from '../../../services.ts';
import { actingAsOperator } from '../../auth-state.ts';
import { requirePermission, sendForbidden } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { ButtonForm } from '../../schemas/index.ts';
import { uploadOrNotFound } from './upload-detail.ts';
import { UploadIdParams } from './uploads.schemas.ts';

/** Deleting an upload (soft removal; docs/DECISIONS.md "Deleting an upload"). */

type IdRequest = FastifyRequest<{ Params: { id: number } }>;

export function registerUploadDeleteRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const requireUpload = requirePermission('upload_claims');

  /**
   * 403 for roles below admin, before the id is validated or looked up (§4.2 order: a role that
   * may never delete learns nothing about ids). Runs after the upload permission guard.
   */
  async function requireDelete(request: FastifyRequest, reply: FastifyReply) {
    if (!canDeleteUploads(request.auth.actor)) return sendForbidden(request, reply, 'delete_uploads');
  }

  /**
   * The upload a delete request is about: 404 for an unknown or another customer's id, or the
   * flash + back to the detail page when it is not (or no longer) deletable.
   */
  async function deletableUpload(
    request: IdRequest,
    reply: FastifyReply,
  ): Promise<{ upload: UploadRecord } | { refused: FastifyReply }> {
    const upload = await uploadOrNotFound(services, request.auth.customer!.id, request.params.id);
    if (!isDeletableStatus(upload.status)) {
      request.flash('error', new UploadNotDeletableError(upload).message);
      return { refused: reply.redirect(`/portal/uploads/${upload.id}/`, 302) };
    }
    return { upload };
  }

  const options = {
    preValidation: [requireUpload, requireDelete],
    schema: { params: UploadIdParams },
  };

  app.get<{ Params: { id: number } }>('/portal/uploads/:id/delete/', options, async (request, reply) => {
    const checked = await deletableUpload(request, reply);
    if ('refused' in checked) return checked.refused;
    const { upload } = checked;
    return renderPage(
      request,
      reply,
      'upload_delete',
      { upload: { id: upload.id, filename: upload.filename }, claims: await countClaimsOfUpload(db, upload) },
      { title: `Delete upload #${upload.id}`, section: 'uploads' },
    );
  });

  // The auth plugin checks the CSRF token of this form POST (preValidation) before the guards.
  app.post<{ Params: { id: number } }>(
    '/portal/uploads/:id/delete/',
    { ...options, schema: { params: UploadIdParams, body: ButtonForm } },
    async (request, reply) => {
      const checked = await deletableUpload(request, reply);
      if ('refused' in checked) return checked.refused;
      const { upload } = checked;
      try {
        const result = await deleteUpload(services, {
          customerId: upload.customer_id,
          uploadId: upload.id,
          userId: request.auth.user!.id,
          requestId: request.id,
          ip: request.ip,
          actingAsOperator: actingAsOperator(request.auth),
        });
        const n = result.claimsRemoved;
        request.flash(
          'success',
          `Upload ${upload.filename} deleted: ${n} ${n === 1 ? 'claim' : 'claims'} removed.`,
        );
        return reply.redirect('/portal/uploads/', 302);
      } catch (error) {
        // Another request deleted it (or processing state changed) between the check and the lock.
        if (error instanceof UploadNotDeletableError) {
          request.flash('error', error.message);
          return reply.redirect(`/portal/uploads/${upload.id}/`, 302);
        }
        // NotFoundError and the rest: the one error path (404 page, 500 page).
        throw error;
      }
    },
  );
}
