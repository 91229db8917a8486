import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../config/errors.ts';
import { listRuns } from '../../../db/repositories/analysis-runs.repository.ts';
import { PRODUCTS } from '../../../domain/accounts/products.ts';
import type { Services } from '../../../services.ts';
import { requireView } from '../../guards.ts';

/** What a run that has not finished is doing, in words for the reports page. */
const RUN_PHASE_LABELS: Record<string, string> = {
  queued: 'Waiting to start',
  running: 'Running',
};

/**
 * `GET /portal/reports/progress/` — the customer's analysis runs that have not finished
 * (queued or running), polled by the reports page after "Run analysis now" so it can show
 * them live and then swap in the results without a reload.
 */
export function registerAnalysisProgressRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  app.get('/portal/reports/progress/', { preHandler: requireView }, async (request, reply) => {
    const customer = request.auth.customer;
    if (!customer) throw new AppError('no_customer', 'No customer.', 403);
    const [queued, running] = await Promise.all([
      listRuns(db, customer.id, { status: 'queued', includeBacktests: true, limit: 20 }),
      listRuns(db, customer.id, { status: 'running', includeBacktests: true, limit: 20 }),
    ]);
    const pending = [...running, ...queued].map((run) => ({
      id: run.id,
      product: PRODUCTS[run.product].label,
      status: run.status,
      phase_label: RUN_PHASE_LABELS[run.status] ?? run.status,
      as_of: run.as_of,
    }));
    return reply.header('Cache-Control', 'no-store').send({ done: pending.length === 0, pending });
  });
}
