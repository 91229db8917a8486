import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { presentDenialScopeDashboard } from '../../../presenters/denialscope-dashboard.ts';
import { loadDenialScopeDashboard } from '../../../queries/denialscope-dashboard.ts';
import type { Services } from '../../../services.ts';
import { requireProduct, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
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
      const view = await loadDenialScopeDashboard(db, customerIdOf(request), today);
      return renderPage(
        request,
        reply,
        'denialscope',
        presentDenialScopeDashboard(view, {
          today,
          payer: filterText(request.query.payer),
          canRun: canRunAnalysis(request),
        }),
        { title: 'DenialScope', section: 'denialscope' },
      );
    },
  );
}
