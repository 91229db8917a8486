import { describe, expect, it } from 'vitest';
import { analysisCoverage, emergingRows } from './analytics.ts';

describe('"Analysed through" notice (issue 9: the analysis date follows the data)', () => {
  it('says nothing when the analysis reaches yesterday', () => {
    expect(analysisCoverage({ as_of: '2026-12-07' }, '2026-12-07', '2026-12-06')).toEqual({
      analysedThrough: '2026-12-06',
      notice: null,
    });
  });

  it('explains an older analysis by the data ending then', () => {
    expect(analysisCoverage({ as_of: '2024-09-23' }, '2026-12-07', '2024-09-22')?.notice).toBe(
      'Analysed through 2024-09-22: your latest claims are from then.',
    );
  });

  it('says newer decisions wait for the next run (weekly DriftWatch)', () => {
    expect(analysisCoverage({ as_of: '2026-11-30' }, '2026-12-07', '2026-12-04')?.notice).toBe(
      'Analysed through 2026-11-29. Claims decided up to 2026-12-04 are included in the next run.',
    );
  });

  it('no run, no line', () => {
    expect(analysisCoverage(undefined, '2026-12-07', null)).toBeNull();
  });
});

describe('emerging rows', () => {
  it('formats a run summary’s emerging list; DenialScope counts denials, without p when none is stored', () => {
    const rows = emergingRows({
      emerging: [
        {
          signal_type: 'DENIAL_RATE',
          payer: 'Aetna',
          subkey: 'E&M',
          reason: 'not_significant',
          direction: 'degrading',
          baseline_value: 0.1,
          current_value: 0.16,
          delta_value: 0.06,
          unit: 'rate',
          baseline_count: 900,
          current_count: 140,
          p_value: 0.012,
          q_value: 0.09,
          consecutive_runs: 2,
        },
        {
          signal_type: 'denial_dollars_spike',
          payer: 'Cigna',
          subkey: 'CO-97',
          reason: 'needs_more_data',
          direction: 'degrading',
          baseline_value: 57.14,
          current_value: 285.71,
          delta_value: 228.57,
          unit: 'usd_per_day',
          baseline_count: 3,
          current_count: 6,
          p_value: null,
          q_value: null,
          consecutive_runs: 1,
        },
      ],
    });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      signal: 'Denial rate',
      payer: 'Aetna',
      subkey: 'E&M',
      reason: 'Not significant yet',
      runs: '2 runs in a row',
    });
    expect(rows[0]?.evidence).toContain('900 → 140 claims');
    expect(rows[1]).toMatchObject({
      reason: 'Needs more data',
      evidence: '3 → 6 denials',
      runs: 'First seen',
    });
  });

  it('tolerates runs without the list (older runs)', () => {
    expect(emergingRows({})).toEqual([]);
    expect(emergingRows(undefined)).toEqual([]);
  });
});
