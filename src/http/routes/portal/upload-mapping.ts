import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  cancelUploadMapping,
  completeUploadMapping,
  previewUploadColumns,
} from '../../../commands/upload-mapping.ts';
import { AppError } from '../../../config/errors.ts';
import { CANONICAL_COLUMNS, type CanonicalField, REQUIRED_COLUMNS } from '../../../domain/claims/index.ts';
import type { Services } from '../../../services.ts';
import { requirePermission } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { uploadOrNotFound } from './upload-detail.ts';
import { MappingForm, UploadIdParams } from './uploads.schemas.ts';

/** The column-mapping step of an upload that needs one (ingestion spec §2.5). */

type MappingFormBody = Partial<Record<string, string>>;

export function registerUploadMappingRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const requireUpload = requirePermission('upload_claims');

  async function renderMapping(
    request: FastifyRequest,
    reply: FastifyReply,
    uploadId: number,
    extra: { error?: string; chosen?: Partial<Record<CanonicalField, string>>; profileName?: string } = {},
  ) {
    const preview = await previewUploadColumns(db, request.auth.customer!.id, uploadId);
    const required: readonly string[] = REQUIRED_COLUMNS;
    const fields = CANONICAL_COLUMNS.map((name) => ({
      name,
      required: required.includes(name),
      selected: extra.chosen ? (extra.chosen[name] ?? '') : (preview.suggestions[name] ?? ''),
    }));
    return renderPage(
      request,
      reply,
      'upload_map_columns',
      {
        upload: { id: preview.upload.id, filename: preview.upload.filename },
        banner: preview.banner,
        headers: preview.headers,
        previewHeaders: preview.previewHeaders,
        hiddenColumns: preview.hiddenColumns,
        chooser: preview.chooser,
        rows: preview.rows,
        fields,
        profileName: extra.profileName ?? preview.defaultProfileName,
        error: extra.error ?? null,
      },
      { title: 'Map columns', section: 'uploads', ...(extra.error ? { status: 400 } : {}) },
    );
  }

  app.get<{ Params: { id: number } }>(
    '/portal/uploads/:id/map-columns/',
    { preValidation: requireUpload, schema: { params: UploadIdParams } },
    async (request, reply) => {
      const upload = await uploadOrNotFound(services, request.auth.customer!.id, request.params.id);
      if (upload.status !== 'needs_mapping') return reply.redirect(`/portal/uploads/${upload.id}/`, 302);
      return renderMapping(request, reply, upload.id);
    },
  );

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → the form schema.
  app.post<{ Params: { id: number }; Body: MappingFormBody }>(
    '/portal/uploads/:id/map-columns/',
    { preValidation: requireUpload, schema: { params: UploadIdParams, body: MappingForm } },
    async (request, reply) => {
      const upload = await uploadOrNotFound(services, request.auth.customer!.id, request.params.id);
      const detail = `/portal/uploads/${upload.id}/`;
      if (upload.status !== 'needs_mapping') return reply.redirect(detail, 302);
      const body = request.body;
      const base = {
        customerId: upload.customer_id,
        uploadId: upload.id,
        userId: request.auth.user!.id,
        requestId: request.id,
      };
      try {
        if (body.action === 'cancel') {
          const failed = await cancelUploadMapping(services, base);
          request.flash('error', `Upload failed: ${failed.error_message ?? 'cancelled'}`);
          return reply.redirect(detail, 302);
        }
        const chosen: Partial<Record<CanonicalField, string>> = {};
        for (const name of CANONICAL_COLUMNS) {
          const value = body[`map_${name}`];
          if (value) chosen[name] = value;
        }
        const profileName = body.profile_name ?? '';
        try {
          await completeUploadMapping(services, { ...base, ip: request.ip, map: chosen, profileName });
        } catch (error) {
          // Mistakes a person made in the form: the form again, with the message.
          if (
            error instanceof AppError &&
            (error.code === 'invalid_mapping' || error.code === 'profile_exists')
          ) {
            return renderMapping(request, reply, upload.id, { error: error.message, chosen, profileName });
          }
          const fieldError = error instanceof AppError ? error.errors?.['profile_name']?.[0] : undefined;
          if (fieldError) {
            const message = `Profile name: ${fieldError}`;
            return renderMapping(request, reply, upload.id, { error: message, chosen, profileName });
          }
          throw error;
        }
        // No flash: the upload's page shows its live progress, then its result.
        return reply.redirect(detail, 302);
      } catch (error) {
        // Processed meanwhile (another tab): its page shows what happened.
        if (error instanceof AppError && error.code === 'upload_not_mappable')
          return reply.redirect(detail, 302);
        throw error;
      }
    },
  );
}
