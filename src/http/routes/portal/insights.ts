import type { FastifyInstance } from 'fastify';
import { listLatestSystemEvents } from '../../../db/repositories/analysis-runs.repository.ts';
import { presentInsightEvent } from '../../../presenters/insights.ts';
import type { Services } from '../../../services.ts';
import { requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { NoQuery } from './analytics.schemas.ts';
import { customerIdOf } from './analytics-context.ts';

/** Insights feed (analytics spec §13.7): the customer's 50 newest system events. */
export function registerInsightsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  app.get(
    '/portal/insights/',
    { preValidation: requireView, schema: { querystring: NoQuery } },
    async (request, reply) => {
      const rows = await listLatestSystemEvents(db, customerIdOf(request), 50);
      return renderPage(
        request,
        reply,
        'insights',
        { events: rows.map(presentInsightEvent) },
        { title: 'Insights Feed', section: 'insights' },
      );
    },
  );
}
