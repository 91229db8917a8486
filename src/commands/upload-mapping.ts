import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';
import { AppError, NotFoundError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import { deleteOrphanStagingRows, deleteStagingRows } from '../db/repositories/claims.repository.ts';
import {
  markIngestionRecordsOfUpload,
  recordSystemEvent,
} from '../db/repositories/ingestion-records.repository.ts';
import { insertColumnMappingProfile } from '../db/repositories/mappings.repository.ts';
import { deleteUploadFile, readUploadFile } from '../db/repositories/upload-files.repository.ts';
import {
  findStalledUploads,
  findUpload,
  type UploadRecord,
  updateUpload,
} from '../db/repositories/uploads.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  CANONICAL_COLUMNS,
  type CanonicalField,
  cutChars,
  fileErrors,
  REQUIRED_COLUMNS,
  resolveColumns,
  suggestColumnMap,
  validateMappingChoice,
} from '../domain/claims/index.ts';
import { readCsvHead } from '../ingest/csv/columns.ts';
import type { JobQueue } from '../jobs/types.ts';
import { recordAudit } from '../obs/audit.ts';
import { enqueueIngestUpload, INGEST_UPLOAD_JOB } from './upload-claims-file.ts';

/**
 * The column-mapping step of a portal upload (ingestion spec §2.5): preview, save (profile +
 * column_map → queued), cancel (→ failed), and the sweeper of §2.3 (stalled processing,
 * abandoned mapping steps). Customer id first; another customer's upload is not found.
 */

export interface MappingPreview {
  upload: UploadRecord;
  /** The file's header cells (trimmed), in file order. */
  headers: string[];
  /** First 5 data rows, cells cut to 60 characters. Shown once; never persisted or logged. */
  rows: string[][];
  /** Pre-fill of the selects: canonical field → one of `headers`, or null ("(not in file)"). */
  suggestions: Record<CanonicalField, string | null>;
  /** "Missing required column: <name>. Map your columns below." */
  banner: string;
  /** Default "Save as profile" name. */
  defaultProfileName: string;
  /**
   * How the page offers the headers: one `<select>` per field for ordinary files, or, for a
   * file wider than {@link MAPPING_SELECT_MAX_HEADERS}, text inputs sharing ONE `<datalist>`
   * so the page grows with the width once, not 16 times (a 10,000-column file made an 8.9 MB
   * page of 160,016 options).
   */
  chooser: 'select' | 'datalist';
  /** The columns of the preview table (the first {@link MAPPING_PREVIEW_MAX_COLUMNS}). */
  previewHeaders: string[];
  /** Columns left out of the preview table. */
  hiddenColumns: number;
}

/** Above this many headers the mapping page switches from selects to one shared datalist. */
export const MAPPING_SELECT_MAX_HEADERS = 100;
/** The preview table shows at most this many columns. */
export const MAPPING_PREVIEW_MAX_COLUMNS = 20;

async function needsMappingUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadRecord> {
  const upload = await findUpload(db, customerId, uploadId);
  if (!upload) throw new NotFoundError('Upload not found.');
  if (upload.status !== 'needs_mapping') {
    throw new AppError('upload_not_mappable', 'This upload does not need a column mapping.', 409);
  }
  return upload;
}

