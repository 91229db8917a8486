import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { presentDashboard } from '../../../presenters/analytics.ts';
import { loadDashboard } from '../../../queries/dashboard.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { operation } from '../../schemas/index.ts';
import { CustomerOnlyQuery, Dashboard } from './analytics.schemas.ts';

import { registerFindingsApiRoutes } from './findings.ts';
import { registerReportsApiRoutes } from './reports.ts';

/**
 * Analytics REST resources (web-api-ops §4.5–§4.6, analytics §13.8), one registrar per resource:
 * reports and jobs (reports.ts), drift events, signals and findings (findings.ts), dashboard (here).
 */
export function registerAnalyticsApiRoutes(app: FastifyInstance, services: Services): void {
  registerReportsApiRoutes(app, services);
  registerFindingsApiRoutes(app, services);
  registerDashboardApiRoute(app, services);
}

/** `dashboard/`: headline numbers of one customer (read model src/queries/dashboard.ts). */
function registerDashboardApiRoute(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const today = () => services.clock.now().toISOString().slice(0, 10);

  // ---- dashboard ----
  api.get(
    '/api/v1/dashboard/',
    {
      preValidation: apiScope({ requireCustomer: true }),
      schema: operation(
        { tag: 'Dashboard', summary: 'Headline numbers and the 12-week denial-rate trend (unpaginated)' },
        { querystring: CustomerOnlyQuery, response: { 200: Dashboard } },
      ),
    },
    async (request) => presentDashboard(await loadDashboard(db, request.apiCustomerId as number, today())),
  );
}
