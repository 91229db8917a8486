import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { DB } from '../schema.ts';
import type { ClaimRecord } from './claims.repository.ts';

/**
 * Read side of the claims browser, the claims API and the claims export (web-api-ops §1.6,
 * §4.5–§4.6). Customer id first; filters are already validated by the edge.
 *
 * Reversed claims (an 835 reversal, or the claims of a deleted upload) are out of every list,
 * count, detail, summary and export here, exactly as they are out of the rollups: what the
 * claims pages show always adds up to what analytics see.
 */

export type ClaimOutcome = 'PAID' | 'DENIED' | 'OTHER';

export interface ClaimFilters {
  /** Case-insensitive exact. */
  payer?: string;
  /** Upper-cased exact base code. */
  cpt?: string;
  cptGroup?: string;
  outcome?: ClaimOutcome;
  /** decided_date range (inclusive). */
  decidedFrom?: string;
  decidedTo?: string;
  /** submitted_date range (inclusive). */
  submittedFrom?: string;
  submittedTo?: string;
  uploadId?: number;
  /** claim_id_hash of the searched claim number (exact match). */
  claimIdHash?: string;
  /** Upper-cased exact. */
  denialReasonCode?: string;
}

/** Sortable columns (API `ordering`, portal `sort`). */
export const CLAIM_ORDER_FIELDS = [
  'decided_date',
  'submitted_date',
  'payer',
  'outcome',
  'allowed_amount',
] as const;
export type ClaimOrderField = (typeof CLAIM_ORDER_FIELDS)[number];
export interface ClaimOrder {
  field: ClaimOrderField;
  descending: boolean;
}
/** Sortable columns that may hold NULL (sorted last either way). */
const NULLABLE_ORDER_FIELDS: ReadonlySet<ClaimOrderField> = new Set(['allowed_amount']);
/** Default `-decided_date`; ties broken by `-id`. */
export const DEFAULT_CLAIM_ORDER: readonly ClaimOrder[] = [{ field: 'decided_date', descending: true }];

type ClaimsQuery = SelectQueryBuilder<DB, 'claims', object>;

/**
 * A customer id, or `ALL_CUSTOMERS` for platform staff listing across customers (API only;
 * the edge grants it to staff without a `customer` parameter, never to members).
 */
export const ALL_CUSTOMERS = 'all' as const;
export type ClaimScope = number | typeof ALL_CUSTOMERS;

function applyFilters(query: ClaimsQuery, scope: ClaimScope, filters: ClaimFilters): ClaimsQuery {
  let q = scope === ALL_CUSTOMERS ? query : query.where('claims.customer_id', '=', scope);
  q = q.where('claims.reversed', '=', false);
  if (filters.payer !== undefined) q = q.where(sql`lower(claims.payer)`, '=', filters.payer.toLowerCase());
  if (filters.cpt !== undefined) q = q.where('claims.cpt', '=', filters.cpt);
  if (filters.cptGroup !== undefined) q = q.where('claims.cpt_group', '=', filters.cptGroup);
  if (filters.outcome !== undefined) q = q.where('claims.outcome', '=', filters.outcome);
  if (filters.decidedFrom !== undefined) q = q.where('claims.decided_date', '>=', filters.decidedFrom);
  if (filters.decidedTo !== undefined) q = q.where('claims.decided_date', '<=', filters.decidedTo);
  if (filters.submittedFrom !== undefined) q = q.where('claims.submitted_date', '>=', filters.submittedFrom);
  if (filters.submittedTo !== undefined) q = q.where('claims.submitted_date', '<=', filters.submittedTo);
  if (filters.uploadId !== undefined) q = q.where('claims.upload_id', '=', filters.uploadId);
  if (filters.claimIdHash !== undefined) q = q.where('claims.claim_id_hash', '=', filters.claimIdHash);
  if (filters.denialReasonCode !== undefined)
    q = q.where('claims.denial_reason_code', '=', filters.denialReasonCode);
  return q;
}

/**
 * True when every filter set is a key of `claim_daily_rollups` (day = submitted_date, payer,
 * CPT group, outcome): counts and per-payer summaries can then be read from the rollups —
 * one row per (day, payer, group, outcome, reason) instead of one per claim, so the claims
 * pages stay fast at a million claims (issue 10) and still add up to what analytics see.
 */
