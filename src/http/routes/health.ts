import type { FastifyInstance } from 'fastify';
import { checkHealth, rootHealthBody } from '../../obs/health.ts';
import type { Services } from '../../services.ts';

const ANY_METHOD = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * `/health/`, `/healthz/`, `/ping/`: answer any method without touching the database,
 * Redis, sessions or disk, with no headers but Cache-Control (bare routes).
 * `/api/v1/health/`: version plus database and Redis checks; 503 when degraded.
 */
export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  for (const url of ['/health/', '/healthz/', '/ping/']) {
    app.route({
      method: [...ANY_METHOD],
      url,
      config: { bare: true },
      // Exposed HEAD would be a second route; HEAD is in the method list already.
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        reply.header('Cache-Control', 'no-store').type('application/json');
        return reply.send(request.method === 'HEAD' ? '' : rootHealthBody());
      },
    });
  }

  app.get('/api/v1/health/', async (_request, reply) => {
    const report = await checkHealth(services);
    reply.header('Cache-Control', 'no-store');
    return reply.code(report.status === 'healthy' ? 200 : 503).send(report);
  });
}
