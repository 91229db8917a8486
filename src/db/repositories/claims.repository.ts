import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { ClaimRow } from '../../domain/claims/index.ts';
import { type CopyValue, type CopyWriter, openCopyWriter } from '../copy.ts';
import type { Database } from '../database.ts';
import type {
  ClaimDailyRollupsTable,
  ClaimDecisionRollupsTable,
  ClaimSettlementRollupsTable,
  ClaimsTable,
  DB,
} from '../schema.ts';

/**
 * Claims, their staging rows and their rollups — daily by submitted date, by decided date and
 * by settlement date (ingestion spec §1.2, §2.8, §2.9; migration 0023).
 * Claims are written only by `applyStagedRows` inside the final transaction of an upload,
 * so a crash never leaves partial claims.
 */

export type ClaimRecord = Selectable<ClaimsTable>;
export type RollupRecord = Selectable<ClaimDailyRollupsTable>;
export type DecisionRollupRecord = Selectable<ClaimDecisionRollupsTable>;
export type SettlementRollupRecord = Selectable<ClaimSettlementRollupsTable>;

// An arbitrary class id for the two-key advisory lock "claims of customer N" (the migration
// lock uses the one-key form, so the two can never collide).
export const CLAIMS_LOCK_CLASS = 4_801;

/**
 * Takes the per-customer claims lock for the rest of the transaction (§2.9): uploads and
 * mapping re-apply runs of one customer serialise here. Call it first in the transaction.
 */