function answerableFromRollups(scope: ClaimScope, filters: ClaimFilters): scope is number {
  if (scope === ALL_CUSTOMERS) return false;
  const rollupKeys = new Set(['payer', 'cptGroup', 'outcome', 'submittedFrom', 'submittedTo']);
  return Object.entries(filters).every(([key, value]) => value === undefined || rollupKeys.has(key));
}

type RollupQuery = SelectQueryBuilder<DB, 'claim_daily_rollups', object>;

function applyRollupFilters(query: RollupQuery, customerId: number, filters: ClaimFilters): RollupQuery {
  let q = query.where('claim_daily_rollups.customer_id', '=', customerId);
  if (filters.payer !== undefined)
    q = q.where(sql`lower(claim_daily_rollups.payer)`, '=', filters.payer.toLowerCase());
  if (filters.cptGroup !== undefined) q = q.where('claim_daily_rollups.cpt_group', '=', filters.cptGroup);
  if (filters.outcome !== undefined) q = q.where('claim_daily_rollups.outcome', '=', filters.outcome);
  if (filters.submittedFrom !== undefined)
    q = q.where('claim_daily_rollups.day', '>=', filters.submittedFrom);
  if (filters.submittedTo !== undefined) q = q.where('claim_daily_rollups.day', '<=', filters.submittedTo);
  return q;
}

/** Stored (not reversed) claims of a customer, from the rollups (dashboards, upload stats). */
export async function countStoredClaims(db: Kysely<DB>, customerId: number): Promise<number> {
  return countFilteredClaims(db, customerId, {});
}

