import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  CONTROL_CHARACTER_MESSAGE,
  fieldsWithControlCharacters,
} from '../../domain/input/control-characters.ts';
import { sendErrorPage, sendNotFoundPage } from '../guards.ts';
import { isApiPath } from '../types.ts';

/**
 * The safety net of issue 11 item 7: no control character (NUL above all, which PostgreSQL
 * refuses in text and jsonb) in a query string, path parameter (→ 404: it names no object) or
 * parsed body (JSON, form,
 * or multipart fields turned into the body) reaches a handler. Route schemas bound their own
 * strings with field errors; this catches every route and field a schema does not.
 *
 * It runs as the LAST preHandler of each route, after the route's own guards, so the order
 * of web-api-ops §4.2 holds: 401 → 403 → (this) 400; the handler's object lookup (404)
 * comes after, which only ever turns a 404 into a 400 for a request that is invalid anyway
 * and reveals nothing. Multipart uploads read their fields in the handler and apply the same
 * rule there (upload-multipart.ts). Routes authenticated by an ingestion token are exempt:
 * the ingestion pipeline removes control characters from cells (ingestion spec §2.6).
 */
export function registerInputSafety(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.bare || route.config?.auth === 'ingestion') return;
    const existing = route.preHandler
      ? Array.isArray(route.preHandler)
        ? route.preHandler
        : [route.preHandler]
      : [];
    route.preHandler = [...existing, refuseControlCharacters];
  });
}

/** The names of the fields (query, body) that carry a control character. */
export function controlCharacterFields(request: FastifyRequest): string[] {
  const names = new Set<string>();
  for (const source of [request.query, request.body]) {
    for (const name of fieldsWithControlCharacters(source))
      names.add(name === '' ? 'non_field_errors' : name);
  }
  return [...names];
}

export const refuseControlCharacters: preHandlerAsyncHookHandler = async (request, reply) => {
  // A path with a control character names no object: the 404 of §1.4 / §4.2 ("unknown id"),
  // answered before any lookup.
  if (fieldsWithControlCharacters(request.params).length > 0) {
    if (isApiPath(request.url)) {
      return reply
        .code(404)
        .type('application/json; charset=utf-8')
        .send({ detail: 'Not found.', code: 'not_found' });
    }
    return sendNotFoundPage(request, reply);
  }
  const fields = controlCharacterFields(request);
  if (fields.length === 0) return;
  // Only the count: field names come from the request, which is never logged (§5.6).
  request.log.info(
    { field_count: fields.length, route: request.routeOptions.url },
    'control characters refused',
  );
  return sendControlCharacterError(request, reply, fields);
};

export function sendControlCharacterError(
  request: FastifyRequest,
  reply: FastifyReply,
  fields: readonly string[],
): FastifyReply {
  if (isApiPath(request.url)) {
    return reply
      .code(400)
      .type('application/json; charset=utf-8')
      .send({
        detail: 'Validation failed.',
        code: 'invalid',
        errors: Object.fromEntries(fields.map((field) => [field, [CONTROL_CHARACTER_MESSAGE]])),
      });
  }
  return sendErrorPage(
    request,
    reply,
    400,
    'Bad request',
    `${CONTROL_CHARACTER_MESSAGE} Check the field${fields.length === 1 ? '' : 's'}: ${fields
      .slice(0, 10)
      .map((field) => field.slice(0, 40))
      .join(', ')}.`,
  );
}
