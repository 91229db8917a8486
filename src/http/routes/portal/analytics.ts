import type { FastifyInstance } from 'fastify';
import type { AnalysisProduct } from '../../../db/schema.ts';
import { presentAxisTile } from '../../../presenters/dashboard-common.ts';
import { loadAxisTile } from '../../../queries/axis-tiles.ts';
import type { Services } from '../../../services.ts';
import { registerDelayGuardRoutes } from './delayguard.ts';
import { registerDenialScopeRoutes } from './denialscope.ts';
import { registerDriftFeedRoutes } from './drift-feed.ts';
import { registerDriftWatchRoutes } from './driftwatch.ts';
import { registerFindingRoutes } from './findings.ts';
import { registerReportsRoutes } from './reports.ts';

/**
 * The analytics pages (analytics §13, web-api-ops §1.3), one registrar per resource: the three
 * product dashboards, finding detail, drift feed and reports. The backtest, insights and
 * progress routes have their own files registered by index.ts.
 */
export function registerAnalyticsPortalRoutes(app: FastifyInstance, services: Services): void {
  registerDriftWatchRoutes(app, services);
  registerDenialScopeRoutes(app, services);
  registerDelayGuardRoutes(app, services);
  registerFindingRoutes(app, services);
  registerDriftFeedRoutes(app, services);
  registerReportsRoutes(app, services);
}

/** Live Axis tile of one product (latest run, findings by label, worst payer): axis.ts. */
export async function axisTile(services: Services, customerId: number, product: AnalysisProduct) {
  const data = await loadAxisTile(services.database.db, customerId, product);
  return presentAxisTile(product, data.run, data.findings);
}
