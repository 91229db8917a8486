import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { DB, UploadStatus, UploadsTable } from '../schema.ts';
import { countStoredClaims } from './claims-browser.repository.ts';

/**
 * Uploads (ingestion spec §1.2, §2.3, §2.13). Every function takes the customer id first;
 * another customer's upload is "not found".
 */

export type UploadRecord = Selectable<UploadsTable>;
export type NewUpload = Omit<Insertable<UploadsTable>, 'customer_id' | 'id'>;
export type UploadChanges = Omit<Updateable<UploadsTable>, 'customer_id' | 'id'>;

/**
 * Statuses after which processing never changes the upload again. `deleted` is final too: only
 * a processed upload (success, partial, failed) can be deleted, and nothing leaves `deleted`.
 */
export const FINAL_UPLOAD_STATUSES: readonly UploadStatus[] = ['success', 'partial', 'failed', 'deleted'];

/** Statuses from which a user may delete an upload (processing is over, its claims are written). */
export const DELETABLE_UPLOAD_STATUSES: readonly UploadStatus[] = ['success', 'partial', 'failed'];

export async function insertUpload(
  db: Kysely<DB>,
  customerId: number,
  upload: NewUpload,
): Promise<UploadRecord> {
  return db
    .insertInto('uploads')
    .values({ ...upload, customer_id: customerId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** One upload of the customer, or undefined (also for another customer's id). */
export async function findUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadRecord | undefined> {
  return db
    .selectFrom('uploads')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .executeTakeFirst();
}

/**
 * The earliest upload of the customer with these exact bytes (duplicate-file check, §2.2).
 * Deleted uploads do not count: their claims are gone from analytics, so sending the file
 * again is a fresh upload, not a duplicate.
 */
export async function findUploadBySha256(
  db: Kysely<DB>,
  customerId: number,
  sha256: string,
): Promise<UploadRecord | undefined> {
  return db
    .selectFrom('uploads')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('file_sha256', '=', sha256)
    .where('status', '<>', 'deleted')
    .orderBy('id', 'asc')
    .limit(1)
    .executeTakeFirst();
}

export interface ListUploadsOptions {
  status?: UploadStatus;
  /** Default 50 (the portal page size). */
  limit?: number;
  offset?: number;
}

/** The customer's uploads, newest first (`/portal/uploads/`, `GET /api/v1/uploads/`). */
export async function listUploads(
  db: Kysely<DB>,
  customerId: number,
  options: ListUploadsOptions = {},
): Promise<UploadRecord[]> {
  let query = db.selectFrom('uploads').selectAll().where('customer_id', '=', customerId);
  if (options.status) query = query.where('status', '=', options.status);
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 50)
    .offset(options.offset ?? 0)
    .execute();
}

export async function countUploads(
  db: Kysely<DB>,
  customerId: number,
  options: { status?: UploadStatus; statuses?: readonly UploadStatus[] } = {},
): Promise<number> {
  let query = db
    .selectFrom('uploads')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.statuses) query = query.where('status', 'in', [...options.statuses]);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Changes columns of one upload; returns the updated row (undefined when not the customer's). */
export async function updateUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  changes: UploadChanges,
): Promise<UploadRecord | undefined> {
  return db
    .updateTable('uploads')
    .set(changes)
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Moves a queued (or interrupted processing) upload to `processing`, counting the attempt.
 * Returns undefined when the upload is in another state (final, needs_mapping): the job
 * then has nothing to do.
 */
export async function startUploadProcessing(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadRecord | undefined> {
  return db
    .updateTable('uploads')
    .set({
      status: 'processing',
      attempts: sql`attempts + 1`,
      processing_started_at: sql`now()`,
      progress_updated_at: sql`now()`,
      rows_processed: 0,
      rows_per_second: null,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .where('status', 'in', ['queued', 'processing'])
    .returningAll()
    .executeTakeFirst();
}

/** Writes progress (§2.3): rows done, rows per second since the start, timestamp. */
export async function recordUploadProgress(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  progress: { rowsProcessed: number; rowsPerSecond: number; rowsTotal?: number | null },
): Promise<void> {
  await db
    .updateTable('uploads')
    .set({
      rows_processed: progress.rowsProcessed,
      rows_per_second: Math.min(progress.rowsPerSecond, 999_999_999).toFixed(1),
      progress_updated_at: sql`now()`,
      ...(progress.rowsTotal !== undefined && { rows_total: progress.rowsTotal }),
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .execute();
}

/** The progress shape of `GET /api/v1/uploads/<id>/progress/` and the htmx fragment. */
export interface UploadProgress {
  upload_id: number;
  status: UploadStatus;
  rows_done: number;
  rows_total: number | null;
  /** 0–100, one decimal; 100 once the upload is final; null while the total is unknown. */
  percent: number | null;
  rows_per_second: number | null;
}

export function presentProgress(upload: UploadRecord): UploadProgress {
  const final = FINAL_UPLOAD_STATUSES.includes(upload.status);
  const total = upload.rows_total;
  let percent: number | null = null;
  if (final) percent = 100;
  else if (total !== null && total > 0) {
    percent = Math.min(100, Math.round((upload.rows_processed / total) * 1000) / 10);
  } else if (total === 0) percent = 0;
  return {
    upload_id: upload.id,
    status: upload.status,
    rows_done: upload.rows_processed,
    rows_total: total,
    percent,
    rows_per_second: upload.rows_per_second === null ? null : Number(upload.rows_per_second),
  };
}

/** Progress of one upload, or undefined when it is not the customer's. */
export async function findUploadProgress(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadProgress | undefined> {
  const upload = await findUpload(db, customerId, uploadId);
  return upload ? presentProgress(upload) : undefined;
}

/**
 * `GET /api/v1/uploads/stats/`: counts by status and the number of claims stored (reversed
 * claims — of deleted uploads or 835 reversals — are not stored data any more).
 */
export async function uploadStats(
  db: Kysely<DB>,
  customerId: number,
): Promise<{
  total: number;
  success: number;
  partial: number;
  failed: number;
  processing: number;
  total_rows: number;
}> {
  const rows = await db
    .selectFrom('uploads')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('customer_id', '=', customerId)
    .groupBy('status')
    .execute();
  const by = new Map(rows.map((row) => [row.status, Number(row.n)]));
  // From the rollups (every stored claim is in them): not a scan of a million claims.
  const claims = { n: await countStoredClaims(db, customerId) };
  return {
    // A deleted upload is history, not data: it stays listable but is not counted.
    total: [...by.entries()].filter(([status]) => status !== 'deleted').reduce((a, [, n]) => a + n, 0),
    success: by.get('success') ?? 0,
    partial: by.get('partial') ?? 0,
    failed: by.get('failed') ?? 0,
    processing: (by.get('processing') ?? 0) + (by.get('queued') ?? 0),
    total_rows: Number(claims.n),
  };
}

/**
 * Uploads stuck in `processing` (no progress for `olderThanMs`) across customers, for the
 * sweeper (§2.3). Returns (customer_id, id, attempts).
 */
export async function findStalledUploads(
  db: Kysely<DB>,
  olderThanMs: number,
): Promise<Array<{ customer_id: number; id: number; attempts: number }>> {
  return db
    .selectFrom('uploads')
    .select(['customer_id', 'id', 'attempts'])
    .where('status', '=', 'processing')
    .where('progress_updated_at', '<', sql<Date>`now() - ${olderThanMs} * interval '1 millisecond'`)
    .execute();
}

// --- delete (soft removal; docs/DECISIONS.md "Deleting an upload") ---------------------------

/** One upload of the customer, row-locked for the rest of the transaction (delete). */
export async function findUploadForUpdate(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<UploadRecord | undefined> {
  return trx
    .selectFrom('uploads')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Marks `reversed` every claim whose current version the upload wrote and that still counts.
 * Returns how many and the distinct submitted, decided and settlement dates they sit on (the
 * days of the daily, decision and settlement rollups to recompute), read in one pass before the
 * update so a large upload never returns one row per claim. Run inside the delete transaction, after
 * `lockCustomerClaims`.
 */
export async function reverseClaimsOfUpload(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<{
  claimsReversed: number;
  submittedDays: string[];
  decidedDays: string[];
  settledDays: string[];
}> {
  // Text arrays: the driver would turn a date[] into Date objects.
  const days = await sql<{ submitted: string[] | null; decided: string[] | null; settled: string[] | null }>`
    SELECT array_agg(DISTINCT to_char(submitted_date, 'YYYY-MM-DD')) AS submitted,
           array_agg(DISTINCT to_char(decided_date, 'YYYY-MM-DD')) AS decided,
           array_agg(DISTINCT to_char(coalesce(payment_date, decided_date), 'YYYY-MM-DD')) AS settled
      FROM claims
     WHERE customer_id = ${customerId} AND upload_id = ${uploadId} AND NOT reversed`.execute(trx);
  const result = await trx
    .updateTable('claims')
    .set({ reversed: true, updated_at: sql`now()` })
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .where('reversed', '=', false)
    .executeTakeFirst();
  return {
    claimsReversed: Number(result.numUpdatedRows),
    submittedDays: [...(days.rows[0]?.submitted ?? [])].sort(),
    decidedDays: [...(days.rows[0]?.decided ?? [])].sort(),
    settledDays: [...(days.rows[0]?.settled ?? [])].sort(),
  };
}

/** Gives the upload the final status `deleted` with who and when. */
export async function markUploadDeleted(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
  userId: number | null,
): Promise<UploadRecord> {
  return trx
    .updateTable('uploads')
    .set({ status: 'deleted', deleted_at: sql`now()`, deleted_by: userId })
    .where('customer_id', '=', customerId)
    .where('id', '=', uploadId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Claims of the upload that still count (current version written by it, not reversed). */
export async function countCurrentClaimsOfUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<number> {
  const row = await db
    .selectFrom('claims')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .where('reversed', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The last data day (`date_max`: latest submitted or decided date of accepted rows) of each of
 * the customer's uploads in `ids` that still counts (not deleted), distinct, newest first.
 * Another customer's ids are ignored.
 */
export async function uploadDataEnds(
  db: Kysely<DB>,
  customerId: number,
  ids: readonly number[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('uploads')
    .select('date_max')
    .distinct()
    .where('customer_id', '=', customerId)
    .where('id', 'in', [...ids])
    .where('status', 'in', ['success', 'partial'])
    .where('date_max', 'is not', null)
    .orderBy('date_max', 'desc')
    .execute();
  return rows.flatMap((row) => (row.date_max === null ? [] : [row.date_max]));
}
