import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import { type ErrorContext, errorReporter } from '../obs/sentry.ts';
import { REDACTED_BODY } from '../obs/sentry-scrub.ts';
import { pageContext } from './page.ts';
import { pathOf } from './params.ts';
import { routeTemplate } from './plugins/request-observer.ts';
import { ID_TEXT_PATTERN } from './schemas/forms.ts';
import {
  FINITE_KEYWORD,
  MONEY_PATTERN,
  MULTI_LINE_PATTERN,
  SINGLE_LINE_PATTERN,
} from './schemas/primitives.ts';
import { isApiPath } from './types.ts';

/**
 * The one error path (web-api-ops §1.4, §4.2): routes, guards, commands and queries throw
 * (`AppError` and its subclasses in config/errors.ts, or Fastify's own validation and
 * parser errors); {@link toProblem} turns any thrown value into a status, code and safe
 * detail, and {@link sendProblem} renders it as the API's JSON body or the portal's page
 * (with the navigation when the user is logged in).
 */

export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Record<string, string[]>;
  /** Response headers that belong to the problem (`Allow` on 405). */
  headers?: Record<string, string>;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Permission denied',
  404: 'Page not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'File too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Service temporarily unavailable',
};

const NOT_FOUND: Problem = { status: 404, code: 'not_found', detail: 'Not found.' };
const INVALID_PAGE: Problem = { status: 404, code: 'not_found', detail: 'Invalid page.' };

/** One Ajv error, as Fastify hands it over (verbose: `data` is the offending value). */
interface ValidationIssue {
  keyword: string;
  instancePath?: string;
  params?: Record<string, unknown>;
  message?: string;
  data?: unknown;
}

const TYPE_MESSAGES: Record<string, string> = {
  integer: 'A valid integer is required.',
  number: 'A valid number is required.',
  boolean: 'Must be a valid boolean.',
  string: 'Not a valid string.',
  array: 'Expected a list of items.',
  object: 'Expected an object.',
  null: 'This field may not be null.',
};

const SINGLE_LINE = new RegExp(SINGLE_LINE_PATTERN, 'u');

function printable(value: unknown): string | null {
  return typeof value === 'string' && value.length <= 100 && SINGLE_LINE.test(value) ? value : null;
}

