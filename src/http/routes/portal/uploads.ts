import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deleteUpload, isDeletableStatus, UploadNotDeletableError } from '../../../commands/delete-upload.ts';
import { DuplicateFileError, FileTooLargeError } from '../../../commands/upload-claims-file.ts';
import {
  cancelUploadMapping,
  completeUploadMapping,
  previewUploadColumns,
} from '../../../commands/upload-mapping.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import {
  findQualityReport,
  findQualityReportsOfUploads,
  type QualityReportRecord,
} from '../../../db/repositories/quality.repository.ts';
import {
  countCurrentClaimsOfUpload,
  countUploads,
  FINAL_UPLOAD_STATUSES,
  findUpload,
  listUploads,
  type UploadRecord,
} from '../../../db/repositories/uploads.repository.ts';
import { usernamesByIds } from '../../../db/repositories/users.repository.ts';
import { canDeleteUploads } from '../../../domain/accounts/permissions.ts';
import { CANONICAL_COLUMNS, type CanonicalField, REQUIRED_COLUMNS } from '../../../domain/claims/index.ts';
import {
  presentUploadProgress,
  qualityCategoryLabels,
  UPLOAD_STATUS_LABELS,
  uploadRecommendations,
} from '../../../presenters/uploads.ts';
import { loadUploadQuality } from '../../../queries/upload-quality.ts';
import { uploaderNames } from '../../../queries/uploader-names.ts';
import type { Services } from '../../../services.ts';
import { actingAsOperator } from '../../auth-state.ts';
import { requirePermission, sendForbidden, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { PORTAL_CSRF_MESSAGE } from '../../plugins/auth.ts';
import { enforceUploadRate, receiveUpload, truthyField, UploadRefusedError } from '../../upload-multipart.ts';
import { field, queryParam } from './form.ts';

/** Uploads pages (web-api-ops §1.3, §1.6 "Uploads"; ingestion spec §2.2, §2.13). */

export const PRIVACY_BANNER =
  '⚠️ Privacy Protection: NEVER include patient names, dates of birth, SSN, or addresses in your uploads. Use payer organization names only (e.g., "Blue Cross Blue Shield", "Medicare", "Aetna"). Uploads containing patient-like names will be rejected.';

const PAGE_SIZE = 50;
const requireUpload = requirePermission('upload_claims');

const TEMPLATE_CSV = [
  CANONICAL_COLUMNS.join(','),
  'Blue Cross Blue Shield,99213,2026-01-15,2026-02-01,PAID,150.00,,,C-1001,200.00,150.00,2026-02-10,25,false,false,11',
  'Medicare,99214,2026-01-16,2026-02-02,DENIED,0.00,CO-197,Precertification absent,C-1002,250.00,0.00,,,true,false,11',
  '',
].join('\r\n');

function minute(date: Date | string | null): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

function qualityCell(report: QualityReportRecord | undefined) {
  if (!report || report.total_rows === 0) return null;
  const score = Number(report.quality_score);
  const pct = Math.round(score * 100);
  const mark = score >= 0.95 ? '✓' : score >= 0.8 ? '⚠' : '✗';
  const level = score >= 0.95 ? 'good' : score >= 0.8 ? 'fair' : 'poor';
  return {
    text: `${mark} ${pct}%`,
    tooltip: `${report.accepted_rows}/${report.total_rows} accepted`,
    grade: report.grade,
    level,
  };
}

/** The formula-injection guard of the CSV downloads (§2.13). */
function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function registerUploadRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  function uploaderLabel(upload: UploadRecord, names: Map<string, string>): string {
    if (upload.uploaded_by !== null) return names.get(`u${upload.uploaded_by}`) ?? 'Unknown user';
    if (upload.token_id !== null) return names.get(`t${upload.token_id}`) ?? 'API token';
    return 'System';
  }

  async function uploadOf(request: FastifyRequest<{ Params: { id: string } }>): Promise<UploadRecord | null> {
    const id = parseId(request.params.id);
    if (id === null) return null;
    return (await findUpload(db, request.auth.customer!.id, id)) ?? null;
  }

  // --- list and form ---------------------------------------------------------------------

  app.get('/portal/uploads/', { preHandler: requireUpload }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const pageText = queryParam(request, 'page');
    const page = /^\d{1,6}$/.test(pageText) && Number(pageText) >= 1 ? Number(pageText) : 1;
    const total = await countUploads(db, customerId);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const uploads = await listUploads(db, customerId, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const names = await uploaderNames(db, customerId, uploads);
    const reportOf = await findQualityReportsOfUploads(
      db,
      customerId,
      uploads.map((u) => u.id),
    );
    const rows = uploads.map((u) => {
      const progress = presentUploadProgress(u);
      return {
        id: u.id,
        filename: u.filename,
        format: u.format === 'x12_835' ? 'X12 835' : u.format.toUpperCase(),
        status: u.status,
        statusLabel: UPLOAD_STATUS_LABELS[u.status],
        error: u.status === 'failed' ? u.error_message : null,
        processing: u.status === 'processing',
        percent: progress.percent,
        rowsPerSecond: progress.rows_per_second,
        rowsDone: progress.rows_done,
        rowsTotal: progress.rows_total,
        phaseLabel: progress.phase_label,
        uploaded: minute(u.created_at),
        by: uploaderLabel(u, names),
        rows: u.rows_total === null ? '-' : `${u.accepted_rows}/${u.rows_total}`,
        accepted: u.accepted_rows,
        rejected: u.rejected_rows,
        updated: u.updated_rows,
        duplicates: u.duplicate_rows,
        quality: qualityCell(reportOf.get(u.id)),
        dateRange: u.date_min && u.date_max ? `${u.date_min} to ${u.date_max}` : '-',
        needsMapping: u.status === 'needs_mapping',
        polling: u.status === 'queued' || u.status === 'processing',
      };
    });
    return renderPage(
      request,
      reply,
      'uploads',
      {
        banner: PRIVACY_BANNER,
        uploads: rows,
        polling: rows.some((r) => r.polling),
        page,
        pages,
        maxMb: services.config.upload.maxMb,
        maxRows: services.config.upload.maxRows.toLocaleString('en-US'),
      },
      { title: 'Uploads', section: 'uploads' },
    );
  });

  function sendCsrfFailure(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    request.log.warn({ route: request.routeOptions.url }, 'CSRF check failed');
    return reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(
        app.renderer.render('error', {
          status: 403,
          title: 'Forbidden',
          message: PORTAL_CSRF_MESSAGE,
          requestId: request.id,
          version: services.config.version,
        }),
      );
  }

  function csrfOk(request: FastifyRequest, fields: Record<string, string>): boolean {
    const header = request.headers['x-csrf-token'] ?? request.headers['x-csrftoken'];
    return request.checkCsrf(typeof header === 'string' ? header : fields['csrf_token']);
  }

  app.post(
    '/portal/uploads/',
    { preHandler: requireUpload, config: { csrf: false } },
    async (request, reply) => {
      const { auth } = request;
      const customerId = auth.customer!.id;
      if (!request.isMultipart()) {
        if (!csrfOk(request, { csrf_token: field(request, 'csrf_token') }))
          return sendCsrfFailure(request, reply);
        request.flash('error', 'No file uploaded');
        return reply.redirect('/portal/uploads/', 302);
      }
      let received: Awaited<ReturnType<typeof receiveUpload>>;
      try {
        received = await receiveUpload(request, {
          fileFields: ['csv_file'],
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
        request.flash('error', 'No file uploaded');
        return reply.redirect('/portal/uploads/', 302);
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

  // --- detail ----------------------------------------------------------------------------

  app.get<{ Params: { id: string } }>(
    '/portal/uploads/:id/',
    { preHandler: requireUpload },
    async (request, reply) => {
      const upload = await uploadOf(request);
      if (!upload) return sendNotFoundPage(request, reply);
      const customerId = request.auth.customer!.id;
      const quality = await loadUploadQuality(db, customerId, upload.id);
      const report = quality?.report;
      const names = await uploaderNames(db, customerId, [upload]);
      const category = queryParam(request, 'category');
      const allRejections = report?.rejection_details ?? [];
      const filtered = category ? allRejections.filter((r) => r.category === category) : allRejections;
      const pageText = queryParam(request, 'page');
      const rejectionPages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
      const page = /^\d{1,6}$/.test(pageText) ? Math.min(Math.max(1, Number(pageText)), rejectionPages) : 1;
      const warnings = report?.warnings ?? [];
      const final = FINAL_UPLOAD_STATUSES.includes(upload.status);
      const deletedBy =
        upload.deleted_by === null
          ? null
          : { username: (await usernamesByIds(db, [upload.deleted_by])).get(upload.deleted_by) };
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
            uploaded: minute(upload.created_at),
            by: uploaderLabel(upload, names),
            format: upload.format === 'x12_835' ? 'X12 835' : upload.format.toUpperCase(),
            dateRange: upload.date_min && upload.date_max ? `${upload.date_min} to ${upload.date_max}` : '-',
            error: upload.error_message,
          },
          final,
          canDelete: isDeletableStatus(upload.status) && canDeleteUploads(request.auth.actor),
          deleted:
            upload.status === 'deleted'
              ? { at: minute(upload.deleted_at), by: deletedBy?.username ?? 'Unknown user' }
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
          rejections: filtered.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
          rejectionCount: filtered.length,
          rejectionPage: page,
          rejectionPages,
          category,
          categories: [
            ['', 'All categories'],
            ['phi', 'PHI detected'],
            ['missing_fields', 'Missing fields'],
            ['invalid_dates', 'Invalid dates'],
            ['invalid_values', 'Invalid values'],
          ],
          fileWarnings: warnings.filter((w) => w.row === null),
          rowWarnings: warnings.filter((w) => w.row !== null),
          recommendations: quality ? uploadRecommendations(quality.report, quality.criticalAnomalies) : [],
        },
        { title: `Upload #${upload.id}`, section: 'uploads' },
      );
    },
  );

  // --- delete (soft removal; docs/DECISIONS.md "Deleting an upload") ---------------------

  /**
   * The upload a delete request is about, or the reply already sent: 403 for roles below
   * admin (checked first, §4.2 order: a role that may never delete learns nothing about ids),
   * 404 for an unknown or another customer's id, flash + back to the detail page when the
   * upload is not (or no longer) deletable.
   */
  async function deletableUpload(
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
  ): Promise<{ upload: UploadRecord } | { refused: FastifyReply }> {
    if (!canDeleteUploads(request.auth.actor))
      return { refused: sendForbidden(request, reply, 'delete_uploads') };
    const upload = await uploadOf(request);
    if (!upload) return { refused: sendNotFoundPage(request, reply) };
    if (!isDeletableStatus(upload.status)) {
      request.flash('error', new UploadNotDeletableError(upload).message);
      return { refused: reply.redirect(`/portal/uploads/${upload.id}/`, 302) };
    }
    return { upload };
  }

  app.get<{ Params: { id: string } }>(
    '/portal/uploads/:id/delete/',
    { preHandler: requireUpload },
    async (request, reply) => {
      const checked = await deletableUpload(request, reply);
      if ('refused' in checked) return checked.refused;
      const { upload } = checked;
      const claims = await countCurrentClaimsOfUpload(db, upload.customer_id, upload.id);
      return renderPage(
        request,
        reply,
        'upload_delete',
        { upload: { id: upload.id, filename: upload.filename }, claims },
        { title: `Delete upload #${upload.id}`, section: 'uploads' },
      );
    },
  );

  // The auth plugin checks the CSRF token of this form POST before the handler runs.
  app.post<{ Params: { id: string } }>(
    '/portal/uploads/:id/delete/',
    { preHandler: requireUpload },
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
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
    },
  );

  // Progress fragment (web-api-ops §1.3): what the detail page's progress box shows.
  app.get<{ Params: { id: string } }>(
    '/portal/uploads/:id/progress/',
    { preHandler: requireUpload },
    async (request, reply) => {
      const upload = await uploadOf(request);
      if (!upload) return sendNotFoundPage(request, reply);
      const p = presentUploadProgress(upload);
      const html = app.renderer.render('upload_progress', {
        progress: p,
        label: UPLOAD_STATUS_LABELS[p.status],
      });
      return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/portal/uploads/:id/rejections.csv',
    { preHandler: requireUpload },
    async (request, reply) => {
      const upload = await uploadOf(request);
      if (!upload) return sendNotFoundPage(request, reply);
      const report = await findQualityReport(db, request.auth.customer!.id, upload.id);
      const lines = ['row,category,reason'];
      for (const r of report?.rejection_details ?? []) {
        lines.push([r.row, r.category, r.reason].map(csvCell).join(','));
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="upload-${upload.id}-rejections.csv"`)
        .send(`${lines.join('\r\n')}\r\n`);
    },
  );

  // --- column mapping step ---------------------------------------------------------------

  async function renderMapping(
    request: FastifyRequest<{ Params: { id: string } }>,
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

  app.get<{ Params: { id: string } }>(
    '/portal/uploads/:id/map-columns/',
    { preHandler: requireUpload },
    async (request, reply) => {
      const upload = await uploadOf(request);
      if (!upload) return sendNotFoundPage(request, reply);
      if (upload.status !== 'needs_mapping') return reply.redirect(`/portal/uploads/${upload.id}/`, 302);
      return renderMapping(request, reply, upload.id);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/portal/uploads/:id/map-columns/',
    { preHandler: requireUpload },
    async (request, reply) => {
      const upload = await uploadOf(request);
      if (!upload) return sendNotFoundPage(request, reply);
      const detail = `/portal/uploads/${upload.id}/`;
      if (upload.status !== 'needs_mapping') return reply.redirect(detail, 302);
      const base = {
        customerId: upload.customer_id,
        uploadId: upload.id,
        userId: request.auth.user!.id,
        requestId: request.id,
      };
      try {
        if (field(request, 'action') === 'cancel') {
          const failed = await cancelUploadMapping(services, base);
          request.flash('error', `Upload failed: ${failed.error_message ?? 'cancelled'}`);
          return reply.redirect(detail, 302);
        }
        const chosen: Partial<Record<CanonicalField, string>> = {};
        for (const name of CANONICAL_COLUMNS) {
          const value = field(request, `map_${name}`);
          if (value) chosen[name] = value;
        }
        const profileName = field(request, 'profile_name');
        try {
          await completeUploadMapping(services, { ...base, ip: request.ip, map: chosen, profileName });
        } catch (error) {
          if (
            error instanceof AppError &&
            (error.code === 'invalid_mapping' || error.code === 'profile_exists')
          ) {
            return renderMapping(request, reply, upload.id, { error: error.message, chosen, profileName });
          }
          const fieldError = error instanceof AppError ? error.errors?.['profile_name']?.[0] : undefined;
          if (fieldError) {
            const name = `Profile name: ${fieldError}`;
            return renderMapping(request, reply, upload.id, { error: name, chosen, profileName });
          }
          throw error;
        }
        // No flash: the upload's page shows its live progress, then its result.
        return reply.redirect(detail, 302);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        if (error instanceof AppError && error.code === 'upload_not_mappable')
          return reply.redirect(detail, 302);
        throw error;
      }
    },
  );
}
