import type { FastifyInstance } from 'fastify';
import { acknowledgeDataAnomaly } from '../../../commands/manage-quality.ts';
import { NotFoundError } from '../../../config/errors.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import { presentAnomaliesPage } from '../../../presenters/quality-pages.ts';
import { daysBefore, loadAnomalies } from '../../../queries/quality-pages.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { portalActor } from '../../portal-actor.ts';
import { AcknowledgeForm, DaysQuery, QualityIdParams } from './quality.schemas.ts';

const DAY_OPTIONS = [30, 60, 90] as const;

/** `/portal/quality/anomalies/` and acknowledging one anomaly (ingestion spec §4.4). */
export function registerQualityAnomalyRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get<{ Querystring: { days?: number } }>(
    '/portal/quality/anomalies/',
    { preValidation: requireView, schema: { querystring: DaysQuery } },
    async (request, reply) => {
      const requested = request.query.days ?? 30;
      const days = (DAY_OPTIONS as readonly number[]).includes(requested) ? requested : 30;
      const since = daysBefore(services.clock.now(), days);
      const anomalies = await loadAnomalies(db, request.auth.customer!.id, since);
      const page = presentAnomaliesPage(anomalies, {
        days,
        dayOptions: DAY_OPTIONS,
        canAcknowledge: can(request.auth.actor, 'triage_alerts'),
      });
      return renderPage(request, reply, 'quality_anomalies', page, {
        title: 'Data Quality Anomalies',
        section: 'quality',
      });
    },
  );

  // A page form (with `next`) is redirected back with a flash; the pages' script posts without
  // `next` and reads JSON.
  app.post<{ Params: { id: number }; Body: { notes?: string; next?: string } }>(
    '/portal/quality/api/anomalies/:id/acknowledge/',
    {
      preValidation: requirePermission('triage_alerts'),
      schema: { params: QualityIdParams, body: AcknowledgeForm },
    },
    async (request, reply) => {
      const next = request.body?.next ?? '';
      const wantsPage = next !== '';
      try {
        const row = await acknowledgeDataAnomaly(db, portalActor(request), {
          anomalyId: request.params.id,
          notes: request.body?.notes ?? '',
        });
        if (wantsPage) {
          request.flash('success', 'Anomaly acknowledged');
          return reply.redirect(
            next.startsWith('/portal/quality/') ? next : '/portal/quality/anomalies/',
            302,
          );
        }
        const acknowledgedAt = new Date(row.acknowledged_at ?? services.clock.now()).toISOString();
        return reply.send({ success: true, anomaly_id: row.id, acknowledged_at: acknowledgedAt });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        return wantsPage ? sendNotFoundPage(request, reply) : reply.code(404).send({ detail: 'Not found.' });
      }
    },
  );
}
