import type { Kysely } from 'kysely';
import type { Config } from '../config/env.ts';
import { AppError } from '../config/errors.ts';
import {
  type AnalysisRequestType,
  type AnalysisRunRecord,
  activeCustomersWithProduct,
  enabledAnalysisProducts,
  findQueuedSingletonJob,
  isProductEnabled,
  jobLiveness,
  lockOrCreateRun,
  updateRun,
} from '../db/repositories/analysis-runs.repository.ts';
import { latestDecisionDay } from '../db/repositories/rollups.repository.ts';
import { uploadDataEnds } from '../db/repositories/uploads.repository.ts';
import type { AnalysisProduct, DB, JsonObject } from '../db/schema.ts';
import { addDays, earlierDate, latestMondayOnOrBefore } from '../domain/analytics/dates.ts';
import type { JobQueue } from '../jobs/types.ts';
import { type AnalyticsDeps, assertAsOf, type RunAnalysisResult, runAnalysis } from './run-analysis.ts';

/**
 * Requesting analyses (analytics spec §10.1 rule 6, §10.2): every trigger — schedules, the
 * debounced post-upload trigger, the portal/API "run now" and the CLI — goes through
 * `requestAnalysisRun`, which records the run row and enqueues at most one `analysis` job per
 * `(customer, product, as_of)`:
 *
 * - no run yet, or the last one finished (`success`/`failed`): status `queued`, a job is enqueued
 *   under the singleton key `analytics:<customer_id>:<product>:<as_of>`;
 * - `queued`: the same run and job are returned (the singleton key de-duplicates the job);
 * - `running` (its job alive): `rerun_requested` is set; the executing job runs once more when it
 *   finishes, so data uploaded meanwhile is included. The same run and job are returned.
 */

export const ANALYSIS_JOB = 'analysis';
export const BACKTEST_JOB = 'backtest';
export const POST_UPLOAD_ANALYSIS_JOB = 'analysis.post_upload';
export const SCHEDULED_ANALYSIS_JOB = 'analysis.schedule';

/** Debounce cap of the post-upload trigger: 30 minutes after the first pending upload (§10.2). */
export const POST_UPLOAD_MAX_DELAY_MS = 30 * 60_000;

/** The deterministic job key of one run (§10.1 rule 6). */
export function analysisJobKey(customerId: number, product: AnalysisProduct, asOf: string): string {
  return `analytics:${customerId}:${product}:${asOf}`;
}

/** The singleton key of a customer's pending post-upload trigger. */
export function postUploadJobKey(customerId: number): string {
  return `analytics-post-upload:${customerId}`;
}

/** `as_of` of an on-demand run (§10.2): DriftWatch the latest Monday <= today, others today. */
export function onDemandAsOf(product: AnalysisProduct, today: string): string {
  return product === 'driftwatch' ? latestMondayOnOrBefore(today) : today;
}

/**
 * `as_of` of a run requested without one — button, schedule, after an upload, CLI (issue 9: the
 * analysis date follows the data): the on-demand `as_of` (today; DriftWatch the latest Monday on
 * or before today, its weekly cadence), or the day after the customer's latest decision when the
 * data ends before that — so the windows end where the data ends instead of over a period
 * without data, and the last days of data are never skipped by snapping to a Monday. A customer
 * without claims gets the on-demand `as_of` (an empty, successful run, §10.1 rule 7).
 */
export function dataFollowingAsOf(
  product: AnalysisProduct,
  today: string,
  latestDecision: string | null,
): string {
  const onDemand = onDemandAsOf(product, today);
  if (latestDecision === null) return onDemand;
  return earlierDate(addDays(latestDecision, 1), onDemand);
}

/** {@link dataFollowingAsOf} for a customer, reading its latest decision day (not after `today`). */
export async function analysisAsOf(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
  today: string,
): Promise<string> {
  return dataFollowingAsOf(product, today, await latestDecisionDay(db, customerId, today));
}

/** Today's UTC date `YYYY-MM-DD`. */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Payload of the `analysis` job. */
export interface AnalysisJobPayload extends JsonObject {
  customer_id: number;
  product: AnalysisProduct;
  as_of: string;
  run_type: AnalysisRequestType;
}

export interface RequestDeps {
  db: Kysely<DB>;
  queue: Pick<JobQueue, 'enqueue'>;
}

export interface AnalysisRequest {
  customerId: number;
  product: AnalysisProduct;
  asOf: string;
  runType: AnalysisRequestType;
  requestedBy?: number | null;
  requestId?: string | null;
}

