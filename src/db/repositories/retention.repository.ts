import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { RetentionCutoffs } from '../../domain/retention.ts';
import type { DB } from '../schema.ts';
import { lockCustomerClaims, recomputeRollups } from './claims.repository.ts';

/**
 * Retention's reads and deletes (alerts-reports §15, web-api-ops §7.5), one tenant at a time
 * (`customer_id` leads every predicate, so each statement stays on the tenant's index prefix and
 * a Citus shard). Each category has a count (the dry run and nothing else) and a batch delete
 * that the command runs inside a transaction; both use the same predicate, so a dry run finds
 * exactly what a real run on the same day deletes. Portable to PostgreSQL 14+ and PGlite.
 *
 * Batches pick at most `limit` primary-key ids in a sub-select and delete by id, re-checking the
 * predicate in the DELETE itself, so a row that changed since (an artifact rebuilt by a download,
 * a judgment given) is left alone.
 */

type Db = Kysely<DB>;

function ids(values: readonly number[]): RawBuilder<unknown> {
  return sql.join(values.map((value) => sql`${value}::bigint`));
}

async function countOf(db: Db, query: RawBuilder<{ n: number | string }>): Promise<number> {
  const row = (await query.execute(db)).rows[0];
  return Number(row?.n ?? 0);
}

/**
 * Picks and locks up to `limit` expired parent rows, oldest ids first. `SKIP LOCKED`: a row some
 * other transaction holds (a run being re-analysed, an alert being judged) waits for the next
 * run instead of blocking this one. `alias` is the one the `expired` predicate uses.
 */
async function lockExpiredIds(
  db: Db,
  table: string,
  alias: string,
  expired: RawBuilder<unknown>,
  limit: number,
): Promise<number[]> {
  const picked = await sql<{ id: number | string }>`
    SELECT ${sql.ref(`${alias}.id`)} FROM ${sql.table(table).as(alias)}
     WHERE ${expired}
     ORDER BY ${sql.ref(`${alias}.id`)}
     LIMIT ${limit}
       FOR UPDATE OF ${sql.raw(alias)} SKIP LOCKED`.execute(db);
  return picked.rows.map((row) => Number(row.id));
}

/**
 * Deletes up to `limit` rows of `table` matching `expired`, oldest ids first, and returns how
 * many went. The predicate is repeated outside the sub-select so a row that stopped matching
 * between the two (a concurrent update) is left alone.
 */
async function deleteBatchWhere(
  db: Db,
  table: string,
  expired: RawBuilder<unknown>,
  limit: number,
): Promise<number> {
  const result = await sql`
    DELETE FROM ${sql.table(table)}
     WHERE ${expired}
       AND id IN (SELECT id FROM ${sql.table(table)} WHERE ${expired} ORDER BY id LIMIT ${limit})
    RETURNING id`.execute(db);
  return result.rows.length;
}

// ---------------------------------------------------------------------------------------------
// Report artifacts (§15 rule 4): a PDF last built before the PDF cutoff, an Excel or CSV file
// before the other cutoff. `updated_at` is the last (re)build — an artifact rebuilt on download
// yesterday is young again whatever its `created_at`. The file goes with the row (the caller
// removes it after commit); the next download rebuilds both.

function expiredArtifact(customerId: number, cutoffs: RetentionCutoffs): RawBuilder<unknown> {
  return sql`customer_id = ${customerId}
         AND ((format = 'pdf' AND updated_at < ${cutoffs.pdfArtifactsBefore})
           OR (format <> 'pdf' AND updated_at < ${cutoffs.otherArtifactsBefore}))`;
}

