import { Type } from 'typebox';
import { TOKEN_NAME_MAX } from '../../../commands/manage-ingestion-tokens.ts';
import { DateTimeString, Id, Integer, MAX_ID, Nullable, PageQuery, Text } from '../../schemas/index.ts';

/** Schemas of `ingestion-tokens/` and `ingest/webhook/` (web-api-ops §4.6, §4.7; ingestion spec §6.1). */

const CustomerParam = Type.Optional(
  Integer({
    minimum: 1,
    maximum: MAX_ID,
    description: 'Staff only: the customer to act on (members: ignored).',
  }),
);

const tokenFields = {
  id: Id,
  name: Type.String({ examples: ['EHR nightly export'] }),
  prefix: Type.String({
    pattern: '^[0-9a-f]{8}$',
    description: '8 lower-case hex characters.',
    examples: ['3f9a0c1e'],
  }),
  is_active: Type.Boolean({ description: 'False once revoked or past `expires_at`.' }),
  created_at: DateTimeString,
  created_by: Nullable(Id),
  last_used_at: Nullable(DateTimeString),
  expires_at: Nullable(DateTimeString),
};

export const IngestionToken = Type.Object(tokenFields, { title: 'IngestionToken' });

export const CreatedIngestionToken = Type.Object(
  {
    ...tokenFields,
    token: Type.String({
      description: 'The whole token `pxi_<customer_id>_<prefix>_<secret>`, shown only in this response.',
      examples: ['pxi_12_3f9a0c1e_q9Zt0d3Xz1m8J0hWc4yKp2rV7sLbNf5gTa6eUi1oBEw'],
    }),
  },
  { title: 'CreatedIngestionToken' },
);

export const TokenCreate = Type.Object({
  name: Text({ maxLength: TOKEN_NAME_MAX, examples: ['EHR nightly export'] }),
  expires_at: Type.Optional(
    Nullable(
      Text({
        maxLength: 40,
        required: false,
        description: 'Optional expiry: a date (valid through that day, UTC) or an ISO 8601 date-time.',
        examples: ['2026-12-31'],
      }),
    ),
  ),
  customer: CustomerParam,
});

export const TokenQuery = Type.Object({ customer: CustomerParam });
export const TokenListQuery = PageQuery({ customer: CustomerParam });

export const IngestAccepted = Type.Object(
  {
    status: Type.Literal('accepted'),
    ingestion_id: Id,
    upload_id: Id,
    status_url: Type.String({
      description: 'Relative URL of the upload’s progress.',
      examples: ['/api/v1/uploads/57/progress/'],
    }),
    message: Type.String({ examples: ['Payload received and queued for processing'] }),
  },
  { title: 'IngestAccepted' },
);

/** Documentation only: the route reads the raw bytes itself (SHA-256 for idempotency). */
export const IngestBodyDescription =
  'A JSON array of claims, or `{"claims": [...]}`, with the canonical field names (ingestion spec §2.4); at most ' +
  '`INGEST_MAX_RECORDS` (10,000) records and `INGEST_MAX_BODY_MB` (10 MB). Optional header `X-Idempotency-Key` ' +
  '(1–255 visible ASCII): the same key with the same body answers 200 with the first response and ' +
  '`Idempotent-Replayed: true`; with another body 409 `idempotency_conflict`. Authenticate with ' +
  '`Authorization: Bearer pxi_…` or `X-Ingestion-Token: pxi_…` (no JWT, no session).';
