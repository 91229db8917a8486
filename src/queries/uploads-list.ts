import type { Kysely } from 'kysely';
import type { UploadRecord } from '../db/repositories/uploads.repository.ts';
import type { DB, UploadSource, UploadStatus } from '../db/schema.ts';
import type { OrderTerm } from './reports.ts';

/** Filters of `GET /api/v1/uploads/` (web-api-ops §4.5); `customerId` null = staff, all tenants. */
export interface UploadListFilter {
  customerId: number | null;
  status?: UploadStatus;
  source?: UploadSource;
  /** Inclusive bounds on `created_at` (the API's `uploaded_at`). */
  uploadedAfter?: Date;
  uploadedBefore?: Date;
}

/** Orderable columns by their API names (§4.5: uploaded_at (default `-`), status, row_count). */
export const UPLOAD_ORDER_COLUMNS = {
  uploaded_at: 'created_at',
  status: 'status',
  row_count: 'accepted_rows',
} as const;
export type UploadOrderField = keyof typeof UPLOAD_ORDER_COLUMNS;

/**
 * One page of uploads and the count of all that match. The caller's terms come first, then
 * `-id` (the spec's tie-break). `created_at` and `accepted_rows` are never NULL, so no NULLS
 * clause is needed. Staff listing across tenants passes `customerId: null`.
 */
export async function listUploadsPage(
  db: Kysely<DB>,
  filter: UploadListFilter,
  ordering: readonly OrderTerm<UploadOrderField>[],
  page: { limit: number; offset: number },
): Promise<{ count: number; rows: UploadRecord[] }> {
  let base = db.selectFrom('uploads');
  if (filter.customerId !== null) base = base.where('customer_id', '=', filter.customerId);
  if (filter.status) base = base.where('status', '=', filter.status);
  if (filter.source) base = base.where('source', '=', filter.source);
  if (filter.uploadedAfter) base = base.where('created_at', '>=', filter.uploadedAfter);
  if (filter.uploadedBefore) base = base.where('created_at', '<=', filter.uploadedBefore);
  const counted = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  let rows = base.selectAll();
  for (const term of ordering)
    rows = rows.orderBy(UPLOAD_ORDER_COLUMNS[term.field], term.descending ? 'desc' : 'asc');
  const uploads = await rows.orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
  return { count: Number(counted.n), rows: uploads };
}

/** One upload by id within the caller's tenant (staff: any); another tenant's → undefined. */
export async function findUploadScoped(
  db: Kysely<DB>,
  customerId: number | null,
  id: number,
): Promise<UploadRecord | undefined> {
  let query = db.selectFrom('uploads').selectAll().where('id', '=', id);
  if (customerId !== null) query = query.where('customer_id', '=', customerId);
  return query.executeTakeFirst();
}