export async function lockCustomerClaims(trx: Kysely<DB>, customerId: number): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${CLAIMS_LOCK_CLASS}, ${customerId}::int)`.execute(trx);
}

export async function findClaim(
  db: Kysely<DB>,
  customerId: number,
  claimId: number,
): Promise<ClaimRecord | undefined> {
  return db
    .selectFrom('claims')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', claimId)
    .executeTakeFirst();
}

/** Claims last written by an upload, in source row order. */
export async function listClaimsOfUpload(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
  options: { limit?: number; offset?: number } = {},
): Promise<ClaimRecord[]> {
  return db
    .selectFrom('claims')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .orderBy('source_row_number')
    .orderBy('id')
    .limit(options.limit ?? 1000)
    .offset(options.offset ?? 0)
    .execute();
}

export async function countClaims(db: Kysely<DB>, customerId: number): Promise<number> {
  const row = await db
    .selectFrom('claims')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The stored claim with this identity (claim-number exact search uses the hash). */
export async function findClaimByIdentity(
  db: Kysely<DB>,
  customerId: number,
  identityKey: string,
): Promise<ClaimRecord | undefined> {
  return db
    .selectFrom('claims')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('identity_key', '=', identityKey)
    .executeTakeFirst();
}

// ---------------------------------------------------------------------------------------
// Staging

/** Columns of upload_staging_rows written by COPY, in order (see `stagingTuple`). */
export const STAGING_COPY_COLUMNS = [
  'customer_id',
  'upload_id',
  'row_number',
  'identity_key',
  'row_hash',
  'claim_id_enc',
  'claim_id_hash',
  'claim_id_last4',
  'line_occurrence',
  'payer',
  'payer_raw',
  'cpt',
  'cpt_group',
  'modifiers',
  'submitted_date',
  'decided_date',
  'payment_date',
  'outcome',
  'outcome_raw',
  'allowed_amount',
  'billed_amount',
  'paid_amount',
  'denial_reason_code',
  'denial_reason_text',
  'authorization_required',
  'authorization_obtained',
  'place_of_service',
  'claim_status_code',
  'payer_claim_control_number',
  'adjustments',
  'remark_codes',
] as const;

/** The COPY tuple of one validated row. */
export function stagingTuple(customerId: number, uploadId: number, row: ClaimRow): CopyValue[] {
  return [
    customerId,
    uploadId,
    row.rowNumber,
    row.identityKey,
    row.rowHash,
    row.claimIdEnc,
    row.claimIdHash,
    row.claimIdLast4,
    row.lineOccurrence,
    row.payer,
    row.payerRaw,
    row.cpt,
    row.cptGroup,
    row.modifiers,
    row.submittedDate,
    row.decidedDate,
    row.paymentDate,
    row.outcome,
    row.outcomeRaw,
    row.allowedAmount,
    row.billedAmount,
    row.paidAmount,
    row.denialReasonCode,
    row.denialReasonText,
    row.authorizationRequired,
    row.authorizationObtained,
    row.placeOfService,
    row.claimStatusCode,
    row.payerClaimControlNumber,
    row.adjustments,
    row.remarkCodes,
  ];
}

/** An open bulk load of one upload's validated rows into staging (see `openCopyWriter`). */
export interface StagingWriter {
  write(row: ClaimRow): Promise<void>;
  end(): Promise<number>;
  abort(reason: Error): Promise<void>;
}

/**
 * Opens the staging load of an upload: one streaming COPY on PostgreSQL (atomic: an aborted
 * load stores nothing), blob batches on PGlite (the caller deletes partial batches).
 */
export async function openStagingWriter(
  database: Database,
  customerId: number,
  uploadId: number,
  options: { pgliteBatchRows?: number } = {},
): Promise<StagingWriter> {
  const copy: CopyWriter = await openCopyWriter(
    database,
    'upload_staging_rows',
    STAGING_COPY_COLUMNS,
    options,
  );
  return {
    write: (row) => copy.write(stagingTuple(customerId, uploadId, row)),
    end: () => copy.end(),
    abort: (reason) => copy.abort(reason),
  };
}

/**
 * Refreshes the planner statistics of the staging table after a bulk load. Staging swings
 * from empty to a million rows within minutes, faster than autovacuum notices; without
 * fresh numbers PostgreSQL planned the final transaction's joins as if staging were empty
 * (nested loops over both tables, minutes instead of seconds). Samples, so it stays cheap.
 */
export async function analyzeStagingRows(db: Kysely<DB>): Promise<void> {
  await sql`ANALYZE upload_staging_rows`.execute(db);
}

export async function deleteStagingRows(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<number> {
  const result = await db
    .deleteFrom('upload_staging_rows')
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes staging rows whose upload is not processing (a crash between attempts, a deleted
 * customer): staging has no foreign key (migration 0022), so the sweeper tidies up instead.
 */
export async function deleteOrphanStagingRows(db: Kysely<DB>): Promise<number> {
  const result = await sql`
    DELETE FROM upload_staging_rows s
     WHERE NOT EXISTS (SELECT 1 FROM uploads u
                        WHERE u.customer_id = s.customer_id AND u.id = s.upload_id
                          AND u.status = 'processing')`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

export async function countStagingRows(
  db: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<number> {
  const row = await db
    .selectFrom('upload_staging_rows')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('upload_id', '=', uploadId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---------------------------------------------------------------------------------------
// The final transaction (§2.9)

/**
 * Claim-line columns copied from staging on insert and update: the staged columns but the
 * staging row's own key (customer, upload, row number), which `claims` stores differently.
 */
const STAGING_KEY_COLUMNS: ReadonlySet<string> = new Set(['customer_id', 'upload_id', 'row_number']);
const LINE_COLUMNS = STAGING_COPY_COLUMNS.filter((column) => !STAGING_KEY_COLUMNS.has(column));

export interface AppliedStaging {
  inserted: number;
  updated: number;
  duplicates: number;
  /** Days (submitted dates) whose daily rollups were recomputed. */
  days: string[];
  /** Decided dates whose decision rollups were recomputed. */
  decidedDays: string[];
  /** Settlement dates (payment, else decided) whose settlement rollups were recomputed. */
  settledDays: string[];
}

/**
 * Moves an upload's staged rows into `claims` (must run inside the final transaction, after
 * `lockCustomerClaims`): decides each row against the stored claim with its identity (none →
 * insert; a reversed stored claim (its upload was deleted) or a `c:` identity with another
 * row_hash → update, i.e. re-adjudication or revival: every field replaced, revision + 1,
 * upload_id = this upload, reversed = false; otherwise duplicate,
 * skipped), writes the inserts and updates, and recomputes the three rollups of every touched
 * day (new dates, and the old dates of updated claims, on the submitted, decided and settlement
 * timelines). Staging rows stay (with their decision)
 * until `deleteStagingRows`, so the caller can read the decisions.
 */
export async function applyStagedRows(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
): Promise<AppliedStaging> {
  const chunk = await applyStagedChunk(trx, customerId, uploadId);
  const finished = await finishStagedRows(trx, customerId, uploadId, { anyMatched: chunk.matched > 0 });
  return { inserted: chunk.inserted, updated: chunk.updated, ...finished };
}

export interface AppliedStagingChunk {
  /** Staged rows that found a stored claim with their identity (update or duplicate). */
  matched: number;
  inserted: number;
  updated: number;
}

/**
 * Steps 1–3 of `applyStagedRows` for the staged rows of an upload, or only those with
 * `row_number` in `rows` (inclusive): decide, insert, update. An upload may be applied chunk by
 * chunk in one transaction while later chunks are still being staged (PostgreSQL), because
 * identities are unique within an upload's staged rows: no chunk decides against another.
 */
export async function applyStagedChunk(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
  rows?: { from: number; to: number },
): Promise<AppliedStagingChunk> {
  const inRange = rows ? sql`AND s.row_number BETWEEN ${rows.from} AND ${rows.to}` : sql``;
  // 1. Decide against stored claims (rows without a stored twin keep the default 'insert').
  const matched = await sql`
    UPDATE upload_staging_rows s
       SET decision = CASE
             -- A removed (reversed) claim sent again comes back: an update revives it.
             WHEN c.reversed THEN 'update'
             WHEN s.identity_key LIKE 'c:%' AND c.row_hash <> s.row_hash THEN 'update'
             ELSE 'duplicate' END,
           old_submitted_date = c.submitted_date,
           old_decided_date = c.decided_date,
           old_settled_date = coalesce(c.payment_date, c.decided_date)
      FROM claims c
     WHERE s.customer_id = ${customerId} AND s.upload_id = ${uploadId} ${inRange}
       AND c.customer_id = s.customer_id AND c.identity_key = s.identity_key`.execute(trx);
  const matchedRows = Number(matched.numAffectedRows ?? 0n);

  // 2. Inserts.
  const columns = sql.raw(LINE_COLUMNS.join(', '));
  const fromStaging = sql.raw(LINE_COLUMNS.map((c) => `s.${c}`).join(', '));
  const inserted = await sql`
    INSERT INTO claims (customer_id, upload_id, first_upload_id, source_row_number, ${columns})
    SELECT s.customer_id, s.upload_id, s.upload_id, s.row_number, ${fromStaging}
      FROM upload_staging_rows s
     WHERE s.customer_id = ${customerId} AND s.upload_id = ${uploadId} ${inRange} AND s.decision = 'insert'
     ORDER BY s.row_number`.execute(trx);

  // 3. Re-adjudication updates — only when some row matched a stored claim: a first upload
  // never pays for the join.
  const assignments = sql.raw(LINE_COLUMNS.map((c) => `${c} = s.${c}`).join(', '));
  const updated =
    matchedRows === 0
      ? { numAffectedRows: 0n }
      : await sql`
    UPDATE claims c
       SET ${assignments},
           upload_id = s.upload_id,
           source_row_number = s.row_number,
           revision = c.revision + 1,
           reversed = false,
           updated_at = now()
      FROM upload_staging_rows s
     WHERE s.customer_id = ${customerId} AND s.upload_id = ${uploadId} ${inRange} AND s.decision = 'update'
       AND c.customer_id = s.customer_id AND c.identity_key = s.identity_key`.execute(trx);
  return {
    matched: matchedRows,
    inserted: Number(inserted.numAffectedRows ?? 0n),
    updated: Number(updated.numAffectedRows ?? 0n),
  };
}

/**
 * Step 4 of `applyStagedRows`, once every chunk is applied: recomputes the three rollups of
 * every touched day — submitted dates for the daily rollups, decided dates for the decision
 * rollups, settlement dates (payment, else decided) for the settlement rollups; new dates of
 * inserted and updated rows, and the old dates of updated claims — and counts the duplicates. `anyMatched` = some chunk matched a stored claim (else there are no
 * duplicates to count).
 */
export async function finishStagedRows(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
  options: { anyMatched: boolean },
): Promise<{ duplicates: number; days: string[]; decidedDays: string[]; settledDays: string[] }> {
  // One pass over the staged rows for the three timelines; old_* dates are NULL on inserts.
  const dayRows = await sql<{ timeline: 'submitted' | 'decided' | 'settled'; day: string }>`
    SELECT DISTINCT t.timeline, t.day
      FROM upload_staging_rows s
     CROSS JOIN LATERAL (VALUES ('submitted', s.submitted_date), ('submitted', s.old_submitted_date),
                                ('decided', s.decided_date), ('decided', s.old_decided_date),
                                ('settled', coalesce(s.payment_date, s.decided_date)),
                                ('settled', s.old_settled_date))
           AS t (timeline, day)
     WHERE s.customer_id = ${customerId} AND s.upload_id = ${uploadId} AND s.decision <> 'duplicate'
       AND t.day IS NOT NULL
     ORDER BY t.day`.execute(trx);
  const days = dayRows.rows.filter((row) => row.timeline === 'submitted').map((row) => row.day);
  const decidedDays = dayRows.rows.filter((row) => row.timeline === 'decided').map((row) => row.day);
  const settledDays = dayRows.rows.filter((row) => row.timeline === 'settled').map((row) => row.day);
  await recomputeRollups(trx, customerId, { submitted: days, decided: decidedDays, settled: settledDays });

  const counts = !options.anyMatched
    ? { rows: [{ n: '0' }] }
    : await sql<{ n: string }>`
    SELECT count(*) AS n FROM upload_staging_rows
     WHERE customer_id = ${customerId} AND upload_id = ${uploadId} AND decision = 'duplicate'`.execute(trx);
  return { duplicates: Number(counts.rows[0]?.n ?? 0), days, decidedDays, settledDays };
}

/**
 * Row numbers of staged rows that were not inserted (update or duplicate), in row order,
 * read page by page so a million-row re-send never loads everything at once.
 */
export async function* stagedNonInsertDecisions(
  trx: Kysely<DB>,
  customerId: number,
  uploadId: number,
  pageSize = 10_000,
): AsyncGenerator<{ rowNumber: number; decision: 'update' | 'duplicate' }> {
  let after = 0;
  for (;;) {
    const rows = await trx
      .selectFrom('upload_staging_rows')
      .select(['row_number', 'decision'])
      .where('customer_id', '=', customerId)
      .where('upload_id', '=', uploadId)
      .where('decision', '<>', 'insert')
      .where('row_number', '>', after)
      .orderBy('row_number')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      yield { rowNumber: row.row_number, decision: row.decision as 'update' | 'duplicate' };
    }
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]?.row_number ?? after;
  }
}

// ---------------------------------------------------------------------------------------
// Rollups

/**
 * The days a change of claims touched, on each rollup's timeline: `submitted` dates are the
 * days of `claim_daily_rollups`, `decided` dates those of `claim_decision_rollups`, `settled`
 * dates (payment_date, else decided_date) those of `claim_settlement_rollups`. A changed claim
 * contributes its dates before and after the change.
 */
export interface RollupDays {
  submitted: readonly string[];
  decided: readonly string[];
  settled: readonly string[];
}

/**
 * Recomputes the three rollups of the touched days from `claims`: the one call every path
 * that changes claims makes (upload, upload delete, mapping re-apply), inside the transaction
 * that changed them, under the customer lock.
 */
export async function recomputeRollups(trx: Kysely<DB>, customerId: number, days: RollupDays): Promise<void> {
  await recomputeRollupDays(trx, customerId, days.submitted);
  await recomputeDecisionRollupDays(trx, customerId, days.decided);
  await recomputeSettlementRollupDays(trx, customerId, days.settled);
}

/**
 * Rebuilds every rollup row (the three tables) of one customer from its claims: one grouped
 * pass per table instead of day lists. For code that writes claims outside the upload path
 * (test fixtures, benchmarks, repairs). Run inside a transaction; it takes the customer claims
 * lock.
 */
export async function rebuildCustomerRollups(trx: Kysely<DB>, customerId: number): Promise<void> {
  await lockCustomerClaims(trx, customerId);
  await sql`DELETE FROM claim_daily_rollups WHERE customer_id = ${customerId}`.execute(trx);
  await insertDailyRollups(trx, customerId, sql``);
  await sql`DELETE FROM claim_decision_rollups WHERE customer_id = ${customerId}`.execute(trx);
  await insertDecisionRollups(trx, customerId, sql``);
  await sql`DELETE FROM claim_settlement_rollups WHERE customer_id = ${customerId}`.execute(trx);
  await insertSettlementRollups(trx, customerId, sql``);
}

/** Days per recompute statement: bounds the IN list (and the statement's memory). */
const ROLLUP_DAYS_PER_STATEMENT = 500;

/**
 * Recomputes `claim_daily_rollups` of the given days from `claims` (reversed claims excluded):
 * deletes the days' buckets and aggregates them again. Run inside the transaction that
 * changed the claims, under the customer lock (prefer `recomputeRollups`, which keeps the
 * decision rollups in step).
 *
 * Bucket key: (day = submitted_date, payer, cpt_group, outcome, denial_reason) with
 * denial_reason = code, else text cut to 100, else 'UNSPECIFIED' for DENIED; '' otherwise.
 * Histograms: decision days = decided − submitted; payment days = payment_date (else
 * decided) − submitted. Underpayment r = (allowed − paid) / allowed over PAID claims with
 * allowed > 0 and paid present (n, Σr, Σr² in double precision: statistics, not money).
 */
export async function recomputeRollupDays(
  trx: Kysely<DB>,
  customerId: number,
  days: readonly string[],
): Promise<void> {
  await recomputeDaysOf(trx, customerId, days, 'claim_daily_rollups', (dayList) =>
    insertDailyRollups(trx, customerId, sql`AND submitted_date IN (${dayList})`),
  );
}

/**
 * Recomputes `claim_decision_rollups` of the given decided dates, like `recomputeRollupDays`
 * (same buckets, histograms and underpayment sums) but with day = decided_date, read through
 * the index claims_customer_decided. Without billed sums and authorization counts: the
 * decision timeline serves the payer-behaviour signals, which do not read them. With
 * `allowed_sumsq` = Σ allowed_amount² (dollars², double precision) for the denial-dollar test.
 */
export async function recomputeDecisionRollupDays(
  trx: Kysely<DB>,
  customerId: number,
  decidedDays: readonly string[],
): Promise<void> {
  await recomputeDaysOf(trx, customerId, decidedDays, 'claim_decision_rollups', (dayList) =>
    insertDecisionRollups(trx, customerId, sql`AND decided_date IN (${dayList})`),
  );
}

/**
 * Recomputes `claim_settlement_rollups` of the given settlement dates (DelayGuard: payment
 * speed measured on claims whose payment has happened). Bucket key (day, payer, outcome,
 * dated) with day = the settlement date = payment_date when known, else decided_date, and
 * dated = payment_date IS NOT NULL; claim count, allowed sum and count, and the payment-days
 * histogram (day − submitted_date). The claims of a settlement day are found through the
 * expression index claims_customer_settled — `SETTLEMENT_DATE` is its expression, verbatim.
 */
export async function recomputeSettlementRollupDays(
  trx: Kysely<DB>,
  customerId: number,
  settledDays: readonly string[],
): Promise<void> {
  await recomputeDaysOf(trx, customerId, settledDays, 'claim_settlement_rollups', (dayList) =>
    insertSettlementRollups(trx, customerId, sql`AND ${SETTLEMENT_DATE} IN (${dayList})`),
  );
}

type RollupTable = 'claim_daily_rollups' | 'claim_decision_rollups' | 'claim_settlement_rollups';

/** Per ≤ ROLLUP_DAYS_PER_STATEMENT days: delete the days' buckets of `table`, insert them again. */
async function recomputeDaysOf(
  trx: Kysely<DB>,
  customerId: number,
  days: readonly string[],
  table: RollupTable,
  insert: (dayList: RawBuilder<unknown>) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < days.length; start += ROLLUP_DAYS_PER_STATEMENT) {
    const dayList = sql.join(
      days.slice(start, start + ROLLUP_DAYS_PER_STATEMENT).map((day) => sql`${day}::date`),
    );
    await sql`DELETE FROM ${sql.table(table)}
               WHERE customer_id = ${customerId} AND day IN (${dayList})`.execute(trx);
    await insert(dayList);
  }
}

// The rollup rules the timelines share, as SQL over one claims row.
const DENIAL_REASON = sql`CASE WHEN outcome = 'DENIED'
      THEN coalesce(denial_reason_code, left(denial_reason_text, 100), 'UNSPECIFIED')
      ELSE '' END`;
/**
 * A claim's settlement date: when its payment happened, else when it was decided. The exact
 * expression of the index claims_customer_settled (migration 0023): the planner only uses an
 * expression index for the same expression.
 */
const SETTLEMENT_DATE = sql`coalesce(payment_date, decided_date)`;
const UNDERPAY_RATIO = sql`CASE WHEN outcome = 'PAID' AND allowed_amount > 0 AND paid_amount IS NOT NULL
      THEN ((allowed_amount - paid_amount) / allowed_amount)::double precision END`;

/**
 * `{"<days>": count}` of a bucket, in the same grouping pass: the bucket's day counts,
 * unnested and counted (a join of separately grouped CTEs was quadratic on PostgreSQL).
 */
function dayHistogram(column: 'decision_days' | 'payment_days'): RawBuilder<unknown> {
  const days = sql.ref(column);
  return sql`(SELECT jsonb_object_agg(d::text, n) FROM (
      SELECT d, count(*) AS n FROM unnest(array_agg(${days})) AS d GROUP BY d) h)`;
}

/** Inserts the daily (submitted-date) buckets of the customer's claims matching `filter`. */
async function insertDailyRollups(
  trx: Kysely<DB>,
  customerId: number,
  filter: RawBuilder<unknown>,
): Promise<void> {
  await sql`
    WITH c AS (
      SELECT submitted_date AS day, payer, cpt_group, outcome, ${DENIAL_REASON} AS denial_reason,
             allowed_amount, billed_amount, paid_amount,
             (decided_date - submitted_date) AS decision_days,
             (coalesce(payment_date, decided_date) - submitted_date) AS payment_days,
             (payment_date IS NOT NULL) AS has_payment_date,
             ${UNDERPAY_RATIO} AS r,
             authorization_required, authorization_obtained
        FROM claims
       WHERE customer_id = ${customerId} AND NOT reversed ${filter}
    )
    INSERT INTO claim_daily_rollups (
      customer_id, day, payer, cpt_group, outcome, denial_reason, claim_count,
      allowed_sum, billed_sum, paid_sum, allowed_count, billed_count, paid_count,
      decision_days_hist, payment_days_hist, payment_date_count,
      underpay_n, underpay_sum, underpay_sumsq, auth_required_count, auth_missing_count)
    SELECT ${customerId}, day, payer, cpt_group, outcome, denial_reason,
           count(*),
           coalesce(sum(allowed_amount), 0), coalesce(sum(billed_amount), 0), coalesce(sum(paid_amount), 0),
           count(allowed_amount), count(billed_amount), count(paid_amount),
           ${dayHistogram('decision_days')}, ${dayHistogram('payment_days')},
           count(*) FILTER (WHERE has_payment_date),
           count(r), coalesce(sum(r), 0), coalesce(sum(r * r), 0),
           count(*) FILTER (WHERE authorization_required),
           count(*) FILTER (WHERE authorization_required AND authorization_obtained = false)
      FROM c
     GROUP BY day, payer, cpt_group, outcome, denial_reason`.execute(trx);
}

/** Inserts the decision-date buckets of the customer's claims matching `filter`. */
async function insertDecisionRollups(
  trx: Kysely<DB>,
  customerId: number,
  filter: RawBuilder<unknown>,
): Promise<void> {
  await sql`
    WITH c AS (
      SELECT decided_date AS day, payer, cpt_group, outcome, ${DENIAL_REASON} AS denial_reason,
             allowed_amount, paid_amount,
             (decided_date - submitted_date) AS decision_days,
             (coalesce(payment_date, decided_date) - submitted_date) AS payment_days,
             (payment_date IS NOT NULL) AS has_payment_date,
             ${UNDERPAY_RATIO} AS r,
             allowed_amount::double precision AS allowed_dollars
        FROM claims
       WHERE customer_id = ${customerId} AND NOT reversed ${filter}
    )
    INSERT INTO claim_decision_rollups (
      customer_id, day, payer, cpt_group, outcome, denial_reason, claim_count,
      allowed_sum, allowed_count, paid_sum, paid_count,
      decision_days_hist, payment_days_hist, payment_date_count,
      underpay_n, underpay_sum, underpay_sumsq, allowed_sumsq)
    SELECT ${customerId}, day, payer, cpt_group, outcome, denial_reason,
           count(*),
           coalesce(sum(allowed_amount), 0), count(allowed_amount),
           coalesce(sum(paid_amount), 0), count(paid_amount),
           ${dayHistogram('decision_days')}, ${dayHistogram('payment_days')},
           count(*) FILTER (WHERE has_payment_date),
           count(r), coalesce(sum(r), 0), coalesce(sum(r * r), 0),
           coalesce(sum(allowed_dollars * allowed_dollars), 0)
      FROM c
     GROUP BY day, payer, cpt_group, outcome, denial_reason`.execute(trx);
}

/** Inserts the settlement-date buckets of the customer's claims matching `filter`. */
async function insertSettlementRollups(
  trx: Kysely<DB>,
  customerId: number,
  filter: RawBuilder<unknown>,
): Promise<void> {
  await sql`
    WITH c AS (
      SELECT ${SETTLEMENT_DATE} AS day, payer, outcome, (payment_date IS NOT NULL) AS dated,
             allowed_amount,
             (${SETTLEMENT_DATE} - submitted_date) AS payment_days
        FROM claims
       WHERE customer_id = ${customerId} AND NOT reversed ${filter}
    )
    INSERT INTO claim_settlement_rollups (
      customer_id, day, payer, outcome, dated, claim_count, allowed_sum, allowed_count, payment_days_hist)
    SELECT ${customerId}, day, payer, outcome, dated,
           count(*),
           coalesce(sum(allowed_amount), 0), count(allowed_amount),
           ${dayHistogram('payment_days')}
      FROM c
     GROUP BY day, payer, outcome, dated`.execute(trx);
}

/** Rollup rows of a customer with day in [from, to] (inclusive), in key order. */
export async function listRollups(
  db: Kysely<DB>,
  customerId: number,
  range: { from?: string; to?: string } = {},
): Promise<RollupRecord[]> {
  return listRollupRows<RollupRecord>(db, 'claim_daily_rollups', customerId, range);
}

/** Decision-rollup rows of a customer with decided day in [from, to] (inclusive), in key order. */
export async function listDecisionRollups(
  db: Kysely<DB>,
  customerId: number,
  range: { from?: string; to?: string } = {},
): Promise<DecisionRollupRecord[]> {
  return listRollupRows<DecisionRollupRecord>(db, 'claim_decision_rollups', customerId, range);
}

/**
 * Settlement-rollup rows of a customer with settlement day in [from, to] (inclusive), in key
 * order (day, payer, outcome, dated).
 */
export async function listSettlementRollups(
  db: Kysely<DB>,
  customerId: number,
  range: { from?: string; to?: string } = {},
): Promise<SettlementRollupRecord[]> {
  return listRollupRows<SettlementRollupRecord>(db, 'claim_settlement_rollups', customerId, range);
}

/** Each table's key after (customer_id, day): the listing order. */
const KEY_ORDER: Record<RollupTable, RawBuilder<unknown>> = {
  claim_daily_rollups: sql`payer, cpt_group, outcome, denial_reason`,
  claim_decision_rollups: sql`payer, cpt_group, outcome, denial_reason`,
  claim_settlement_rollups: sql`payer, outcome, dated`,
};

async function listRollupRows<Row>(
  db: Kysely<DB>,
  table: RollupTable,
  customerId: number,
  range: { from?: string; to?: string },
): Promise<Row[]> {
  const from = range.from ? sql`AND day >= ${range.from}::date` : sql``;
  const to = range.to ? sql`AND day <= ${range.to}::date` : sql``;
  const result = await sql<Row>`
    SELECT * FROM ${sql.table(table)}
     WHERE customer_id = ${customerId} ${from} ${to}
     ORDER BY day, ${KEY_ORDER[table]}`.execute(db);
  return result.rows;
}
