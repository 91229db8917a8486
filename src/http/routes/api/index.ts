import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { isStaffUser, mePermissions, PERMISSIONS, ROLES } from '../../../domain/accounts/permissions.ts';
import type { Services } from '../../../services.ts';
import type { RouteTable } from '../../errors.ts';
import { requireApiAuth } from '../../guards.ts';
import { Choice, Id, Nullable, operation } from '../../schemas/index.ts';
import { registerAccountsApiRoutes } from './accounts.ts';
import { registerAlertRuleApiRoutes } from './alert-rules.ts';
import { registerAlertsApiRoutes } from './alerts.ts';
import { registerAnalyticsApiRoutes } from './analytics.ts';
import { registerApiAuthRoutes } from './auth.ts';
import { registerChannelApiRoutes } from './channels.ts';
import { registerClaimsApiRoutes } from './claims.ts';
import { registerIngestionApiRoutes } from './ingestion.ts';
import { registerMappingsApiRoutes } from './mappings.ts';
import { registerRecoveryApiRoutes } from './recovery.ts';
import { registerSettingsApiRoutes } from './settings.ts';
import { registerUploadsApiRoutes } from './uploads.ts';
import { registerWebhookEndpointsApiRoutes } from './webhook-endpoints.ts';

/** Resources of `GET /api/v1/` (web-api-ops §4.5), in the spec's order. */
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

/** Top-level paths that are not resources: infrastructure and the documentation. */
const NOT_RESOURCES = new Set(['health', 'schema', 'docs']);

/**
 * The resources that exist: every `GET /api/v1/<name>/` route registered, in the spec's
 * order (others after, alphabetically). A resource of the spec that is not built yet is
 * not listed, so the index never points at a 404.
 */
export function existingResources(routes: RouteTable): string[] {
  const names = new Set<string>();
  for (const url of routes.urls()) {
    const match = /^\/api\/v1\/([a-z0-9_-]+)\/$/.exec(url);
    if (match?.[1] && !NOT_RESOURCES.has(match[1]) && routes.has(url, 'GET')) names.add(match[1]);
  }
  const rank = (name: string) => {
    const index = (API_RESOURCES as readonly string[]).indexOf(name);
    return index === -1 ? API_RESOURCES.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const Me = Type.Object(
  {
    id: Id,
    username: Type.String(),
    email: Type.String(),
    first_name: Type.String(),
    last_name: Type.String(),
    is_staff: Type.Boolean(),
    is_superuser: Type.Boolean(),
    customer: Nullable(Type.Object({ id: Id, name: Type.String() })),
    role: Nullable(Choice(ROLES)),
    permissions: Type.Object(
      Object.fromEntries(PERMISSIONS.map((permission) => [`can_${permission}`, Type.Boolean()])),
    ),
    is_owner: Type.Boolean(),
    is_admin: Type.Boolean(),
  },
  { title: 'Me' },
);

/** The REST API (web-api-ops §4): resources, the index and `me/`. */
export function registerApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  registerApiAuthRoutes(app, services);
  registerAccountsApiRoutes(app, services);
  registerAnalyticsApiRoutes(app, services);
  registerUploadsApiRoutes(app, services);
  registerWebhookEndpointsApiRoutes(app, services);
  registerClaimsApiRoutes(app, services);
  registerMappingsApiRoutes(app, services);
  registerSettingsApiRoutes(app, services);
  registerIngestionApiRoutes(app, services);
  registerAlertRuleApiRoutes(app, services);
  registerChannelApiRoutes(app, services);
  registerAlertsApiRoutes(app, services);
  registerRecoveryApiRoutes(app, services);

  app.addHook('onSend', async (request, reply, payload) => {
    // API responses are never cached (§3.6).
    if (request.url.startsWith('/api/v1/') && !reply.hasHeader('Cache-Control'))
      reply.header('Cache-Control', 'no-store');
    return payload;
  });

  let resources: string[] | null = null;
  api.get(
    '/api/v1/',
    {
      preValidation: requireApiAuth,
      schema: operation(
        {
          tag: 'API',
          summary: 'Index of the API resources',
          description: 'Absolute URL of every resource this server implements.',
        },
        {
          response: {
            200: Type.Record(Type.String(), Type.String({ format: 'uri' }), {
              examples: [{ me: 'https://payrixa.example/api/v1/me/' }],
            }),
          },
        },
      ),
    },
    async (request) => {
      // Routes are all registered once the server answers; computed on first use.
      resources ??= existingResources(app.routeTable);
      const base = new URL('/api/v1/', `${request.protocol}://${request.host}`).toString();
      return Object.fromEntries(resources.map((name) => [name, `${base}${name}/`]));
    },
  );

  api.get(
    '/api/v1/me/',
    {
      preValidation: requireApiAuth,
      schema: operation(
        { tag: 'API', summary: 'The caller: identity, customer, role and permissions' },
        { response: { 200: Me } },
      ),
    },
    async (request) => {
      const { auth } = request;
      const user = auth.user!;
      const staff = isStaffUser(auth.actor);
      const customer = staff ? null : auth.customer;
      const { role, is_owner, is_admin, ...flags } = mePermissions(auth.actor);
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
    },
  );
}
