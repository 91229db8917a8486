import { describe, expect, it } from 'vitest';
import { analysisRun } from '../../test/analytics-records.ts';
import { BACKTEST_MAX_WEEKS } from '../domain/analytics/index.ts';
import { BACKTEST_NOTE, backtestDeltaText, presentBacktestForm, presentBacktestResult } from './backtest.ts';

const EPISODE = {
  payer: 'Aetna',
  cpt_group: 'E&M',
  signal_type: 'DENIAL_RATE',
  direction: 'degrading',
  first_detected_as_of: '2026-10-05',
  last_detected_as_of: '2026-10-19',
  weeks_detected: 3,
  first_severity: 0.61,
  first_severity_label: 'medium',
  max_severity: 0.834,
  max_severity_label: 'high',
  first_delta: 0.0625,
  first_q_value: 0.012345,
} as const;

describe('DriftWatch backtest presenter (analytics §10.3)', () => {
  it('keeps what was typed, the error and the selected sensitivity', () => {
    const form = presentBacktestForm(
      { from: '2026-01-05', to: 'x', sensitivity: 'reference' },
      'Bad dates.',
      {
        canRun: false,
      },
    );
    expect(form).toMatchObject({
      values: { from: '2026-01-05', to: 'x', sensitivity: 'reference' },
      error: 'Bad dates.',
      maxWeeks: BACKTEST_MAX_WEEKS,
      canRun: false,
      note: BACKTEST_NOTE,
    });
    expect(form.sensitivities.filter((s) => s.selected).map((s) => s.value)).toEqual(['reference']);
    const blank = presentBacktestForm({ from: '', to: '', sensitivity: '' }, null, { canRun: true });
    expect(blank.sensitivities.filter((s) => s.selected).map((s) => s.label)).toEqual(["Customer's setting"]);
  });

  it('shows deltas in days for decision time, in points for rates', () => {
    expect(backtestDeltaText('DECISION_TIME', 2.25)).toBe('+2.3 days');
    expect(backtestDeltaText('DENIAL_RATE', 0.0625)).toBe('+6.3 pts');
    expect(backtestDeltaText('PAYMENT_AMOUNT', -0.1)).toBe('-10.0 pts');
  });

  it('a finished run: parameters, chart of findings per week and the episode table', () => {
    const run = analysisRun({
      run_type: 'backtest',
      as_of: '2026-10-26',
      parameters: { from: '2026-10-05', to: '2026-10-26', sensitivity: 'reference' },
      summary_json: {
        weeks: [
          { as_of: '2026-10-05', findings: 1, by_signal: { DENIAL_RATE: 1 } },
          { as_of: '2026-10-12', findings: 0, by_signal: {} },
        ],
        episodes: [EPISODE],
      },
    });
    const result = presentBacktestResult(run);
    expect(result).toMatchObject({
      from: '2026-10-05',
      to: '2026-10-26',
      sensitivity: 'Reference',
      done: true,
      pending: false,
      failed: false,
      weeksCount: 2,
    });
    expect(result.chart?.rows).toEqual([
      ['2026-10-05', '1'],
      ['2026-10-12', '0'],
    ]);
    expect(result.chart?.svg).toContain('chart-backtest-weeks');
    expect(result.episodes).toEqual([
      {
        payer: 'Aetna',
        group: 'E&M',
        signal: 'DENIAL_RATE',
        direction: 'degrading',
        first: '2026-10-05',
        last: '2026-10-19',
        weeks: 3,
        firstSeverity: 'Medium (0.61)',
        maxSeverity: 'High (0.83)',
        firstDelta: '+6.3 pts',
        firstQ: '0.0123',
      },
    ]);
  });

  it('a queued run has no chart and no episodes; missing parameters fall back to the run', () => {
    const result = presentBacktestResult(
      analysisRun({ run_type: 'backtest', status: 'queued', parameters: {}, summary_json: {} }),
    );
    expect(result).toMatchObject({
      from: '',
      to: '2026-11-30',
      sensitivity: 'Strict',
      done: false,
      pending: true,
      chart: null,
      episodes: [],
      weeksCount: 0,
    });
    expect(presentBacktestResult(analysisRun({ run_type: 'backtest', status: 'failed' })).failed).toBe(true);
  });
});
