import { Type } from 'typebox';

/**
 * The error body of web-api-ops §4.2. `errors` (field → messages) only on validation
 * failures, `request_id` only on 500s. Declared in every operation's responses so the
 * serialiser keeps those keys and the OpenAPI document shows them.
 */
export const Problem = Type.Object(
  {
    detail: Type.String({ examples: ['Not found.'] }),
    code: Type.String({ examples: ['not_found'] }),
    errors: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), {
        description: 'Field errors (`non_field_errors` for the object as a whole).',
        examples: [{ name: ['This field is required.'] }],
      }),
    ),
    request_id: Type.Optional(Type.String({ description: 'Only on 500: quote it to support.' })),
  },
  { title: 'Problem' },
);

function problem(description: string, example: { detail: string; code: string; errors?: object }) {
  return Type.Object(Problem.properties, { description, examples: [example] });
}

/** The standard error responses of an API operation (400/401/403/404/405/429/500). */
export const STANDARD_ERRORS = {
  400: problem('Validation failed (field errors), or an invalid ordering.', {
    detail: 'Validation failed.',
    code: 'invalid',
    errors: { name: ['This field is required.'] },
  }),
  401: problem('Not authenticated (`WWW-Authenticate: Bearer realm="api"`).', {
    detail: 'Authentication credentials were not provided.',
    code: 'not_authenticated',
  }),
  403: problem('The role may not do this, no membership, or the product is not enabled.', {
    detail: 'You do not have permission to perform this action.',
    code: 'permission_denied',
  }),
  404: problem('Unknown object, or another customer’s (never a hint that it exists).', {
    detail: 'Not found.',
    code: 'not_found',
  }),
  405: problem('Method not allowed on this path (`Allow` lists the allowed ones).', {
    detail: 'Method "PUT" not allowed.',
    code: 'method_not_allowed',
  }),
  429: problem('Rate limited (`Retry-After`).', {
    detail: 'Request was throttled.',
    code: 'throttled',
  }),
  500: problem('Unexpected error; `request_id` identifies it in the logs.', {
    detail: 'Internal server error.',
    code: 'server_error',
  }),
} as const;

/** Extra error responses some operations have. */
export const EXTRA_ERRORS = {
  409: problem('Conflict with the current state (duplicate, idempotency key reused).', {
    detail: 'Conflict.',
    code: 'conflict',
  }),
  413: problem('Request body too large.', {
    detail: 'Request body is too large.',
    code: 'payload_too_large',
  }),
  415: problem('Unsupported content type.', {
    detail: 'Unsupported media type.',
    code: 'unsupported_media_type',
  }),
} as const;
