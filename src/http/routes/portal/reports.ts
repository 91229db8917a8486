import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { triggerPortalAnalyses } from '../../../commands/trigger-analysis.ts';
import { presentRunsPage, runRequestMessage } from '../../../presenters/analysis-runs.ts';
import { loadRunsPage } from '../../../queries/analysis-runs-page.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { NoQuery, RunAnalysisForm } from './analytics.schemas.ts';
import { canRunAnalysis, customerIdOf, todayOf, triggerActorOf } from './analytics-context.ts';

/** `/portal/reports/` (web-api-ops §1.6): the analysis runs, and "Run analysis now" (analytics §10.2). */
export function registerReportsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/reports/',
    { preValidation: requireView, schema: { querystring: NoQuery } },
    async (request, reply) => {
      const view = await loadRunsPage(db, customerIdOf(request));
      return renderPage(
        request,
        reply,
        'reports',
        presentRunsPage(view, { canRun: canRunAnalysis(request) }),
        {
          title: 'Reports',
          section: 'reports',
        },
      );
    },
  );

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → the form schema.
  portal.post(
    '/portal/reports/run/',
    { preValidation: requirePermission('run_analysis'), schema: { body: RunAnalysisForm } },
    async (request, reply) => {
      const results = await triggerPortalAnalyses(
        { db, queue: services.queue },
        triggerActorOf(request),
        todayOf(services),
      );
      const { level, message } = runRequestMessage(results);
      request.flash(level, message);
      return reply.redirect('/portal/reports/', 302);
    },
  );
}
