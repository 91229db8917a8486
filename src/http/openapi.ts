import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/env.ts';
import { loginRedirectUrl } from '../domain/accounts/safe-redirect.ts';
import { requireApiAuth } from './guards.ts';

/** Paths of the document and the docs page; both are left out of the document itself. */
export const SCHEMA_PATH = '/api/v1/schema/';
export const DOCS_PREFIX = '/api/v1/docs';

export const OPENAPI_INFO = {
  title: 'Payrixa API',
  version: '1.0.0',
  description: 'Early-warning intelligence for healthcare revenue operations',
};

/**
 * Collects the OpenAPI 3.1 document from the route schemas (web-api-ops §4.8). Must be
 * registered before the routes: it records them as they are added. Only `/api/v1/` routes
 * are documented; the schema and docs routes hide themselves.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      servers: [],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Access token from `POST /api/v1/auth/token/` (30 minutes).',
          },
          sessionAuth: {
            type: 'apiKey',
            in: 'cookie',
            name: 'payrixa_session',
            description: 'The portal session; unsafe methods also need the CSRF token.',
          },
          ingestionToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'An ingestion token (`pxi_…`), only for `POST /api/v1/ingest/webhook/`.',
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const hidden =
        !url.startsWith('/api/v1/') || url.startsWith(SCHEMA_PATH) || url.startsWith(DOCS_PREFIX);
      // `schema` is what the route declared (possibly nothing); `hide` keeps it out.
      const declared = (schema ?? {}) as Record<string, unknown>;
      return { schema: (hidden ? { ...declared, hide: true } : declared) as typeof schema, url, route };
    },
  });
}

function wantsYaml(request: FastifyRequest<{ Querystring: { format?: 'json' | 'yaml' } }>): boolean {
  if (request.query.format) return request.query.format === 'yaml';
  const accept = String(request.headers.accept ?? '');
  return /application\/(x-)?yaml|text\/yaml/i.test(accept);
}

/**
 * `GET /api/v1/schema/` (JSON by default; YAML with `?format=yaml` or `Accept: application/yaml`)
 * and the Swagger UI at `/api/v1/docs/` from the package's own files (no CDN; the page has no
 * inline script, so the portal's CSP applies unchanged). `API_DOCS_PUBLIC=false` puts both
 * behind login.
 */
export async function registerApiDocs(app: FastifyInstance, config: Config): Promise<void> {
  const schemaGuard = config.apiDocsPublic ? [] : [requireApiAuth];
  const docsGuard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!config.apiDocsPublic && !request.auth.user)
      return reply.redirect(loginRedirectUrl(request.url), 302);
  };

  app.get(
    SCHEMA_PATH,
    {
      schema: {
        hide: true,
        querystring: Type.Object({ format: Type.Optional(Type.Enum(['json', 'yaml'], { type: 'string' })) }),
      },
      preHandler: schemaGuard,
    },
    async (request, reply) => {
      const query = request as FastifyRequest<{ Querystring: { format?: 'json' | 'yaml' } }>;
      if (wantsYaml(query)) {
        return reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true }));
      }
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger()));
    },
  );

  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    // The page itself sets no CSP: the security-headers plugin's page policy (script-src
    // 'self', no inline) applies, which the UI's static files satisfy.
    staticCSP: false,
    uiConfig: { deepLinking: true, docExpansion: 'list', defaultModelsExpandDepth: 1 },
    theme: { title: 'Payrixa API docs' },
    uiHooks: { preHandler: docsGuard },
  });
}
