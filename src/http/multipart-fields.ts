import type { FastifyRequest } from 'fastify';
import { MalformedMultipartError } from './upload-multipart.ts';

/**
 * Turns a multipart/form-data body of plain fields into `request.body`, so endpoints that
 * take a few fields (the token endpoints) accept all three body types of web-api-ops §4.1
 * alike. File parts are drained and ignored. A body the parser cannot read (no boundary,
 * truncated, broken part headers) is a 400 MalformedMultipartError, never a 500; the parser's
 * own 4xx limits keep their status. Use as a `preValidation` hook.
 */
export async function multipartFieldsAsBody(request: FastifyRequest): Promise<void> {
  if (!request.isMultipart()) return;
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string' && !(part.fieldname in fields))
          fields[part.fieldname] = part.value;
      } else {
        part.file.resume();
      }
    }
  } catch (error) {
    const { statusCode } = (error ?? {}) as { statusCode?: unknown };
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) throw error;
    request.log.info({ err: error }, 'malformed multipart body');
    throw new MalformedMultipartError();
  }
  request.body = fields;
}