export function countExpiredArtifacts(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<number> {
  return countOf(
    db,
    sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM report_artifacts WHERE ${expiredArtifact(customerId, cutoffs)}`,
  );
}

/** Deletes up to `limit` expired artifacts; their storage keys, for the files to go after commit. */
export async function deleteExpiredArtifacts(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<string[]> {
  const result = await sql<{ storage_key: string }>`
    DELETE FROM report_artifacts
     WHERE ${expiredArtifact(customerId, cutoffs)}
       AND id IN (SELECT id FROM report_artifacts
                   WHERE ${expiredArtifact(customerId, cutoffs)}
                   ORDER BY id LIMIT ${limit})
    RETURNING storage_key`.execute(db);
  return result.rows.map((row) => row.storage_key);
}

// ---------------------------------------------------------------------------------------------
// Analysis runs with their findings (§15 rules 1–3). A run goes when all of:
// - its `as_of` is before the findings cutoff;
// - it is not queued or running (a backtest or an explicit `--as-of` in the past may be executing
//   right now over an old date);
// - it is not the customer's latest successful non-backtest run of its product (rule 1). "Latest"
//   is the newest `as_of` (ties: latest `finished_at`, then id), the order of the
//   analysis_runs_customer_product_latest index — and also the run the dashboards show as latest
//   (`findLatestRun`: a run whose window held claims before a newer one over a period without
//   data), so retention never empties a product page; both are kept when they differ. Backtests
//   are extra rows beside the weekly history, never "the" run of a product, so they neither count
//   as latest nor are protected;
// - no alert event with a judgment given since `judgedSince` points to it (rule 2). An event
//   points to a run through its `run_id`, or through its finding — by `finding_id`, or by
//   `finding_fingerprint` (a finding's identity, unique per customer; it still matches when
//   `finding_id` was already cleared). alert_events has no foreign key to runs or findings
//   (migration 0025), so these are the only links.

function expiredRun(customerId: number, cutoffs: RetentionCutoffs): RawBuilder<unknown> {
  return sql`r.customer_id = ${customerId}
     AND r.as_of < ${cutoffs.runsAsOfBefore}::date
     AND r.status NOT IN ('queued', 'running')
     AND r.id NOT IN (
           SELECT DISTINCT ON (latest.product) latest.id
             FROM analysis_runs latest
            WHERE latest.customer_id = ${customerId}
              AND latest.status = 'success'
              AND latest.run_type <> 'backtest'
            ORDER BY latest.product, latest.as_of DESC, latest.finished_at DESC NULLS LAST, latest.id DESC)
     AND r.id NOT IN (
           SELECT DISTINCT ON (shown.product) shown.id
             FROM analysis_runs shown
            WHERE shown.customer_id = ${customerId}
              AND shown.status = 'success'
              AND shown.run_type <> 'backtest'
            ORDER BY shown.product,
                     coalesce((shown.summary_json->>'current_claims')::bigint, 1) = 0,
                     shown.as_of DESC, shown.finished_at DESC NULLS LAST, shown.id DESC)
     AND NOT EXISTS (
           SELECT 1
             FROM alert_events ae
             JOIN operator_judgments j ON j.customer_id = ae.customer_id AND j.alert_event_id = ae.id
            WHERE ae.customer_id = ${customerId}
              AND j.verdict_at >= ${cutoffs.judgedSince}
              AND (ae.run_id = r.id
                   OR EXISTS (SELECT 1 FROM findings f
                               WHERE f.customer_id = ${customerId}
                                 AND f.run_id = r.id
                                 AND (f.id = ae.finding_id OR f.fingerprint = ae.finding_fingerprint))))`;
}

/**
 * What deleting the expired runs would take: the runs, their findings, and their report artifacts
 * not already expired by age (those are counted by the artifacts category, which runs first).
 */
export async function countExpiredRuns(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<{ runs: number; findings: number; artifacts: number }> {
  const row = (
    await sql<{ runs: number; findings: number; artifacts: number }>`
      SELECT count(*)::int AS runs,
             coalesce(sum((SELECT count(*) FROM findings f
                            WHERE f.customer_id = r.customer_id AND f.run_id = r.id)), 0)::int AS findings,
             coalesce(sum((SELECT count(*) FROM report_artifacts a
                            WHERE a.customer_id = r.customer_id AND a.run_id = r.id
                              AND NOT (${expiredArtifact(customerId, cutoffs)}))), 0)::int AS artifacts
        FROM analysis_runs r
       WHERE ${expiredRun(customerId, cutoffs)}`.execute(db)
  ).rows[0];
  return {
    runs: Number(row?.runs ?? 0),
    findings: Number(row?.findings ?? 0),
    artifacts: Number(row?.artifacts ?? 0),
  };
}

/**
 * Deletes up to `limit` expired runs with their findings, in the caller's transaction. The runs
 * are locked first (`FOR UPDATE SKIP LOCKED`): a run being re-analysed right now holds its row
 * lock and is left for the next night instead of losing its findings mid-write. Alert events
 * whose finding goes keep their payload snapshot and get `finding_id` null (rule 2); the run's
 * report artifacts and report deliveries go by their ON DELETE CASCADE (migration 0026) — their
 * storage keys are returned so the caller removes the files after commit.
 */
export async function deleteExpiredRuns(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<{ runs: number; findings: number; artifacts: number; storageKeys: string[] }> {
  const runIds = await lockExpiredIds(db, 'analysis_runs', 'r', expiredRun(customerId, cutoffs), limit);
  if (runIds.length === 0) return { runs: 0, findings: 0, artifacts: 0, storageKeys: [] };

  const artifacts = await sql<{ storage_key: string }>`
    SELECT storage_key FROM report_artifacts
     WHERE customer_id = ${customerId} AND run_id IN (${ids(runIds)})`.execute(db);
  // alert_events has no index on finding_id; the customer prefix of its primary key bounds the scan.
  await sql`
    UPDATE alert_events SET finding_id = NULL
     WHERE customer_id = ${customerId}
       AND finding_id IN (SELECT id FROM findings
                           WHERE customer_id = ${customerId} AND run_id IN (${ids(runIds)}))`.execute(db);
  // The FK would cascade too; deleting explicitly gives the count.
  const findings = await sql`
    DELETE FROM findings WHERE customer_id = ${customerId} AND run_id IN (${ids(runIds)})
    RETURNING id`.execute(db);
  const runs = await sql`
    DELETE FROM analysis_runs WHERE customer_id = ${customerId} AND id IN (${ids(runIds)})
    RETURNING id`.execute(db);
  return {
    runs: runs.rows.length,
    findings: findings.rows.length,
    artifacts: artifacts.rows.length,
    storageKeys: artifacts.rows.map((row) => row.storage_key),
  };
}

// ---------------------------------------------------------------------------------------------
// Alert events with their judgments (§7.5 "alert events, operator judgments"): an event triggered
// before the findings cutoff goes unless it has a judgment given since `judgedSince` — the same
// judgment that keeps its run keeps the event (and with it every judgment of that event, so the
// recovery ledger of a recently judged alert stays whole). Judgments are never deleted on their
// own; they go with their event, as do its alert deliveries (ON DELETE CASCADE, rule 3).

function expiredAlertEvent(customerId: number, cutoffs: RetentionCutoffs): RawBuilder<unknown> {
  return sql`ae.customer_id = ${customerId}
     AND ae.triggered_at < ${cutoffs.alertEventsBefore}
     AND NOT EXISTS (SELECT 1 FROM operator_judgments j
                      WHERE j.customer_id = ae.customer_id
                        AND j.alert_event_id = ae.id
                        AND j.verdict_at >= ${cutoffs.judgedSince})`;
}

export async function countExpiredAlertEvents(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<{ events: number; judgments: number }> {
  const row = (
    await sql<{ events: number; judgments: number }>`
      SELECT count(*)::int AS events,
             coalesce(sum((SELECT count(*) FROM operator_judgments j
                             WHERE j.customer_id = ae.customer_id AND j.alert_event_id = ae.id)), 0)::int AS judgments
        FROM alert_events ae
       WHERE ${expiredAlertEvent(customerId, cutoffs)}`.execute(db)
  ).rows[0];
  return { events: Number(row?.events ?? 0), judgments: Number(row?.judgments ?? 0) };
}

export async function deleteExpiredAlertEvents(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<{ events: number; judgments: number }> {
  const eventIds = await lockExpiredIds(
    db,
    'alert_events',
    'ae',
    expiredAlertEvent(customerId, cutoffs),
    limit,
  );
  if (eventIds.length === 0) return { events: 0, judgments: 0 };
  // Counted before the cascade removes them (the count is the audit's `operator_judgments`).
  const judgments = await countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM operator_judgments
                        WHERE customer_id = ${customerId} AND alert_event_id IN (${ids(eventIds)})`,
  );
  const events = await sql`
    DELETE FROM alert_events WHERE customer_id = ${customerId} AND id IN (${ids(eventIds)})
    RETURNING id`.execute(db);
  return { events: events.rows.length, judgments };
}

// ---------------------------------------------------------------------------------------------
// Webhook delivery logs (§7.5, RETENTION_DELIVERIES_DAYS): a delivery created before the cutoff
// goes with its attempts (ON DELETE CASCADE). Only finished ones (success / failed): an open
// delivery is still the dispatcher's work, and an alert delivery may be waiting on it
// (`alert_deliveries.webhook_delivery_id`) — at 90 days that only happens when the dispatcher has
// been down, and then the log is kept until it finishes.

function expiredWebhookDelivery(customerId: number, cutoffs: RetentionCutoffs): RawBuilder<unknown> {
  return sql`customer_id = ${customerId}
     AND created_at < ${cutoffs.webhookDeliveriesBefore}
     AND status IN ('success', 'failed')`;
}

export function countExpiredWebhookDeliveries(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<number> {
  return countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries
                        WHERE ${expiredWebhookDelivery(customerId, cutoffs)}`,
  );
}

export async function deleteExpiredWebhookDeliveries(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<number> {
  return deleteBatchWhere(db, 'webhook_deliveries', expiredWebhookDelivery(customerId, cutoffs), limit);
}

// ---------------------------------------------------------------------------------------------
// Claims (§7.5, RETENTION_CLAIMS_DAYS, never under 120 days): a claim line submitted before the
// cutoff goes, reversed or not. Each batch runs under the customer's claims lock (the one uploads
// and mapping re-apply take), so it never interleaves with an upload's final transaction, and
// recomputes the three rollups of the days its lines touched — submitted, decided and settled —
// in the same transaction, so rollups always match claims. A submitted day before the cutoff
// loses all its lines, so its `claim_daily_rollups` rows vanish: those are the count reported as
// claim daily rollups (measured as the rows before the cutoff before and after each batch, so a
// day split over two batches counts once). Decided and settled days may keep lines submitted
// later; they are recomputed, not counted.

export async function countExpiredClaims(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<{ claims: number; rollups: number }> {
  const claims = await countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM claims
                        WHERE customer_id = ${customerId}
                          AND submitted_date < ${cutoffs.claimsSubmittedBefore}::date`,
  );
  const rollups = await countExpiredDailyRollups(db, customerId, cutoffs);
  return { claims, rollups };
}

function countExpiredDailyRollups(db: Db, customerId: number, cutoffs: RetentionCutoffs): Promise<number> {
  return countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM claim_daily_rollups
                        WHERE customer_id = ${customerId}
                          AND day < ${cutoffs.claimsSubmittedBefore}::date`,
  );
}

export async function deleteExpiredClaims(
  trx: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<{ claims: number; rollups: number }> {
  await lockCustomerClaims(trx, customerId);
  const rollupsBefore = await countExpiredDailyRollups(trx, customerId, cutoffs);
  // Picked through claims_customer_submitted (customer_id, submitted_date).
  const deleted = await sql<{ submitted: string; decided: string; settled: string }>`
    DELETE FROM claims
     WHERE customer_id = ${customerId}
       AND id IN (SELECT id FROM claims
                   WHERE customer_id = ${customerId}
                     AND submitted_date < ${cutoffs.claimsSubmittedBefore}::date
                   ORDER BY submitted_date, id
                   LIMIT ${limit})
    RETURNING submitted_date::text AS submitted, decided_date::text AS decided,
              coalesce(payment_date, decided_date)::text AS settled`.execute(trx);
  if (deleted.rows.length === 0) return { claims: 0, rollups: 0 };
  const distinct = (pick: (row: (typeof deleted.rows)[number]) => string) => [
    ...new Set(deleted.rows.map(pick)),
  ];
  await recomputeRollups(trx, customerId, {
    submitted: distinct((row) => row.submitted),
    decided: distinct((row) => row.decided),
    settled: distinct((row) => row.settled),
  });
  const rollupsAfter = await countExpiredDailyRollups(trx, customerId, cutoffs);
  return { claims: deleted.rows.length, rollups: rollupsBefore - rollupsAfter };
}

// ---------------------------------------------------------------------------------------------
// Row-level validation results and rejected-row details (§7.5, RETENTION_VALIDATION_DAYS): the
// per-row findings of the validation rules go by their `created_at`; a quality report older
// than the cutoff keeps its counts, score and grade (the upload's history) but its per-row
// rejection list is emptied — those rows carry the rejected cells' context. Counted as reports
// whose list was emptied.

function expiredValidationResult(customerId: number, cutoffs: RetentionCutoffs): RawBuilder<unknown> {
  return sql`customer_id = ${customerId} AND created_at < ${cutoffs.validationBefore}`;
}

function expiredRejectionDetails(customerId: number, cutoffs: RetentionCutoffs): RawBuilder<unknown> {
  return sql`customer_id = ${customerId}
     AND created_at < ${cutoffs.validationBefore}
     AND (rejection_details <> '[]'::jsonb OR rejection_details_truncated)`;
}

export async function countExpiredValidation(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<{ results: number; details: number }> {
  const results = await countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM validation_results
                        WHERE ${expiredValidationResult(customerId, cutoffs)}`,
  );
  const details = await countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM upload_quality_reports
                        WHERE ${expiredRejectionDetails(customerId, cutoffs)}`,
  );
  return { results, details };
}

export async function deleteExpiredValidationResults(
  trx: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<number> {
  return deleteBatchWhere(trx, 'validation_results', expiredValidationResult(customerId, cutoffs), limit);
}

export async function clearExpiredRejectionDetails(
  trx: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<number> {
  const result = await sql`
    UPDATE upload_quality_reports
       SET rejection_details = '[]'::jsonb, rejection_details_truncated = false
     WHERE ${expiredRejectionDetails(customerId, cutoffs)}
       AND upload_id IN (SELECT upload_id FROM upload_quality_reports
                          WHERE ${expiredRejectionDetails(customerId, cutoffs)}
                          ORDER BY upload_id LIMIT ${limit})
    RETURNING upload_id`.execute(trx);
  return result.rows.length;
}

// ---------------------------------------------------------------------------------------------
// Upload records and their quality reports (§7.5, RETENTION_UPLOADS_DAYS): an upload in a final
// state (success, partial, failed, deleted) created before the cutoff goes once no stored claim
// references it — neither as the upload that last wrote the line (`upload_id`) nor as the one
// that first brought it (`first_upload_id`); claims keep a foreign key to both. Its quality
// report, raw-file chunks, staging rows, validation results and anomalies go by ON DELETE CASCADE.
// The claims category runs first in the same pass, so the count (the dry run) looks only at
// claims that pass will keep (submitted on or after the claims cutoff); the delete re-checks
// against every claim, which the foreign keys require anyway.

function expiredUpload(
  customerId: number,
  cutoffs: RetentionCutoffs,
  keptClaimsOnly: boolean,
): RawBuilder<unknown> {
  const kept = keptClaimsOnly ? sql`AND c.submitted_date >= ${cutoffs.claimsSubmittedBefore}::date` : sql``;
  return sql`u.customer_id = ${customerId}
     AND u.created_at < ${cutoffs.uploadsBefore}
     AND u.status IN ('success', 'partial', 'failed', 'deleted')
     AND NOT EXISTS (SELECT 1 FROM claims c
                      WHERE c.customer_id = u.customer_id AND c.upload_id = u.id ${kept})
     AND NOT EXISTS (SELECT 1 FROM claims c
                      WHERE c.customer_id = u.customer_id AND c.first_upload_id = u.id ${kept})`;
}

export async function countExpiredUploads(
  db: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
): Promise<{ uploads: number; reports: number }> {
  const row = (
    await sql<{ uploads: number; reports: number }>`
      SELECT count(*)::int AS uploads,
             count(q.upload_id)::int AS reports
        FROM uploads u
        LEFT JOIN upload_quality_reports q ON q.customer_id = u.customer_id AND q.upload_id = u.id
       WHERE ${expiredUpload(customerId, cutoffs, true)}`.execute(db)
  ).rows[0];
  return { uploads: Number(row?.uploads ?? 0), reports: Number(row?.reports ?? 0) };
}

export async function deleteExpiredUploads(
  trx: Db,
  customerId: number,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<{ uploads: number; reports: number }> {
  // Under the claims lock: an upload's final transaction could otherwise add a line referencing
  // an upload between the check and the delete.
  await lockCustomerClaims(trx, customerId);
  const uploadIds = await lockExpiredIds(
    trx,
    'uploads',
    'u',
    expiredUpload(customerId, cutoffs, false),
    limit,
  );
  if (uploadIds.length === 0) return { uploads: 0, reports: 0 };
  const reports = await countOf(
    trx,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM upload_quality_reports
                        WHERE customer_id = ${customerId} AND upload_id IN (${ids(uploadIds)})`,
  );
  const uploads = await sql`
    DELETE FROM uploads WHERE customer_id = ${customerId} AND id IN (${ids(uploadIds)})
    RETURNING id`.execute(trx);
  return { uploads: uploads.rows.length, reports };
}

