import { describe, expect, it } from 'vitest';
import { addDays } from './dates.ts';
import {
  driftGroupsFromWindowTotals,
  driftWindowTotalsFromRows,
  runDriftWatch,
  runDriftWatchOnWindowTotals,
} from './driftwatch.ts';
import { rollupsFromClaims, variedDriftClaims } from './rollup-fixtures.ts';

const T = '2026-03-02';

describe('DriftWatch over per-window totals (the normal run input)', () => {
  const rows = rollupsFromClaims(variedDriftClaims(T));

  it('finds the planted drifts of every signal, including PAYMENT_AMOUNT', () => {
    const result = runDriftWatch(rows, { customerId: 42, asOf: T });
    expect(new Set(result.findings.map((f) => f.signal_type))).toEqual(
      new Set(['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_AMOUNT']),
    );
    // 16 groups: 2 tests each plus PAYMENT_AMOUNT where both windows have >= 30 ratios.
    expect(result.summary.tests).toBeGreaterThan(2 * result.summary.groups_evaluated);
  });

  it.each([T, addDays(T, -7), addDays(T, -30)])('gives exactly the daily-row result at as_of %s', (asOf) => {
    const totals = driftWindowTotalsFromRows(rows, asOf);
    for (const sensitivity of ['strict', 'reference'] as const) {
      const options = { customerId: 42, asOf, sensitivity };
      expect(runDriftWatchOnWindowTotals(totals, options)).toEqual(runDriftWatch(rows, options));
    }
  });

  it('does not depend on the order of the totals and skips empty windows', () => {
    const totals = driftWindowTotalsFromRows(rows, T);
    const reversed = [...totals].reverse();
    const empty = { ...(totals[0] as (typeof totals)[number]), volume: 0, payer: 'Nobody' };
    expect(driftGroupsFromWindowTotals([...reversed, empty])).toEqual(driftGroupsFromWindowTotals(totals));
    expect(runDriftWatchOnWindowTotals([], { customerId: 42, asOf: T }).summary.groups_considered).toBe(0);
  });
});
