/**
 * Analytics acceptance example A24 at the data level: the demo customer's files (§7.2 options,
 * end date 2026-11-27), read through the ingestion row pipeline with the demo mappings, rolled up
 * and analysed by the three products, show every planted finding in its expected range.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runDelayGuard } from '../analytics/delayguard.ts';
import { runDenialScope } from '../analytics/denialscope.ts';
import { runDriftWatch } from '../analytics/driftwatch.ts';
import type { FindingDraft } from '../analytics/findings.ts';
import { type ClaimLine, rollupsFromClaims } from '../analytics/rollup-fixtures.ts';
import { resolveColumns } from '../claims/headers.ts';
import { createRowPipeline } from '../claims/pipeline.ts';
import { DEMO_CPT_GROUPS, DEMO_PAYER_MAPPINGS } from './catalog.ts';
import { createSyntheticGenerator } from './generator.ts';
import { demoGeneratorInput } from './options.ts';

const AS_OF = '2026-11-27';

function demoClaims(): ClaimLine[] {
  const generator = createSyntheticGenerator(demoGeneratorInput(AS_OF));
  const payerMappings = new Map(DEMO_PAYER_MAPPINGS.map(([raw, name]) => [raw.toLowerCase(), name]));
  const cptMappings = new Map(DEMO_CPT_GROUPS);
  const claims: ClaimLine[] = [];
  for (const file of generator.files) {
    const records = parse(generator.render(file).text) as string[][];
    const columns = resolveColumns(records[0]!);
    if (!columns.ok) throw new Error(columns.message);
    const pipeline = createRowPipeline({
      columns,
      today: AS_OF,
      payerMappings,
      cptMappings,
      claimIds: { key: new Uint8Array(32).fill(1), customerId: 42 },
    });
    records.slice(1).forEach((cells, i) => {
      const result = pipeline.processRow(cells, i + 2);
      if (result.status !== 'accepted' || result.duplicateOf !== null) return;
      const row = result.row;
      claims.push({
        payer: row.payer,
        cpt_group: row.cptGroup,
        submitted_date: row.submittedDate,
        decided_date: row.decidedDate,
        outcome: row.outcome,
        allowed_amount: row.allowedAmount,
        billed_amount: row.billedAmount,
        paid_amount: row.paidAmount,
        payment_date: row.paymentDate,
        denial_reason_code: row.denialReasonCode,
        denial_reason_text: row.denialReasonText,
        authorization_required: row.authorizationRequired,
        authorization_obtained: row.authorizationObtained,
      });
    });
  }
  return claims;
}

describe('A24 demo data (planted scenarios are found)', () => {
  const rows = rollupsFromClaims(demoClaims(), 'decided');
  const options = { customerId: 42, asOf: AS_OF } as const;
  const drift = runDriftWatch(rows, options).findings;
  const denial = runDenialScope(rows, options).findings;
  const delay = runDelayGuard(rows, options).findings;
  const find = (list: FindingDraft[], match: Partial<FindingDraft>): FindingDraft => {
    const found = list.find((f) =>
      Object.entries(match).every(([k, v]) => (f as unknown as Record<string, unknown>)[k] === v),
    );
    if (!found) throw new Error(`No finding ${JSON.stringify(match)}`);
    return found;
  };

  it('DriftWatch DENIAL_RATE (Blue Cross Blue Shield, E&M Office Visit): +0.10…+0.35, no alert', () => {
    const f = find(drift, {
      signal_type: 'DENIAL_RATE',
      payer: 'Blue Cross Blue Shield',
      cpt_group: 'E&M Office Visit',
    });
    expect(f.direction).toBe('degrading');
    expect(f.delta_value).toBeGreaterThanOrEqual(0.1);
    expect(f.delta_value).toBeLessThanOrEqual(0.35);
    expect(f.severity).toBeLessThan(0.7);
  });

  it('DriftWatch DECISION_TIME (Medicare, E&M Office Visit): +6…+10 days, severity ≥ 0.6', () => {
    const f = find(drift, { signal_type: 'DECISION_TIME', payer: 'Medicare', cpt_group: 'E&M Office Visit' });
    expect(f.direction).toBe('degrading');
    expect(f.delta_value).toBeGreaterThanOrEqual(6);
    expect(f.delta_value).toBeLessThanOrEqual(10);
    expect(f.severity).toBeGreaterThanOrEqual(0.6);
  });

  it('DriftWatch PAYMENT_AMOUNT (Aetna, E&M Office Visit): +0.07…+0.13, severity 0.6…0.9', () => {
    const f = find(drift, { signal_type: 'PAYMENT_AMOUNT', payer: 'Aetna', cpt_group: 'E&M Office Visit' });
    expect(f.delta_value).toBeGreaterThanOrEqual(0.07);
    expect(f.delta_value).toBeLessThanOrEqual(0.13);
    expect(f.severity).toBeGreaterThanOrEqual(0.6);
    expect(f.severity).toBeLessThanOrEqual(0.9);
  });

  it('DenialScope new_denial_reason (Aetna, CO-252): 13–15 denials, High', () => {
    const f = find(denial, { signal_type: 'new_denial_reason', payer: 'Aetna', denial_reason: 'CO-252' });
    expect(f.current_value).toBeGreaterThanOrEqual(13);
    expect(f.current_value).toBeLessThanOrEqual(15);
    expect(f.severity_label).toBe('high');
    expect(f.severity).toBeGreaterThanOrEqual(0.7);
  });

  it('DenialScope denial_dollars_spike (UnitedHealthcare, CO-197): relative increase ≥ 1.0, Critical', () => {
    const f = find(denial, {
      signal_type: 'denial_dollars_spike',
      payer: 'UnitedHealthcare',
      denial_reason: 'CO-197',
    });
    expect(f.delta_value / f.baseline_value).toBeGreaterThanOrEqual(1);
    expect(f.severity_label).toBe('critical');
  });

  it('DelayGuard payment_delay_drift (Cigna): +9…+15 days, confidence 1.0', () => {
    const f = find(delay, { signal_type: 'payment_delay_drift', payer: 'Cigna' });
    expect(f.delta_value).toBeGreaterThanOrEqual(9);
    expect(f.delta_value).toBeLessThanOrEqual(15);
    expect(f.confidence).toBe(1);
    expect(f.severity).toBeGreaterThanOrEqual(0.7);
  });
});
