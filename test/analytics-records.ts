import type { AnalysisRunRecord } from '../src/db/repositories/analysis-runs.repository.ts';
import type { FindingRecord } from '../src/db/repositories/findings.repository.ts';

/**
 * Rows of `findings` and `analysis_runs` as the repositories return them, built in memory for
 * the presenters' unit tests (no database): a plausible DriftWatch denial-rate finding and a
 * finished manual run, each field overridable.
 */

export function findingRecord(overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    customer_id: 1,
    id: 1,
    run_id: 1,
    product: 'driftwatch',
    as_of: '2026-11-30',
    signal_type: 'DENIAL_RATE',
    fingerprint: 'fp-1',
    payer: 'Aetna',
    cpt_group: 'E&M',
    denial_reason: null,
    baseline_start: '2026-08-03',
    baseline_end: '2026-10-26',
    current_start: '2026-11-02',
    current_end: '2026-11-30',
    baseline_value: 0.1,
    current_value: 0.2,
    delta_value: 0.1,
    unit: 'rate',
    delta_percent: 100,
    baseline_count: 400,
    current_count: 120,
    direction: 'degrading',
    severity: 0.8,
    severity_label: 'high',
    confidence: 0.95,
    confidence_label: 'High',
    test: 'z_two_proportion',
    p_value: 0.001,
    q_value: 0.004,
    estimated_impact: '1250.00',
    impact_kind: 'denied_dollars',
    summary_text: 'Aetna E&M denial rate rose from 10.0% to 20.0%.',
    details: {},
    created_at: new Date('2026-11-30T06:00:00Z'),
    updated_at: new Date('2026-11-30T06:00:00Z'),
    ...overrides,
  };
}

export function analysisRun(overrides: Partial<AnalysisRunRecord> = {}): AnalysisRunRecord {
  return {
    customer_id: 1,
    id: 1,
    product: 'driftwatch',
    as_of: '2026-11-30',
    run_type: 'manual',
    status: 'success',
    parameters: {},
    summary_json: {},
    attempts: 1,
    rerun_requested: false,
    queued_at: new Date('2026-11-30T06:00:00Z'),
    started_at: new Date('2026-11-30T06:00:01Z'),
    finished_at: new Date('2026-11-30T06:00:05Z'),
    duration_ms: 4000,
    error_message: null,
    requested_by: null,
    job_id: null,
    created_at: new Date('2026-11-30T06:00:00Z'),
    updated_at: new Date('2026-11-30T06:00:05Z'),
    ...overrides,
  };
}
