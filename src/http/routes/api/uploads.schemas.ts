import { Type } from 'typebox';
import { CANONICAL_COLUMNS } from '../../../domain/claims/index.ts';
import { UPLOAD_ORDER_COLUMNS } from '../../../queries/uploads-list.ts';
import {
  Choice,
  CsrfField,
  DateString,
  DateTimeString,
  FormFlag,
  Id,
  IdText,
  ListQuery,
  Nullable,
  Text,
} from '../../schemas/index.ts';
import { CustomerParam } from './mappings.schemas.ts';

/** Schemas of `uploads/` and its actions (web-api-ops §4.5–§4.6, ingestion spec §2.13). */

export const UPLOAD_STATUSES = [
  'queued',
  'processing',
  'needs_mapping',
  'success',
  'partial',
  'failed',
  'deleted',
] as const;
export const UPLOAD_SOURCES = ['web_ui', 'api', 'ingest', 'cli'] as const;

/** A date or an ISO date-time (`2026-01-24`, `2026-01-24T08:00:00Z`); checked as a real instant by the route. */
const Instant = Type.Optional(
  Type.String({
    maxLength: 35,
    pattern: '^\\d{4}-\\d{2}-\\d{2}([T ][\\d:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$',
    description: 'A date or an ISO 8601 date-time (inclusive bound on `uploaded_at`).',
    examples: ['2026-01-24'],
  }),
);

export const UploadListQuery = ListQuery(
  {
    customer: CustomerParam,
    status: Type.Optional(Choice(UPLOAD_STATUSES)),
    source: Type.Optional(Choice(UPLOAD_SOURCES)),
    uploaded_after: Instant,
    uploaded_before: Instant,
  },
  { fields: Object.keys(UPLOAD_ORDER_COLUMNS), default: '-uploaded_at' },
);

export const CustomerOnlyQuery = Type.Object({ customer: CustomerParam });

export const UploadListItem = Type.Object(
  {
    id: Id,
    filename: Type.String(),
    uploaded_at: Nullable(DateTimeString),
    status: Type.Enum(UPLOAD_STATUSES),
    row_count: Type.Integer({ minimum: 0, description: 'Accepted rows.' }),
    source: Type.Enum(UPLOAD_SOURCES),
  },
  { title: 'UploadListItem' },
);

const uploadDetailProperties = {
  id: Id,
  customer: Id,
  uploaded_at: Nullable(DateTimeString),
  uploaded_by: Nullable(Id),
  filename: Type.String(),
  source: Type.Enum(UPLOAD_SOURCES),
  file_format: Type.String({ examples: ['csv'], description: '`csv`, `x12_835` or `json`.' }),
  file_size_bytes: Nullable(Type.Integer({ minimum: 0 })),
  file_sha256: Nullable(Type.String()),
  status: Type.Enum(UPLOAD_STATUSES),
  error_message: Nullable(Type.String()),
  row_count: Type.Integer({ minimum: 0 }),
  total_rows: Nullable(Type.Integer({ minimum: 0 })),
  accepted_rows: Type.Integer({ minimum: 0 }),
  rejected_rows: Type.Integer({ minimum: 0 }),
  updated_rows: Type.Integer({ minimum: 0 }),
  duplicate_rows: Type.Integer({ minimum: 0 }),
  date_min: Nullable(DateString),
  date_max: Nullable(DateString),
  quality_score: Nullable(Type.Number()),
  quality_grade: Nullable(Type.String()),
  processing_started_at: Nullable(DateTimeString),
  processing_completed_at: Nullable(DateTimeString),
};

export const UploadDetail = Type.Object(uploadDetailProperties, { title: 'UploadDetail' });

export const UploadAccepted = Type.Object(
  {
    ...uploadDetailProperties,
    status_url: Type.String({
      examples: ['/api/v1/uploads/12/progress/'],
      description: 'Relative URL of the progress resource (`Location` is the upload itself).',
    }),
  },
  { title: 'UploadAccepted' },
);

