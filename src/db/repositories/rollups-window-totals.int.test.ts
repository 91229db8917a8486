import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  a1Claims,
  a12Claims,
  a16Claims,
  createAnalyticsCustomer,
  writeClaims,
} from '../../../test/analytics.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/db.ts';
import { analysisRollupWindow, detectFindings } from '../../commands/run-analysis.ts';
import {
  addDays,
  type DriftWindowTotals,
  driftWindowTotalsFromRows,
  runDelayGuard,
  runDenialScope,
  runDriftWatch,
  runDriftWatchOnWindowTotals,
} from '../../domain/analytics/index.ts';
import {
  type ClaimLine,
  rollupsFromClaims,
  variedDriftClaims,
} from '../../domain/analytics/rollup-fixtures.ts';
import type { DB } from '../schema.ts';
import { driftWatchWindowTotals, rollupRowsInWindow, settlementRowsInWindow } from './rollups.repository.ts';

/**
 * Issue 5: the normal DriftWatch run reads per-window totals summed in SQL instead of daily rows.
 * These tests prove, on PGlite and PostgreSQL, that the new read gives exactly the findings,
 * statistics and summary of the daily read on the same data, and that the other products'
 * slimmer reads (histograms they never read left out) give their detectors' exact results.
 */

const T = '2026-03-02';

const byKey = (totals: DriftWindowTotals[]) =>
  [...totals].sort((a, b) =>
    JSON.stringify([a.payer, a.cpt_group, a.window]) < JSON.stringify([b.payer, b.cpt_group, b.window])
      ? -1
      : 1,
  );

describe('DriftWatch window totals (rollups repository, issue 5)', () => {
  let handle: TestDatabase;
  let db: Kysely<DB>;
  let customer: number;
  let other: number;
  let claims: ClaimLine[];

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.database.db;
    customer = await createAnalyticsCustomer(db, { name: 'Varied' });
    other = await createAnalyticsCustomer(db, { name: 'Other' });
    claims = [...variedDriftClaims(T), ...a1Claims(T), ...a12Claims(T), ...a16Claims(T)];
    await writeClaims(db, customer, claims);
    // Another customer with data in the same payer × group cells: must never be summed in.
    await writeClaims(db, other, variedDriftClaims(T, 99));
  });
  afterAll(async () => {
    await handle?.close();
  });

  it.each([T, addDays(T, -7), addDays(T, -28)])(
    'sums exactly what the detector sums from the daily rows (as_of %s)',
    async (asOf) => {
      const totals = await driftWatchWindowTotals(db, customer, asOf);
      const dailyRows = await rollupRowsInWindow(
        db,
        customer,
        analysisRollupWindow('driftwatch', asOf),
        'driftwatch',
      );
      expect(byKey(totals)).toEqual(driftWindowTotalsFromRows(dailyRows, asOf));
      // Also equal to the totals of the raw rollups (every denial reason as its own row).
      expect(byKey(totals)).toEqual(driftWindowTotalsFromRows(rollupsFromClaims(claims, 'decided'), asOf));
    },
  );

  it.each([T, addDays(T, -7), addDays(T, -28)])(
    'gives identical findings, statistics and summary to the daily read (as_of %s)',
    async (asOf) => {
      const totals = await driftWatchWindowTotals(db, customer, asOf);
      const dailyRows = await rollupRowsInWindow(
        db,
        customer,
        analysisRollupWindow('driftwatch', asOf),
        'driftwatch',
      );
      for (const sensitivity of ['strict', 'reference'] as const) {
        const options = { customerId: customer, asOf, sensitivity };
        const fromTotals = runDriftWatchOnWindowTotals(totals, options);
        const fromDays = runDriftWatch(dailyRows, options);
        // toEqual compares every number with Object.is: p, q, z, t, variances are bit-identical.
        expect(fromTotals).toEqual(fromDays);
        if (asOf === T) {
          expect(new Set(fromTotals.findings.map((f) => f.signal_type))).toEqual(
            new Set(['DENIAL_RATE', 'DECISION_TIME', 'PAYMENT_AMOUNT']),
          );
        }
      }
    },
  );

  it('is what a run computes for every product (detectFindings)', async () => {
    for (const sensitivity of ['strict', 'reference'] as const) {
      const input = { customerId: customer, asOf: T, sensitivity };
      const all = (product: 'driftwatch' | 'denialscope' | 'delayguard') =>
        rollupRowsInWindow(db, customer, analysisRollupWindow(product, T), product);
      expect(await detectFindings(db, { ...input, product: 'driftwatch' })).toEqual(
        runDriftWatch(await all('driftwatch'), input),
      );
      const denialscope = await detectFindings(db, { ...input, product: 'denialscope' });
      expect(denialscope.findings.length).toBeGreaterThan(0);
      expect(denialscope).toEqual(runDenialScope(await all('denialscope'), input));
      const delayguard = await detectFindings(db, { ...input, product: 'delayguard' });
      expect(delayguard.findings.length).toBeGreaterThan(0);
      // DelayGuard reads the settlement rollups (payments made in each window).
      const settled = await settlementRowsInWindow(db, customer, analysisRollupWindow('delayguard', T));
      expect(delayguard).toEqual(runDelayGuard(settled, input));
    }
  });

  it('leaves out only the histograms the caller asked to leave out', async () => {
    const window = analysisRollupWindow('delayguard', T);
    const full = await rollupRowsInWindow(db, customer, window, 'delayguard');
    const paymentOnly = await rollupRowsInWindow(db, customer, window, 'delayguard', {
      histograms: { decision: false, payment: true },
    });
    // The double-precision sums of a collapsed grain (several PAID rows per day and payer) may
    // differ in the last bit between two reads when PostgreSQL sums them in parallel workers;
    // DelayGuard never reads them, so they are left out of the exact comparison (allowed_sumsq,
    // which the payment-amount test reads, is compared to its relative rounding error below).
    const withoutDoubles = (rows: typeof full) =>
      rows.map(({ underpay_sum: _sum, underpay_sumsq: _sumsq, allowed_sumsq: _allowed, ...rest }) => rest);
    expect(withoutDoubles(paymentOnly)).toEqual(
      withoutDoubles(full.map((r) => ({ ...r, decision_days_hist: {} }))),
    );
    paymentOnly.forEach((row, i) => {
      const expected = full[i]?.allowed_sumsq ?? Number.NaN;
      expect(Math.abs(row.allowed_sumsq - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-12);
    });
  });

  it("never sums another customer's rows, and is empty for a customer without rollups", async () => {
    const mine = await driftWatchWindowTotals(db, other, T);
    expect(byKey(mine)).toEqual(driftWindowTotalsFromRows(rollupsFromClaims(variedDriftClaims(T, 99)), T));
    const nobody = await createAnalyticsCustomer(db, { name: 'Nobody' });
    expect(await driftWatchWindowTotals(db, nobody, T)).toEqual([]);
    expect(runDriftWatchOnWindowTotals([], { customerId: nobody, asOf: T }).findings).toEqual([]);
  });
});
