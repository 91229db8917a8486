import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type {
  AnalysisProduct,
  AnalysisRunStatus,
  AnalysisRunsTable,
  AnalysisRunType,
  DB,
  JsonObject,
} from '../schema.ts';

/**
 * `analysis_runs` (analytics spec §10.1) and the few reads the analytics commands need about
 * customers, jobs and the insight feed. Every function takes `customerId` first (except the
 * cross-customer schedule fan-out and job look-ups, which say so).
 */

export type AnalysisRunRecord = Selectable<AnalysisRunsTable>;

/** Non-backtest run types (one row per customer, product and as_of). */
export type AnalysisRequestType = Exclude<AnalysisRunType, 'backtest'>;

/**
 * Returns the run row of `(customer, product, as_of)` (non-backtest), creating it with status
 * `queued` when missing, and locks it `FOR UPDATE` until the caller's transaction ends. Run in a
 * transaction: the lock is what serialises requests against the executing job.
 */
export async function lockOrCreateRun(
  trx: Kysely<DB>,
  customerId: number,
  input: {
    product: AnalysisProduct;
    asOf: string;
    runType: AnalysisRequestType;
    requestedBy?: number | null;
  },
): Promise<{ run: AnalysisRunRecord; created: boolean }> {
  const inserted = await trx
    .insertInto('analysis_runs')
    .values({
      customer_id: customerId,
      product: input.product,
      as_of: input.asOf,
      run_type: input.runType,
      status: 'queued',
      requested_by: input.requestedBy ?? null,
    })
    // The conflict target names the partial unique index (customer_id, product, as_of)
    // WHERE run_type <> 'backtest'.
    .onConflict((oc) =>
      oc.columns(['customer_id', 'product', 'as_of']).where('run_type', '<>', 'backtest').doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  const run = await trx
    .selectFrom('analysis_runs')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('product', '=', input.product)
    .where('as_of', '=', input.asOf)
    .where('run_type', '<>', 'backtest')
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { run, created: inserted !== undefined };
}

/** Locks one run row of the customer for the rest of the transaction. */
export async function lockRun(
  trx: Kysely<DB>,
  customerId: number,
  runId: number,
): Promise<AnalysisRunRecord | undefined> {
  return trx
    .selectFrom('analysis_runs')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', runId)
    .forUpdate()
    .executeTakeFirst();
}

/** Updates a run of the customer and returns it (undefined when it is not the customer's). */
export async function updateRun(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  patch: Omit<Updateable<AnalysisRunsTable>, 'id' | 'customer_id'>,
): Promise<AnalysisRunRecord | undefined> {
  return db
    .updateTable('analysis_runs')
    .set({ ...patch, updated_at: sql`now()` })
    .where('customer_id', '=', customerId)
    .where('id', '=', runId)
    .returningAll()
    .executeTakeFirst();
}

/** One run of the customer (any type); another customer's id finds nothing. */
export async function findRun(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
): Promise<AnalysisRunRecord | undefined> {
  return db
    .selectFrom('analysis_runs')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', runId)
    .executeTakeFirst();
}

/** The non-backtest run of `(customer, product, as_of)`, if any. */
export async function findRunByKey(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
  asOf: string,
): Promise<AnalysisRunRecord | undefined> {
  return db
    .selectFrom('analysis_runs')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('product', '=', product)
    .where('as_of', '=', asOf)
    .where('run_type', '<>', 'backtest')
    .executeTakeFirst();
}

/**
 * "Latest run" of a product (§10.1): the successful non-backtest run with the greatest `as_of`
 * (ties: latest `finished_at`) among the runs whose current window held decisions — a run over a
 * period without data counts only when no run had data (issue 9). Dashboards' "active" numbers
 * read its findings.
 */
export async function findLatestRun(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
): Promise<AnalysisRunRecord | undefined> {
  return (
    db
      .selectFrom('analysis_runs')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('product', '=', product)
      .where('run_type', '<>', 'backtest')
      .where('status', '=', 'success')
      // A run over a period without decisions (e.g. an explicit as_of past the data) never hides a
      // run that analysed data (issue 9): runs whose current window had claims come first.
      .orderBy(sql`coalesce((summary_json->>'current_claims')::bigint, 1) = 0`)
      .orderBy('as_of', 'desc')
      .orderBy(sql`finished_at DESC NULLS LAST`)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
  );
}

/**
 * The product's latest successful (non-backtest) run with `as_of` before `asOf`: the "previous
 * run" whose emerging list a new run continues.
 */
export async function findPreviousRun(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
  asOf: string,
): Promise<AnalysisRunRecord | undefined> {
  return db
    .selectFrom('analysis_runs')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('product', '=', product)
    .where('run_type', '<>', 'backtest')
    .where('status', '=', 'success')
    .where('as_of', '<', asOf)
    .orderBy('as_of', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Latest run of every product of the customer (absent products have none). */
export async function findLatestRuns(
  db: Kysely<DB>,
  customerId: number,
): Promise<Partial<Record<AnalysisProduct, AnalysisRunRecord>>> {
  const out: Partial<Record<AnalysisProduct, AnalysisRunRecord>> = {};
  for (const product of ['driftwatch', 'denialscope', 'delayguard'] as const) {
    const run = await findLatestRun(db, customerId, product);
    if (run) out[product] = run;
  }
  return out;
}

/** Runs of the customer, newest first (API "reports" list, run history). */
export async function listRuns(
  db: Kysely<DB>,
  customerId: number,
  options: {
    product?: AnalysisProduct;
    runType?: AnalysisRunType;
    status?: AnalysisRunStatus;
    includeBacktests?: boolean;
    limit?: number;
    offset?: number;
  } = {},
): Promise<AnalysisRunRecord[]> {
  let query = db.selectFrom('analysis_runs').selectAll().where('customer_id', '=', customerId);
  if (options.product) query = query.where('product', '=', options.product);
  if (options.runType) query = query.where('run_type', '=', options.runType);
  else if (!options.includeBacktests) query = query.where('run_type', '<>', 'backtest');
  if (options.status) query = query.where('status', '=', options.status);
  return query
    .orderBy('as_of', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 50)
    .offset(options.offset ?? 0)
    .execute();
}

/** Inserts a backtest run row (status `running`; §10.3). */
export async function insertBacktestRun(
  db: Kysely<DB>,
  customerId: number,
  input: { asOf: string; parameters: JsonObject; requestedBy?: number | null; status?: AnalysisRunStatus },
): Promise<AnalysisRunRecord> {
  return db
    .insertInto('analysis_runs')
    .values({
      customer_id: customerId,
      product: 'driftwatch',
      as_of: input.asOf,
      run_type: 'backtest',
      status: input.status ?? 'queued',
      parameters: JSON.stringify(input.parameters),
      requested_by: input.requestedBy ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Appends one insight-feed event (`system_events`), in the caller's transaction when given one. */
export async function insertSystemEvent(
  db: Kysely<DB>,
  customerId: number,
  eventType: string,
  payload: JsonObject,
): Promise<void> {
  await db
    .insertInto('system_events')
    .values({ customer_id: customerId, event_type: eventType, payload: JSON.stringify(payload) })
    .execute();
}

/** One entry of the insights feed (analytics §13.7). */
export interface SystemEventRow {
  id: number;
  event_type: string;
  payload: unknown;
  created_at: Date;
}

/**
 * The customer's newest `limit` system events, newest first; id breaks ties between events
 * written in the same transaction (same `created_at`).
 */
export async function listLatestSystemEvents(
  db: Kysely<DB>,
  customerId: number,
  limit: number,
): Promise<SystemEventRow[]> {
  const rows = await db
    .selectFrom('system_events')
    .select(['id', 'event_type', 'payload', 'created_at'])
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, created_at: new Date(r.created_at) }));
}

/** The customer's `drift_sensitivity` (§5.3), `strict` when no settings row exists. */
export async function customerSensitivity(
  db: Kysely<DB>,
  customerId: number,
): Promise<'strict' | 'reference'> {
  const row = await db
    .selectFrom('customer_settings')
    .select('drift_sensitivity')
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return row?.drift_sensitivity === 'reference' ? 'reference' : 'strict';
}

/** Whether the product is enabled for the customer (a missing product_configs row: disabled, §11). */
export async function isProductEnabled(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
): Promise<boolean> {
  const row = await db
    .selectFrom('product_configs')
    .select('enabled')
    .where('customer_id', '=', customerId)
    .where('product_slug', '=', product)
    .executeTakeFirst();
  return row?.enabled === true;
}

/** Enabled analytics products of the customer (schedule/trigger fan-out). */
export async function enabledAnalysisProducts(
  db: Kysely<DB>,
  customerId: number,
): Promise<AnalysisProduct[]> {
  const rows = await db
    .selectFrom('product_configs')
    .select('product_slug')
    .where('customer_id', '=', customerId)
    .where('enabled', '=', true)
    .execute();
  const enabled = new Set(rows.map((r) => r.product_slug));
  return (['driftwatch', 'denialscope', 'delayguard'] as const).filter((p) => enabled.has(p));
}

/**
 * Cross-customer (schedules only): ids of active customers with the product enabled, ascending.
 * A customer without a product_configs row for the product is skipped (§11).
 */
export async function activeCustomersWithProduct(
  db: Kysely<DB>,
  product: AnalysisProduct,
): Promise<number[]> {
  const rows = await db
    .selectFrom('customers')
    .innerJoin('product_configs', 'product_configs.customer_id', 'customers.id')
    .select('customers.id')
    .where('customers.is_active', '=', true)
    .where('product_configs.product_slug', '=', product)
    .where('product_configs.enabled', '=', true)
    .orderBy('customers.id')
    .execute();
  return rows.map((r) => r.id);
}

/** Job bookkeeping the run logic needs (job ids are global; the jobs table is the record). */
export async function jobLiveness(
  db: Kysely<DB>,
  jobId: number,
): Promise<{ status: string; leaseValid: boolean } | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select(['status', sql<boolean>`coalesce(locked_until > now(), false)`.as('lease_valid')])
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row ? { status: row.status, leaseValid: Boolean(row.lease_valid) } : undefined;
}

/** The queued job holding a singleton key (debounce bookkeeping), if any. */
export async function findQueuedSingletonJob(
  db: Kysely<DB>,
  singletonKey: string,
): Promise<{ id: number; created_at: Date; run_at: Date; payload: JsonObject } | undefined> {
  return db
    .selectFrom('jobs')
    .select(['id', 'created_at', 'run_at', 'payload'])
    .where('singleton_key', '=', singletonKey)
    .where('status', '=', 'queued')
    .executeTakeFirst();
}
