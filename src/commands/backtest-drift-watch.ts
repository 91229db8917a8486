import type { Kysely } from 'kysely';
import { AppError, describeError } from '../config/errors.ts';
import {
  type AnalysisRunRecord,
  customerSensitivity,
  findRun,
  insertBacktestRun,
  updateRun,
} from '../db/repositories/analysis-runs.repository.ts';
import { historyCoverage, rollupRowsInWindow } from '../db/repositories/rollups.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import {
  type BacktestResult,
  DRIFTWATCH_DEFAULTS,
  driftWatchWindows,
  mondaysBetween,
  runBacktest,
  type Sensitivity,
  validateBacktestRange,
} from '../domain/analytics/index.ts';
import type { JobQueue } from '../jobs/types.ts';
import { type WorkMetrics, workMetrics } from '../obs/work-metrics.ts';
import { BACKTEST_JOB, utcToday } from './request-analysis.ts';
import { assertAsOf } from './run-analysis.ts';

/**
 * DriftWatch backtest (analytics spec §10.3): replays weekly DriftWatch runs for every Monday in
 * `[from, to]` over today's rollups and stores the weeks and detection episodes in one
 * `analysis_runs` row (`run_type = backtest`, `product = driftwatch`, `as_of = to`). It writes no
 * findings, alert events, signal events or PDFs.
 */

export interface BacktestInput {
  customerId: number;
  from: string;
  to: string;
  /** Default: the customer's drift_sensitivity. */
  sensitivity?: Sensitivity;
  requestedBy?: number | null;
  /** Today's date for validation (`to <= today`); default the current UTC date. */
  today?: string;
}

/** Invalid backtest range (HTTP 400 / CLI error). */
export class BacktestRangeError extends AppError {
  constructor(message: string) {
    super('invalid_backtest_range', message, 400);
    this.name = 'BacktestRangeError';
  }
}

function validate(input: BacktestInput): void {
  assertAsOf(input.from);
  assertAsOf(input.to);
  const problem = validateBacktestRange(input.from, input.to, input.today ?? utcToday());
  if (problem) throw new BacktestRangeError(`Invalid backtest range: ${problem}.`);
}

async function parametersFor(db: Kysely<DB>, input: BacktestInput): Promise<JsonObject> {
  const sensitivity = input.sensitivity ?? (await customerSensitivity(db, input.customerId));
  return {
    from: input.from,
    to: input.to,
    mondays: mondaysBetween(input.from, input.to).length,
    baseline_days: DRIFTWATCH_DEFAULTS.baseline_days,
    current_days: DRIFTWATCH_DEFAULTS.current_days,
    min_volume: DRIFTWATCH_DEFAULTS.min_volume,
    sensitivity,
    fdr_q: DRIFTWATCH_DEFAULTS.fdr_q,
  };
}

/** Validates and records a queued backtest run (for the job path); returns the row. */
export async function createBacktestRun(db: Kysely<DB>, input: BacktestInput): Promise<AnalysisRunRecord> {
  validate(input);
  return insertBacktestRun(db, input.customerId, {
    asOf: input.to,
    parameters: await parametersFor(db, input),
    requestedBy: input.requestedBy ?? null,
    status: 'queued',
  });
}

/** Records a backtest run and enqueues its job (kind `backtest`); for the portal page and API. */
export async function requestBacktest(
  deps: { db: Kysely<DB>; queue: Pick<JobQueue, 'enqueue'> },
  input: BacktestInput & { requestId?: string | null },
): Promise<{ run: AnalysisRunRecord; jobId: number }> {
  const run = await createBacktestRun(deps.db, input);
  const job = await deps.queue.enqueue(
    BACKTEST_JOB,
    { customer_id: input.customerId, run_id: run.id },
    {
      customerId: input.customerId,
      uniqueKey: `backtest:${input.customerId}:${run.id}`,
      requestId: input.requestId ?? null,
    },
  );
  const updated = await updateRun(deps.db, input.customerId, run.id, { job_id: job.id });
  return { run: updated ?? run, jobId: job.id };
}

/**
 * Executes a recorded backtest run: reads the rollups from the first Monday's baseline start to
 * `to`, replays DriftWatch and stores `{weeks, episodes}` in `summary_json`. A failure marks the
 * run `failed` with the message and is rethrown.
 */
export async function executeBacktestRun(
  db: Kysely<DB>,
  customerId: number,
  runId: number,
  options: { jobId?: number | null; metrics?: WorkMetrics } = {},
): Promise<{ run: AnalysisRunRecord; result: BacktestResult }> {
  const metrics = options.metrics ?? workMetrics;
  const run = await findRun(db, customerId, runId);
  if (run?.run_type !== 'backtest') throw new AppError('not_found', 'Backtest run not found.', 404);
  const params = run.parameters;
  const from = String(params['from']);
  const to = String(params['to']);
  const sensitivity: Sensitivity = params['sensitivity'] === 'reference' ? 'reference' : 'strict';
  await updateRun(db, customerId, runId, {
    status: 'running',
    attempts: run.attempts + 1,
    started_at: new Date(),
    finished_at: null,
    error_message: null,
    ...(options.jobId !== undefined && { job_id: options.jobId }),
  });
  const t0 = performance.now();
  try {
    const mondays = mondaysBetween(from, to);
    const first = mondays[0];
    const last = mondays[mondays.length - 1];
    let result: BacktestResult = { weeks: [], episodes: [] };
    if (first !== undefined && last !== undefined) {
      // A short history is judged as the run at the first Monday would judge it (maturity rule).
      const history = await historyCoverage(db, customerId, first);
      const rows = await rollupRowsInWindow(
        db,
        customerId,
        { start: driftWatchWindows(first).baseline.start, end: last },
        'driftwatch',
      );
      result = runBacktest(rows, { customerId, from, to, sensitivity, ...(history && { history }) });
    }
    const updated = await updateRun(db, customerId, runId, {
      status: 'success',
      summary_json: JSON.stringify({ from, to, sensitivity, ...result }),
      finished_at: new Date(),
      duration_ms: Math.round(performance.now() - t0),
    });
    // Counted like the scheduled runs (trigger `backtest`); a backtest stores no findings.
    metrics.analysisRunFinished('driftwatch', 'backtest', 'success', (performance.now() - t0) / 1000, []);
    return { run: updated ?? run, result };
  } catch (error) {
    await updateRun(db, customerId, runId, {
      status: 'failed',
      error_message: describeError(error).slice(0, 2000),
      finished_at: new Date(),
      duration_ms: Math.round(performance.now() - t0),
    }).catch(() => undefined);
    metrics.analysisRunFinished('driftwatch', 'backtest', 'failed', (performance.now() - t0) / 1000, []);
    throw error;
  }
}

/** Backtest now, in this process (CLI): records the run and executes it. */
export async function backtestDriftWatch(
  db: Kysely<DB>,
  input: BacktestInput,
  options: { metrics?: WorkMetrics } = {},
): Promise<{ run: AnalysisRunRecord; result: BacktestResult }> {
  const run = await createBacktestRun(db, input);
  return executeBacktestRun(db, input.customerId, run.id, options);
}
