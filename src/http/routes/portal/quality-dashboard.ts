import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../config/errors.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import { presentQualityDashboard, presentUploadQualityPage } from '../../../presenters/quality-pages.ts';
import { loadQualityDashboard, loadUploadQualityPage } from '../../../queries/quality-pages.ts';
import type { Services } from '../../../services.ts';
import { requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { QualityDashboardQuery, QualityIdParams } from './quality.schemas.ts';

/** `/portal/quality/` and `/portal/quality/uploads/<id>/` (ingestion spec §4.4). */
export function registerQualityDashboardRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get(
    '/portal/quality/',
    { preValidation: requireView, schema: { querystring: QualityDashboardQuery } },
    async (request, reply) => {
      const view = await loadQualityDashboard(db, request.auth.customer!.id, services.clock.now());
      return renderPage(request, reply, 'quality_dashboard', presentQualityDashboard(view), {
        title: 'Data Quality Dashboard',
        section: 'quality',
      });
    },
  );

  app.get<{ Params: { id: number } }>(
    '/portal/quality/uploads/:id/',
    { preValidation: requireView, schema: { params: QualityIdParams } },
    async (request, reply) => {
      const view = await loadUploadQualityPage(db, request.auth.customer!.id, request.params.id);
      if (!view) throw new NotFoundError();
      const page = presentUploadQualityPage(view, {
        canAcknowledge: can(request.auth.actor, 'triage_alerts'),
      });
      return renderPage(request, reply, 'quality_upload', page, {
        title: 'Upload Quality Report',
        section: 'quality',
      });
    },
  );
}
