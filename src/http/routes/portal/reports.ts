import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { triggerPortalAnalyses } from '../../../commands/trigger-analysis.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import { findRun } from '../../../db/repositories/analysis-runs.repository.ts';
import { downloadFormats } from '../../../domain/reports/artifacts.ts';
import { queueReportArtifact } from '../../../jobs/definitions/reports.ts';
import {
  generateRequestMessage,
  presentRunsPage,
  runRequestMessage,
} from '../../../presenters/analysis-runs.ts';
import { loadRunsPage, RUNS_PAGE_SIZE } from '../../../queries/analysis-runs-page.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { downloadFilters, sendRunDownload } from '../../report-download.ts';
import { IdParams } from '../../schemas/index.ts';
import { RunAnalysisForm } from './analytics.schemas.ts';
import { canRunAnalysis, customerIdOf, todayOf, triggerActorOf } from './analytics-context.ts';
import { GenerateReportForm, RunDownloadParams, RunDownloadQuery, RunsPageQuery } from './reports.schemas.ts';

/**
 * `/portal/reports/` (alerts-reports §13.4, web-api-ops §1.6): the analysis runs with their
 * downloads, "Run analysis now" (analytics §10.2), the downloads themselves (§13.2) and
 * "Generate now" (re-queues a run's weekly PDF, issue 14).
 */
export function registerReportsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/reports/',
    { preValidation: requireView, schema: { querystring: RunsPageQuery } },
    async (request, reply) => {
      const page = request.query.page ?? 1;
      const view = await loadRunsPage(db, customerIdOf(request), page);
      // Past the last page is a page that does not exist (page 1 always exists: the empty state).
      if (page > 1 && (page - 1) * RUNS_PAGE_SIZE >= view.count)
        throw new AppError('not_found', 'Invalid page.', 404);
      return renderPage(
        request,
        reply,
        'reports',
        presentRunsPage(view, { canRun: canRunAnalysis(request), page }),
        { title: 'Reports', section: 'reports' },
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

  portal.get(
    '/portal/reports/:id/download/:format/',
    {
      preValidation: requireView,
      schema: { params: RunDownloadParams, querystring: RunDownloadQuery },
    },
    async (request, reply) =>
      sendRunDownload(request, reply, services, {
        customerId: customerIdOf(request),
        runId: request.params.id,
        format: request.params.format,
        filters: downloadFilters(request.query),
        via: 'portal',
      }),
  );

  // "Generate now": queues the run's weekly PDF again (the `report_artifact` job rebuilds and
  // records it). Only runs with a PDF offer the button; another tenant's run is the 404 page.
  portal.post(
    '/portal/reports/:id/generate/',
    {
      preValidation: requirePermission('run_analysis'),
      schema: { params: IdParams, body: GenerateReportForm },
    },
    async (request, reply) => {
      const customerId = customerIdOf(request);
      const run = await findRun(db, customerId, request.params.id);
      if (!run) throw new NotFoundError(`Run ${request.params.id} not found`);
      const offered = downloadFormats({ product: run.product, runType: run.run_type, status: run.status });
      if (!offered.includes('pdf')) {
        request.flash('warning', `The run of ${run.as_of} (#${run.id}) has no PDF report.`);
        return reply.redirect('/portal/reports/', 302);
      }
      await queueReportArtifact(services.queue, run, request.id);
      request.flash('success', generateRequestMessage(run));
      return reply.redirect('/portal/reports/', 302);
    },
  );
}
