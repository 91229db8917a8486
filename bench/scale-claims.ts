import { performance } from 'node:perf_hooks';
import { type Kysely, sql } from 'kysely';
import type { runEnabledAnalysesNow } from '../src/commands/request-analysis.ts';
import type { rebuildCustomerRollups } from '../src/db/repositories/claims.repository.ts';
import type { DB } from '../src/db/schema.ts';

/**
 * Multiplies one customer's claims to about `target` for the benchmarks that measure a
 * customer at scale (pages, api): copies of every claim with new identities (same days,
 * payers and outcomes), then the three rollups rebuilt, `ANALYZE`, and the analyses re-run,
 * so every read model sees the scaled customer as an upload of that size would leave it.
 *
 * The two functions that maintain derived data are passed in rather than imported, so the
 * api bench can scale a database of an older checkout with that checkout's own code.
 */
export interface ScaleDeps {
  rebuildCustomerRollups: typeof rebuildCustomerRollups;
  runEnabledAnalysesNow: typeof runEnabledAnalysesNow;
}

export interface ScaleResult {
  claimsBefore: number;
  claimsAfter: number;
  copies: number;
  ms: number;
}

/** Claims stored for the customer (reversed ones included: what the tables hold). */
export async function countClaims(db: Kysely<DB>, customerId: number): Promise<number> {
  const result = await sql<{ n: string }>`
    SELECT count(*) AS n FROM claims WHERE customer_id = ${customerId}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** How many copies of `base` claims bring the customer closest to `target` (never negative). */
export function copiesFor(base: number, target: number): number {
  return Math.max(0, Math.round(target / Math.max(base, 1)) - 1);
}

export async function scaleCustomerClaims(
  db: Kysely<DB>,
  deps: ScaleDeps,
  customerId: number,
  target: number,
): Promise<ScaleResult> {
  const claimsBefore = await countClaims(db, customerId);
  const copies = copiesFor(claimsBefore, target);
  const started = performance.now();
  for (let copy = 1; copy <= copies; copy++) {
    await sql`
      INSERT INTO claims (customer_id, identity_key, claim_id_hash, row_hash, upload_id, first_upload_id,
                          source_row_number, payer, payer_raw, cpt, cpt_group, submitted_date, decided_date,
                          payment_date, outcome, outcome_raw, allowed_amount, billed_amount, paid_amount,
                          denial_reason_code, denial_reason_text, authorization_required,
                          authorization_obtained, place_of_service, adjustments)
      SELECT customer_id, identity_key || ':x' || ${copy}::text, NULL, row_hash, upload_id, first_upload_id,
             source_row_number, payer, payer_raw, cpt, cpt_group, submitted_date, decided_date,
             payment_date, outcome, outcome_raw, allowed_amount, billed_amount, paid_amount,
             denial_reason_code, denial_reason_text, authorization_required,
             authorization_obtained, place_of_service, adjustments
        FROM claims WHERE customer_id = ${customerId} AND identity_key NOT LIKE '%:x%'`.execute(db);
  }
  if (copies > 0) {
    // All three rollups (submitted, decided, settled): the dashboards and detectors read the
    // decision and settlement timelines too, not only the submitted-date one.
    await db.transaction().execute((trx) => deps.rebuildCustomerRollups(trx, customerId));
    for (const table of [
      'claims',
      'claim_daily_rollups',
      'claim_decision_rollups',
      'claim_settlement_rollups',
    ]) {
      await sql`ANALYZE ${sql.table(table)}`.execute(db);
    }
    await deps.runEnabledAnalysesNow({ db }, { customerId });
  }
  return {
    claimsBefore,
    claimsAfter: await countClaims(db, customerId),
    copies,
    ms: Math.round(performance.now() - started),
  };
}
