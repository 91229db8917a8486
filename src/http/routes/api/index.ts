import type { FastifyInstance } from 'fastify';
import { isStaffUser, mePermissions } from '../../../domain/accounts/permissions.ts';
import type { Services } from '../../../services.ts';
import { requireApiAuth } from '../../guards.ts';
import { registerAccountsApiRoutes } from './accounts.ts';
import { registerAnalyticsApiRoutes } from './analytics.ts';
import { registerApiAuthRoutes } from './auth.ts';
import { registerClaimsApiRoutes } from './claims.ts';
import { registerIngestionApiRoutes } from './ingestion.ts';
import { registerMappingsApiRoutes } from './mappings.ts';
import { registerSettingsApiRoutes } from './settings.ts';
import { registerUploadsApiRoutes } from './uploads.ts';

/** Resources listed by `GET /api/v1/` (web-api-ops §4.5), in the spec's order. */
export const API_RESOURCES = [
  'me',
  'customers',
  'settings',
  'members',
  'uploads',
  'claims',
  'reports',
  'drift-events',
  'denial-signals',
  'delay-signals',
  'findings',
  'recovery',
  'payer-mappings',
  'cpt-mappings',
  'payer-allowlist',
  'column-profiles',
  'alerts',
  'alert-rules',
  'channels',
  'webhook-endpoints',
  'ingestion-tokens',
  'dashboard',
] as const;

/** The accounts part of the REST API (web-api-ops §4): auth endpoints, index and `me/`. */
export function registerApiRoutes(app: FastifyInstance, services: Services): void {
  registerApiAuthRoutes(app, services);
  registerAccountsApiRoutes(app, services);
  registerAnalyticsApiRoutes(app, services);
  registerUploadsApiRoutes(app, services);
  registerClaimsApiRoutes(app, services);
  registerMappingsApiRoutes(app, services);
  registerSettingsApiRoutes(app, services);
  registerIngestionApiRoutes(app, services);

  app.addHook('onSend', async (request, reply, payload) => {
    // API responses are never cached (§3.6).
    if (request.url.startsWith('/api/v1/') && !reply.hasHeader('Cache-Control'))
      reply.header('Cache-Control', 'no-store');
    return payload;
  });

  app.get('/api/v1/', { preHandler: requireApiAuth }, async (request) => {
    const base = new URL('/api/v1/', `${request.protocol}://${request.host}`).toString();
    return Object.fromEntries(API_RESOURCES.map((name) => [name, `${base}${name}/`]));
  });

  app.get('/api/v1/me/', { preHandler: requireApiAuth }, async (request) => {
    const { auth } = request;
    const user = auth.user!;
    const staff = isStaffUser(auth.actor);
    const customer = staff ? null : auth.customer;
    const permissions = mePermissions(auth.actor);
    const { role, is_owner, is_admin, ...flags } = permissions;
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      first_name: user.first_name,
      last_name: user.last_name,
      is_staff: user.is_staff,
      is_superuser: user.is_superuser,
      customer: customer ? { id: customer.id, name: customer.name } : null,
      role,
      permissions: flags,
      is_owner,
      is_admin,
    };
  });
}
