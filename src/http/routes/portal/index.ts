import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.ts';
import { registerAccountRoutes } from './account.ts';
import { registerAdminRoutes } from './admin.ts';
import { registerAdminUserRoutes } from './admin-users.ts';
import { registerPortalAuthRoutes } from './auth.ts';
import { registerAxisRoutes } from './axis.ts';
import { registerTeamRoutes } from './team.ts';

/** Portal pages of the accounts area (web-api-ops §1.3). */
export function registerPortalRoutes(
  app: FastifyInstance,
  services: Services,
  options: { productPlaceholders: boolean },
): void {
  registerPortalAuthRoutes(app, services);
  registerAxisRoutes(app, services, options);
  registerTeamRoutes(app, services);
  registerAccountRoutes(app, services);
  registerAdminRoutes(app, services);
  registerAdminUserRoutes(app, services);
}
