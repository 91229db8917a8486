import type { TSchema } from 'typebox';
import { EXTRA_ERRORS, STANDARD_ERRORS } from './problems.ts';

/** Who may call an operation (the OpenAPI `security` of web-api-ops §4.3, §4.8). */
export type Access = 'authenticated' | 'public' | 'ingestion';

const SECURITY: Record<Access, Array<Record<string, string[]>>> = {
  authenticated: [{ bearerAuth: [] }, { sessionAuth: [] }],
  public: [],
  ingestion: [{ ingestionToken: [] }],
};

interface OperationParts {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** Success responses by status (errors are added by {@link operation}). */
  response: Record<number, TSchema>;
}

interface OperationDocs {
  /** The OpenAPI tag (one per resource). */
  tag: string;
  summary: string;
  description?: string;
  /** Default `authenticated` (JWT bearer or the portal session). */
  access?: Access;
  /** Error responses beyond the standard ones (409, 413, 415). */
  extraErrors?: ReadonlyArray<keyof typeof EXTRA_ERRORS>;
}

/**
 * The schema of one API operation: validation (params, query, body), serialisation
 * (responses) and its OpenAPI entry, declared once. The standard error responses
 * (400/401/403/404/405/429/500, body of §4.2) are added so every operation documents them
 * and the serialiser keeps `errors` and `request_id`.
 */
export function operation<const Parts extends OperationParts>(docs: OperationDocs, parts: Parts) {
  const extra = Object.fromEntries((docs.extraErrors ?? []).map((status) => [status, EXTRA_ERRORS[status]]));
  return {
    ...parts,
    tags: [docs.tag],
    summary: docs.summary,
    ...(docs.description ? { description: docs.description } : {}),
    security: SECURITY[docs.access ?? 'authenticated'],
    response: { ...STANDARD_ERRORS, ...extra, ...parts.response } as typeof STANDARD_ERRORS &
      Parts['response'],
  };
}
