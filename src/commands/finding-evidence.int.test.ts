import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  a1Claims,
  a12Claims,
  a16Claims,
  createAnalyticsCustomer,
  writeClaims,
} from '../../test/analytics.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { listFindings } from '../db/repositories/findings.repository.ts';
import type { DB } from '../db/schema.ts';
import { findingEvidence, latestRunEvidence } from './finding-evidence.ts';
import { runEnabledAnalysesNow } from './request-analysis.ts';

const T = '2026-03-02';

describe('finding evidence (analytics §12) over stored findings', () => {
  let handle: TestDatabase;
  let db: Kysely<DB>;

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.database.db;
    await createAnalyticsCustomer(db, { id: 42, name: 'Acme' });
    await createAnalyticsCustomer(db, { id: 7, name: 'Other', products: ['delayguard'] });
    await writeClaims(db, 42, [...a1Claims(T), ...a12Claims(T), ...a16Claims(T)]);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('runs every enabled product with one as_of (demo) and builds the payload and interpretation (A22)', async () => {
    const results = await runEnabledAnalysesNow({ db }, { customerId: 42, asOf: T });
    expect(results.map((r) => [r.product, r.result?.status, r.error])).toEqual([
      ['driftwatch', 'success', null],
      ['denialscope', 'success', null],
      ['delayguard', 'success', null],
    ]);
    const a1 = (await listFindings(db, 42, { products: ['driftwatch'] })).find(
      (f) => f.payer === 'UnitedHealthcare',
    );
    const out = await findingEvidence(db, 42, a1?.id as number, {
      portalUrl: '/portal/products/driftwatch/',
    });
    expect(out?.evidence).toMatchObject({
      product: 'driftwatch',
      product_name: 'DriftWatch',
      signal_label: 'Denial rate',
      finding_id: a1?.id,
      fingerprint: 'db6d509282e573ace8ed36c7f612f0fb',
      run_id: a1?.run_id,
      as_of: T,
      entity_label: 'UnitedHealthcare · EVAL',
      date_range: '2025-11-18 → 2026-03-01',
      estimated_impact: '2000.00',
      portal_url: '/portal/products/driftwatch/',
    });
    // The run's findings (A12's Blue Cross data drifts too), by severity.
    expect(out?.evidence.evidence_rows.map((r) => r['payer'])).toContain('UnitedHealthcare');
    expect(out?.interpretation).toMatchObject({
      urgency_level: 'high',
      urgency_label: 'Investigate Today',
      plain_language:
        "UnitedHealthcare's denial rate for EVAL has increased by 40.0 percentage points. This means more of your claims are being denied. This is a significant shift that warrants immediate attention.",
      is_likely_noise: false,
    });

    const ds = (await listFindings(db, 42, { products: ['denialscope'] }))[0];
    const dsOut = await findingEvidence(db, 42, ds?.id as number, { portalUrl: '/x' });
    expect(dsOut?.evidence.entity_label).toBe('Blue Cross Blue Shield · CO-197');
    expect(dsOut?.evidence.evidence_rows[0]).toMatchObject({
      payer: 'Blue Cross Blue Shield',
      denial_reason: 'CO-197',
      // DenialScope's 30-day period of T: 21 + 35 denials of the A12 data.
      denied_count: 56,
    });

    // Another customer's id finds nothing; a customer with no findings gets the empty payload.
    expect(await findingEvidence(db, 7, a1?.id as number, { portalUrl: '/x' })).toBeUndefined();
    const empty = await latestRunEvidence(db, 7, 'delayguard', { portalUrl: '/y' });
    expect(empty).toMatchObject({
      entity_label: '-',
      one_sentence_explanation: 'No DelayGuard signals yet.',
    });
    const top = await latestRunEvidence(db, 42, 'delayguard', { portalUrl: '/y' });
    expect(top.entity_label).toBe('FastPay Insurance');
  });
});
