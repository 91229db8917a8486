import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { presentDenialScopeDashboard } from '../../../presenters/denialscope-dashboard.ts';
import { loadDenialScopeDashboard } from '../../../queries/denialscope-dashboard.ts';
import type { Services } from '../../../services.ts';
import { requireProduct, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { dashboardAlertsCard, similarAlertBadges } from './alerts.ts';
import { PayerQuery } from './analytics.schemas.ts';
import { canRunAnalysis, customerIdOf, filterText, todayOf } from './analytics-context.ts';

/** `/portal/products/denialscope/` (analytics §13.4). */
export function registerDenialScopeRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/products/denialscope/',
    { preValidation: [requireView, requireProduct('denialscope')], schema: { querystring: PayerQuery } },
    async (request, reply) => {
      const today = todayOf(services);
      const customerId = customerIdOf(request);
      const view = await loadDenialScopeDashboard(db, customerId, today);
      const page = presentDenialScopeDashboard(view, {
        today,
        payer: filterText(request.query.payer),
        canRun: canRunAnalysis(request),
      });
      // Alerts (alerts-reports §11): similar-alert badges of the recent signals and the alerts card.
      const badges = await similarAlertBadges(services, customerId, view.recent, today);
      return renderPage(
        request,
        reply,
        'denialscope',
        {
          ...page,
          recent: page.recent.map((row) => ({ ...row, similar: badges.get(row.id) ?? null })),
          alertsCard: await dashboardAlertsCard(services, customerId, today),
        },
        { title: 'DenialScope', section: 'denialscope' },
      );
    },
  );
}
