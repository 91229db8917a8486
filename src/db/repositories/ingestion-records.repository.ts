import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, IngestionRecordsTable, JsonObject, UploadSource } from '../schema.ts';

/**
 * Ingestion records (one per submission, ingestion spec §1.3, §2.2 step 5) and the system
 * events ingestion writes to the insight feed (§2.12). Customer id first.
 */

export type IngestionRecord = Selectable<IngestionRecordsTable>;

export async function insertIngestionRecord(
  db: Kysely<DB>,
  customerId: number,
  record: {
    uploadId: number | null;
    source: UploadSource;
    recordCount?: number;
    userId?: number | null;
    tokenId?: number | null;
    requestId?: string | null;
    idempotencyKey?: string | null;
    requestSha256?: string | null;
  },
): Promise<IngestionRecord> {
  return db
    .insertInto('ingestion_records')
    .values({
      customer_id: customerId,
      upload_id: record.uploadId,
      source: record.source,
      record_count: record.recordCount ?? 0,
      user_id: record.userId ?? null,
      token_id: record.tokenId ?? null,
      request_id: record.requestId ?? null,
      idempotency_key: record.idempotencyKey ?? null,
      request_sha256: record.requestSha256 ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Marks the ingestion record(s) of an upload with the processing outcome. */
export async function markIngestionRecordsOfUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  outcome: {
    status: 'processing' | 'processed' | 'failed';
    recordCount?: number;
    errorMessage?: string | null;
  },
): Promise<void> {
  await db
    .updateTable('ingestion_records')
    .set({
      status: outcome.status,
      ...(outcome.recordCount !== undefined && { record_count: outcome.recordCount }),
      ...(outcome.errorMessage !== undefined && { error_message: outcome.errorMessage }),
      ...(outcome.status !== 'processing' && { processed_at: sql`now()` }),
    })
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .execute();
}

export async function findIngestionRecordOfUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<IngestionRecord | undefined> {
  return db
    .selectFrom('ingestion_records')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .orderBy('id')
    .executeTakeFirst();
}

/**
 * Appends a feed event. Payloads carry ids and counts only: never cell values or filenames
 * (§2.12).
 */
export async function recordSystemEvent(
  db: Kysely<DB>,
  customerId: number,
  event: {
    eventType: string;
    payload: JsonObject;
    requestId?: string | null;
    relatedUploadId?: number | null;
  },
): Promise<void> {
  await db
    .insertInto('system_events')
    .values({
      customer_id: customerId,
      event_type: event.eventType,
      payload: JSON.stringify(event.payload),
      request_id: event.requestId ?? null,
      related_upload_id: event.relatedUploadId ?? null,
    })
    .execute();
}

/** The record a customer's earlier request with this `X-Idempotency-Key` created (§6.1). */
export async function findIngestionRecordByIdempotencyKey(
  db: Kysely<DB>,
  customerId: number,
  idempotencyKey: string,
): Promise<IngestionRecord | undefined> {
  return db
    .selectFrom('ingestion_records')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
}

/** Links a record to the upload created after it (JSON batches name the file after the record). */
export async function setIngestionRecordUpload(
  db: Kysely<DB>,
  customerId: number,
  id: number,
  uploadId: number,
): Promise<void> {
  await db
    .updateTable('ingestion_records')
    .set({ upload_id: uploadId })
    .where('customer_id', '=', customerId)
    .where('id', '=', id)
    .execute();
}
