/**
 * Schemas of `ingestion-tokens/` and `ingest/webhook/` (web-api-ops §4.6, §4.7). Plain JSON
 * Schema until the shared TypeBox building blocks (src/http/schemas/) land on this branch.
 */

const SINGLE_LINE = '^[^\\u0000-\\u001f\\u007f]*$';

export interface TokenIdParams {
  id: number;
}
export interface TokenCreateBody {
  name: string;
  expires_at?: string | null;
  customer?: number;
}

const id = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

const tokenProperties = {
  id,
  name: { type: 'string', examples: ['EHR nightly export'] },
  prefix: { type: 'string', pattern: '^[0-9a-f]{8}$', examples: ['3f9a0c1e'] },
  is_active: { type: 'boolean' },
  created_at: dateTime,
  created_by: { type: ['integer', 'null'] },
  last_used_at: nullableDateTime,
  expires_at: nullableDateTime,
} as const;
const tokenRequired = [
  'id',
  'name',
  'prefix',
  'is_active',
  'created_at',
  'created_by',
  'last_used_at',
  'expires_at',
];

export const IngestionToken = {
  type: 'object',
  title: 'IngestionToken',
  required: tokenRequired,
  properties: tokenProperties,
} as const;

export const CreatedIngestionToken = {
  type: 'object',
  title: 'CreatedIngestionToken',
  required: [...tokenRequired, 'token'],
  properties: {
    ...tokenProperties,
    token: {
      type: 'string',
      description: 'The whole token, shown only in this response. Store it now.',
      examples: ['pxi_12_3f9a0c1e_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5'],
    },
  },
} as const;

const TokenCreate = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 400, pattern: SINGLE_LINE },
    expires_at: { type: ['string', 'null'], maxLength: 40, pattern: SINGLE_LINE },
    customer: id,
  },
} as const;

export const IngestAccepted = {
  type: 'object',
  title: 'IngestAccepted',
  required: ['status', 'ingestion_id', 'upload_id', 'status_url', 'message'],
  properties: {
    status: { type: 'string', enum: ['accepted'] },
    ingestion_id: id,
    upload_id: id,
    status_url: { type: 'string', examples: ['/api/v1/uploads/57/progress/'] },
    message: { type: 'string', examples: ['Payload received and queued for processing'] },
  },
} as const;

const Problem = {
  type: 'object',
  properties: {
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    request_id: { type: 'string' },
  },
} as const;
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem, 500: Problem };

const Page = {
  type: 'object',
  required: ['count', 'next', 'previous', 'results'],
  properties: {
    count: { type: 'integer' },
    next: { type: ['string', 'null'] },
    previous: { type: ['string', 'null'] },
    results: { type: 'array', items: IngestionToken },
  },
} as const;

const IdParams = { type: 'object', required: ['id'], properties: { id } } as const;
const CustomerQuery = {
  type: 'object',
  properties: {
    customer: id,
    page: { type: 'string', maxLength: 20 },
    page_size: { type: 'string', maxLength: 20 },
  },
} as const;

const base = { tags: ['ingestion-tokens'], security: [{ bearerAuth: [] }, { sessionAuth: [] }] };

export const ingestionOperations = {
  list: {
    ...base,
    summary: 'List ingestion tokens (manage_configuration)',
    querystring: CustomerQuery,
    response: { 200: Page, ...errors },
  },
  detail: {
    ...base,
    summary: 'One ingestion token',
    params: IdParams,
    querystring: CustomerQuery,
    response: { 200: IngestionToken, ...errors },
  },
  create: {
    ...base,
    summary: 'Create an ingestion token (the token is returned once)',
    body: TokenCreate,
    response: { 201: CreatedIngestionToken, ...errors },
  },
  revoke: {
    ...base,
    summary: 'Revoke an ingestion token (kept for audit)',
    params: IdParams,
    querystring: CustomerQuery,
    response: { 204: { type: 'null' }, ...errors },
  },
  webhook: {
    tags: ['ingestion'],
    summary: 'Send a JSON batch of claims (ingestion token only)',
    description:
      'Body: a JSON array of claims or {"claims": [...]} with the canonical field names; at most INGEST_MAX_RECORDS records and INGEST_MAX_BODY_MB. Optional X-Idempotency-Key.',
    security: [{ ingestionToken: [] }],
    response: { 200: IngestAccepted, 202: IngestAccepted, ...errors, 409: Problem, 413: Problem },
  },
};
