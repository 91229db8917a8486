import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.ts';
import { registerQualityAnomalyRoutes } from './quality-anomalies.ts';
import { registerQualityDashboardRoutes } from './quality-dashboard.ts';
import { registerQualityRuleRoutes } from './quality-rules.ts';
import { registerQualityTrendRoutes } from './quality-trends.ts';

/**
 * Data-quality pages (ingestion spec §4.4, web-api-ops §1.3), one registrar per part: the
 * dashboard and an upload's report (quality-dashboard.ts), the anomalies and their
 * acknowledgement (quality-anomalies.ts), the trends and the charts' JSON (quality-trends.ts),
 * the validation rules (quality-rules.ts). Read models are in src/queries/quality-pages.ts,
 * presenters in src/presenters/quality-pages.ts, writes in src/commands/manage-quality.ts.
 */
export function registerQualityRoutes(app: FastifyInstance, services: Services): void {
  // The old unprefixed URLs (`/quality/…`) move permanently under `/portal/`, query and all.
  app.get('/quality/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*'] ?? '';
    const queryAt = request.url.indexOf('?');
    const query = queryAt >= 0 ? request.url.slice(queryAt) : '';
    return reply.redirect(`/portal/quality/${rest}${query}`, 301);
  });
  registerQualityDashboardRoutes(app, services);
  registerQualityAnomalyRoutes(app, services);
  registerQualityTrendRoutes(app, services);
  registerQualityRuleRoutes(app, services);
}
