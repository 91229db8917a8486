import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  a1Claims,
  a12Claims,
  a16Claims,
  clearRollups,
  createAnalyticsCustomer,
  writeClaims,
} from '../../test/analytics.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import {
  findLatestRun,
  findRun,
  findRunByKey,
  listRuns,
} from '../db/repositories/analysis-runs.repository.ts';
import {
  findFinding,
  findFindingByFingerprint,
  listFindings,
  listLatestRunFindings,
  listRunFindings,
} from '../db/repositories/findings.repository.ts';
import { rollupRowsInWindow } from '../db/repositories/rollups.repository.ts';
import type { DB } from '../db/schema.ts';
import { createWorkMetrics } from '../obs/work-metrics.ts';
import { backtestDriftWatch } from './backtest-drift-watch.ts';
import { requestAnalysisRun } from './request-analysis.ts';
import { AnalysisRunError, runAnalysis } from './run-analysis.ts';

const T = '2026-03-02';
const A1_FINGERPRINT = 'db6d509282e573ace8ed36c7f612f0fb';

async function events(db: Kysely<DB>, customerId: number, type?: string) {
  let q = db.selectFrom('system_events').selectAll().where('customer_id', '=', customerId);
  if (type) q = q.where('event_type', '=', type);
  return q.orderBy('id').execute();
}

