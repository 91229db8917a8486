import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/**
 * The upload file store (ingestion spec §1.2): raw bytes of an upload in `upload_file_chunks`,
 * at most 1 MiB per row, readable by every worker. Written once at submission, read by the
 * ingest job chunk by chunk (bounded memory), deleted when the upload reaches a final status.
 */

export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

/**
 * Stores a byte stream as chunks of exactly 1 MiB (the last one shorter), re-slicing input
 * chunks of any size. Returns the number of bytes stored. Runs in the caller's transaction
 * when given one.
 */
export async function writeUploadFile(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> {
  let seq = 0;
  let total = 0;
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  const flush = async (bytes: Buffer): Promise<void> => {
    await db
      .insertInto('upload_file_chunks')
      .values({ customer_id: customerId, upload_id: uploadId, seq, bytes })
      .execute();
    seq++;
  };
  for await (const chunk of source) {
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += data.length;
    while (bufferedBytes + data.length >= UPLOAD_CHUNK_BYTES) {
      const take = UPLOAD_CHUNK_BYTES - bufferedBytes;
      buffered.push(data.subarray(0, take));
      await flush(Buffer.concat(buffered));
      data = data.subarray(take);
      buffered = [];
      bufferedBytes = 0;
    }
    if (data.length > 0) {
      buffered.push(Buffer.from(data));
      bufferedBytes += data.length;
    }
  }
  if (bufferedBytes > 0) await flush(Buffer.concat(buffered));
  return total;
}

/** Streams the stored bytes of an upload in order, one chunk (≤ 1 MiB) in memory at a time. */
export async function* readUploadFile(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const row = await db
      .selectFrom('upload_file_chunks')
      .select('bytes')
      .where('customer_id', '=', customerId)
      .where('upload_id', '=', uploadId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!row) return;
    yield Buffer.from(row.bytes);
  }
}

/** True when the upload still has stored bytes. */
export async function hasUploadFile(db: Kysely<DB>, customerId: number, uploadId: number): Promise<boolean> {
  const row = await db
    .selectFrom('upload_file_chunks')
    .select('seq')
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes the stored bytes (final status reached, or retention). */
export async function deleteUploadFile(db: Kysely<DB>, customerId: number, uploadId: number): Promise<void> {
  await db
    .deleteFrom('upload_file_chunks')
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .execute();
}