/** What `/portal/uploads/<id>/map-columns/` shows, read from the stored file. */
export async function previewUploadColumns(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<MappingPreview> {
  const upload = await needsMappingUpload(db, customerId, uploadId);
  const head = await readCsvHead(readUploadFile(db, customerId, uploadId), 5);
  const headers = (head.headers ?? []).map((h) => h.replace(/^\uFEFF/, '').trim());
  const resolution = resolveColumns(headers);
  const missing = resolution.ok ? null : (resolution.missing ?? null);
  const shown = Math.min(headers.length, MAPPING_PREVIEW_MAX_COLUMNS);
  return {
    upload,
    headers,
    chooser: headers.length > MAPPING_SELECT_MAX_HEADERS ? 'datalist' : 'select',
    previewHeaders: headers.slice(0, shown),
    hiddenColumns: headers.length - shown,
    rows: head.rows.map((cells) => cells.slice(0, shown).map((cell) => cutChars(cell, 60))),
    suggestions: suggestColumnMap(headers),
    banner: missing ? `Missing required column: ${missing}. Map your columns below.` : '',
    defaultProfileName: defaultProfileName(upload.filename),
  };
}

export const PROFILE_NAME_MAX_LENGTH = 100;
export const PROFILE_NAME_TOO_LONG = `Ensure this field has no more than ${PROFILE_NAME_MAX_LENGTH} characters.`;

/** "Profile for <filename>", cut to whole characters within the column's 100. */
function defaultProfileName(filename: string): string {
  return Array.from(`Profile for ${filename}`).slice(0, PROFILE_NAME_MAX_LENGTH).join('');
}

export interface CompleteMappingInput {
  customerId: number;
  uploadId: number;
  /** canonical field → a header of the file, or null/'' for "(not in file)". */
  map: Partial<Record<CanonicalField, string | null>>;
  profileName: string;
  userId?: number | null;
  requestId?: string | null;
  ip?: string | null;
}

/**
 * A chosen header the file does not have (typed into the wide-file datalist, or sent by an
 * API client): "Column '<h>' is not in the file", so the job never runs on a phantom column.
 */
async function unknownHeaderProblem(db: Kysely<DB>, input: CompleteMappingInput): Promise<string | null> {
  const chosen = CANONICAL_COLUMNS.map((field) => input.map[field]?.trim()).filter(
    (header): header is string => !!header,
  );
  if (chosen.length === 0) return null;
  const head = await readCsvHead(readUploadFile(db, input.customerId, input.uploadId), 0);
  const headers = new Set((head.headers ?? []).map((h) => h.replace(/^\uFEFF/, '').trim()));
  const missing = chosen.find((header) => !headers.has(header));
  return missing === undefined ? null : `Column '${cutChars(missing, 60)}' is not in the file`;
}

/**
 * Saves the mapping step: validates the choice ("Map a column to <field>", "Column '<h>' is
 * mapped to more than one field"), saves the profile (use_count 1; "A profile named '<name>'
 * already exists"), stores column_map and queues the upload.
 */
export async function completeUploadMapping(
  deps: { database: Database; queue: JobQueue },
  input: CompleteMappingInput,
): Promise<{ upload: UploadRecord; jobId: number }> {
  const db = deps.database.db;
  const upload = await needsMappingUpload(db, input.customerId, input.uploadId);
  const problem = validateMappingChoice(input.map) ?? (await unknownHeaderProblem(db, input));
  if (problem) throw new AppError('invalid_mapping', problem, 400);
  const name = input.profileName.trim() || defaultProfileName(upload.filename);
  // column_mapping_profiles.name is varchar(100): a field error, never a database error.
  if (Array.from(name).length > PROFILE_NAME_MAX_LENGTH) {
    throw new AppError('invalid', 'Validation failed.', 400, { profile_name: [PROFILE_NAME_TOO_LONG] });
  }
  const columnMap: Record<string, string> = {};
  for (const field of CANONICAL_COLUMNS) {
    const header = input.map[field];
    if (header) columnMap[field] = header.trim();
  }
  const updated = await db.transaction().execute(async (trx) => {
    const profile = await insertColumnMappingProfile(trx, input.customerId, {
      name,
      mapping: columnMap,
      createdBy: input.userId ?? null,
      used: true,
    });
    if (!profile) throw new AppError('profile_exists', `A profile named '${name}' already exists`, 400);
    await recordAudit(trx, {
      action: 'column_mapping_profile_created',
      customerId: input.customerId,
      userId: input.userId ?? null,
      entityType: 'column_mapping_profile',
      entityId: profile.id,
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name, upload_id: upload.id },
    });
    return updateUpload(trx, input.customerId, upload.id, {
      status: 'queued',
      column_map: JSON.stringify(columnMap),
      mapping_profile_id: profile.id,
    });
  });
  if (!updated) throw new NotFoundError('Upload not found.');
  const job = await enqueueIngestUpload(deps.queue, updated, input.requestId ?? null);
  return { upload: updated, jobId: job.id };
}