describe('run-analysis (analytics §10.1)', () => {
  let handle: TestDatabase;
  let db: Kysely<DB>;

  beforeEach(async () => {
    handle = await createTestDatabase();
    db = handle.database.db;
  });
  afterEach(async () => {
    await handle.close();
  });

  it('A1: persists the DriftWatch finding with the spec fingerprint, run summary and events', async () => {
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));

    const result = await runAnalysis(
      { db },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'manual' },
    );
    expect(result.status).toBe('success');
    expect(result.findings).toBe(1);
    expect(result.newFingerprints).toBe(1);

    const run = await findRun(db, 42, result.run.id);
    expect(run).toMatchObject({
      status: 'success',
      attempts: 1,
      run_type: 'manual',
      product: 'driftwatch',
      as_of: T,
    });
    expect(run?.summary_json).toMatchObject({
      baseline_start: '2025-11-18',
      baseline_end: '2026-02-16',
      current_start: '2026-02-16',
      current_end: T,
      current_claims: 50,
      groups_considered: 1,
      groups_evaluated: 1,
      // DECISION_TIME (all claims decided after 5 days) cannot fire and is not counted.
      tests: 1,
      tests_by_signal: { DENIAL_RATE: 1 },
      findings: 1,
      new_fingerprints: 1,
      emerging: [],
      mature_baselines: {},
      short_history_payers: [],
    });
    expect(run?.parameters).toMatchObject({
      sensitivity: 'strict',
      fdr_q: 0.05,
      min_volume: 30,
      timeline: 'decided',
      fdr_family: 'signal',
    });
    expect(run?.finished_at).toBeInstanceOf(Date);
    expect(run?.duration_ms).toBeGreaterThanOrEqual(0);

    const findings = await listRunFindings(db, 42, result.run.id);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f).toMatchObject({
      fingerprint: A1_FINGERPRINT,
      product: 'driftwatch',
      as_of: T,
      signal_type: 'DENIAL_RATE',
      payer: 'UnitedHealthcare',
      cpt_group: 'EVAL',
      denial_reason: null,
      current_start: '2026-02-16',
      current_end: T,
      severity: 0.8,
      severity_label: 'high',
      confidence: 0.8333,
      direction: 'degrading',
      estimated_impact: '2000.00',
      impact_kind: 'weekly_revenue',
      baseline_count: 50,
      current_count: 50,
      test: 'z_two_proportion',
    });
    expect(f?.p_value).toBeCloseTo(4.456e-5, 7);
    expect(f?.details).toHaveProperty('likely_causes');

    const signals = await events(db, 42, 'driftwatch_signal_created');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.payload).toMatchObject({
      title: 'DriftWatch: Denial rate',
      signal_type: 'DENIAL_RATE',
      payer: 'UnitedHealthcare',
      subkey: 'EVAL',
      severity_label: 'high',
      finding_id: f?.id,
      fingerprint: A1_FINGERPRINT,
    });
    expect(await events(db, 42, 'analysis_run_completed')).toHaveLength(1);

    // Latest-run rule: dashboards read this run's findings.
    const latest = await listLatestRunFindings(db, 42, 'driftwatch');
    expect(latest.runId).toBe(result.run.id);
    expect(latest.findings.map((x) => x.fingerprint)).toEqual([A1_FINGERPRINT]);
  });

  it('A12 and A16: DenialScope and DelayGuard findings with their fingerprints', async () => {
    const T2 = '2026-03-04';
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, [...a12Claims(T2), ...a16Claims(T2)]);

    const ds = await runAnalysis(
      { db },
      { customerId: 42, product: 'denialscope', asOf: T2, runType: 'manual' },
    );
    const dsFindings = await listRunFindings(db, 42, ds.run.id);
    expect(dsFindings.map((f) => [f.signal_type, f.denial_reason, f.severity_label]).sort()).toEqual([
      ['denial_dollars_spike', 'CO-197', 'critical'],
      ['denial_rate_spike', 'CO-197', 'critical'],
    ]);
    expect(dsFindings.find((f) => f.signal_type === 'denial_dollars_spike')?.estimated_impact).toBe(
      '4200.00',
    );
    expect(await events(db, 42, 'denialscope_signal_created')).toHaveLength(2);

    const dg = await runAnalysis(
      { db },
      { customerId: 42, product: 'delayguard', asOf: T2, runType: 'manual' },
    );
    const dgFindings = await listRunFindings(db, 42, dg.run.id);
    expect(dgFindings).toHaveLength(1);
    expect(dgFindings[0]).toMatchObject({
      fingerprint: '80655821ace4ddce135f3083949d7c83',
      signal_type: 'payment_delay_drift',
      payer: 'FastPay Insurance',
      cpt_group: null,
      baseline_value: 21,
      current_value: 36,
      estimated_impact: '75000.00',
      severity_label: 'critical',
    });
    expect((await findRun(db, 42, dg.run.id))?.summary_json).toMatchObject({
      payers_considered: 2,
      findings: 1,
    });
  });

  it('A19: a re-run replaces findings with the same fingerprints and no second signal event', async () => {
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const first = await runAnalysis(
      { db },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'scheduled' },
    );
    const firstFinding = await findFindingByFingerprint(db, 42, A1_FINGERPRINT);

    const second = await runAnalysis(
      { db },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'post_upload' },
    );
    expect(second.run.id).toBe(first.run.id);
    expect(second.newFingerprints).toBe(0);
    const runs = await listRuns(db, 42);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ attempts: 2, status: 'success', run_type: 'post_upload' });
    expect((runs[0]?.summary_json as { new_fingerprints: number } | undefined)?.new_fingerprints).toBe(0);

    const findings = await listFindings(db, 42);
    expect(findings.map((f) => f.fingerprint)).toEqual([A1_FINGERPRINT]);
    // Replaced: the old row is gone (a new id), the fingerprint is the same.
    expect(await findFinding(db, 42, firstFinding?.id as number)).toBeUndefined();
    expect(await events(db, 42, 'driftwatch_signal_created')).toHaveLength(1);
    expect(await events(db, 42, 'analysis_run_completed')).toHaveLength(2);

    // A corrected upload removes the drift: the re-run has no finding.
    await clearRollups(db, 42);
    await writeClaims(db, 42, a1Claims(T, 10));
    const third = await runAnalysis({ db }, { customerId: 42, product: 'driftwatch', asOf: T });
    expect(third.findings).toBe(0);
    expect(await listFindings(db, 42)).toEqual([]);
    expect((await findRun(db, 42, first.run.id))?.attempts).toBe(3);
    expect(await events(db, 42, 'driftwatch_signal_created')).toHaveLength(1);
  });

  it('a failure rolls back: previous findings stay, the run is failed with a message and an event', async () => {
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const ok = await runAnalysis({ db }, { customerId: 42, product: 'driftwatch', asOf: T });
    const before = await listRunFindings(db, 42, ok.run.id);

    // The data changes (drift gone), and the attempt fails just before commit.
    await clearRollups(db, 42);
    await writeClaims(db, 42, a1Claims(T, 10));
    const failing = runAnalysis(
      {
        db,
        hooks: {
          beforeCommit: async () => {
            throw new Error('disk full while writing findings');
          },
        },
      },
      { customerId: 42, product: 'driftwatch', asOf: T },
    );
    await expect(failing).rejects.toBeInstanceOf(AnalysisRunError);
    await expect(failing).rejects.toThrow(/disk full/);

    expect(await listRunFindings(db, 42, ok.run.id)).toEqual(before);
    const run = await findRun(db, 42, ok.run.id);
    expect(run).toMatchObject({
      status: 'failed',
      attempts: 2,
      error_message: 'disk full while writing findings',
    });
    // The successful attempt's summary is kept.
    expect((run?.summary_json as { findings: number } | undefined)?.findings).toBe(1);
    const failed = await events(db, 42, 'analysis_run_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload).toMatchObject({ product: 'driftwatch', as_of: T, run_id: ok.run.id });
    expect(await events(db, 42, 'analysis_run_completed')).toHaveLength(1);
    // The latest successful run is the one that failed now? No: it is not `success` any more.
    expect(await findLatestRun(db, 42, 'driftwatch')).toBeUndefined();

    // The next attempt succeeds and replaces the findings.
    const again = await runAnalysis({ db }, { customerId: 42, product: 'driftwatch', asOf: T });
    expect(again.findings).toBe(0);
    expect((await findRun(db, 42, ok.run.id))?.status).toBe('success');
  });

  it('a customer without claims gets a successful run with zero findings for every product', async () => {
    const id = await createAnalyticsCustomer(db);
    for (const product of ['driftwatch', 'denialscope', 'delayguard'] as const) {
      const result = await runAnalysis({ db }, { customerId: id, product, asOf: T, runType: 'manual' });
      expect(result.status).toBe('success');
      expect(result.findings).toBe(0);
      const run = await findRunByKey(db, id, product, T);
      expect(run?.status).toBe('success');
      expect((run?.summary_json as { findings: number } | undefined)?.findings).toBe(0);
    }
    expect(await listFindings(db, id)).toEqual([]);
    expect((await events(db, id)).map((e) => e.event_type)).toEqual([
      'analysis_run_completed',
      'analysis_run_completed',
      'analysis_run_completed',
    ]);
  });

  it("tenant isolation: B's rollups never affect A's findings; reads for another customer return nothing", async () => {
    const a = await createAnalyticsCustomer(db, { name: 'A' });
    const b = await createAnalyticsCustomer(db, { name: 'B' });
    // Same payer and group for both; only B drifts. A alone is below the minimum volume.
    await writeClaims(db, a, a1Claims(T, 10).slice(0, 40));
    await writeClaims(db, b, a1Claims(T));

    const runA = await runAnalysis({ db }, { customerId: a, product: 'driftwatch', asOf: T });
    const runB = await runAnalysis({ db }, { customerId: b, product: 'driftwatch', asOf: T });
    expect(runA.findings).toBe(0);
    expect((runA.run.summary_json as { groups_evaluated: number }).groups_evaluated).toBe(0);
    expect(runB.findings).toBe(1);
    const findingB = (await listFindings(db, b))[0];

    expect(await listFindings(db, a)).toEqual([]);
    expect(await findRun(db, a, runB.run.id)).toBeUndefined();
    expect(await listRunFindings(db, a, runB.run.id)).toEqual([]);
    expect(await findFinding(db, a, findingB?.id as number)).toBeUndefined();
    expect(await findFindingByFingerprint(db, a, findingB?.fingerprint as string)).toBeUndefined();
    const rowsA = await rollupRowsInWindow(db, a, { start: '2025-01-01', end: T });
    expect(rowsA.reduce((s, r) => s + r.claim_count, 0)).toBe(40);
    // The fingerprint includes the customer: the same drift for A would not collide with B's.
    expect(findingB?.fingerprint).not.toBe(A1_FINGERPRINT);
    expect(await events(db, a, 'driftwatch_signal_created')).toEqual([]);
  });

  it('a request arriving mid-run makes the executing job run once more (rerun_requested)', async () => {
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T, 10));
    // A worker holds the analysis job (a live lease).
    const job = await db
      .insertInto('jobs')
      .values({
        queue: 'analysis',
        kind: 'analysis',
        payload: '{}',
        customer_id: 42,
        status: 'running',
        locked_by: 'test',
        locked_until: sql<Date>`now() + interval '1 minute'`,
        run_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    let requests = 0;
    const queue = {
      enqueue: async () => {
        throw new Error('a running run must not enqueue another job');
      },
    };
    const result = await runAnalysis(
      {
        db,
        hooks: {
          afterDetect: async () => {
            if (requests > 0) return;
            requests++;
            // Meanwhile an upload adds the drift and requests the same run.
            await clearRollups(db, 42);
            await writeClaims(db, 42, a1Claims(T));
            const req = await requestAnalysisRun(
              { db, queue },
              { customerId: 42, product: 'driftwatch', asOf: T, runType: 'post_upload' },
            );
            expect(req.outcome).toBe('rerun_requested');
            expect(req.jobId).toBe(job.id);
          },
        },
      },
      { customerId: 42, product: 'driftwatch', asOf: T, runType: 'scheduled', jobId: job.id },
    );
    expect(result.executions).toBe(2);
    expect(result.findings).toBe(1);
    const run = await findRun(db, 42, result.run.id);
    expect(run).toMatchObject({
      status: 'success',
      attempts: 2,
      rerun_requested: false,
      run_type: 'post_upload',
    });
    expect(await events(db, 42, 'analysis_run_completed')).toHaveLength(2);
    expect(await events(db, 42, 'driftwatch_signal_created')).toHaveLength(1);

    // A second job for the same run while this job is live only flags a re-run.
    await db
      .updateTable('analysis_runs')
      .set({ status: 'running' })
      .where('id', '=', result.run.id)
      .execute();
    const skipped = await runAnalysis(
      { db },
      { customerId: 42, product: 'driftwatch', asOf: T, jobId: job.id + 1000 },
    );
    expect(skipped.status).toBe('skipped');
    expect((await findRun(db, 42, result.run.id))?.rerun_requested).toBe(true);
  });

  it('a backtest row with the same as_of does not collide with the run (partial unique index)', async () => {
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await writeClaims(db, 42, a1Claims(T));
    const registry = new Registry();
    const bt = await backtestDriftWatch(
      db,
      { customerId: 42, from: '2026-02-23', to: T, today: T },
      { metrics: createWorkMetrics(registry) },
    );
    // Counted as an analysis run with trigger `backtest` (web-api-ops §5.2).
    const runs = await registry.getSingleMetric('payrixa_analysis_runs_total')?.get();
    expect(runs?.values).toEqual([
      { labels: { product: 'driftwatch', trigger: 'backtest', status: 'success' }, value: 1 },
    ]);
    const run = await runAnalysis({ db }, { customerId: 42, product: 'driftwatch', asOf: T });
    expect(run.run.id).not.toBe(bt.run.id);
    expect(bt.run.run_type).toBe('backtest');
    expect(await findRunByKey(db, 42, 'driftwatch', T)).toMatchObject({ id: run.run.id, run_type: 'manual' });
    expect((await listRuns(db, 42)).map((r) => r.id)).toEqual([run.run.id]);
    expect(await listRuns(db, 42, { includeBacktests: true })).toHaveLength(2);
    // The latest run ignores backtests.
    expect((await findLatestRun(db, 42, 'driftwatch'))?.id).toBe(run.run.id);
  });

  it('rejects an invalid as_of', async () => {
    const id = await createAnalyticsCustomer(db);
    await expect(
      runAnalysis({ db }, { customerId: id, product: 'driftwatch', asOf: '2026-02-30' }),
    ).rejects.toThrow(/as_of must be a date/);
  });
});
