import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { presentDelayGuardDashboard } from '../../../presenters/delayguard-dashboard.ts';
import { loadDelayGuardDashboard } from '../../../queries/delayguard-dashboard.ts';
import type { Services } from '../../../services.ts';
import { requireProduct, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { dashboardAlertsCard, similarAlertBadges } from './alerts.ts';
import { PayerQuery } from './analytics.schemas.ts';
import { canRunAnalysis, customerIdOf, filterText, todayOf } from './analytics-context.ts';

/** `/portal/products/delayguard/` (analytics §13.5). */
export function registerDelayGuardRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/products/delayguard/',
    { preValidation: [requireView, requireProduct('delayguard')], schema: { querystring: PayerQuery } },
    async (request, reply) => {
      const today = todayOf(services);
      const view = await loadDelayGuardDashboard(db, customerIdOf(request), today);
      const page = presentDelayGuardDashboard(view, {
        today,
        payer: filterText(request.query.payer),
        canRun: canRunAnalysis(request),
      });
      // Alerts (alerts-reports §11): similar-alert badges of the listed signals and the alerts card.
      const listed = view.history.slice(0, page.recent.length);
      const badges = await similarAlertBadges(services, customerIdOf(request), listed, today);
      return renderPage(
        request,
        reply,
        'delayguard',
        {
          ...page,
          recent: page.recent.map((row) => ({ ...row, similar: badges.get(row.id) ?? null })),
          alertsCard: await dashboardAlertsCard(services, customerIdOf(request), today),
        },
        { title: 'DelayGuard', section: 'delayguard' },
      );
    },
  );
}