/** Fails an upload that never reached the row stage (Cancel, mapping timeout, interrupted). */
async function failBeforeRowStage(
  db: Kysely<DB>,
  upload: UploadRecord,
  failure: { code: string; message: string },
  requestId: string | null,
  userId: number | null,
): Promise<UploadRecord | undefined> {
  return db.transaction().execute(async (trx) => {
    const failed = await updateUpload(trx, upload.customer_id, upload.id, {
      status: 'failed',
      error_code: failure.code,
      error_message: failure.message,
      summary_message: `Upload failed: ${failure.message}`,
      processing_completed_at: new Date(),
    });
    await markIngestionRecordsOfUpload(trx, upload.customer_id, upload.id, {
      status: 'failed',
      errorMessage: failure.message,
    });
    await recordSystemEvent(trx, upload.customer_id, {
      eventType: 'ingestion_failed',
      payload: {
        upload_id: upload.id,
        source: upload.source,
        format: upload.format,
        error_code: failure.code,
        error: failure.message,
      },
      requestId,
      relatedUploadId: upload.id,
    });
    await recordAudit(trx, {
      action: 'upload_completed',
      customerId: upload.customer_id,
      userId,
      entityType: 'upload',
      entityId: upload.id,
      requestId,
      metadata: { status: 'failed', counts: { total: 0, accepted: 0, rejected: 0 } },
    });
    await deleteUploadFile(trx, upload.customer_id, upload.id);
    return failed;
  });
}

/**
 * Cancel in the mapping step (portal) or `POST /api/v1/uploads/<id>/cancel/`: the upload fails
 * with "Missing required column: <name>".
 */
export async function cancelUploadMapping(
  deps: { database: Database },
  input: { customerId: number; uploadId: number; userId?: number | null; requestId?: string | null },
): Promise<UploadRecord> {
  const db = deps.database.db;
  const upload = await needsMappingUpload(db, input.customerId, input.uploadId);
  const head = await readCsvHead(readUploadFile(db, input.customerId, input.uploadId));
  const resolution = resolveColumns(head.headers ?? []);
  const message = resolution.ok ? `Missing required column: ${REQUIRED_COLUMNS[0]}` : resolution.message;
  const failed = await failBeforeRowStage(
    db,
    upload,
    { code: 'missing_required_column', message },
    input.requestId ?? null,
    input.userId ?? null,
  );
  if (!failed) throw new NotFoundError('Upload not found.');
  return failed;
}

/** Processing uploads without progress this long are considered abandoned (§2.3). */
export const STALLED_PROCESSING_MS = 10 * 60_000;
/** needs_mapping uploads older than this fail (§2.3). */
export const MAPPING_TIMEOUT_MS = 24 * 60 * 60_000;

/**
 * The upload sweeper (§2.3; at worker start and every 5 minutes): a `processing` upload with
 * no progress for 10 minutes loses its staging rows and is re-queued (attempts < 2, with a
 * fresh job) or failed "Processing was interrupted…"; `needs_mapping` older than 24 hours
 * fails "Column mapping was not completed within 24 hours".
 */
export async function sweepUploads(deps: {
  database: Database;
  queue: Pick<JobQueue, 'enqueue'>;
  config?: Config;
  logger?: Logger;
}): Promise<{ requeued: number; failed: number; mappingExpired: number }> {
  const db = deps.database.db;
  let requeued = 0;
  let failed = 0;
  for (const stalled of await findStalledUploads(db, STALLED_PROCESSING_MS)) {
    await deleteStagingRows(db, stalled.customer_id, stalled.id);
    if (stalled.attempts < 2) {
      const upload = await updateUpload(db, stalled.customer_id, stalled.id, { status: 'queued' });
      if (upload) {
        // The first job's unique key is spent; the retry gets its own, once per attempt.
        await deps.queue.enqueue(
          INGEST_UPLOAD_JOB,
          { customer_id: upload.customer_id, upload_id: upload.id },
          {
            customerId: upload.customer_id,
            uniqueKey: `ingest-upload:${upload.customer_id}:${upload.id}:retry${stalled.attempts}`,
          },
        );
        requeued++;
      }
    } else {
      const upload = await findUpload(db, stalled.customer_id, stalled.id);
      if (upload) {
        await failBeforeRowStage(db, upload, fileErrors.interrupted(), null, null);
        failed++;
      }
    }
  }
  await deleteOrphanStagingRows(db);
  const expired = await db
    .selectFrom('uploads')
    .selectAll()
    .where('status', '=', 'needs_mapping')
    .where('created_at', '<', sql<Date>`now() - ${MAPPING_TIMEOUT_MS} * interval '1 millisecond'`)
    .execute();
  for (const upload of expired) await failBeforeRowStage(db, upload, fileErrors.mappingTimeout(), null, null);
  if (requeued + failed + expired.length > 0) {
    deps.logger?.warn({ requeued, failed, mapping_expired: expired.length }, 'upload sweeper acted');
  }
  return { requeued, failed, mappingExpired: expired.length };
}