export interface AnalysisRequestResult {
  run: AnalysisRunRecord;
  /** The job that will run (or is running) the analysis. */
  jobId: number | null;
  /** `enqueued`: a new job; `queued`: joined the queued job; `rerun_requested`: it is running now. */
  outcome: 'enqueued' | 'queued' | 'rerun_requested';
}

/** Records/reuses the run and enqueues its job per the rules above. */
export async function requestAnalysisRun(
  deps: RequestDeps,
  request: AnalysisRequest,
): Promise<AnalysisRequestResult> {
  assertAsOf(request.asOf);
  const { db } = deps;
  const decision = await db.transaction().execute(async (trx) => {
    const { run } = await lockOrCreateRun(trx, request.customerId, {
      product: request.product,
      asOf: request.asOf,
      runType: request.runType,
      requestedBy: request.requestedBy ?? null,
    });
    const patch = {
      run_type: request.runType,
      ...(request.requestedBy !== undefined && { requested_by: request.requestedBy }),
    };
    if (run.status === 'running' && run.job_id !== null) {
      const job = await jobLiveness(trx, run.job_id);
      if (job && (job.status === 'running' || job.status === 'queued')) {
        const flagged = await updateRun(trx, request.customerId, run.id, { ...patch, rerun_requested: true });
        return { run: flagged ?? run, enqueue: false, outcome: 'rerun_requested' as const };
      }
      // Its job is gone (worker died without attempts left): treat the run as finished.
    }
    if (run.status === 'queued' && run.job_id !== null) {
      const job = await jobLiveness(trx, run.job_id);
      if (job?.status === 'queued') {
        // Joining the queued job: no enqueue (it could race with the job being claimed and
        // create a second job); the job reads the latest run_type from the row.
        const joined = await updateRun(trx, request.customerId, run.id, patch);
        return { run: joined ?? run, enqueue: false, outcome: 'queued' as const };
      }
    }
    const queued = await updateRun(trx, request.customerId, run.id, {
      ...patch,
      status: 'queued',
      queued_at: new Date(),
      rerun_requested: false,
    });
    return { run: queued ?? run, enqueue: true, outcome: 'enqueued' as const };
  });
  if (!decision.enqueue) return { run: decision.run, jobId: decision.run.job_id, outcome: decision.outcome };

  // Outside the transaction (the embedded database has one connection). A queued job with the
  // same singleton key is returned instead of a second one.
  const payload: AnalysisJobPayload = {
    customer_id: request.customerId,
    product: request.product,
    as_of: request.asOf,
    run_type: request.runType,
  };
  const job = await deps.queue.enqueue(ANALYSIS_JOB, payload, {
    customerId: request.customerId,
    singletonKey: analysisJobKey(request.customerId, request.product, request.asOf),
    requestId: request.requestId ?? null,
  });
  // Record the job on the run unless the job already took it over (status running).
  const run =
    (await db
      .updateTable('analysis_runs')
      .set({ job_id: job.id })
      .where('customer_id', '=', request.customerId)
      .where('id', '=', decision.run.id)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst()) ?? decision.run;
  return {
    run: { ...run, job_id: run.job_id ?? job.id },
    jobId: job.id,
    outcome: decision.outcome === 'queued' || !job.created ? 'queued' : 'enqueued',
  };
}

/** Thrown when a trigger names a product the customer has not enabled (HTTP 403). */
export class ProductNotEnabledError extends AppError {
  constructor(product: AnalysisProduct) {
    super('product_not_enabled', `Product ${product} is not enabled for this customer.`, 403);
    this.name = 'ProductNotEnabledError';
  }
}

/**
 * "Run analysis now" (portal, API): requests every enabled product — or the given ones, each of
 * which must be enabled (else `ProductNotEnabledError`, 403) — with the data-following `as_of`
 * ({@link dataFollowingAsOf}), or `asOf` for all (a future date → `invalid_as_of`, 400).
 */
