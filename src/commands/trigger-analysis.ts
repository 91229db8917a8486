import type { AnalysisRunRecord } from '../db/repositories/analysis-runs.repository.ts';
import type { AnalysisProduct } from '../db/schema.ts';
import type { Sensitivity } from '../domain/analytics/index.ts';
import { recordAudit } from '../obs/audit.ts';
import { requestBacktest } from './backtest-drift-watch.ts';
import {
  type AnalysisRequestResult,
  type RequestDeps,
  requestAnalysesForCustomer,
} from './request-analysis.ts';

/**
 * Analyses a person starts from the portal ("Run analysis now", the DriftWatch backtest form):
 * the request, then audit `analysis_triggered` (source `portal`), whatever the outcome — a
 * request that joined a running analysis is still an action of that user.
 */

export interface TriggerActor {
  customerId: number;
  userId: number | null;
  requestId: string | null;
  ip: string | null;
}

/** "Run analysis now": every enabled product as a manual run on the data-following date. */
export async function triggerPortalAnalyses(
  deps: RequestDeps,
  actor: TriggerActor,
  today: string,
): Promise<Array<AnalysisRequestResult & { product: AnalysisProduct }>> {
  const results = await requestAnalysesForCustomer(deps, {
    customerId: actor.customerId,
    runType: 'manual',
    today,
    requestedBy: actor.userId,
    requestId: actor.requestId,
  });
  const started = results.filter((r) => r.outcome === 'enqueued');
  await recordAudit(deps.db, {
    action: 'analysis_triggered',
    userId: actor.userId,
    customerId: actor.customerId,
    entityType: 'analysis_run',
    entityId: started[0]?.run.id ?? results[0]?.run.id ?? null,
    requestId: actor.requestId,
    ip: actor.ip,
    metadata: {
      products: results.map((r) => r.product),
      runs: results.map((r) => r.run.id),
      outcomes: results.map((r) => r.outcome),
      source: 'portal',
    },
  });
  return results;
}

/** A DriftWatch backtest over [from, to] (BacktestRangeError / invalid_as_of on bad ranges). */
export async function triggerPortalBacktest(
  deps: RequestDeps,
  actor: TriggerActor,
  input: { from: string; to: string; sensitivity?: Sensitivity; today: string },
): Promise<AnalysisRunRecord> {
  const { run } = await requestBacktest(deps, {
    customerId: actor.customerId,
    from: input.from,
    to: input.to,
    ...(input.sensitivity && { sensitivity: input.sensitivity }),
    requestedBy: actor.userId,
    requestId: actor.requestId,
    today: input.today,
  });
  await recordAudit(deps.db, {
    action: 'analysis_triggered',
    userId: actor.userId,
    customerId: actor.customerId,
    entityType: 'analysis_run',
    entityId: run.id,
    requestId: actor.requestId,
    ip: actor.ip,
    metadata: { products: ['driftwatch'], runs: [run.id], run_type: 'backtest', source: 'portal' },
  });
  return run;
}
