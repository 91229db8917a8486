import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../../../obs/audit.ts';
import { presentAdminMetrics } from '../../../presenters/admin-metrics.ts';
import { adminMetrics } from '../../../queries/admin-metrics.ts';
import type { Services } from '../../../services.ts';
import { requireStaff } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { ButtonForm } from '../../schemas/index.ts';

/** The message of the deliberate error (the Sentry check of the deployment checklist). */
export const SENTRY_TEST_ERROR_MESSAGE = 'Sentry test error from the metrics dashboard';

/**
 * Staff metrics dashboard (web-api-ops §5.4): the page, its JSON feed (polled every 30 s by
 * /static/js/admin-metrics.js as a background request) and the "Send test error to Sentry"
 * button. Staff only: members get 403, anonymous visitors the login page.
 */
export function registerAdminMetricsRoutes(app: FastifyInstance, services: Services): void {
  const staff = { preValidation: requireStaff };
  const load = async () =>
    presentAdminMetrics(
      await adminMetrics({
        db: services.database.db,
        database: services.database,
        redis: services.redis,
        requestStats: services.requestStats,
        cacheKind: services.cache.kind,
        version: services.config.version,
        now: services.clock.now(),
      }),
    );

  app.get('/portal/admin/metrics/', staff, async (request, reply) =>
    renderPage(
      request,
      reply,
      'admin_metrics',
      { metrics: await load() },
      {
        title: 'Metrics Dashboard',
        section: 'metrics',
      },
    ),
  );

  app.get('/portal/admin/metrics/data/', staff, async (_request, reply) =>
    reply.header('Cache-Control', 'no-store').send(await load()),
  );

  app.post(
    '/portal/admin/metrics/test-error/',
    { preValidation: requireStaff, schema: { body: ButtonForm } },
    async (request) => {
      await recordAudit(services.database.db, {
        action: 'sentry_test_error_sent',
        userId: request.auth.user?.id ?? null,
        requestId: request.id,
        ip: request.ip,
      });
      // Deliberately unhandled: the error handler shows the 500 page with the request id and
      // reports it to Sentry, which is what this button checks.
      throw new Error(SENTRY_TEST_ERROR_MESSAGE);
    },
  );
}
