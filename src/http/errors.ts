import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import { isApiPath } from './types.ts';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Record<string, string[]>;
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
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const errors: Record<string, string[]> = {};
    for (const issue of fastifyError.validation) {
      const field = issue.instancePath?.replace(/^\//, '').replace(/\//g, '.') || 'non_field_errors';
      const key = (issue.params as { missingProperty?: string } | undefined)?.missingProperty ?? field;
      const message =
        issue.keyword === 'required' ? 'This field is required.' : (issue.message ?? 'Invalid value.');
      errors[key] = [...(errors[key] ?? []), message];
    }
    return { status: 400, code: 'invalid', detail: 'Validation failed.', errors };
  }
  switch (fastifyError.code) {
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

/** Sends a problem as API JSON or as the styled error page, by path. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  config: Config,
  pageTitle?: string,
): FastifyReply {
  reply.code(problem.status);
  if (isApiPath(request.url)) {
    const body: Record<string, unknown> = { detail: problem.detail, code: problem.code };
    if (problem.errors) body['errors'] = problem.errors;
    if (problem.status >= 500) body['request_id'] = request.id;
    return reply.type('application/json; charset=utf-8').send(body);
  }
  const html = request.server.renderer.render('error', {
    status: problem.status,
    title: pageTitle ?? TITLES[problem.status] ?? 'Error',
    message:
      problem.status >= 500 ? 'An unexpected error occurred. The team has been notified.' : problem.detail,
    requestId: request.id,
    version: config.version,
  });
  return reply.type('text/html; charset=utf-8').send(html);
}

/** Routes that exist with a trailing slash, for the 301 of web-api-ops §0. */
export class RoutePatterns {
  private readonly patterns: RegExp[] = [];

  add(url: string): void {
    if (!url.endsWith('/')) return;
    const source = url
      .split('/')
      .map((part) =>
        part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    this.patterns.push(new RegExp(`^${source}$`));
  }

  matches(path: string): boolean {
    return this.patterns.some((pattern) => pattern.test(path));
  }
}

export function registerErrorHandling(app: FastifyInstance, config: Config, routes: RoutePatterns): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) {
      request.log.error({ err: error, request_id: request.id }, 'unhandled error');
    }
    return sendProblem(request, reply, problem, config);
  });

  app.setNotFoundHandler((request, reply) => {
    const [path, query] = splitUrl(request.url);
    if (
      (request.method === 'GET' || request.method === 'HEAD') &&
      !path.endsWith('/') &&
      routes.matches(`${path}/`)
    ) {
      return reply.redirect(`${path}/${query}`, 301);
    }
    return sendProblem(request, reply, { status: 404, code: 'not_found', detail: 'Not found.' }, config);
  });
}

function splitUrl(url: string): [string, string] {
  const index = url.indexOf('?');
  return index === -1 ? [url, ''] : [url.slice(0, index), url.slice(index)];
}