export async function requestAnalysesForCustomer(
  deps: RequestDeps,
  input: {
    customerId: number;
    runType: AnalysisRequestType;
    products?: readonly AnalysisProduct[];
    asOf?: string;
    today?: string;
    requestedBy?: number | null;
    requestId?: string | null;
  },
): Promise<Array<AnalysisRequestResult & { product: AnalysisProduct }>> {
  const enabled = await enabledAnalysisProducts(deps.db, input.customerId);
  let products: readonly AnalysisProduct[] = enabled;
  if (input.products) {
    for (const product of input.products) {
      if (!enabled.includes(product)) throw new ProductNotEnabledError(product);
    }
    products = input.products;
  }
  const today = input.today ?? utcToday();
  if (input.asOf !== undefined) {
    assertAsOf(input.asOf);
    // Triggers never analyse the future (API: 400).
    if (input.asOf > today) throw new AppError('invalid_as_of', 'as_of must not be in the future.', 400);
  }
  const latestDecision =
    input.asOf === undefined ? await latestDecisionDay(deps.db, input.customerId, today) : null;
  const results: Array<AnalysisRequestResult & { product: AnalysisProduct }> = [];
  for (const product of products) {
    const result = await requestAnalysisRun(deps, {
      customerId: input.customerId,
      product,
      asOf: input.asOf ?? dataFollowingAsOf(product, today, latestDecision),
      runType: input.runType,
      ...(input.requestedBy !== undefined && { requestedBy: input.requestedBy }),
      ...(input.requestId !== undefined && { requestId: input.requestId }),
    });
    results.push({ ...result, product });
  }
  return results;
}

/** Payload of the debounced post-upload trigger job. */
export interface PostUploadPayload extends JsonObject {
  customer_id: number;
  /** When the first still-pending upload asked for analysis (ISO timestamp), for the 30-minute cap. */
  first_requested_at: string;
  /** Uploads since the trigger was queued (newest last, at most 20): their periods are analysed too. */
  upload_ids: number[];
}

/** Uploads a pending post-upload trigger remembers (a backfill's period gets its own runs). */
const POST_UPLOAD_MAX_UPLOADS = 20;

/**
 * Debounced trigger after a `success`/`partial` upload or a finished mapping re-application
 * (§10.2): one pending job per customer (singleton key), due ANALYSIS_DEBOUNCE_SECONDS after the
 * latest request; every further request moves it, but never later than 30 minutes after the
 * first pending request. When it fires, every enabled product is requested (`post_upload`).
 */
export async function requestPostUploadAnalysis(
  services: {
    database: { db: Kysely<DB> };
    queue: Pick<JobQueue, 'enqueue'>;
    config: Pick<Config, 'analysisDebounceSeconds'>;
  },
  customerId: number,
  options: { now?: Date; requestId?: string | null; uploadId?: number } = {},
): Promise<{ jobId: number; runAt: Date; created: boolean }> {
  const now = options.now ?? new Date();
  const key = postUploadJobKey(customerId);
  const pending = await findQueuedSingletonJob(services.database.db, key);
  const firstRequestedAt =
    typeof pending?.payload['first_requested_at'] === 'string'
      ? new Date(pending.payload['first_requested_at'])
      : (pending?.created_at ?? now);
  const debounced = now.getTime() + services.config.analysisDebounceSeconds * 1000;
  const cap = firstRequestedAt.getTime() + POST_UPLOAD_MAX_DELAY_MS;
  const runAt = new Date(Math.max(Math.min(debounced, cap), now.getTime()));
  const pendingUploads = Array.isArray(pending?.payload['upload_ids'])
    ? (pending.payload['upload_ids'] as unknown[]).filter((id): id is number => Number.isInteger(id))
    : [];
  const uploadIds = [
    ...new Set([...pendingUploads, ...(options.uploadId === undefined ? [] : [options.uploadId])]),
  ];
  const payload: PostUploadPayload = {
    customer_id: customerId,
    first_requested_at: firstRequestedAt.toISOString(),
    upload_ids: uploadIds.slice(-POST_UPLOAD_MAX_UPLOADS),
  };
  const job = await services.queue.enqueue(POST_UPLOAD_ANALYSIS_JOB, payload, {
    customerId,
    singletonKey: key,
    runAt,
    requestId: options.requestId ?? null,
  });
  return { jobId: job.id, runAt, created: job.created };
}

/** How far (days) an upload's data may end before the customer's run for it to count as a backfill. */
const BACKFILL_GAP_DAYS: Readonly<Record<AnalysisProduct, number>> = {
  driftwatch: 14,
  denialscope: 7,
  delayguard: 14,
};

/** At most this many backfill periods are analysed per product and trigger (newest first). */
const MAX_BACKFILL_RUNS = 3;

/**
 * Runs over the periods of historical uploads (issue 9: "a backfill of last year produces
 * findings on the period it covers"). The post-upload trigger analyses the customer's data up to
 * its latest decision; an upload whose own data ends more than a current window before that run
 * (a backfill behind newer data) also gets each product analysed at the end of its own data
 * (its data-following `as_of`), at most {@link MAX_BACKFILL_RUNS} periods per product.
 */
