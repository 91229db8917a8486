import { describe, expect, it } from 'vitest';
import { createIngestionHarness } from '../../test/ingestion.ts';
import { listRunFindings } from '../db/repositories/findings.repository.ts';
import { createSyntheticGenerator, demoGeneratorInput } from '../domain/synthetic/index.ts';
import { runEnabledAnalysesNow } from './request-analysis.ts';

/**
 * A24 (analytics §14): the demo data through the real chain — generator → uploads → ingestion
 * (claims and rollups) → every product at as_of 2026-11-27 → the planted findings are stored.
 */
describe('A24 — demo data end to end', () => {
  it('finds every planted scenario', { timeout: 900_000 }, async () => {
    const harness = await createIngestionHarness();
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
      const generator = createSyntheticGenerator(demoGeneratorInput('2026-11-27'));
      for (const file of generator.files) {
        const { text } = generator.render(file);
        const upload = await harness.ingest(file.name, text);
        expect(['success', 'partial']).toContain(upload.status);
      }
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
            // The spec names the group "E&M Office Visit"; the built-in AMA-range group may be "E&M".
            (sub === undefined || (f.cpt_group ?? f.denial_reason ?? '').startsWith(sub)),
        );

      const denialRate = find(dw, 'DENIAL_RATE', 'Blue Cross Blue Shield', 'E&M');
      expect(denialRate?.direction).toBe('degrading');
      expect(denialRate?.delta_value).toBeGreaterThanOrEqual(0.1);
      expect(denialRate?.delta_value).toBeLessThanOrEqual(0.35);
      const decision = find(dw, 'DECISION_TIME', 'Medicare', 'E&M');
      expect(decision?.delta_value).toBeGreaterThanOrEqual(6);
      expect(decision?.delta_value).toBeLessThanOrEqual(10);
      expect(decision?.severity).toBeGreaterThanOrEqual(0.6);
      const underpay = find(dw, 'PAYMENT_AMOUNT', 'Aetna', 'E&M');
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
    } finally {
      await harness.dispose();
    }
  });
});
