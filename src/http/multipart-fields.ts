import type { FastifyRequest } from 'fastify';

/**
 * Turns a multipart/form-data body of plain fields into `request.body`, so endpoints that
 * take a few fields (the token endpoints) accept all three body types of web-api-ops §4.1
 * alike. File parts are drained and ignored. Use as a `preValidation` hook.
 */
export async function multipartFieldsAsBody(request: FastifyRequest): Promise<void> {
  if (!request.isMultipart()) return;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (typeof part.value === 'string' && !(part.fieldname in fields)) fields[part.fieldname] = part.value;
    } else {
      part.file.resume();
    }
  }
  request.body = fields;
}
