import { describe, expect, it } from 'vitest';
import { createIngestionHarness } from '../../test/ingestion.ts';
import { listRunFindings } from '../db/repositories/findings.repository.ts';
import { demoGeneratorInput } from '../domain/synthetic/index.ts';
import { silentLogger } from '../obs/logger.ts';
import { loadDemoClaims } from './load-demo-claims.ts';
import { runEnabledAnalysesNow } from './request-analysis.ts';

/**
 * A24 (analytics §14): the demo data through the real chain — the demo customer's load (its
 * payer and CPT-group mappings, then the generated files through uploads and ingestion: claims
 * and rollups) → every product at as_of 2026-11-27 → the planted findings are stored.
 */
describe('A24 — demo data end to end', () => {
  it('finds every planted scenario', { timeout: 900_000 }, async () => {
    const harness = await createIngestionHarness({ startWorker: false });
    try {
      const db = harness.services.database.db;
      const customerId = harness.customerId;
      await db
        .insertInto('product_configs')
        .values(
          (['driftwatch', 'denialscope', 'delayguard'] as const).map((slug) => ({
            customer_id: customerId,
            product_slug: slug,
            enabled: true,
          })),
        )
        .execute();
      // As `payrixa demo` loads it: without the demo mappings the planted groups and payers
      // would be split (BCBS/UHC spellings as payers of their own, E&M Office Visit inside E&M).
      const load = await loadDemoClaims(
        { database: harness.services.database, config: harness.services.config, logger: silentLogger() },
        { customerId, generator: demoGeneratorInput('2026-11-27') },
      );
      expect(load.problems).toEqual([]);
      expect(load.uploads.every((u) => u.status === 'success' || u.status === 'partial')).toBe(true);
      const results = await runEnabledAnalysesNow({ db }, { customerId, asOf: '2026-11-27' });
      expect(results.map((r) => r.error)).toEqual([null, null, null]);
      const byProduct = async (product: string) => {
        const run = results.find((r) => r.product === product)?.result?.run;
        return run ? listRunFindings(db, customerId, run.id) : [];
      };
      const dw = await byProduct('driftwatch');
      const ds = await byProduct('denialscope');
      const dg = await byProduct('delayguard');
      const find = (list: typeof dw, signal: string, payer: string, sub?: string) =>
        list.find(
          (f) =>
            f.signal_type === signal &&
            f.payer === payer &&
            (sub === undefined || (f.cpt_group ?? f.denial_reason) === sub),
        );

      const denialRate = find(dw, 'DENIAL_RATE', 'Blue Cross Blue Shield', 'E&M Office Visit');
      expect(denialRate?.direction).toBe('degrading');
      expect(denialRate?.delta_value).toBeGreaterThanOrEqual(0.1);
      expect(denialRate?.delta_value).toBeLessThanOrEqual(0.35);
      expect(denialRate?.severity).toBeLessThan(0.7);
      const decision = find(dw, 'DECISION_TIME', 'Medicare', 'E&M Office Visit');
      expect(decision?.direction).toBe('degrading');
      expect(decision?.delta_value).toBeGreaterThanOrEqual(6);
      expect(decision?.delta_value).toBeLessThanOrEqual(10);
      expect(decision?.severity).toBeGreaterThanOrEqual(0.6);
      const underpay = find(dw, 'PAYMENT_AMOUNT', 'Aetna', 'E&M Office Visit');
      expect(underpay?.delta_value).toBeGreaterThanOrEqual(0.07);
      expect(underpay?.delta_value).toBeLessThanOrEqual(0.13);
      expect(underpay?.severity).toBeGreaterThanOrEqual(0.6);
      expect(underpay?.severity).toBeLessThanOrEqual(0.9);

      const newReason = find(ds, 'new_denial_reason', 'Aetna', 'CO-252');
      expect(newReason?.current_value).toBeGreaterThanOrEqual(13);
      expect(newReason?.current_value).toBeLessThanOrEqual(15);
      expect(newReason?.severity_label).toBe('high');
      const dollars = find(ds, 'denial_dollars_spike', 'UnitedHealthcare', 'CO-197');
      expect(dollars?.details['relative_increase']).toBeGreaterThanOrEqual(1);
      expect(dollars?.severity_label).toBe('critical');

      const delay = find(dg, 'payment_delay_drift', 'Cigna');
      expect(delay?.delta_value).toBeGreaterThanOrEqual(9);
      expect(delay?.delta_value).toBeLessThanOrEqual(15);
      expect(delay?.confidence).toBe(1);
      // The spellings were mapped: no finding names an alias as a payer.
      expect(
        [...dw, ...ds, ...dg].some((f) => ['BCBS', 'BC/BS', 'UHC', 'United Health'].includes(f.payer ?? '')),
      ).toBe(false);
    } finally {
      await harness.dispose();
    }
  });
});