export async function requestBackfillAnalyses(
  deps: RequestDeps,
  input: {
    customerId: number;
    uploadIds: readonly number[];
    today: string;
    /** The runs the trigger just requested (one per product). */
    requested: ReadonlyArray<{ product: AnalysisProduct; run: { as_of: string } }>;
    requestId?: string | null;
  },
): Promise<Array<AnalysisRequestResult & { product: AnalysisProduct }>> {
  const ends = await uploadDataEnds(deps.db, input.customerId, input.uploadIds);
  const out: Array<AnalysisRequestResult & { product: AnalysisProduct }> = [];
  for (const { product, run } of input.requested) {
    const asOfs = new Set<string>();
    for (const end of ends) {
      const asOf = dataFollowingAsOf(product, input.today, end);
      if (addDays(asOf, BACKFILL_GAP_DAYS[product]) <= run.as_of) asOfs.add(asOf);
      if (asOfs.size >= MAX_BACKFILL_RUNS) break;
    }
    for (const asOf of asOfs) {
      const result = await requestAnalysisRun(deps, {
        customerId: input.customerId,
        product,
        asOf,
        runType: 'post_upload',
        ...(input.requestId !== undefined && { requestId: input.requestId }),
      });
      out.push({ ...result, product });
    }
  }
  return out;
}

/** Payload of a scheduled fan-out job (the scheduler adds `schedule` and `slot`). */
export interface ScheduledAnalysisPayload extends JsonObject {
  product: AnalysisProduct;
  /** The scheduled minute, e.g. `2026-03-02T06:00Z`; its date is the `as_of`. */
  slot: string;
}

/**
 * Schedule fan-out (§10.2): requests a `scheduled` run of `product` for every active customer
 * with the product enabled (customers without the product, or without a product_configs row, are
 * skipped), at the slot's `asOf` — or, for a customer whose data ends earlier, at its
 * data-following `as_of` (so a run never replaces findings by an empty period). Returns the
 * customers requested.
 */
export async function requestScheduledAnalyses(
  deps: RequestDeps,
  input: { product: AnalysisProduct; asOf: string },
): Promise<Array<{ customerId: number; runId: number; outcome: AnalysisRequestResult['outcome'] }>> {
  assertAsOf(input.asOf);
  const customers = await activeCustomersWithProduct(deps.db, input.product);
  const out: Array<{ customerId: number; runId: number; outcome: AnalysisRequestResult['outcome'] }> = [];
  for (const customerId of customers) {
    // Re-check under the same rules as triggers (a product switched off since the query is skipped).
    if (!(await isProductEnabled(deps.db, customerId, input.product))) continue;
    // The slot's date, or earlier when the customer's data ends before it (issue 9).
    const result = await requestAnalysisRun(deps, {
      customerId,
      product: input.product,
      asOf: await analysisAsOf(deps.db, customerId, input.product, input.asOf),
      runType: 'scheduled',
    });
    out.push({ customerId, runId: result.run.id, outcome: result.outcome });
  }
  return out;
}

/** The `as_of` of a scheduled slot: the slot's date; DriftWatch snaps to that week's Monday. */
export function scheduledAsOf(product: AnalysisProduct, slot: string): string {
  const date = slot.slice(0, 10);
  assertAsOf(date);
  return product === 'driftwatch' ? latestMondayOnOrBefore(date) : date;
}

/**
 * Runs every enabled product of the customer now, in this process (CLI, `payrixa demo` after
 * loading its data). `asOf` applies to every product (the demo uses the generator's end date);
 * without it each product uses its data-following `as_of`. A failing product does not stop the
 * others.
 */
export async function runEnabledAnalysesNow(
  deps: AnalyticsDeps,
  input: { customerId: number; asOf?: string; today?: string; runType?: AnalysisRequestType },
): Promise<Array<{ product: AnalysisProduct; result: RunAnalysisResult | null; error: string | null }>> {
  const products = await enabledAnalysisProducts(deps.db, input.customerId);
  const today = input.today ?? utcToday();
  const latestDecision =
    input.asOf === undefined ? await latestDecisionDay(deps.db, input.customerId, today) : null;
  const out: Array<{ product: AnalysisProduct; result: RunAnalysisResult | null; error: string | null }> = [];
  for (const product of products) {
    try {
      const result = await runAnalysis(deps, {
        customerId: input.customerId,
        product,
        asOf: input.asOf ?? dataFollowingAsOf(product, today, latestDecision),
        runType: input.runType ?? 'manual',
      });
      out.push({ product, result, error: null });
    } catch (error) {
      out.push({ product, result: null, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}
