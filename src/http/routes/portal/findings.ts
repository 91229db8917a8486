import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { findingEvidence } from '../../../commands/finding-evidence.ts';
import { presentFindingDetail } from '../../../presenters/finding-detail.ts';
import type { Services } from '../../../services.ts';
import { requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { IdParams } from '../../schemas/index.ts';
import { NoQuery } from './analytics.schemas.ts';
import { customerIdOf } from './analytics-context.ts';

/**
 * `/portal/findings/<id>/`: a finding's evidence, statistics and interpretation. Another
 * customer's finding, like a missing one, is 404 (tenant isolation); a malformed id is 404
 * from the params schema.
 */
export function registerFindingRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/findings/:id/',
    { preValidation: requireView, schema: { params: IdParams, querystring: NoQuery } },
    async (request, reply) => {
      const { id } = request.params;
      const detail = await findingEvidence(db, customerIdOf(request), id, {
        portalUrl: `/portal/findings/${id}/`,
      });
      if (!detail) return sendNotFoundPage(request, reply);
      return renderPage(
        request,
        reply,
        'finding_detail',
        presentFindingDetail(detail, {
          productEnabled: request.auth.products.includes(detail.finding.product),
        }),
        { title: `Finding #${detail.finding.id}`, section: detail.finding.product },
      );
    },
  );
}
