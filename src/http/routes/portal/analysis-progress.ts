import type { FastifyInstance } from 'fastify';
import { presentRunProgress } from '../../../presenters/analysis-runs.ts';
import { loadPendingRuns } from '../../../queries/analysis-runs-page.ts';
import type { Services } from '../../../services.ts';
import { requireView } from '../../guards.ts';
import { NoQuery } from './analytics.schemas.ts';
import { customerIdOf } from './analytics-context.ts';

/**
 * `GET /portal/reports/progress/` — the customer's analysis runs that have not finished
 * (queued or running), polled by the reports page after "Run analysis now" so it can show
 * them live and then swap in the results without a reload.
 */
export function registerAnalysisProgressRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  app.get(
    '/portal/reports/progress/',
    { preValidation: requireView, schema: { querystring: NoQuery } },
    async (request, reply) => {
      const pending = await loadPendingRuns(db, customerIdOf(request));
      return reply.header('Cache-Control', 'no-store').send(presentRunProgress(pending));
    },
  );
}
