/**
 * Loading a generated history into a real Payrixa database the way a customer's weekly uploads
 * would leave it: at each run date the claims decided since the previous run date are added,
 * payment dates that became known are filled in, and the rollups are rebuilt with the production
 * SQL. Claims rows are written directly (bulk COPY through the production port, src/db/copy.ts),
 * not through the upload pipeline: the benchmark measures detection, and the rollups the
 * detectors read are built by the same repository function uploads use.
 */
import { type Kysely, sql } from 'kysely';
import { type CopyValue, copyRows } from '../../src/db/copy.ts';
import type { Database } from '../../src/db/database.ts';
import { lockCustomerClaims, recomputeRollups } from '../../src/db/repositories/claims.repository.ts';
import type { DB } from '../../src/db/schema.ts';
import { fromEpochDay, toEpochDay } from '../../src/domain/analytics/dates.ts';
import type { GeneratedClaim, History } from './generator.ts';

/**
 * The production rollup build, as an upload does it: the three rollups (by submission day, by
 * decision day and by settlement day) of the days whose claims changed.
 */
export async function buildProductionRollups(
  trx: Kysely<DB>,
  customerId: number,
  changed: {
    readonly submitted: readonly string[];
    readonly decided: readonly string[];
    readonly settled: readonly string[];
  },
): Promise<void> {
  await recomputeRollups(trx, customerId, {
    submitted: [...changed.submitted],
    decided: [...changed.decided],
    settled: [...changed.settled],
  });
}

/** A bench customer: its id, its single upload (claims must reference one) and what is loaded. */
export interface BenchCustomer {
  readonly id: number;
  readonly uploadId: number;
  /** Run date the loaded data corresponds to (null before the first sync). */
  loadedAsOf: string | null;
}

