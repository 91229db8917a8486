import { createHash } from 'node:crypto';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import type { Database } from '../db/database.ts';
import {
  findIngestionRecordByIdempotencyKey,
  insertIngestionRecord,
  recordSystemEvent,
  setIngestionRecordUpload,
} from '../db/repositories/ingestion-records.repository.ts';
import { writeUploadFile } from '../db/repositories/upload-files.repository.ts';
import { insertUpload } from '../db/repositories/uploads.repository.ts';
import { parseJsonBatch } from '../domain/ingestion/json-batch.ts';
import type { JobQueue } from '../jobs/types.ts';
import { recordAudit } from '../obs/audit.ts';
import { enqueueIngestUpload } from './upload-claims-file.ts';

/**
 * JSON batch ingestion (ingestion spec §6.1, web-api-ops §4.7), the synchronous half: checks
 * the body (empty, not JSON, wrong shape, too many records → nothing stored), answers a
 * repeated `X-Idempotency-Key` from the first request's record (same body SHA-256 → replay;
 * another body → 409), then in one transaction records the ingestion record, the upload
 * (`source` ingest, `format` json, file `api-batch-<record id>.json`), the exact bytes in the
 * upload file store, audit `upload_created` and event `ingestion_received`, and enqueues the
 * same `ingest-upload` job as a CSV file. The job runs the same row pipeline (PHI screen,
 * normalisation, quality, identity, rollups, post-upload analysis) on the stored bytes.
 */

export interface IngestJsonBatchDeps {
  database: Database;
  queue: JobQueue;
  config: Config;
}

export interface IngestJsonBatchInput {
  customerId: number;
  tokenId: number;
  /** The request body exactly as received (≤ INGEST_MAX_BODY_MB, enforced by the route). */
  body: Uint8Array;
  idempotencyKey: string | null;
  requestId?: string | null;
  ip?: string | null;
  /** The per-customer upload limit; throws to refuse (runs only when something would be stored). */
  checkUploadRate?: () => Promise<void>;
}

export interface IngestJsonBatchResult {
  ingestionId: number;
  uploadId: number;
  /** True when an earlier request with the same key and body is answered again. */
  replayed: boolean;
}

export const INGEST_ACCEPTED_MESSAGE = 'Payload received and queued for processing';

export class IdempotencyConflictError extends AppError {
  constructor() {
    super('idempotency_conflict', 'Idempotency key reuse with a different payload', 409);
    this.name = 'IdempotencyConflictError';
  }
}

function replayOf(
  record: { id: number; upload_id: number | null; request_sha256: string | null },
  sha256: string,
): IngestJsonBatchResult {
  if (record.request_sha256 !== sha256 || record.upload_id === null) throw new IdempotencyConflictError();
  return { ingestionId: record.id, uploadId: record.upload_id, replayed: true };
}

export async function ingestJsonBatch(
  deps: IngestJsonBatchDeps,
  input: IngestJsonBatchInput,
): Promise<IngestJsonBatchResult> {
  const db = deps.database.db;
  const sha256 = createHash('sha256').update(input.body).digest('hex');
  const key = input.idempotencyKey;
  if (key !== null) {
    const earlier = await findIngestionRecordByIdempotencyKey(db, input.customerId, key);
    if (earlier) return replayOf(earlier, sha256);
  }
  const maxRecords = deps.config.ingest.maxRecords;
  const batch = parseJsonBatch(input.body, maxRecords);
  if (!batch.ok) {
    if (batch.code === 'too_many') throw new AppError('payload_too_large', batch.message, 413);
    throw new AppError('invalid', batch.message, 400);
  }
  await input.checkUploadRate?.();

  let created: { ingestionId: number; uploadId: number };
  try {
    created = await db.transaction().execute(async (trx) => {
      const record = await insertIngestionRecord(trx, input.customerId, {
        uploadId: null,
        source: 'ingest',
        recordCount: batch.claims.length,
        tokenId: input.tokenId,
        requestId: input.requestId ?? null,
        idempotencyKey: key,
        requestSha256: sha256,
      });
      const filename = `api-batch-${record.id}.json`;
      const upload = await insertUpload(trx, input.customerId, {
        filename,
        format: 'json',
        source: 'ingest',
        status: 'queued',
        file_size_bytes: input.body.byteLength,
        file_sha256: sha256,
        token_id: input.tokenId,
        request_id: input.requestId ?? null,
      });
      await setIngestionRecordUpload(trx, input.customerId, record.id, upload.id);
      await writeUploadFile(trx, input.customerId, upload.id, [input.body]);
      await recordAudit(trx, {
        action: 'upload_created',
        customerId: input.customerId,
        userId: null,
        entityType: 'upload',
        entityId: upload.id,
        requestId: input.requestId ?? null,
        ip: input.ip ?? null,
        metadata: {
          filename,
          format: 'json',
          size_bytes: input.body.byteLength,
          file_sha256: sha256,
          source: 'ingest',
          record_count: batch.claims.length,
          token_id: input.tokenId,
        },
      });
      await recordSystemEvent(trx, input.customerId, {
        eventType: 'ingestion_received',
        payload: {
          upload_id: upload.id,
          source: 'ingest',
          format: 'json',
          size_bytes: input.body.byteLength,
        },
        requestId: input.requestId ?? null,
        relatedUploadId: upload.id,
      });
      return { ingestionId: record.id, uploadId: upload.id };
    });
  } catch (error) {
    // Two requests with one key at the same time: the unique key lets one in; the other
    // answers like a later repeat would.
    if (key !== null) {
      const winner = await findIngestionRecordByIdempotencyKey(db, input.customerId, key);
      if (winner) return replayOf(winner, sha256);
    }
    throw error;
  }
  await enqueueIngestUpload(
    deps.queue,
    { customer_id: input.customerId, id: created.uploadId },
    input.requestId ?? null,
  );
  return { ...created, replayed: false };
}
