import { describe, expect, it } from 'vitest';
import { analysisRun } from '../../test/analytics-records.ts';
import {
  presentRunArtifacts,
  presentRunProgress,
  presentRunsPage,
  runRequestMessage,
} from './analysis-runs.ts';

describe('"Run analysis now" message (analytics §10.2)', () => {
  it('names the products whose analysis started', () => {
    expect(
      runRequestMessage([
        { product: 'driftwatch', outcome: 'enqueued' },
        { product: 'denialscope', outcome: 'rerun_requested' },
        { product: 'delayguard', outcome: 'enqueued' },
      ]),
    ).toEqual({
      level: 'success',
      message: 'Analysis started for DriftWatch, DelayGuard. This page updates when it finishes.',
    });
  });

  it('says the analysis is already running when nothing new started', () => {
    expect(runRequestMessage([{ product: 'driftwatch', outcome: 'queued' }])).toEqual({
      level: 'info',
      message: 'Analysis is already running.',
    });
  });

  it('warns when no product is enabled', () => {
    expect(runRequestMessage([])).toEqual({
      level: 'warning',
      message: 'No products are enabled for this customer.',
    });
  });
});

describe('reports page and progress', () => {
  it('shows each run with its status class, times, window, finding count and downloads (§13.4)', () => {
    const done = analysisRun({
      id: 3,
      summary_json: {
        baseline_start: '2026-08-03',
        baseline_end: '2026-10-26',
        current_start: '2026-11-02',
        current_end: '2026-11-30',
      },
    });
    const failed = analysisRun({ id: 4, product: 'delayguard', status: 'failed', error_message: 'boom' });
    const queued = analysisRun({ id: 5, status: 'queued', started_at: null, finished_at: null });
    const denial = analysisRun({ id: 6, product: 'denialscope' });
    const backtest = analysisRun({ id: 7, run_type: 'backtest' });
    const at = new Date('2026-11-30T07:00:00Z');
    const pdf = {
      customer_id: 1,
      id: 1,
      run_id: 3,
      kind: 'weekly_drift_summary' as const,
      format: 'pdf' as const,
      storage_key: 'reports/1/weekly_drift_3.pdf',
      size_bytes: 2048,
      sha256: 'a'.repeat(64),
      created_at: at,
      updated_at: at,
    };
    const page = presentRunsPage(
      {
        runs: [done, failed, queued, denial, backtest],
        findingCounts: new Map([[3, 7]]),
        artifacts: [pdf],
        count: 30,
        pending: true,
      },
      { canRun: true, page: 1 },
    );
    expect(page.runs[0]).toEqual({
      id: 3,
      status: 'success',
      statusClass: 'ok',
      product: 'DriftWatch',
      type: 'manual',
      asOf: '2026-11-30',
      started: '2026-11-30 06:00',
      finished: '2026-11-30 06:00',
      events: 7,
      window: { baseline: 'baseline 2026-08-03 – 2026-10-25', current: 'current 2026-11-02 – 2026-11-29' },
      error: null,
      downloads: [
        { format: 'pdf', label: 'PDF', url: '/portal/reports/3/download/pdf/', title: 'PDF, 2 KB' },
        {
          format: 'xlsx',
          label: 'Excel',
          url: '/portal/reports/3/download/xlsx/',
          title: 'Excel, built when you download it',
        },
        {
          format: 'csv',
          label: 'CSV',
          url: '/portal/reports/3/download/csv/',
          title: 'CSV, built when you download it',
        },
      ],
      canGenerate: true,
    });
    expect(page.runs[1]).toMatchObject({
      statusClass: 'bad',
      product: 'DelayGuard',
      events: 0,
      window: null,
      error: 'boom',
      downloads: [],
      canGenerate: false,
    });
    expect(page.runs[2]).toMatchObject({
      statusClass: 'pending',
      started: '-',
      finished: '-',
      downloads: [],
    });
    expect(page.runs[3]?.downloads.map((d) => d.label)).toEqual(['CSV']);
    expect(page.runs[3]?.canGenerate).toBe(false);
    expect(page.runs[4]?.downloads).toEqual([]);
    expect(page).toMatchObject({ pending: true, canRun: true, page: 1, pages: 2, prev: null });
    expect(page.next).toBe('/portal/reports/?page=2');
    const viewer = presentRunsPage(
      { runs: [done], findingCounts: new Map(), artifacts: [], count: 30, pending: false },
      { canRun: false, page: 2 },
    );
    expect(viewer).toMatchObject({ pending: false, prev: '/portal/reports/', next: null, pages: 2 });
    expect(viewer.runs[0]?.canGenerate).toBe(false);
  });

  it('lists the API artifacts of a run with their download URLs', () => {
    expect(
      presentRunArtifacts(3, [
        { run_id: 3, kind: 'weekly_drift_summary', format: 'pdf', size_bytes: 10, sha256: 'ab' },
        { run_id: 4, kind: 'findings_csv', format: 'csv', size_bytes: 5, sha256: 'cd' },
      ]),
    ).toEqual([
      {
        kind: 'weekly_drift_summary',
        format: 'pdf',
        size_bytes: 10,
        sha256: 'ab',
        download_url: '/api/v1/reports/3/download/?format=pdf',
      },
    ]);
  });

  it('progress is done when nothing is queued or running, else lists the phase of each run', () => {
    expect(presentRunProgress([])).toEqual({ done: true, pending: [] });
    expect(
      presentRunProgress([
        analysisRun({ id: 8, status: 'running', product: 'denialscope' }),
        analysisRun({ id: 9, status: 'queued' }),
      ]),
    ).toEqual({
      done: false,
      pending: [
        { id: 8, product: 'DenialScope', status: 'running', phase_label: 'Running', as_of: '2026-11-30' },
        {
          id: 9,
          product: 'DriftWatch',
          status: 'queued',
          phase_label: 'Waiting to start',
          as_of: '2026-11-30',
        },
      ],
    });
  });
});
