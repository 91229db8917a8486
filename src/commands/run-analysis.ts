import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AppError, describeError } from '../config/errors.ts';
import {
  type AnalysisRequestType,
  type AnalysisRunRecord,
  customerSensitivity,
  findPreviousRun,
  insertSystemEvent,
  jobLiveness,
  lockOrCreateRun,
  lockRun,
  updateRun,
} from '../db/repositories/analysis-runs.repository.ts';
import { replaceRunFindings } from '../db/repositories/findings.repository.ts';
import {
  driftWatchWindowTotals,
  historyCoverage,
  type RollupHistograms,
  rollupRowsInWindow,
  settlementRowsInWindow,
} from '../db/repositories/rollups.repository.ts';
import type { AnalysisProduct, DB, JsonObject } from '../db/schema.ts';
import {
  type DateWindow,
  type DelayGuardResult,
  type DenialScopeResult,
  type DriftWatchResult,
  delayGuardWindows,
  denialScopeWindows,
  driftWatchWindows,
  emergingRunCounts,
  type FindingDraft,
  type HistoryCoverage,
  PRODUCT_NAME,
  runDelayGuard,
  runDenialScope,
  runDriftWatchOnWindowTotals,
  type Sensitivity,
  SIGNAL_LABEL,
  toEpochDay,
} from '../domain/analytics/index.ts';
import { type WorkMetrics, workMetrics } from '../obs/work-metrics.ts';

/**
 * `run-analysis` (analytics spec §10.1): runs one product for one customer and `as_of`.
 *
 * 1. Records or reuses the run row `(customer, product, as_of)` (status `running`, attempts + 1).
 *    If another live job is executing the same run, it only sets `rerun_requested` and returns
 *    (`skipped`): that job runs the analysis once more when it finishes (rule 6).
 * 2. Reads the customer's rollups for the product's windows (never claims) and calls the pure
 *    detector.
 * 3. In ONE transaction: deletes the run's findings and inserts the new set, records
 *    `<product>_signal_created` only for fingerprints the run did not have before, stores the
 *    parameters and summary, marks the run `success` and records `analysis_run_completed`.
 * 4. On any failure the transaction rolls back (the previous findings stay), the run is marked
 *    `failed` with the message and `analysis_run_failed` is recorded; the error is rethrown so a
 *    job can retry.
 * 5. When a request arrived meanwhile (`rerun_requested`), it runs again (bounded).
 */

export const ANALYSIS_PRODUCTS = [
  'driftwatch',
  'denialscope',
  'delayguard',
] as const satisfies readonly AnalysisProduct[];

/** Upper bound of back-to-back re-runs inside one call (each needs a request during the previous one). */
const MAX_RERUNS = 5;
const ERROR_MESSAGE_MAX = 2000;

export interface AnalyticsDeps {
  db: Kysely<DB>;
  logger?: Logger;
  /** Where each execution is counted (default the process's work metrics). */
  metrics?: WorkMetrics;
  /** Test seams (never set in production). */
  hooks?: {
    /** After the detector ran, before the result transaction (e.g. a request arriving mid-run). */
    afterDetect?: (run: AnalysisRunRecord) => Promise<void>;
    /**
     * Inside the result transaction just before commit (findings replaced, events written).
     * Throwing from it exercises the rollback path.
     */
    beforeCommit?: (trx: Kysely<DB>, run: AnalysisRunRecord) => Promise<void>;
  };
}

export interface RunAnalysisInput {
  customerId: number;
  product: AnalysisProduct;
  /** `YYYY-MM-DD`; the windows end here (exclusive). */
  asOf: string;
  /** The request's type, stored on the run; omitted by the job (the row keeps the type of the latest request). */
  runType?: AnalysisRequestType;
  /** Type for a run row that does not exist yet when `runType` is omitted (default `manual`). */
  defaultRunType?: AnalysisRequestType;
  requestedBy?: number | null;
  /** The executing job (null for a direct CLI run). */
  jobId?: number | null;
  /** Overrides the customer's drift_sensitivity (tests, CLI). */
  sensitivity?: Sensitivity;
}

export interface RunAnalysisResult {
  /** `skipped`: another job is executing this run; it was asked to run once more. */
  status: 'success' | 'skipped';
  run: AnalysisRunRecord;
  findings: number;
  newFingerprints: number;
  /** Analyses executed by this call (1 + re-runs). */
  executions: number;
  /**
   * A request arrived during the last execution but the re-run bound was reached: the
   * caller must queue a fresh job so that request is still served.
   */
  rerunPending?: boolean;
}

