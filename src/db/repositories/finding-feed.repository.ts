import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { AnalysisProduct, DB } from '../schema.ts';
import type { FindingRecord } from './findings.repository.ts';

/**
 * Filtered, paginated reads of `findings` for the drift feed and the findings API
 * (web-api-ops §4.5; analytics §13.6, §13.8). `customerId` null = all customers (staff API
 * lists); otherwise every query is confined to the customer.
 */
export interface FindingFeedFilter {
  products?: readonly AnalysisProduct[];
  /** Case-insensitive exact payer. */
  payer?: string;
  signalType?: string;
  /** Case-insensitive exact signal type (drift_type is upper-cased exact). */
  signalTypeUpper?: string;
  severityLabel?: string;
  minSeverity?: number;
  direction?: string;
  cptGroup?: string;
  runId?: number;
  /** `as_of` desc, severity desc (feeds) or `created_at` desc (API default). */
  order?: 'as_of' | 'created';
}

function applyFilter(
  query: SelectQueryBuilder<DB, 'findings', object>,
  customerId: number | null,
  filter: FindingFeedFilter,
): SelectQueryBuilder<DB, 'findings', object> {
  let q = query;
  if (customerId !== null) q = q.where('customer_id', '=', customerId);
  if (filter.products) {
    q = filter.products.length
      ? q.where('product', 'in', [...filter.products])
      : q.where(sql<boolean>`false`);
  }
  if (filter.payer !== undefined) q = q.where(sql`lower(payer)`, '=', filter.payer.toLowerCase());
  if (filter.signalType !== undefined) q = q.where('signal_type', '=', filter.signalType);
  if (filter.signalTypeUpper !== undefined)
    q = q.where('signal_type', '=', filter.signalTypeUpper.toUpperCase());
  if (filter.severityLabel !== undefined)
    q = q.where('severity_label', '=', filter.severityLabel.toLowerCase() as 'low');
  if (filter.minSeverity !== undefined) q = q.where('severity', '>=', filter.minSeverity);
  if (filter.direction !== undefined) q = q.where('direction', '=', filter.direction as 'degrading');
  if (filter.cptGroup !== undefined) q = q.where('cpt_group', '=', filter.cptGroup);
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
  return q;
}

export async function queryFindings(
  db: Kysely<DB>,
  customerId: number | null,
  filter: FindingFeedFilter,
  page: { limit: number; offset: number },
): Promise<{ count: number; rows: FindingRecord[] }> {
  const countRow = await applyFilter(db.selectFrom('findings'), customerId, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  let rows = applyFilter(db.selectFrom('findings'), customerId, filter).selectAll();
  rows =
    filter.order === 'created'
      ? rows.orderBy('created_at', 'desc').orderBy('id', 'desc')
      : rows.orderBy('as_of', 'desc').orderBy('severity', 'desc').orderBy('id', 'desc');
  return {
    count: Number(countRow?.n ?? 0),
    rows: (await rows.limit(page.limit).offset(page.offset).execute()) as FindingRecord[],
  };
}

/** One finding by id (customer-scoped unless null). */
export async function findFindingScoped(
  db: Kysely<DB>,
  customerId: number | null,
  id: number,
  products?: readonly AnalysisProduct[],
): Promise<FindingRecord | undefined> {
  let q = db.selectFrom('findings').selectAll().where('id', '=', id);
  if (customerId !== null) q = q.where('customer_id', '=', customerId);
  if (products) q = q.where('product', 'in', [...products]);
  return q.executeTakeFirst();
}

/** Number of findings per run id. */
export async function findingCountsByRun(
  db: Kysely<DB>,
  runIds: readonly number[],
): Promise<Map<number, number>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('findings')
    .select(['run_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', 'in', [...runIds])
    .groupBy('run_id')
    .execute();
  return new Map(rows.map((r) => [r.run_id, Number(r.n)]));
}