/** The message of one schema violation, in the wording of the API's other field errors. */
export function issueMessage(issue: ValidationIssue): string {
  const params = issue.params ?? {};
  switch (issue.keyword) {
    case 'required':
      return 'This field is required.';
    case 'type': {
      const type = String(params['type'] ?? '').split(',')[0] ?? '';
      return TYPE_MESSAGES[type] ?? 'Invalid value.';
    }
    case 'minLength':
      return params['limit'] === 1
        ? 'This field may not be blank.'
        : `Ensure this field has at least ${String(params['limit'])} characters.`;
    case 'not':
      return 'This field may not be blank.';
    case 'maxLength':
      return `Ensure this field has no more than ${String(params['limit'])} characters.`;
    case 'pattern':
      if (params['pattern'] === SINGLE_LINE_PATTERN || params['pattern'] === MULTI_LINE_PATTERN)
        return 'Control characters (such as NUL or line breaks) are not allowed.';
      if (params['pattern'] === MONEY_PATTERN) return 'Enter an amount with exactly two decimals.';
      if (params['pattern'] === ID_TEXT_PATTERN) return 'A valid integer is required.';
      return 'Enter a valid value.';
    case 'format':
      if (params['format'] === 'date')
        return 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.';
      if (params['format'] === 'date-time') return 'Datetime has wrong format. Use ISO 8601.';
      if (params['format'] === 'email') return 'Enter a valid email address.';
      return 'Enter a valid value.';
    case 'enum':
    case 'const': {
      const shown = printable(issue.data);
      return shown === null ? 'Select a valid choice.' : `"${shown}" is not a valid choice.`;
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return `Ensure this value is greater than or equal to ${String(params['limit'])}.`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `Ensure this value is less than or equal to ${String(params['limit'])}.`;
    case 'maxItems':
      return `Ensure this field has no more than ${String(params['limit'])} elements.`;
    case 'minItems':
      return params['limit'] === 1
        ? 'This list may not be empty.'
        : `Ensure this field has at least ${String(params['limit'])} elements.`;
    case 'additionalProperties':
      return 'Unknown field.';
    case FINITE_KEYWORD:
      return 'A valid number is required.';
    default:
      return 'Invalid value.';
  }
}

/** The top-level field an issue is about (`non_field_errors` for the object as a whole). */
function issueField(issue: ValidationIssue): string {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean);
  if (path[0]) return decodeURIComponent(path[0].replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = issue.params?.['missingProperty'];
  return typeof missing === 'string' ? missing : 'non_field_errors';
}

/**
 * Field errors of a schema failure. A wrong-typed whole body is "Invalid data. Expected a
 * dictionary."; `anyOf` summaries are dropped when a branch already explained the field.
 */
export function fieldErrors(issues: readonly ValidationIssue[]): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    const list = errors[field] ?? [];
    if (!list.includes(message)) list.push(message);
    errors[field] = list;
  };
  for (const issue of issues) {
    const field = issueField(issue);
    if (field === 'non_field_errors' && issue.keyword === 'type') {
      add(field, 'Invalid data. Expected a dictionary.');
      continue;
    }
    if (issue.keyword === 'anyOf' || issue.keyword === 'oneOf') continue;
    add(field, issueMessage(issue));
  }
  for (const issue of issues) {
    if ((issue.keyword === 'anyOf' || issue.keyword === 'oneOf') && !errors[issueField(issue)]) {
      add(issueField(issue), 'Invalid value.');
    }
  }
  return errors;
}

const UNAVAILABLE: Problem = {
  status: 503,
  code: 'unavailable',
  detail: 'Service temporarily unavailable.',
  // A database restart or failover takes seconds: tell clients when to try again.
  headers: { 'Retry-After': '5' },
};

// Socket errors of a dependency that is down or restarting (refused, reset, unreachable).
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATEs of a server that is going away or not accepting sessions: admin_shutdown,
// crash_shutdown, cannot_connect_now (starting up / shutting down), too_many_connections.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
// node-postgres reports a socket closed mid-query and a pool connect timeout only by message.
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/**
 * True when the error says the database (or Redis) cannot be reached right now
 * — not that the request was wrong: such requests answer 503 at once instead of 500, and
 * succeed again when the server is back (the pool reconnects; issue 13 item 9).
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // Connecting to a host name with several addresses fails with one error per address.
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    // SQLSTATE class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  // ioredis gives up on a command after `maxRetriesPerRequest` reconnection attempts
  // (src/cache/redis.ts): Redis is down, sessions and rate limits cannot be read.
  if ((error as { name?: unknown }).name === 'MaxRetriesPerRequestError') return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m));
}

/** Maps any thrown value to a problem (status, code, safe detail). */
export function toProblem(error: unknown): Problem {
  if (error instanceof AppError) {
    return {
      status: error.statusCode,
      code: error.code,
      detail: error.message,
      ...(error.errors && { errors: error.errors }),
    };
  }
  if (isConnectionError(error)) return UNAVAILABLE;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const issues = fastifyError.validation as ValidationIssue[];
    // A malformed path parameter is a URL that does not exist (`/claims/abc/`), as before.
    if (fastifyError.validationContext === 'params') return NOT_FOUND;
    // §4.1: a page of 0, negative or not a number is 404 "Invalid page.".
    if (fastifyError.validationContext === 'querystring' && issues.some((i) => issueField(i) === 'page')) {
      return INVALID_PAGE;
    }
    return { status: 400, code: 'invalid', detail: 'Validation failed.', errors: fieldErrors(issues) };
  }
  switch (fastifyError.code) {
    // A path segment longer than any id (find-my-way's limit): a URL that cannot exist.
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return NOT_FOUND;
    case 'FST_ERR_BAD_URL':
      return { status: 400, code: 'invalid', detail: 'Malformed URL.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', detail: 'Request body is too large.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', detail: 'Unsupported media type.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'invalid', detail: 'Malformed request body.' };
  }
  if (fastifyError.statusCode === 400 && error instanceof SyntaxError) {
    return { status: 400, code: 'invalid', detail: 'Malformed request body.' };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, code: 'invalid', detail: 'Bad request.' };
  }
  return { status: 500, code: 'server_error', detail: 'Internal server error.' };
}

