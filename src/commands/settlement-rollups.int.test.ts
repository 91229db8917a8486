import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import { expectRollupsMatchClaims } from '../../test/rollups.ts';
import { listDecisionRollups, listSettlementRollups } from '../db/repositories/claims.repository.ts';
import { insertCptGroupMapping, insertPayerMapping } from '../db/repositories/mappings.repository.ts';
import { deleteUpload } from './delete-upload.ts';
import { reapplyMappings } from './reapply-mappings.ts';

/**
 * `claim_settlement_rollups` (migration 0023, issue 9, DelayGuard) on hand-computed cases: a
 * claim sits on its settlement day — its payment date when the export has one, else its
 * decision day — and moves when a re-send fills in the payment date; the old day is recomputed.
 * The generated-file paths (re-adjudication, delete and revival, re-apply, rebuild, backfill)
 * are checked against the oracle in decision-rollups.int.test.ts.
 */

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

const HEADER =
  'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount,payment_date,denial_reason_code';

/** [day, payer, outcome, dated, claim_count, allowed_sum, allowed_count, payment_days_hist] */
async function settlementRows(h: IngestionHarness) {
  const rows = await listSettlementRollups(h.services.database.db, h.customerId);
  return rows.map((r) => [
    r.day,
    r.payer,
    r.outcome,
    r.dated,
    r.claim_count,
    r.allowed_sum,
    r.allowed_count,
    r.payment_days_hist,
  ]);
}

