import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import { insertIngestionRecord, recordSystemEvent } from '../db/repositories/ingestion-records.repository.ts';
import {
  columnMappingProfileForResolver,
  findColumnMappingProfile,
  loadColumnMappingProfiles,
  markColumnMappingProfileUsed,
} from '../db/repositories/mappings.repository.ts';
import { writeUploadFile } from '../db/repositories/upload-files.repository.ts';
import {
  findUploadBySha256,
  insertUpload,
  type UploadRecord,
} from '../db/repositories/uploads.repository.ts';
import type { UploadFormat, UploadSource, UploadStatus } from '../db/schema.ts';
import { type ColumnResolution, fileErrors, resolveColumns } from '../domain/claims/index.ts';
import { readCsvHead } from '../ingest/csv/columns.ts';
import type { JobQueue } from '../jobs/types.ts';
import { recordAudit } from '../obs/audit.ts';

/**
 * `upload-claims-file` (ingestion spec §2.2): the synchronous half of an upload. Streams the
 * body to a temporary file while hashing it (size-capped at UPLOAD_MAX_MB), refuses a file the
 * customer already sent unless `allowDuplicate`, sniffs the format, resolves the CSV header,
 * then in one transaction records the upload, its ingestion record and the raw bytes (1 MiB
 * chunks in the upload file store) with the audit/feed events, and enqueues `ingest-upload`.
 */

export const INGEST_UPLOAD_JOB = 'ingest-upload';

/** The job's unique key: one ingest job per upload, ever (§2.2 step 5). */
export function ingestUploadJobKey(customerId: number, uploadId: number): string {
  return `ingest-upload:${customerId}:${uploadId}`;
}

export interface UploadClaimsFileDeps {
  database: Database;
  queue: JobQueue;
  config: Config;
}

export interface UploadClaimsFileInput {
  customerId: number;
  /** The client's file name (path parts and control characters are removed). */
  filename: string | null | undefined;
  /** The bytes, streamed (a multipart file stream, a file read stream …) or in memory. */
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | null | undefined;
  source: UploadSource;
  allowDuplicate?: boolean;
  uploadedBy?: number | null;
  tokenId?: number | null;
  requestId?: string | null;
  ip?: string | null;
  /** API `column_profile`: force this saved profile. */
  columnProfileId?: number | null;
  /**
   * Options that may arrive after the body (multipart fields sent after the file part): awaited
   * once the body is spooled, before the duplicate check; what it returns overrides the above.
   */
  lateOptions?: () => Promise<Pick<UploadClaimsFileInput, 'allowDuplicate' | 'columnProfileId'>>;
}

export interface UploadClaimsFileResult {
  upload: UploadRecord;
  /** The ingest job, when one was enqueued (status queued). */
  jobId: number | null;
  /**
   * What to tell the submitter: "Upload received: <f>. Processing has started." when queued;
   * "Upload failed: …" when it failed at once; null for needs_mapping (the portal redirects to
   * the mapping step).
   */
  message: string | null;
}

/** The file exceeds UPLOAD_MAX_MB (HTTP 413). Nothing was stored. */
export class FileTooLargeError extends AppError {
  constructor(maxMb: number) {
    super('file_too_large', `File too large: the limit is ${maxMb} MB`, 413);
    this.name = 'FileTooLargeError';
  }
}