export async function countFilteredClaims(
  db: Kysely<DB>,
  scope: ClaimScope,
  filters: ClaimFilters,
): Promise<number> {
  if (answerableFromRollups(scope, filters)) {
    const summed = await applyRollupFilters(db.selectFrom('claim_daily_rollups'), scope, filters)
      .select(sql<string | null>`sum(claim_daily_rollups.claim_count)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(summed.n ?? 0);
  }
  const row = await applyFilters(db.selectFrom('claims'), scope, filters)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of filtered claims in the requested order (nulls last, then `-id`). */
export async function searchClaims(
  db: Kysely<DB>,
  scope: ClaimScope,
  filters: ClaimFilters,
  page: { order?: readonly ClaimOrder[]; limit: number; offset: number },
): Promise<ClaimRecord[]> {
  let query = applyFilters(db.selectFrom('claims'), scope, filters).selectAll('claims');
  const order = page.order && page.order.length > 0 ? page.order : DEFAULT_CLAIM_ORDER;
  for (const { field, descending } of order) {
    // `field` comes from CLAIM_ORDER_FIELDS only. NULLS LAST only where a column can be null:
    // on the NOT NULL ones it changes nothing but keeps PostgreSQL from walking the
    // (customer_id, <column>) index backwards, i.e. it sorted every claim for a page of 50.
    if (!CLAIM_ORDER_FIELDS.includes(field)) throw new Error(`unsupported claim ordering ${field}`);
    const nulls = NULLABLE_ORDER_FIELDS.has(field) ? ' NULLS LAST' : '';
    query = query.orderBy(sql.raw(`claims.${field} ${descending ? 'DESC' : 'ASC'}${nulls}`));
  }
  return query.orderBy('claims.id', 'desc').limit(page.limit).offset(page.offset).execute();
}

/** One stored (not reversed) claim by id in the scope (staff across customers), or undefined. */
export async function findClaimInScope(
  db: Kysely<DB>,
  scope: ClaimScope,
  claimId: number,
): Promise<ClaimRecord | undefined> {
  return applyFilters(db.selectFrom('claims'), scope, {})
    .selectAll('claims')
    .where('claims.id', '=', claimId)
    .executeTakeFirst();
}

/** All filtered claims, page by page (export streaming; never everything in memory). */
export async function* iterateFilteredClaims(
  db: Kysely<DB>,
  customerId: number,
  filters: ClaimFilters,
  order: readonly ClaimOrder[] = DEFAULT_CLAIM_ORDER,
  pageSize = 1_000,
): AsyncGenerator<ClaimRecord> {
  for (let offset = 0; ; offset += pageSize) {
    const rows = await searchClaims(db, customerId, filters, { order, limit: pageSize, offset });
    yield* rows;
    if (rows.length < pageSize) return;
  }
}

export interface PayerSummaryRow {
  payer: string;
  total_claims: number;
  paid_count: number;
  denied_count: number;
  other_count: number;
  /** Percentage 0–100, 2 decimals. */
  denial_rate: number;
  /** Money string with 2 decimals, or null when no claim has an allowed amount. */
  avg_allowed_amount: string | null;
}

/**
 * Per-payer counts of the filtered claims (reversed claims excluded, as in the rollups),
 * ordered by total desc then payer.
 */
export async function payerSummary(
  db: Kysely<DB>,
  customerId: number,
  filters: ClaimFilters,
): Promise<PayerSummaryRow[]> {
  const rows = answerableFromRollups(customerId, filters)
    ? await payerSummaryFromRollups(db, customerId, filters)
    : await payerSummaryFromClaims(db, customerId, filters);
  return rows.map((row) => {
    const total = Number(row.total_claims);
    const denied = Number(row.denied_count);
    return {
      payer: row.payer,
      total_claims: total,
      paid_count: Number(row.paid_count),
      denied_count: denied,
      other_count: Number(row.other_count),
      denial_rate: total === 0 ? 0 : Math.round((denied * 10_000) / total) / 100,
      avg_allowed_amount: row.avg_allowed_amount,
    };
  });
}

interface PayerSummarySql {
  payer: string;
  total_claims: string;
  paid_count: string;
  denied_count: string;
  other_count: string;
  avg_allowed_amount: string | null;
}

/** The same sums from the rollups: Σ claim_count per outcome, Σ allowed_sum / Σ allowed_count. */
function payerSummaryFromRollups(
  db: Kysely<DB>,
  customerId: number,
  filters: ClaimFilters,
): Promise<PayerSummarySql[]> {
  return applyRollupFilters(db.selectFrom('claim_daily_rollups'), customerId, filters)
    .select([
      'claim_daily_rollups.payer as payer',
      sql<string>`sum(claim_count)`.as('total_claims'),
      sql<string>`coalesce(sum(claim_count) FILTER (WHERE outcome = 'PAID'), 0)`.as('paid_count'),
      sql<string>`coalesce(sum(claim_count) FILTER (WHERE outcome = 'DENIED'), 0)`.as('denied_count'),
      sql<string>`coalesce(sum(claim_count) FILTER (WHERE outcome = 'OTHER'), 0)`.as('other_count'),
      sql<string | null>`round(sum(allowed_sum) / nullif(sum(allowed_count), 0), 2)::numeric(14, 2)::text`.as(
        'avg_allowed_amount',
      ),
    ])
    .groupBy('claim_daily_rollups.payer')
    .orderBy(sql`sum(claim_count)`, 'desc')
    .orderBy('claim_daily_rollups.payer')
    .execute();
}

function payerSummaryFromClaims(
  db: Kysely<DB>,
  customerId: number,
  filters: ClaimFilters,
): Promise<PayerSummarySql[]> {
  return applyFilters(db.selectFrom('claims'), customerId, filters)
    .select([
      'claims.payer as payer',
      sql<string>`count(*)`.as('total_claims'),
      sql<string>`count(*) FILTER (WHERE claims.outcome = 'PAID')`.as('paid_count'),
      sql<string>`count(*) FILTER (WHERE claims.outcome = 'DENIED')`.as('denied_count'),
      sql<string>`count(*) FILTER (WHERE claims.outcome = 'OTHER')`.as('other_count'),
      sql<string | null>`round(avg(claims.allowed_amount), 2)::numeric(14, 2)::text`.as('avg_allowed_amount'),
    ])
    .groupBy('claims.payer')
    .orderBy(sql`count(*)`, 'desc')
    .orderBy('claims.payer')
    .execute();
}

/**
 * Distinct values for the portal filter selects (payers, CPT groups), read from the daily
 * rollups: far smaller than `claims`, and every stored (non-reversed) claim is in them.
 */
export async function claimFilterChoices(
  db: Kysely<DB>,
  customerId: number,
): Promise<{ payers: string[]; cptGroups: string[] }> {
  const payers = await db
    .selectFrom('claim_daily_rollups')
    .select('payer')
    .distinct()
    .where('customer_id', '=', customerId)
    .orderBy('payer')
    .limit(500)
    .execute();
  const groups = await db
    .selectFrom('claim_daily_rollups')
    .select('cpt_group')
    .distinct()
    .where('customer_id', '=', customerId)
    .orderBy('cpt_group')
    .limit(500)
    .execute();
  return { payers: payers.map((r) => r.payer), cptGroups: groups.map((r) => r.cpt_group) };
}
