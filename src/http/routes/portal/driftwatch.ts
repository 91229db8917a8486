import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { presentDriftWatchDashboard } from '../../../presenters/driftwatch-dashboard.ts';
import { loadDriftWatchDashboard } from '../../../queries/driftwatch-dashboard.ts';
import type { Services } from '../../../services.ts';
import { requireProduct, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { dashboardAlertsCard, similarAlertBadges } from './alerts.ts';
import { DriftWatchQuery } from './analytics.schemas.ts';
import { canRunAnalysis, customerIdOf, filterText, todayOf } from './analytics-context.ts';

/** `/portal/products/driftwatch/` (analytics §13.3). */
export function registerDriftWatchRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/products/driftwatch/',
    { preValidation: [requireView, requireProduct('driftwatch')], schema: { querystring: DriftWatchQuery } },
    async (request, reply) => {
      const today = todayOf(services);
      const signal = filterText(request.query.signal);
      const payer = filterText(request.query.payer);
      const group = filterText(request.query.cpt_group);
      const view = await loadDriftWatchDashboard(db, customerIdOf(request), today, {
        ...(signal && { signal }),
        ...(payer && { payer }),
        ...(group && { group }),
      });
      const page = presentDriftWatchDashboard(view, { today, signal, canRun: canRunAnalysis(request) });
      // Alerts (alerts-reports §11): similar-alert badges of the recent findings and the alerts card.
      const badges = await similarAlertBadges(services, customerIdOf(request), view.recent, today);
      return renderPage(
        request,
        reply,
        'driftwatch',
        {
          ...page,
          recent: page.recent.map((row) => ({ ...row, similar: badges.get(row.id) ?? null })),
          alertsCard: await dashboardAlertsCard(services, customerIdOf(request), today),
        },
        { title: 'DriftWatch', section: 'driftwatch' },
      );
    },
  );
}