/** Sends a problem as API JSON or as the styled error page (in the layout when logged in). */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  config: Config,
  pageTitle?: string,
): FastifyReply {
  reply.code(problem.status);
  for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value);
  if (isApiPath(request.url)) {
    const body: Record<string, unknown> = { detail: problem.detail, code: problem.code };
    if (problem.errors) body['errors'] = problem.errors;
    if (problem.status >= 500) body['request_id'] = request.id;
    return reply.type('application/json; charset=utf-8').send(body);
  }
  // The navigation needs the session; an error raised before it was read (or while reading
  // it) still gets a page, without the navigation.
  let page: ReturnType<typeof pageContext> = null;
  try {
    page = pageContext(request);
  } catch (contextError) {
    request.log.warn({ err: contextError }, 'error page without navigation');
  }
  if (page) reply.header('Cache-Control', 'no-store');
  const html = request.server.renderer.render('error', {
    status: problem.status,
    title: pageTitle ?? TITLES[problem.status] ?? 'Error',
    message:
      problem.status >= 500 ? 'An unexpected error occurred. The team has been notified.' : problem.detail,
    fieldErrors: problem.status === 400 && problem.errors ? Object.entries(problem.errors) : [],
    page,
    flashes: page?.flashes ?? [],
    requestId: request.id,
    version: config.version,
  });
  return reply.type('text/html; charset=utf-8').send(html);
}

interface RouteEntry {
  url: string;
  pattern: RegExp;
  methods: Set<string>;
  /** The schema each method was declared with (params, querystring, body…), if any. */
  schemas: Map<string, RouteSchema>;
}

/** The parts of a Fastify route schema the route table keeps (JSON Schema objects). */
export interface RouteSchema {
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  [key: string]: unknown;
}

/**
 * Every registered route (pattern → methods), filled by an `onRoute` hook: the 301 to the
 * slash form (web-api-ops §0), 405 with `Allow` for unlisted methods (§1.4, §4.5) and the
 * `/api/v1/` index of resources that exist.
 */
export class RouteTable {
  private readonly entries = new Map<string, RouteEntry>();

  add(url: string, method: string | readonly string[], schema?: RouteSchema): void {
    let entry = this.entries.get(url);
    if (!entry) {
      entry = { url, pattern: RouteTable.compile(url), methods: new Set(), schemas: new Map() };
      this.entries.set(url, entry);
    }
    for (const name of Array.isArray(method) ? method : [method]) {
      entry.methods.add(String(name));
      if (schema) entry.schemas.set(String(name), schema);
    }
  }

  private static compile(url: string): RegExp {
    const source = url
      .split('/')
      .map((part) =>
        part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    return new RegExp(`^${source}$`);
  }

  /** True when a route with this exact path exists (any method). */
  matches(path: string): boolean {
    return this.allowedMethods(path).length > 0;
  }

  /** The methods registered for a concrete path, sorted (for `Allow`). */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const entry of this.entries.values()) {
      if (entry.pattern.test(path)) for (const method of entry.methods) methods.add(method);
    }
    return [...methods].sort();
  }

  /** Whether `method` is registered for the route declared as `url` (exact declaration). */
  has(url: string, method: string): boolean {
    return this.entries.get(url)?.methods.has(method) ?? false;
  }

  /** The declared route urls. */
  urls(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Every declared route with its method and schema (none when it declares no input). The
   * portal's form schemas are not in the OpenAPI document; tests walk them from here.
   */
  routes(): Array<{ url: string; method: string; schema: RouteSchema | null }> {
    return [...this.entries.values()].flatMap((entry) =>
      [...entry.methods].map((method) => ({
        url: entry.url,
        method,
        schema: entry.schemas.get(method) ?? null,
      })),
    );
  }
}