/** Creates a customer with all three products enabled and the given drift sensitivity. */
export async function createBenchCustomer(
  db: Kysely<DB>,
  name: string,
  sensitivity: 'strict' | 'reference',
): Promise<BenchCustomer> {
  const customer = await db
    .insertInto('customers')
    .values({ name })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('customer_settings')
    .values({ customer_id: customer.id, drift_sensitivity: sensitivity })
    .execute();
  await db
    .insertInto('product_configs')
    .values(
      (['driftwatch', 'denialscope', 'delayguard'] as const).map((slug) => ({
        customer_id: customer.id,
        product_slug: slug,
        enabled: true,
        config: '{}',
      })),
    )
    .execute();
  const upload = await db
    .insertInto('uploads')
    .values({
      customer_id: customer.id,
      filename: 'detection-bench.csv',
      format: 'csv',
      source: 'cli',
      status: 'success',
      file_sha256: '0'.repeat(64),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: customer.id, uploadId: upload.id, loadedAsOf: null };
}

/**
 * Deletes a bench customer and everything it owns (every tenant table cascades from customers).
 * The embedded database has no autovacuum: without a VACUUM the dead rows of each history stay
 * in the tables and indexes, and every later load is slower than the one before.
 */
export async function deleteBenchCustomer(database: Database, customer: BenchCustomer): Promise<void> {
  await database.db.deleteFrom('customers').where('id', '=', customer.id).execute();
  if (database.kind === 'pglite') await sql`VACUUM`.execute(database.db);
}

const CLAIM_COLUMNS = [
  'customer_id',
  'identity_key',
  'row_hash',
  'upload_id',
  'first_upload_id',
  'source_row_number',
  'payer',
  'payer_raw',
  'cpt',
  'cpt_group',
  'submitted_date',
  'decided_date',
  'payment_date',
  'outcome',
  'outcome_raw',
  'allowed_amount',
  'billed_amount',
  'paid_amount',
  'denial_reason_code',
  'place_of_service',
] as const;

/** Zero-padded so keys grow in insertion order (appends to the unique index, not random inserts). */
function identityKey(claim: GeneratedClaim): string {
  return `bench:${String(claim.id).padStart(9, '0')}`;
}

function cents(value: number): string {
  return (value / 100).toFixed(2);
}

function claimTuple(
  history: History,
  customer: BenchCustomer,
  claim: GeneratedClaim,
  payment: number | null,
): CopyValue[] {
  const payer = history.payers[claim.payer]?.name ?? '';
  return [
    customer.id,
    identityKey(claim),
    claim.id.toString(16).padStart(64, '0'),
    customer.uploadId,
    customer.uploadId,
    claim.id,
    payer,
    payer,
    claim.cpt,
    history.groups[claim.group]?.name ?? 'OTHER',
    fromEpochDay(claim.submitted),
    fromEpochDay(claim.decided),
    payment === null ? null : fromEpochDay(payment),
    claim.outcome,
    claim.outcome,
    claim.allowedCents === null ? null : cents(claim.allowedCents),
    cents(claim.billedCents),
    cents(claim.paidCents),
    claim.reason,
    '11',
  ];
}

/** What one sync changed. */
export interface SyncStats {
  readonly inserted: number;
  readonly paymentsFilled: number;
  readonly rollupDays: number;
  /** Wall time of the claims COPY, the payment-date updates and the rollup build. */
  readonly millis: { readonly copy: number; readonly update: number; readonly rollups: number };
}

/**
 * Brings the customer's data to what an export at `asOf` holds (`asOf` must not be before the
 * previous sync): inserts the claims decided in [previous, asOf), fills the payment dates that
 * fell in [previous, asOf) on claims loaded earlier, and rebuilds the rollups of the submission,
 * decision and settlement days touched (through `buildProductionRollups`, in one transaction under the
 * claims lock).
 */
export async function syncToAsOf(
  database: Database,
  history: History,
  customer: BenchCustomer,
  asOf: string,
): Promise<SyncStats> {
  const limit = toEpochDay(asOf);
  const previous = customer.loadedAsOf === null ? Number.NEGATIVE_INFINITY : toEpochDay(customer.loadedAsOf);
  if (limit < previous) throw new Error(`cannot sync back from ${customer.loadedAsOf} to ${asOf}`);
  const visiblePayment = (c: GeneratedClaim): number | null =>
    c.payment !== null && c.payment < limit ? c.payment : null;
  const inserts: GeneratedClaim[] = [];
  const payments: GeneratedClaim[] = [];
  const days = new Set<number>();
  const decidedDays = new Set<number>();
  // Settlement day = payment date when known at this sync, else decided date.
  const settledDays = new Set<number>();
  for (const claim of history.claims) {
    if (claim.decided >= previous && claim.decided < limit) {
      inserts.push(claim);
      days.add(claim.submitted);
      decidedDays.add(claim.decided);
      settledDays.add(visiblePayment(claim) ?? claim.decided);
    } else if (
      claim.decided < previous &&
      claim.payment !== null &&
      claim.payment >= previous &&
      claim.payment < limit
    ) {
      payments.push(claim);
      days.add(claim.submitted);
      decidedDays.add(claim.decided);
      // The payment moves the claim from its decision day to its payment day.
      settledDays.add(claim.decided);
      settledDays.add(claim.payment);
    }
  }
  const db = database.db;
  const t0 = performance.now();
  // On the embedded database the rows' foreign keys (customer, upload) are valid by
  // construction, and their per-row checks were half the load time; the session setting skips
  // them for this fixture load only (PGlite has one connection; PostgreSQL keeps its checks).
  const skipRowChecks = database.kind === 'pglite';
  if (skipRowChecks) await sql`SET session_replication_role = replica`.execute(db);
  try {
    for (let i = 0; i < inserts.length; i += 20_000) {
      await copyRows(
        database,
        'claims',
        CLAIM_COLUMNS,
        inserts.slice(i, i + 20_000).map((c) => claimTuple(history, customer, c, visiblePayment(c))),
      );
    }
  } finally {
    if (skipRowChecks) await sql`SET session_replication_role = origin`.execute(db);
  }
  const t1 = performance.now();
  for (let i = 0; i < payments.length; i += 1_000) {
    const values = sql.join(
      payments
        .slice(i, i + 1_000)
        .map((c) => sql`(${identityKey(c)}, ${fromEpochDay(c.payment as number)}::date)`),
    );
    await sql`UPDATE claims SET payment_date = v.payment_date, updated_at = now()
                FROM (VALUES ${values}) AS v(identity_key, payment_date)
               WHERE claims.customer_id = ${customer.id} AND claims.identity_key = v.identity_key`.execute(
      db,
    );
  }
  const t2 = performance.now();
  // Fresh statistics after the first (bulk) load, as autovacuum would give a real database.
  if (customer.loadedAsOf === null) await sql`ANALYZE claims`.execute(db);
  const dayList = [...days].sort((a, b) => a - b).map(fromEpochDay);
  const decidedList = [...decidedDays].sort((a, b) => a - b).map(fromEpochDay);
  const settledList = [...settledDays].sort((a, b) => a - b).map(fromEpochDay);
  await db.transaction().execute(async (trx) => {
    await lockCustomerClaims(trx, customer.id);
    await buildProductionRollups(trx, customer.id, {
      submitted: dayList,
      decided: decidedList,
      settled: settledList,
    });
  });
  customer.loadedAsOf = asOf;
  const t3 = performance.now();
  return {
    inserted: inserts.length,
    paymentsFilled: payments.length,
    rollupDays: dayList.length,
    millis: { copy: t1 - t0, update: t2 - t1, rollups: t3 - t2 },
  };
}
