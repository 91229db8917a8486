import { describe, expect, it } from 'vitest';
import { analysisRun } from '../../test/analytics-records.ts';
import { presentRunProgress, presentRunsPage, runRequestMessage } from './analysis-runs.ts';

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
  it('shows each run with its status class, times, window and finding count; pending while one runs', () => {
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
    const page = presentRunsPage(
      { runs: [done, failed, queued], findingCounts: new Map([[3, 7]]) },
      { canRun: true },
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
      window: '2026-08-03 – 2026-10-25 · 2026-11-02 – 2026-11-29',
      error: null,
    });
    expect(page.runs[1]).toMatchObject({
      statusClass: 'bad',
      product: 'DelayGuard',
      events: 0,
      window: '-',
      error: 'boom',
    });
    expect(page.runs[2]).toMatchObject({ statusClass: 'pending', started: '-', finished: '-' });
    expect(page.pending).toBe(true);
    expect(page.canRun).toBe(true);
    expect(presentRunsPage({ runs: [done], findingCounts: new Map() }, { canRun: false }).pending).toBe(
      false,
    );
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