export function methodNotAllowed(method: string, allowed: readonly string[]): Problem {
  return {
    status: 405,
    code: 'method_not_allowed',
    detail: `Method "${method.replace(/[^A-Z]/gi, '').slice(0, 20)}" not allowed.`,
    headers: { Allow: allowed.join(', ') },
  };
}

export function registerErrorHandling(app: FastifyInstance, config: Config, routes: RouteTable): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) {
      const user = request.auth?.user;
      request.log.error(
        { err: error, user_id: user?.id, customer_id: request.auth?.customer?.id },
        'unhandled error',
      );
      // §5.5: server errors reach Sentry with the request id and route template; 4xx never do.
      errorReporter().capture(
        error,
        { request_id: request.id, route: routeTemplate(request.routeOptions.url) },
        errorContextOf(request),
      );
    }
    return sendProblem(request, reply, problem, config);
  });

  app.setNotFoundHandler((request, reply) => {
    const [path, query] = splitUrl(request.url);
    const allowed = routes.allowedMethods(path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return sendProblem(request, reply, methodNotAllowed(request.method, allowed), config);
    }
    if (
      (request.method === 'GET' || request.method === 'HEAD') &&
      !path.endsWith('/') &&
      routes.allowedMethods(`${path}/`).includes('GET')
    ) {
      return reply.redirect(`${path}/${query}`, 301);
    }
    return sendProblem(request, reply, NOT_FOUND, config);
  });
}

/**
 * The request of a server error as the report sees it. Query string and cookies are passed as
 * they came (the scrubber replaces them whole); the body is never handed to the SDK, only the
 * fact that there was one.
 */
function errorContextOf(request: FastifyRequest): ErrorContext {
  if (!errorReporter().enabled) return {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const queryStart = request.url.indexOf('?');
  const user = request.auth?.user;
  const cookies = request.cookies as Record<string, string | undefined> | undefined;
  return {
    request: {
      method: request.method,
      url: `${request.protocol}://${request.host}${pathOf(request.url)}`,
      headers,
      ...(queryStart !== -1 && { query_string: request.url.slice(queryStart + 1) }),
      ...(cookies &&
        Object.keys(cookies).length > 0 && {
          cookies: Object.fromEntries(Object.entries(cookies).map(([k, v]) => [k, v ?? ''])),
        }),
      ...(request.body !== undefined && request.body !== null && { data: REDACTED_BODY }),
    },
    ...(user && { user: { id: user.id, username: user.username } }),
  };
}

/** `/admin/…` (old bookmarks, §1.2) → 301 to the same page of the console, else its start. */
export function registerAdminRedirect(app: FastifyInstance, routes: RouteTable): void {
  const redirect = async (request: FastifyRequest, reply: FastifyReply) => {
    const [path] = splitUrl(request.url);
    const target = `/portal${path.endsWith('/') ? path : `${path}/`}`;
    const exists = target !== '/portal/admin/' && routes.allowedMethods(target).includes('GET');
    return reply.redirect(exists ? target : '/portal/admin/', 301);
  };
  app.get('/admin', { schema: { hide: true } }, redirect);
  app.get('/admin/*', { schema: { hide: true } }, redirect);
}

function splitUrl(url: string): [string, string] {
  const index = url.indexOf('?');
  return index === -1 ? [url, ''] : [url.slice(0, index), url.slice(index)];
}
