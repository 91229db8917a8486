import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PRODUCT_LIST_ORDER } from '../../../domain/accounts/products.ts';
import { feedType, presentDriftFeed } from '../../../presenters/drift-feed.ts';
import { loadDriftFeed } from '../../../queries/drift-feed.ts';
import type { Services } from '../../../services.ts';
import { requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { DriftFeedQuery } from './analytics.schemas.ts';
import { customerIdOf, filterText } from './analytics-context.ts';

/** `/portal/drift-feed/` (analytics §13.6): the findings of the enabled products, filtered and paged. */
export function registerDriftFeedRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const portal = app.withTypeProvider<TypeBoxTypeProvider>();

  portal.get(
    '/portal/drift-feed/',
    { preValidation: requireView, schema: { querystring: DriftFeedQuery } },
    async (request, reply) => {
      const { query } = request;
      const enabled = PRODUCT_LIST_ORDER.filter((p) => request.auth.products.includes(p));
      // Type: a product, or "product:SIGNAL_TYPE" (§13.6); a product not enabled is no filter.
      const type = feedType(query.product, enabled);
      const severity = query.severity || undefined;
      const direction = query.direction || undefined;
      const page = query.page ?? 1;
      const payer = filterText(query.payer);
      const view = await loadDriftFeed(db, customerIdOf(request), {
        products: type.product ? [type.product] : enabled,
        ...(type.signal && { signal: type.signal }),
        ...(payer && { payer }),
        ...(severity && { severity }),
        ...(direction && { direction }),
        page,
      });
      return renderPage(
        request,
        reply,
        'drift_feed',
        presentDriftFeed(view, { enabled, type: type.value, severity, direction, page }),
        { title: 'Drift Feed', section: null },
      );
    },
  );
}