// ---------------------------------------------------------------------------------------------
// System events, job records, audit events (§7.5, RETENTION_EVENTS_DAYS / _JOBS_DAYS /
// _AUDIT_DAYS). Jobs and audit events may belong to no customer (the scheduler's maintenance
// jobs, staff and system audit rows): `customerId` null selects exactly those, and the command
// only asks for them on a run over every customer. Only finished jobs go (succeeded or failed,
// by `finished_at`); a queued or running job is live work whatever its age.

export type RetentionLog = 'system_events' | 'jobs' | 'audit_events';

function tenantIs(customerId: number | null): RawBuilder<unknown> {
  return customerId === null ? sql`customer_id IS NULL` : sql`customer_id = ${customerId}`;
}

function expiredLogRow(
  log: RetentionLog,
  customerId: number | null,
  cutoffs: RetentionCutoffs,
): RawBuilder<unknown> {
  switch (log) {
    case 'system_events':
      return sql`${tenantIs(customerId)} AND created_at < ${cutoffs.systemEventsBefore}`;
    case 'jobs':
      // created_at bounds the scan on jobs_customer_created: a job finished before the cutoff was
      // created before it.
      return sql`${tenantIs(customerId)}
         AND created_at < ${cutoffs.jobsFinishedBefore}
         AND status IN ('succeeded', 'failed')
         AND finished_at < ${cutoffs.jobsFinishedBefore}`;
    case 'audit_events':
      return sql`${tenantIs(customerId)} AND created_at < ${cutoffs.auditEventsBefore}`;
  }
}

export function countExpiredLogRows(
  db: Db,
  log: RetentionLog,
  customerId: number | null,
  cutoffs: RetentionCutoffs,
): Promise<number> {
  return countOf(
    db,
    sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(log)}
                        WHERE ${expiredLogRow(log, customerId, cutoffs)}`,
  );
}

export async function deleteExpiredLogRows(
  trx: Db,
  log: RetentionLog,
  customerId: number | null,
  cutoffs: RetentionCutoffs,
  limit: number,
): Promise<number> {
  return deleteBatchWhere(trx, log, expiredLogRow(log, customerId, cutoffs), limit);
}