/** The same bytes were uploaded before and "Upload again" was not ticked (HTTP 409). */
export class DuplicateFileError extends AppError {
  constructor(
    readonly uploadId: number,
    uploadedOn: string,
  ) {
    super(
      'duplicate_file',
      `This file was already uploaded as upload #${uploadId} on ${uploadedOn}. Tick “Upload again” to process it anyway.`,
      409,
    );
    this.name = 'DuplicateFileError';
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** The client's name without path parts or control characters, ≤ 255 characters (§1.2). */
export function cleanUploadFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return Array.from(base.replace(CONTROL, '').trim()).slice(0, 255).join('');
}

async function* asChunks(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  yield* body;
}

interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Streams the body to a temporary file, hashing it; over `maxBytes` → FileTooLargeError.
 * On failure nothing is left in `dir` (exported for that test).
 */
export async function spool(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
  dir: string,
  maxBytes: number,
  maxMb: number,
): Promise<SpooledFile> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `upload-${randomUUID()}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const writer = createWriteStream(file);
  try {
    await pipeline(
      asChunks(body),
      async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > maxBytes) throw new FileTooLargeError(maxMb);
          hash.update(chunk);
          yield chunk;
        }
      },
      writer,
    );
  } catch (error) {
    // pipeline() settles as soon as the body fails, while the write stream may still be
    // opening (creating) the file on the thread pool: removing it before the stream has
    // closed can leave a stray .part file behind on a busy machine.
    if (!writer.closed) await new Promise<void>((resolve) => writer.once('close', () => resolve()));
    await rm(file, { force: true });
    throw error;
  }
  return { path: file, size, sha256: hash.digest('hex') };
}

export interface SniffedFormat {
  format: UploadFormat;
  /** X12 only: the transaction set (ST01), when found. */
  transactionSet: string | null;
}

/**
 * Format sniff (§2.2 step 4) on the first bytes: after a UTF-8 BOM and leading white space,
 * `ISA` + a non-alphanumeric character, or `ST` + separator + digits → X12; else CSV.
 */
export function sniffFormat(head: Buffer): SniffedFormat {
  let text = head.toString('latin1');
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  text = text.replace(/^\s+/, '');
  const isa = /^ISA([^A-Za-z0-9])/.exec(text);
  const st = /^ST([^A-Za-z0-9\s])(\d+)/.exec(text);
  if (!isa && !st) return { format: 'csv', transactionSet: null };
  const separator = (isa?.[1] ?? st?.[1]) as string;
  const escaped = separator.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(?:^|[^A-Za-z0-9])ST${escaped}([A-Za-z0-9]+)`).exec(text);
  return { format: 'x12_835', transactionSet: match?.[1] ?? null };
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Records an upload and starts its processing. Throws AppError `no_file` (400),
 * FileTooLargeError (413), DuplicateFileError (409) or `column_profile_not_found` (400) with
 * nothing stored; otherwise returns the upload (queued, needs_mapping or failed).
 */
