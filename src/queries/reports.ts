import { type Kysely, sql } from 'kysely';
import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { AnalysisProduct, AnalysisRunStatus, AnalysisRunType, DB } from '../db/schema.ts';

/** Filters of `GET /api/v1/reports/` (web-api-ops §4.5); `customerId` null = staff, all tenants. */
export interface ReportListFilter {
  customerId: number | null;
  product?: AnalysisProduct;
  status?: AnalysisRunStatus;
  runType?: AnalysisRunType;
  asOf?: string;
}

/** The orderable columns of the reports list (§4.5: default `-started_at`). */
export const REPORT_ORDER_FIELDS = ['started_at', 'as_of', 'id', 'status', 'product'] as const;
export type ReportOrderField = (typeof REPORT_ORDER_FIELDS)[number];

export interface OrderTerm<F extends string> {
  field: F;
  descending: boolean;
}

/**
 * One page of analysis runs and the count of all that match.
 *
 * Ordering: the caller's terms in order with NULLs last either way (a queued run has no
 * `started_at` and belongs at the end of "newest first" as of "oldest first"), then `-id`, the
 * spec's tie-break, so pages never overlap. Count and page are two statements over the same
 * filter; the runs table holds a few rows per customer and week, so the count is cheap.
 */
export async function listReports(
  db: Kysely<DB>,
  filter: ReportListFilter,
  ordering: readonly OrderTerm<ReportOrderField>[],
  page: { limit: number; offset: number },
): Promise<{ count: number; rows: AnalysisRunRecord[] }> {
  let base = db.selectFrom('analysis_runs');
  if (filter.customerId !== null) base = base.where('customer_id', '=', filter.customerId);
  if (filter.product) base = base.where('product', '=', filter.product);
  if (filter.status) base = base.where('status', '=', filter.status);
  if (filter.runType) base = base.where('run_type', '=', filter.runType);
  if (filter.asOf) base = base.where('as_of', '=', filter.asOf);
  const counted = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  let rows = base.selectAll();
  for (const term of ordering) {
    rows = rows.orderBy(sql.ref(term.field), (ob) => (term.descending ? ob.desc() : ob.asc()).nullsLast());
  }
  const runs = await rows.orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
  return { count: Number(counted.n), rows: runs };
}

/** One run by id within the caller's tenant (staff: any); another tenant's run → undefined. */
export async function findReportScoped(
  db: Kysely<DB>,
  customerId: number | null,
  id: number,
): Promise<AnalysisRunRecord | undefined> {
  let query = db.selectFrom('analysis_runs').selectAll().where('id', '=', id);
  if (customerId !== null) query = query.where('customer_id', '=', customerId);
  return query.executeTakeFirst();
}