/** A failed analysis; `run` is the run row as marked failed. */
export class AnalysisRunError extends AppError {
  constructor(
    message: string,
    readonly run: AnalysisRunRecord | null,
    readonly causeError: unknown,
  ) {
    super('analysis_failed', message, 500);
    this.name = 'AnalysisRunError';
  }
}

/**
 * The rollup window a product reads for `asOf`: from its earliest window start to `asOf` (on the
 * decision timeline). Short-history payers' baselines start later (maturity rule): the detector
 * drops their earlier rows.
 */
export function analysisRollupWindow(product: AnalysisProduct, asOf: string): DateWindow {
  switch (product) {
    case 'driftwatch':
      return { start: driftWatchWindows(asOf).baseline.start, end: asOf };
    case 'denialscope':
      return { start: denialScopeWindows(asOf).period.start, end: asOf };
    case 'delayguard':
      return { start: delayGuardWindows(asOf).baseline.start, end: asOf };
  }
}

type DetectorResult = DriftWatchResult | DenialScopeResult | DelayGuardResult;

/** What a detector needs besides the rollups: the customer's history and the previous run. */
export interface DetectionContext {
  readonly customerId: number;
  readonly product: AnalysisProduct;
  readonly asOf: string;
  readonly sensitivity: Sensitivity;
  /** Short histories only (maturity rule); undefined when every baseline is mature. */
  readonly history?: HistoryCoverage;
  /** Emerging keys of the product's previous run with their consecutive-run counts. */
  readonly previousEmerging?: ReadonlyMap<string, number>;
}

/**
 * Reads the product's rollups and runs its pure detector. DriftWatch reads per-window totals of
 * the decision rollups summed in the database (`driftWatchWindowTotals`: a few thousand rows
 * instead of ~156,000 daily rows, same result); DenialScope its collapsed daily decision rows;
 * DelayGuard the settlement rollups (payments made in each window).
 */
export async function detectFindings(db: Kysely<DB>, input: DetectionContext): Promise<DetectorResult> {
  const options = {
    customerId: input.customerId,
    asOf: input.asOf,
    sensitivity: input.sensitivity,
    ...(input.history && { history: input.history }),
    ...(input.previousEmerging && { previousEmerging: input.previousEmerging }),
  };
  switch (input.product) {
    case 'driftwatch':
      return runDriftWatchOnWindowTotals(
        await driftWatchWindowTotals(db, input.customerId, input.asOf, input.history),
        options,
      );
    case 'denialscope':
      return runDenialScope(await productRows(db, 'denialscope', input), options);
    case 'delayguard':
      return runDelayGuard(
        await settlementRowsInWindow(db, input.customerId, analysisRollupWindow('delayguard', input.asOf)),
        options,
      );
  }
}

/**
 * Histograms the daily-row detector reads (§6): DenialScope none. Leaving them out keeps the
 * result and saves most of the read. (DelayGuard reads the settlement rollups.)
 */
export const PRODUCT_HISTOGRAMS = {
  denialscope: { decision: false, payment: false },
} as const satisfies Record<string, RollupHistograms>;

function productRows(db: Kysely<DB>, product: 'denialscope', input: DetectionContext) {
  return rollupRowsInWindow(db, input.customerId, analysisRollupWindow(product, input.asOf), product, {
    histograms: PRODUCT_HISTOGRAMS[product],
  });
}

/**
 * Runs of a product follow each other weekly (DriftWatch) or daily: an emerging candidate of a
 * run at most this many days before counts as the same candidate "again".
 */
const CONSECUTIVE_RUN_GAP_DAYS: Readonly<Record<AnalysisProduct, number>> = {
  driftwatch: 14,
  denialscope: 3,
  delayguard: 3,
};

/** The emerging keys of the product's previous successful run before `asOf` (recent enough). */
async function previousEmergingKeys(
  db: Kysely<DB>,
  customerId: number,
  product: AnalysisProduct,
  asOf: string,
): Promise<Map<string, number>> {
  const previous = await findPreviousRun(db, customerId, product, asOf);
  if (!previous || toEpochDay(asOf) - toEpochDay(previous.as_of) > CONSECUTIVE_RUN_GAP_DAYS[product])
    return new Map();
  return emergingRunCounts(previous.summary_json);
}

