import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DuplicateFileError, FileTooLargeError } from '../../../commands/upload-claims-file.ts';
import { AppError } from '../../../config/errors.ts';
import { CANONICAL_COLUMNS } from '../../../domain/claims/index.ts';
import { presentUploadRow } from '../../../presenters/upload-pages.ts';
import { loadUploadListPage } from '../../../queries/upload-pages.ts';
import type { Services } from '../../../services.ts';
import { requirePermission } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { sendPortalCsrfFailure, sessionCsrfOk } from '../../plugins/auth.ts';
import {
  enforceUploadRate,
  receiveUpload,
  truthyField,
  UploadRefusedError,
  validateMultipartFields,
} from '../../upload-multipart.ts';
import { UploadFormFields, UploadListQuery, UploadPlainForm } from './uploads.schemas.ts';

/** The uploads list, the upload form (multipart) and the CSV template (web-api-ops §1.6 "Uploads"). */

export const PRIVACY_BANNER =
  '⚠️ Privacy Protection: NEVER include patient names, dates of birth, SSN, or addresses in your uploads. Use payer organization names only (e.g., "Blue Cross Blue Shield", "Medicare", "Aetna"). Uploads containing patient-like names will be rejected.';

const PAGE_SIZE = 50;

const TEMPLATE_CSV = [
  CANONICAL_COLUMNS.join(','),
  'Blue Cross Blue Shield,99213,2026-01-15,2026-02-01,PAID,150.00,,,C-1001,200.00,150.00,2026-02-10,25,false,false,11',
  'Medicare,99214,2026-01-16,2026-02-02,DENIED,0.00,CO-197,Precertification absent,C-1002,250.00,0.00,,,true,false,11',
  '',
].join('\r\n');

export function registerUploadListRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const requireUpload = requirePermission('upload_claims');

  app.get<{ Querystring: { page?: number } }>(
    '/portal/uploads/',
    { preValidation: requireUpload, schema: { querystring: UploadListQuery } },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const page = request.query.page ?? 1;
      const list = await loadUploadListPage(db, customerId, { page, pageSize: PAGE_SIZE });
      const rows = list.uploads.map((u) => presentUploadRow(u, list.reports.get(u.id), list.names));
      return renderPage(
        request,
        reply,
        'uploads',
        {
          banner: PRIVACY_BANNER,
          uploads: rows,
          polling: rows.some((r) => r.polling),
          page,
          pages: Math.max(1, Math.ceil(list.total / PAGE_SIZE)),
          maxMb: services.config.upload.maxMb,
          maxRows: services.config.upload.maxRows.toLocaleString('en-US'),
        },
        { title: 'Uploads', section: 'uploads' },
      );
    },
  );

  const sendCsrfFailure = (request: FastifyRequest, reply: FastifyReply) =>
    sendPortalCsrfFailure(request, reply, services.config.version);
  const csrfOk = (request: FastifyRequest, fields: Record<string, string>) =>
    sessionCsrfOk(request, services.config, fields['csrf_token']);

  const noFile = (request: FastifyRequest, reply: FastifyReply) => {
    request.flash('error', 'No file uploaded');
    return reply.redirect('/portal/uploads/', 302);
  };

  app.post(
    '/portal/uploads/',
    {
      preValidation: requireUpload,
      // Multipart: the CSRF token is checked here, with the fields sent before the file.
      config: { csrf: false },
      schema: {
        // A plain form POST (no file) is validated as a body; the multipart form's fields are
        // validated by receiveUpload against UploadFormFields while the file streams.
        body: { content: { 'application/x-www-form-urlencoded': { schema: UploadPlainForm } } },
      },
    },
    async (request, reply) => {
      const { auth } = request;
      const customerId = auth.customer!.id;
      if (!request.isMultipart()) {
        // Only a form body is validated by the schema; any other body's token is read defensively.
        const token = (request.body as { csrf_token?: unknown } | undefined)?.csrf_token;
        if (!csrfOk(request, { csrf_token: typeof token === 'string' ? token : '' }))
          return sendCsrfFailure(request, reply);
        return noFile(request, reply);
      }
      let received: Awaited<ReturnType<typeof receiveUpload>>;
      try {
        received = await receiveUpload(request, {
          fileFields: ['csv_file'],
          fieldsSchema: UploadFormFields,
          check: async (fields) => {
            if (!csrfOk(request, fields)) throw new UploadRefusedError('csrf');
            await enforceUploadRate(request, customerId);
          },
          input: (fields) => ({
            customerId,
            source: 'web_ui',
            allowDuplicate: truthyField(fields['allow_duplicate']),
            uploadedBy: auth.user!.id,
            requestId: request.id,
            ip: request.ip,
          }),
        });
      } catch (error) {
        if (error instanceof UploadRefusedError) {
          if (error.reason !== 'rate_limited') return sendCsrfFailure(request, reply);
          request.flash('error', error.detail ?? 'Upload limit reached.');
          return reply.redirect('/portal/uploads/', 302);
        }
        if (error instanceof DuplicateFileError) {
          request.flash('warning', error.message);
          return reply.redirect('/portal/uploads/', 302);
        }
        if (error instanceof FileTooLargeError || (error instanceof AppError && error.code === 'no_file')) {
          request.flash('error', error.message);
          return reply.redirect('/portal/uploads/', 302);
        }
        throw error;
      }
      const { result, fields } = received;
      if (!result) {
        if (!csrfOk(request, fields)) return sendCsrfFailure(request, reply);
        validateMultipartFields(request, UploadFormFields, fields);
        return noFile(request, reply);
      }
      const { upload, message } = result;
      if (upload.status === 'needs_mapping') {
        return reply.redirect(`/portal/uploads/${upload.id}/map-columns/`, 302);
      }
      // The upload's page shows its live state; a "processing has started" flash would still
      // say so after the result replaced the progress bar. Only a failure at once is flashed.
      if (message && upload.status === 'failed') request.flash('error', message);
      return reply.redirect(`/portal/uploads/${upload.id}/`, 302);
    },
  );

  app.get('/portal/uploads/template.csv', { preHandler: requireUpload }, async (_request, reply) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', 'attachment; filename="payrixa-claims-template.csv"')
      .send(TEMPLATE_CSV),
  );
}
