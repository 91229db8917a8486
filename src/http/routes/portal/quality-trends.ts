import type { FastifyInstance } from 'fastify';
import type { MetricType } from '../../../domain/quality/index.ts';
import {
  presentMetricChartData,
  presentQualityTrends,
  presentValidationChartData,
} from '../../../presenters/quality-trends.ts';
import {
  daysBefore,
  loadMetricSeries,
  loadQualityTrends,
  loadRuleFailures,
  METRIC_TYPES,
} from '../../../queries/quality-pages.ts';
import type { Services } from '../../../services.ts';
import { requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { DaysQuery, MetricChartQuery } from './quality.schemas.ts';

const DAY_OPTIONS = [7, 30, 60, 90] as const;

/** `/portal/quality/trends/` and the JSON of its charts (ingestion spec §4.4). */
export function registerQualityTrendRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const since = (days: number) => daysBefore(services.clock.now(), days);

  app.get<{ Querystring: { days?: number } }>(
    '/portal/quality/trends/',
    { preValidation: requireView, schema: { querystring: DaysQuery } },
    async (request, reply) => {
      const requested = request.query.days ?? 30;
      const days = (DAY_OPTIONS as readonly number[]).includes(requested) ? requested : 30;
      const view = await loadQualityTrends(db, request.auth.customer!.id, since(days));
      const page = presentQualityTrends(view, { days, dayOptions: DAY_OPTIONS, metricTypes: METRIC_TYPES });
      return renderPage(request, reply, 'quality_trends', page, {
        title: 'Quality Trends',
        section: 'quality',
      });
    },
  );

  app.get<{ Querystring: { metric_type?: MetricType; days?: number } }>(
    '/portal/quality/api/metrics/chart-data/',
    { preValidation: requireView, schema: { querystring: MetricChartQuery } },
    async (request, reply) => {
      const { metric_type: metricType = 'completeness', days = 30 } = request.query;
      const series = await loadMetricSeries(db, request.auth.customer!.id, metricType, since(days));
      return reply.send(presentMetricChartData(series));
    },
  );

  app.get<{ Querystring: { days?: number } }>(
    '/portal/quality/api/validation/chart-data/',
    { preValidation: requireView, schema: { querystring: DaysQuery } },
    async (request, reply) => {
      const view = await loadRuleFailures(db, request.auth.customer!.id, since(request.query.days ?? 30));
      return reply.send(presentValidationChartData(view));
    },
  );
}
