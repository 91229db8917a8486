import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyFormbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { Ajv } from 'ajv';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { TrustProxy } from '../config/env.ts';
import { httpMetricsListener } from '../obs/metrics.ts';
import { dashboardRequestListener } from '../obs/recent-requests.ts';
import { accessLogFor, requestLogListener } from '../obs/request-log.ts';
import type { Services } from '../services.ts';
import { Renderer } from '../web/render.ts';
import { registerClientIp } from './client-ip.ts';
import {
  type RouteSchema,
  RouteTable,
  registerAdminRedirect,
  registerErrorHandling,
  sendProblem,
  toProblem,
} from './errors.ts';
import { registerApiDocs, registerOpenApi } from './openapi.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerCors } from './plugins/cors.ts';
import { registerHttpsRedirect } from './plugins/https-redirect.ts';
import { registerInputSafety } from './plugins/input-safety.ts';
import { registerRequestContext, requestIdFor } from './plugins/request-context.ts';
import { type RequestListener, registerRequestObserver } from './plugins/request-observer.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerApiRoutes } from './routes/api/index.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerMetrics } from './routes/metrics.ts';
import { registerPortalRoutes } from './routes/portal/index.ts';
import { FINITE_KEYWORD } from './schemas/primitives.ts';
import './types.ts';

export const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'static');

/** Registers the `x-finite` keyword (see FINITE_KEYWORD) on the route validator. */
function finiteNumbers(ajv: Ajv): Ajv {
  return ajv.addKeyword({
    keyword: FINITE_KEYWORD,
    // No `type: 'number'`: Ajv runs number keywords only on finite numbers, the very case
    // this one exists to catch.
    schemaType: 'boolean',
    errors: false,
    validate: (enabled: boolean, data: unknown) =>
      !enabled || typeof data !== 'number' || Number.isFinite(data),
  });
}

export interface AppOptions {
  /** Extra routes (tests); registered after the product's own. */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

/**
 * Who hears about each finished request (§1.1 step 11): Prometheus metrics, the request log
 * and the staff dashboard's recent-request buffer each add one listener here.
 */
function requestListeners(services: Services): RequestListener[] {
  return [
    httpMetricsListener(),
    requestLogListener(
      services.logger.child({ logger: 'payrixa.request' }),
      accessLogFor(services.config.log.accessFile),
    ),
    dashboardRequestListener(services),
  ];
}

function trustProxyOption(trust: TrustProxy): boolean | string[] {
  switch (trust.kind) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'loopback':
      return ['loopback'];
    case 'cidrs':
      return trust.cidrs;
  }
}

/**
 * Builds the Fastify application: request pipeline of web-api-ops §1.1 (health
 * short-circuit, request id and timer, host check, security headers, static files),
 * consistent error responses, then the product's routes.
 */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app: FastifyInstance = Fastify({
    loggerInstance: services.logger.child({ logger: 'http' }) as FastifyBaseLogger,
    // Our own request log (web-api-ops §5.1) replaces Fastify's.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: (request) => requestIdFor(request),
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: 1024 * 1024,
    requestTimeout: config.requestTimeoutSeconds * 1000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      customOptions: {
        // Query strings and forms arrive as text: "5" → 5, "true" → true. `true` rather than
        // Fastify's 'array': a repeated parameter (an array) is never taken for a scalar, and
        // a scalar is never wrapped into a list; lists exist only where a schema declares one.
        coerceTypes: true,
        // Every field error at once (forms show them together). Safe here: bodies are size-
        // capped, every string and list in the schemas is bounded, and patterns are linear.
        allErrors: true,
        // `data` on each error: the offending value for "<x> is not a valid choice.".
        verbose: true,
      },
      plugins: [finiteNumbers],
    },
    // Malformed URLs and over-long path segments get the error body like any other error.
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, toProblem(error), config),
  });
  // Bodies are JSON, forms or multipart (web-api-ops §4.1); Fastify's default text/plain
  // parser would let any other type through as a string, where the spec wants 415.
  app.removeContentTypeParser('text/plain');
  app.decorate('renderer', new Renderer({ cache: config.env !== 'development' }));
  app.decorate('services', services);

  // While closing, responses ask clients to drop keep-alive connections so a graceful
  // stop is not held up by idle sockets of requests that just finished.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('Connection', 'close');
    return payload;
  });

  const routes = new RouteTable();
  app.addHook('onRoute', (route) =>
    routes.add(route.url, route.method, route.schema as RouteSchema | undefined),
  );
  app.decorate('routeTable', routes);

  registerRequestContext(app, config);
  registerRequestObserver(app, requestListeners(services));
  registerClientIp(app, config.trustProxy);
  registerHttpsRedirect(app, config);
  registerInputSafety(app);
  registerSecurityHeaders(app, config);
  registerErrorHandling(app, config, routes);
  await app.register(fastifyFormbody);
  // Uploads (ingestion spec §2.2): one file per request, streamed by the route. The cap is one
  // byte over UPLOAD_MAX_MB so the upload command itself sees an oversized file and refuses it
  // (busboy would otherwise silently truncate it at the limit).
  await app.register(fastifyMultipart, {
    limits: { fileSize: config.upload.maxMb * 1024 * 1024 + 1, files: 1, fields: 20, fieldSize: 64 * 1024 },
  });
  // Pipeline step 6 (§1.1): /metrics beside the static files, before CORS and sessions.
  registerMetrics(app, services);
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    // Fingerprint-free names for now: a short cache, nginx serves them in production.
    maxAge: config.isProduction ? '1d' : 0,
  });

  // CORS for /api/v1/ (§1.1 step 7), then sessions, bearer auth, rate limits and CSRF (steps 8–9).
  registerCors(app, config);
  await registerAuth(app, services);
  // Before any documented route: the OpenAPI document is collected as routes are added.
  await registerOpenApi(app);

  registerHealthRoutes(app, services);
  app.get('/', async (_request, reply) => reply.redirect('/portal/', 302));
  // Browsers ask for /favicon.ico whatever the page links; answering stops their 404 noise.
  app.get('/favicon.ico', (_request, reply) => reply.sendFile('img/favicon.ico'));
  registerPortalRoutes(app, services);
  registerAdminRedirect(app, routes);
  registerApiRoutes(app, services);
  await registerApiDocs(app, config);

  if (options.extraRoutes) await options.extraRoutes(app);
  return app;
}
