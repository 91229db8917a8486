import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { checkHealth, rootHealthBody } from '../../obs/health.ts';
import type { Services } from '../../services.ts';
import { Choice, DateTimeString, operation } from '../schemas/index.ts';

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

  const Check = Choice(['ok', 'error', 'in-process']);
  const Health = Type.Object(
    {
      status: Choice(['healthy', 'degraded']),
      version: Type.String({ examples: ['1.0.0'] }),
      timestamp: DateTimeString,
      checks: Type.Object({ database: Check, redis: Check }),
    },
    { title: 'Health' },
  );
  const schema = operation(
    {
      tag: 'API',
      summary: 'Health of the service and its dependencies',
      description: '503 (same body, `status: degraded`) when the database or Redis check fails.',
      access: 'public',
    },
    { response: { 200: Health, 503: Health } },
  );
  app.get('/api/v1/health/', { schema }, async (_request, reply) => {
    const report = await checkHealth(services);
    reply.header('Cache-Control', 'no-store');
    return reply.code(report.status === 'healthy' ? 200 : 503).send(report);
  });
}