describe(`settlement-date rollups (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('put a claim on its payment day once the payment date is known, and take it off its decision day', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const first = await h.ingest(
      'march.csv',
      csv(HEADER, [
        // Paid, payment date not in the export yet: settles on its decision day, undated.
        'C-1,Aetna,99213,2026-03-01,2026-03-10,PAID,100.00,90.00,,',
        // Paid, payment date known: settles on the payment day.
        'C-2,Aetna,99213,2026-03-02,2026-03-10,PAID,200.00,180.00,2026-03-14,',
        // Denied: settles on its decision day.
        'C-3,Aetna,99214,2026-03-05,2026-03-10,DENIED,120.50,,,CO-197',
      ]),
    );
    expect(first).toMatchObject({ status: 'success', inserted_rows: 3 });
    expect(await settlementRows(h)).toEqual([
      ['2026-03-10', 'Aetna', 'DENIED', false, 1, '120.50', 1, { '5': 1 }],
      ['2026-03-10', 'Aetna', 'PAID', false, 1, '100.00', 1, { '9': 1 }],
      ['2026-03-14', 'Aetna', 'PAID', true, 1, '200.00', 1, { '12': 1 }],
    ]);
    // Σ allowed² on the decision timeline: 100² + 200² for the PAID bucket, 120.5² for DENIED.
    expect(
      (await listDecisionRollups(db, h.customerId)).map((r) => [r.day, r.outcome, r.allowed_sumsq]),
    ).toEqual([
      ['2026-03-10', 'DENIED', 14_520.25],
      ['2026-03-10', 'PAID', 50_000],
    ]);

    // The next export carries C-1's payment date (nothing else changed): it moves from the
    // decision day 03-10 to the payment day 03-18, and the 03-10 PAID bucket disappears.
    const second = await h.ingest(
      'april.csv',
      csv(HEADER, ['C-1,Aetna,99213,2026-03-01,2026-03-10,PAID,100.00,90.00,2026-03-18,']),
    );
    expect(second).toMatchObject({ status: 'success', updated_rows: 1 });
    expect(await settlementRows(h)).toEqual([
      ['2026-03-10', 'Aetna', 'DENIED', false, 1, '120.50', 1, { '5': 1 }],
      ['2026-03-14', 'Aetna', 'PAID', true, 1, '200.00', 1, { '12': 1 }],
      ['2026-03-18', 'Aetna', 'PAID', true, 1, '100.00', 1, { '17': 1 }],
    ]);
    // On the decision timeline the claim stays on 03-10 (its decided date did not change).
    expect(
      (await listDecisionRollups(db, h.customerId)).map((r) => [
        r.day,
        r.outcome,
        r.claim_count,
        r.payment_date_count,
      ]),
    ).toEqual([
      ['2026-03-10', 'DENIED', 1, 0],
      ['2026-03-10', 'PAID', 2, 2],
    ]);
    await expectRollupsMatchClaims(db, h.customerId);

    // Deleting the second upload reverses C-1 (its current version came from it): it leaves
    // its payment day. Sending the file again revives it there.
    await deleteUpload(
      { database: h.services.database },
      { customerId: h.customerId, uploadId: second.id, userId: null },
    );
    expect(await settlementRows(h)).toEqual([
      ['2026-03-10', 'Aetna', 'DENIED', false, 1, '120.50', 1, { '5': 1 }],
      ['2026-03-14', 'Aetna', 'PAID', true, 1, '200.00', 1, { '12': 1 }],
    ]);
    await expectRollupsMatchClaims(db, h.customerId);
    const revived = await h.ingest(
      'april.csv',
      csv(HEADER, ['C-1,Aetna,99213,2026-03-01,2026-03-10,PAID,100.00,90.00,2026-03-18,']),
    );
    expect(revived).toMatchObject({ status: 'success', updated_rows: 1 });
    expect((await settlementRows(h)).map((r) => r[0])).toEqual(['2026-03-10', '2026-03-14', '2026-03-18']);
    await expectRollupsMatchClaims(db, h.customerId);
  });

  it('a re-adjudication that moves the payment date recomputes the old and the new payment day', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    await h.ingest(
      'one.csv',
      csv(HEADER, [
        'C-1,Cigna,99213,2026-05-01,2026-05-10,PAID,80.00,80.00,2026-05-12,',
        'C-2,Cigna,99213,2026-05-03,2026-05-10,PAID,60.00,60.00,2026-05-12,',
      ]),
    );
    expect(await settlementRows(h)).toEqual([
      ['2026-05-12', 'Cigna', 'PAID', true, 2, '140.00', 2, { '9': 1, '11': 1 }],
    ]);
    // C-2 was paid later than first reported.
    await h.ingest(
      'two.csv',
      csv(HEADER, ['C-2,Cigna,99213,2026-05-03,2026-05-10,PAID,60.00,60.00,2026-05-20,']),
    );
    expect(await settlementRows(h)).toEqual([
      ['2026-05-12', 'Cigna', 'PAID', true, 1, '80.00', 1, { '11': 1 }],
      ['2026-05-20', 'Cigna', 'PAID', true, 1, '60.00', 1, { '17': 1 }],
    ]);
    await expectRollupsMatchClaims(h.services.database.db, h.customerId);
  });

  it('follow a payer mapping re-application; a CPT-group mapping leaves them as they are', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    await h.ingest(
      'claims.csv',
      csv(HEADER, [
        'C-1,Aetna,99213,2026-06-01,2026-06-08,PAID,100.00,100.00,2026-06-11,',
        'C-2,Aetna,99214,2026-06-02,2026-06-09,DENIED,50.00,,,CO-97',
        'C-3,Humana,99213,2026-06-02,2026-06-09,PAID,70.00,70.00,,',
      ]),
    );
    await insertCptGroupMapping(db, h.customerId, { cptCode: '99213', cptGroup: 'Office visits' });
    const groupOnly = await reapplyMappings({ database: h.services.database }, { customerId: h.customerId });
    expect(groupOnly.claimsUpdated).toBe(2);
    const keys = (await listSettlementRollups(db, h.customerId)).map((r) => [
      r.day,
      r.payer,
      r.outcome,
      r.dated,
    ]);
    expect(keys).toEqual([
      ['2026-06-09', 'Aetna', 'DENIED', false],
      ['2026-06-09', 'Humana', 'PAID', false],
      ['2026-06-11', 'Aetna', 'PAID', true],
    ]);
    await expectRollupsMatchClaims(db, h.customerId);

    await insertPayerMapping(db, h.customerId, { rawName: 'Aetna', normalizedName: 'Aetna Inc' });
    const payer = await reapplyMappings({ database: h.services.database }, { customerId: h.customerId });
    expect(payer.claimsUpdated).toBe(2);
    expect((await listSettlementRollups(db, h.customerId)).map((r) => [r.day, r.payer, r.outcome])).toEqual([
      ['2026-06-09', 'Aetna Inc', 'DENIED'],
      ['2026-06-09', 'Humana', 'PAID'],
      ['2026-06-11', 'Aetna Inc', 'PAID'],
    ]);
    await expectRollupsMatchClaims(db, h.customerId);
  });

  it('listSettlementRollups filters by settlement day, inclusive, and by customer', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const other = await h.addCustomer('Other Practice');
    const rows = [
      'C-1,Aetna,99213,2026-07-01,2026-07-05,PAID,10.00,10.00,2026-07-06,',
      'C-2,Aetna,99213,2026-07-01,2026-07-05,PAID,10.00,10.00,2026-07-07,',
      'C-3,Aetna,99213,2026-07-01,2026-07-05,PAID,10.00,10.00,2026-07-08,',
    ];
    await h.ingest('mine.csv', csv(HEADER, rows));
    await h.ingest('theirs.csv', csv(HEADER, rows), { customerId: other });
    const inRange = await listSettlementRollups(db, h.customerId, { from: '2026-07-07', to: '2026-07-08' });
    expect(inRange.map((r) => [r.customer_id, r.day])).toEqual([
      [h.customerId, '2026-07-07'],
      [h.customerId, '2026-07-08'],
    ]);
    const total = await sql<{ n: string }>`
      SELECT sum(claim_count) AS n FROM claim_settlement_rollups`.execute(db);
    expect(Number(total.rows[0]?.n)).toBe(6);
  });
});