/** Validates an `as_of` date (`YYYY-MM-DD`, a real calendar date). */
export function assertAsOf(asOf: string): void {
  try {
    toEpochDay(asOf);
  } catch {
    throw new AppError('invalid_as_of', `as_of must be a date YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  }
}

/** Payload of `<product>_signal_created` (analytics §13.7). */
export function signalEventPayload(
  finding: { id: number; fingerprint: string } & Pick<
    FindingDraft,
    'product' | 'signal_type' | 'payer' | 'cpt_group' | 'denial_reason' | 'summary_text' | 'severity_label'
  >,
  run: { id: number; as_of: string },
): JsonObject {
  return {
    title: `${PRODUCT_NAME[finding.product]}: ${SIGNAL_LABEL[finding.signal_type]}`,
    summary: finding.summary_text,
    signal_type: finding.signal_type,
    payer: finding.payer,
    subkey: finding.cpt_group ?? finding.denial_reason ?? '',
    severity_label: finding.severity_label,
    finding_id: finding.id,
    fingerprint: finding.fingerprint,
    run_id: run.id,
    as_of: run.as_of,
  };
}

/** Runs one product for one customer and `as_of` (see the module comment). */
export async function runAnalysis(deps: AnalyticsDeps, input: RunAnalysisInput): Promise<RunAnalysisResult> {
  assertAsOf(input.asOf);
  const { db } = deps;
  const started = await startRun(db, input);
  if (started.skipped) {
    return { status: 'skipped', run: started.run, findings: 0, newFingerprints: 0, executions: 0 };
  }
  let run = started.run;
  let executions = 0;
  let totalNew = 0;
  for (;;) {
    executions++;
    const attempt = await executeAttempt(deps, input, run);
    run = attempt.run;
    totalNew += attempt.newFingerprints;
    if (!attempt.rerun || executions > MAX_RERUNS) {
      if (attempt.rerun) {
        // Bounded: this job stops here; the caller queues a fresh job for the pending request.
        run = (await updateRun(db, input.customerId, run.id, { status: 'success' })) ?? run;
      }
      return {
        status: 'success',
        run,
        findings: attempt.findings,
        newFingerprints: totalNew,
        executions,
        ...(attempt.rerun && { rerunPending: true }),
      };
    }
    deps.logger?.info({ run_id: run.id, product: input.product }, 'analysis re-run requested; running again');
    // Each execution counts one attempt when it starts (one completion event each).
    run =
      (await updateRun(db, input.customerId, run.id, {
        attempts: run.attempts + 1,
        started_at: new Date(),
        status: 'running',
      })) ?? run;
  }
}

async function startRun(
  db: Kysely<DB>,
  input: RunAnalysisInput,
): Promise<{ run: AnalysisRunRecord; skipped: boolean }> {
  return db.transaction().execute(async (trx) => {
    const { run } = await lockOrCreateRun(trx, input.customerId, {
      product: input.product,
      asOf: input.asOf,
      runType: input.runType ?? input.defaultRunType ?? 'manual',
      requestedBy: input.requestedBy ?? null,
    });
    if (run.status === 'running' && run.job_id !== null && run.job_id !== (input.jobId ?? null)) {
      const other = await jobLiveness(trx, run.job_id);
      if (other && other.status === 'running' && other.leaseValid) {
        const flagged = await updateRun(trx, input.customerId, run.id, { rerun_requested: true });
        return { run: flagged ?? run, skipped: true };
      }
    }
    const updated = await updateRun(trx, input.customerId, run.id, {
      status: 'running',
      attempts: run.attempts + 1,
      started_at: new Date(),
      finished_at: null,
      duration_ms: null,
      error_message: null,
      rerun_requested: false,
      job_id: input.jobId ?? null,
      ...(input.runType !== undefined && { run_type: input.runType }),
      ...(input.requestedBy !== undefined && { requested_by: input.requestedBy }),
    });
    return { run: updated ?? run, skipped: false };
  });
}

async function executeAttempt(
  deps: AnalyticsDeps,
  input: RunAnalysisInput,
  run: AnalysisRunRecord,
): Promise<{ run: AnalysisRunRecord; rerun: boolean; findings: number; newFingerprints: number }> {
  const { db } = deps;
  const t0 = performance.now();
  try {
    const sensitivity = input.sensitivity ?? (await customerSensitivity(db, input.customerId));
    const history = await historyCoverage(db, input.customerId, input.asOf);
    const result = await detectFindings(db, {
      customerId: input.customerId,
      product: input.product,
      asOf: input.asOf,
      sensitivity,
      ...(history && { history }),
      previousEmerging: await previousEmergingKeys(db, input.customerId, input.product, input.asOf),
    });
    if (deps.hooks?.afterDetect) await deps.hooks.afterDetect(run);
    const outcome = await db.transaction().execute(async (trx) => {
      const locked = await lockRun(trx, input.customerId, run.id);
      if (!locked) throw new Error('the run row no longer exists');
      const replaced = await replaceRunFindings(trx, input.customerId, locked, result.findings);
      const newSignals: string[] = [];
      for (const finding of replaced.findings) {
        if (!replaced.newFingerprints.has(finding.fingerprint)) continue;
        newSignals.push(finding.signal_type);
        await insertSystemEvent(
          trx,
          input.customerId,
          `${input.product}_signal_created`,
          signalEventPayload(
            {
              ...finding,
              product: input.product,
              signal_type: finding.signal_type as FindingDraft['signal_type'],
            },
            locked,
          ),
        );
      }
      const rerun = locked.rerun_requested;
      const durationMs = Math.round(performance.now() - t0);
      const summary: JsonObject = {
        ...(result.summary as JsonObject),
        new_fingerprints: replaced.newFingerprints.size,
      };
      const now = new Date();
      const updated = await updateRun(trx, input.customerId, run.id, {
        status: rerun ? 'running' : 'success',
        parameters: JSON.stringify(result.parameters),
        summary_json: JSON.stringify(summary),
        finished_at: now,
        duration_ms: durationMs,
        error_message: null,
        rerun_requested: false,
      });
      await insertSystemEvent(trx, input.customerId, 'analysis_run_completed', {
        title: `${PRODUCT_NAME[input.product]}: analysis completed`,
        product: input.product,
        as_of: input.asOf,
        run_id: run.id,
        run_type: locked.run_type,
        findings: replaced.findings.length,
        new_findings: replaced.newFingerprints.size,
        duration_ms: durationMs,
      });
      if (deps.hooks?.beforeCommit && updated) await deps.hooks.beforeCommit(trx, updated);
      return {
        run: updated ?? locked,
        rerun,
        findings: replaced.findings.length,
        newFingerprints: replaced.newFingerprints.size,
        newSignals,
        durationMs,
      };
    });
    // After the commit; `findings_created` counts the findings this run did not have before
    // (those announced by `<product>_signal_created`), not the re-inserted unchanged ones.
    (deps.metrics ?? workMetrics).analysisRunFinished(
      input.product,
      outcome.run.run_type,
      'success',
      outcome.durationMs / 1000,
      outcome.newSignals,
    );
    return outcome;
  } catch (error) {
    const durationMs = Math.round(performance.now() - t0);
    const failed = await recordFailure(deps, input, run, error, durationMs);
    (deps.metrics ?? workMetrics).analysisRunFinished(
      input.product,
      failed?.run_type ?? run.run_type,
      'failed',
      durationMs / 1000,
      [],
    );
    throw new AnalysisRunError(
      `${PRODUCT_NAME[input.product]} analysis for ${input.asOf} failed: ${describeError(error)}`.slice(
        0,
        ERROR_MESSAGE_MAX,
      ),
      failed,
      error,
    );
  }
}

async function recordFailure(
  deps: AnalyticsDeps,
  input: RunAnalysisInput,
  run: AnalysisRunRecord,
  error: unknown,
  durationMs: number,
): Promise<AnalysisRunRecord | null> {
  // The message of our own errors and of database errors; never claim values (detectors do not
  // put any into messages, and driver errors keep row details out of `message`).
  const message = describeError(error).slice(0, ERROR_MESSAGE_MAX);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const failed = await updateRun(trx, input.customerId, run.id, {
        status: 'failed',
        error_message: message,
        finished_at: new Date(),
        duration_ms: durationMs,
      });
      await insertSystemEvent(trx, input.customerId, 'analysis_run_failed', {
        title: `${PRODUCT_NAME[input.product]}: analysis failed`,
        product: input.product,
        as_of: input.asOf,
        run_id: run.id,
        run_type: run.run_type,
        error: message,
      });
      return failed ?? null;
    });
  } catch (recordError) {
    deps.logger?.error(
      { err: describeError(recordError), run_id: run.id },
      'could not record the analysis failure',
    );
    return null;
  }
}