export const UploadProgress = Type.Object(
  {
    id: Id,
    status: Type.Enum(UPLOAD_STATUSES),
    status_label: Type.String(),
    phase: Type.String({ examples: ['validating'] }),
    phase_label: Type.String(),
    rows_done: Type.Integer({ minimum: 0 }),
    rows_total: Nullable(Type.Integer({ minimum: 0 })),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
    rows_per_second: Nullable(Type.Number()),
    eta_seconds: Nullable(Type.Integer({ minimum: 0 })),
    time_left: Nullable(Type.String()),
  },
  { title: 'UploadProgress' },
);

export const UploadStats = Type.Object(
  {
    total: Type.Integer({ minimum: 0 }),
    success: Type.Integer({ minimum: 0 }),
    partial: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    processing: Type.Integer({ minimum: 0 }),
    total_rows: Type.Integer({ minimum: 0, description: 'Claims currently stored for the customer.' }),
  },
  { title: 'UploadStats' },
);

const Counts = Type.Record(Type.String(), Type.Integer());

export const QualityReport = Type.Object(
  {
    upload_id: Id,
    total_rows: Type.Integer(),
    accepted_rows: Type.Integer(),
    inserted_rows: Type.Integer(),
    updated_rows: Type.Integer(),
    duplicate_rows: Type.Integer(),
    rejected_rows: Type.Integer(),
    warning_rows: Type.Integer(),
    complete_rows: Type.Integer(),
    phi_rows: Type.Integer(),
    missing_fields_rows: Type.Integer(),
    invalid_dates_rows: Type.Integer(),
    invalid_values_rows: Type.Integer(),
    reversals: Type.Integer(),
    quality_score: Type.Number(),
    grade: Type.String(),
    categories: Type.Array(Type.String()),
    rejection_details: Type.Array(
      Type.Object({ row: Type.Integer(), category: Type.String(), reason: Type.String() }),
    ),
    rejection_details_truncated: Type.Boolean(),
    warnings: Type.Array(
      Type.Object({
        row: Nullable(Type.Integer()),
        code: Type.String(),
        severity: Type.String(),
        message: Type.String(),
      }),
    ),
    warning_counts: Counts,
    ignored_columns: Type.Array(Type.String()),
    identifier_columns: Type.Array(Type.String()),
    recommendations: Type.Array(Type.String()),
    created_at: Nullable(DateTimeString),
  },
  { title: 'UploadQualityReport' },
);

export const MappingBody = Type.Object({
  columns: Type.Record(
    Type.String({ maxLength: 200 }),
    Type.Union([Type.Enum([...CANONICAL_COLUMNS, 'ignore', '']), Type.Null()]),
    {
      maxProperties: 500,
      description: 'File header → canonical field, or `ignore`.',
      examples: [{ 'Insurance Co': 'payer', Notes: 'ignore' }],
    },
  ),
  save_profile: Type.Optional(Type.Boolean()),
  profile_name: Type.Optional(Text({ maxLength: 100, required: false })),
  customer: CustomerParam,
});

/** 409 of DELETE: the upload is not final (or already deleted); `status` says which it is. */
export const DeleteConflict = Type.Object(
  {
    detail: Type.String(),
    code: Type.Literal('conflict'),
    status: Type.Enum(UPLOAD_STATUSES),
  },
  { title: 'UploadNotDeletable', description: 'The upload is not final, or already deleted.' },
);

/** 409 of POST: the same bytes were already uploaded (not deleted); `upload_id` is that upload. */
export const DuplicateFile = Type.Object(
  {
    detail: Type.String({ examples: ['This file was already uploaded as upload #12 on 2026-01-24.'] }),
    code: Type.Literal('duplicate_file'),
    upload_id: Id,
  },
  { title: 'DuplicateFile' },
);

/**
 * Text fields of the multipart upload (`file` / `csv_file` is the streamed file part): checked
 * by receiveUpload before the file and once every part is read (fields may follow the file).
 */
export const UploadFields = Type.Object({
  csrf_token: CsrfField,
  allow_duplicate: FormFlag,
  column_profile: IdText('Id of a column-mapping profile to apply (optional).'),
});
