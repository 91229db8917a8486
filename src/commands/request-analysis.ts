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
import type { AnalysisProduct, DB, JsonObject } from '../db/schema.ts';
import { latestMondayOnOrBefore } from '../domain/analytics/dates.ts';
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
 * which must be enabled (else `ProductNotEnabledError`, 403) — with the on-demand `as_of`, or
 * `asOf` for all (a future date → `invalid_as_of`, 400).
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
  const results: Array<AnalysisRequestResult & { product: AnalysisProduct }> = [];
  for (const product of products) {
    const result = await requestAnalysisRun(deps, {
      customerId: input.customerId,
      product,
      asOf: input.asOf ?? onDemandAsOf(product, today),
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
}

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
  options: { now?: Date; requestId?: string | null } = {},
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
  const payload: PostUploadPayload = {
    customer_id: customerId,
    first_requested_at: firstRequestedAt.toISOString(),
  };
  const job = await services.queue.enqueue(POST_UPLOAD_ANALYSIS_JOB, payload, {
    customerId,
    singletonKey: key,
    runAt,
    requestId: options.requestId ?? null,
  });
  return { jobId: job.id, runAt, created: job.created };
}

/** Payload of a scheduled fan-out job (the scheduler adds `schedule` and `slot`). */
export interface ScheduledAnalysisPayload extends JsonObject {
  product: AnalysisProduct;
  /** The scheduled minute, e.g. `2026-03-02T06:00Z`; its date is the `as_of`. */
  slot: string;
}

/**
 * Schedule fan-out (§10.2): requests a `scheduled` run of `product` at `asOf` for every active
 * customer with the product enabled (customers without the product, or without a product_configs
 * row, are skipped). Returns the customers requested.
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
    const result = await requestAnalysisRun(deps, {
      customerId,
      product: input.product,
      asOf: input.asOf,
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
 * without it each product uses its on-demand `as_of`. A failing product does not stop the others.
 */
export async function runEnabledAnalysesNow(
  deps: AnalyticsDeps,
  input: { customerId: number; asOf?: string; today?: string; runType?: AnalysisRequestType },
): Promise<Array<{ product: AnalysisProduct; result: RunAnalysisResult | null; error: string | null }>> {
  const products = await enabledAnalysisProducts(deps.db, input.customerId);
  const today = input.today ?? utcToday();
  const out: Array<{ product: AnalysisProduct; result: RunAnalysisResult | null; error: string | null }> = [];
  for (const product of products) {
    try {
      const result = await runAnalysis(deps, {
        customerId: input.customerId,
        product,
        asOf: input.asOf ?? onDemandAsOf(product, today),
        runType: input.runType ?? 'manual',
      });
      out.push({ product, result, error: null });
    } catch (error) {
      out.push({ product, result: null, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}