export async function uploadClaimsFile(
  deps: UploadClaimsFileDeps,
  input: UploadClaimsFileInput,
): Promise<UploadClaimsFileResult> {
  const { database, config } = deps;
  const db = database.db;
  const filename = cleanUploadFilename(input.filename ?? '');
  if (!input.body || filename === '') throw new AppError('no_file', 'No file uploaded', 400);

  const maxBytes = config.upload.maxMb * 1024 * 1024;
  const spooled = await spool(input.body, path.join(config.dataDir, 'tmp'), maxBytes, config.upload.maxMb);
  try {
    if (input.lateOptions) input = { ...input, ...(await input.lateOptions()) };
    const earlier = await findUploadBySha256(db, input.customerId, spooled.sha256);
    if (earlier && !input.allowDuplicate)
      throw new DuplicateFileError(earlier.id, isoDay(earlier.created_at));

    let forcedProfile = null;
    if (input.columnProfileId != null) {
      const row = await findColumnMappingProfile(db, input.customerId, input.columnProfileId);
      if (!row) throw new AppError('column_profile_not_found', 'Column profile not found', 400);
      forcedProfile = columnMappingProfileForResolver(row);
    }

    const sniffed = sniffFormat(await readHead(spooled.path, 64 * 1024));
    let status: UploadStatus = 'queued';
    let failure: { code: string; message: string } | null = null;
    let resolution: ColumnResolution | null = null;
    if (sniffed.format === 'x12_835') {
      if (sniffed.transactionSet !== null && sniffed.transactionSet !== '835') {
        failure = fileErrors.unsupportedX12(sniffed.transactionSet);
      }
    } else {
      const head = await readCsvHead(createReadStream(spooled.path));
      // No header (empty file) or an unreadable one: the job reports the file-level error.
      if (head.headers !== null && head.error === null) {
        const profiles = await loadColumnMappingProfiles(db, input.customerId);
        resolution = resolveColumns(head.headers, {
          profiles,
          ...(forcedProfile && { forcedProfile }),
        });
        if (!resolution.ok) {
          if (resolution.code === 'missing_required_column' && input.source === 'web_ui') {
            status = 'needs_mapping';
          } else failure = { code: resolution.code, message: resolution.message };
        }
      }
    }
    if (failure) status = 'failed';

    const upload = await db.transaction().execute(async (trx) => {
      const created = await insertUpload(trx, input.customerId, {
        filename,
        format: sniffed.format,
        source: input.source,
        status,
        file_size_bytes: spooled.size,
        file_sha256: spooled.sha256,
        forced_duplicate_of: earlier?.id ?? null,
        uploaded_by: input.uploadedBy ?? null,
        token_id: input.tokenId ?? null,
        request_id: input.requestId ?? null,
        ...(resolution?.ok && {
          column_map: JSON.stringify(resolution.columnMap),
          mapping_profile_id: resolution.profileId,
        }),
        ...(failure && {
          error_code: failure.code,
          error_message: failure.message,
          summary_message: `Upload failed: ${failure.message}`,
          processing_completed_at: new Date(),
          rows_total: 0,
        }),
      });
      if (resolution?.ok && resolution.profileId !== null) {
        await markColumnMappingProfileUsed(trx, input.customerId, resolution.profileId);
      }
      await insertIngestionRecord(trx, input.customerId, {
        uploadId: created.id,
        source: input.source,
        userId: input.uploadedBy ?? null,
        tokenId: input.tokenId ?? null,
        requestId: input.requestId ?? null,
        requestSha256: spooled.sha256,
      });
      if (!failure) {
        // A failed upload keeps no bytes (raw files go when the final status is reached).
        await writeUploadFile(trx, input.customerId, created.id, createReadStream(spooled.path));
      }
      const audit = {
        customerId: input.customerId,
        userId: input.uploadedBy ?? null,
        entityType: 'upload',
        entityId: created.id,
        requestId: input.requestId ?? null,
        ip: input.ip ?? null,
      };
      await recordAudit(trx, {
        ...audit,
        action: 'upload_created',
        metadata: {
          filename,
          format: sniffed.format,
          size_bytes: spooled.size,
          file_sha256: spooled.sha256,
          source: input.source,
        },
      });
      if (earlier) {
        await recordAudit(trx, {
          ...audit,
          action: 'upload_duplicate_override',
          metadata: { existing_upload_id: earlier.id },
        });
      }
      await recordSystemEvent(trx, input.customerId, {
        eventType: 'ingestion_received',
        payload: {
          upload_id: created.id,
          source: input.source,
          format: sniffed.format,
          size_bytes: spooled.size,
        },
        requestId: input.requestId ?? null,
        relatedUploadId: created.id,
      });
      if (failure) {
        await recordSystemEvent(trx, input.customerId, {
          eventType: 'ingestion_failed',
          payload: {
            upload_id: created.id,
            source: input.source,
            format: sniffed.format,
            error_code: failure.code,
            error: failure.message,
          },
          requestId: input.requestId ?? null,
          relatedUploadId: created.id,
        });
        await recordAudit(trx, {
          ...audit,
          action: 'upload_completed',
          metadata: { status: 'failed', counts: { total: 0, accepted: 0, rejected: 0 } },
        });
      }
      return created;
    });

    if (status === 'queued') {
      const job = await enqueueIngestUpload(deps.queue, upload, input.requestId ?? null);
      return { upload, jobId: job.id, message: `Upload received: ${filename}. Processing has started.` };
    }
    return { upload, jobId: null, message: failure ? `Upload failed: ${failure.message}` : null };
  } finally {
    await rm(spooled.path, { force: true });
  }
}

/** Enqueues the ingest job of an upload (idempotent: one job per upload, ever). */
export async function enqueueIngestUpload(
  queue: JobQueue,
  upload: Pick<UploadRecord, 'customer_id' | 'id'>,
  requestId: string | null,
): Promise<{ id: number; created: boolean }> {
  return queue.enqueue(
    INGEST_UPLOAD_JOB,
    { customer_id: upload.customer_id, upload_id: upload.id },
    {
      customerId: upload.customer_id,
      uniqueKey: ingestUploadJobKey(upload.customer_id, upload.id),
      requestId,
    },
  );
}
