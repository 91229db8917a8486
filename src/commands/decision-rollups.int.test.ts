import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/db.ts';
import { createIngestionHarness, csv, type IngestionHarness } from '../../test/ingestion.ts';
import {
  expectDecisionRollupsMatchClaims,
  expectRollupsMatchClaims,
  expectSameFloatSum,
  expectSettlementRollupsMatchClaims,
  GENERATED_HEADER,
  generatedRows,
} from '../../test/rollups.ts';
import { migrations } from '../db/migrations/index.ts';
import { migrate } from '../db/migrator.ts';
import {
  listDecisionRollups,
  listRollups,
  listSettlementRollups,
  rebuildCustomerRollups,
} from '../db/repositories/claims.repository.ts';
import { insertCptGroupMapping, insertPayerMapping } from '../db/repositories/mappings.repository.ts';
import { deleteUpload } from './delete-upload.ts';
import { reapplyMappings } from './reapply-mappings.ts';

/**
 * `claim_decision_rollups` (migration 0023, issue 9): the rollups keyed by decided date stay
 * equal to the aggregation of the non-reversed claims through every path that changes claims
 * (upload, re-adjudication, upload delete and revival, mapping re-apply), the migration's
 * backfill and `rebuildCustomerRollups` give the same rows as incremental maintenance. The
 * oracle (`expectRollupsMatchClaims`) and the snapshots cover the three tables, so the
 * settlement rollups of the same migration are checked on the same paths here
 * (settlement-rollups.int.test.ts has their hand-computed cases).
 */

let harness: IngestionHarness | null = null;
afterEach(async () => {
  await harness?.dispose();
  harness = null;
});

type Db = IngestionHarness['services']['database']['db'];

/** The three tables of a customer, floats apart: summation order may change their last bits. */
async function snapshot(db: Db, customerId: number) {
  const split = <R extends { underpay_sum: number; underpay_sumsq: number; allowed_sumsq?: number }>(
    rows: R[],
  ) => ({
    exact: rows.map(({ underpay_sum: _s, underpay_sumsq: _q, allowed_sumsq: _a, ...rest }) => rest),
    floats: rows.map((r) => [r.underpay_sum, r.underpay_sumsq, r.allowed_sumsq ?? 0]),
  });
  return {
    daily: split(await listRollups(db, customerId)),
    decision: split(await listDecisionRollups(db, customerId)),
    settlement: await listSettlementRollups(db, customerId),
  };
}

function expectSameSnapshot(
  actual: Awaited<ReturnType<typeof snapshot>>,
  expected: Awaited<ReturnType<typeof snapshot>>,
): void {
  expect(actual.daily.exact).toEqual(expected.daily.exact);
  expect(actual.decision.exact).toEqual(expected.decision.exact);
  expect(actual.settlement).toEqual(expected.settlement);
  for (const table of ['daily', 'decision'] as const) {
    expect(actual[table].floats).toHaveLength(expected[table].floats.length);
    actual[table].floats.forEach(([sum, sumsq, allowedSumsq], i) => {
      const [expectedSum, expectedSumsq, expectedAllowedSumsq] = expected[table].floats[i] ?? [];
      expect(sum).toBeCloseTo(expectedSum ?? Number.NaN, 9);
      expect(sumsq).toBeCloseTo(expectedSumsq ?? Number.NaN, 9);
      expectSameFloatSum(
        allowedSumsq ?? Number.NaN,
        expectedAllowedSumsq ?? Number.NaN,
        `${table} allowed_sumsq`,
      );
    });
  }
}

const HAND_HEADER = 'claim_id,payer,cpt,submitted_date,decided_date,outcome,denial_reason_code,paid_amount';

describe(`decision-date rollups (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('a re-adjudication that moves the decided date shrinks, then empties, the old decision day', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const first = await h.ingest(
      'one.csv',
      csv(HAND_HEADER, [
        'C-1,Aetna,99213,2026-03-02,2026-03-10,DENIED,CO-197,',
        'C-2,Aetna,99213,2026-03-04,2026-03-10,DENIED,CO-197,',
      ]),
    );
    expect(first).toMatchObject({ status: 'success', inserted_rows: 2 });
    expect(await listDecisionRollups(db, h.customerId)).toMatchObject([
      {
        day: '2026-03-10',
        payer: 'Aetna',
        cpt_group: 'E&M',
        outcome: 'DENIED',
        denial_reason: 'CO-197',
        claim_count: 2,
        decision_days_hist: { '6': 1, '8': 1 },
        payment_days_hist: { '6': 1, '8': 1 },
      },
    ]);

    // C-1 paid on appeal, decided again on 2026-04-02: same submitted day, new decision day.
    const second = await h.ingest(
      'two.csv',
      csv(HAND_HEADER, ['C-1,Aetna,99213,2026-03-02,2026-04-02,PAID,,80.00']),
    );
    expect(second).toMatchObject({ status: 'success', updated_rows: 1 });
    expect(
      (await listDecisionRollups(db, h.customerId)).map((r) => [r.day, r.outcome, r.claim_count, r.paid_sum]),
    ).toEqual([
      ['2026-03-10', 'DENIED', 1, '0.00'],
      ['2026-04-02', 'PAID', 1, '80.00'],
    ]);
    // The daily rollups keep both on their submitted days.
    expect((await listRollups(db, h.customerId)).map((r) => [r.day, r.outcome])).toEqual([
      ['2026-03-02', 'PAID'],
      ['2026-03-04', 'DENIED'],
    ]);

    const third = await h.ingest(
      'three.csv',
      csv(HAND_HEADER, ['C-2,Aetna,99213,2026-03-04,2026-04-02,PAID,,50.00']),
    );
    expect(third).toMatchObject({ status: 'success', updated_rows: 1 });
    expect(await listDecisionRollups(db, h.customerId)).toMatchObject([
      {
        day: '2026-04-02',
        outcome: 'PAID',
        denial_reason: '',
        claim_count: 2,
        paid_sum: '130.00',
        paid_count: 2,
        decision_days_hist: { '29': 1, '31': 1 },
        payment_date_count: 0,
      },
    ]);
    await expectRollupsMatchClaims(db, h.customerId);
  });

  it('equal the claims after a first upload, re-adjudications, an upload delete and the revival', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const first = await h.ingest('first.csv', csv(GENERATED_HEADER, generatedRows(400, 31)));
    expect(first).toMatchObject({ status: 'success', inserted_rows: 400 });
    await expectRollupsMatchClaims(db, h.customerId);

    // Same claim numbers, other values, dates shifted: claims move between decision days.
    const secondFile = csv(GENERATED_HEADER, generatedRows(300, 32, { shiftDays: 5 }));
    const second = await h.ingest('second.csv', secondFile);
    expect(second.updated_rows).toBeGreaterThan(250);
    await expectRollupsMatchClaims(db, h.customerId);

    // Deleting the second upload reverses the claims it last wrote (C-0 … C-299).
    const deleted = await deleteUpload(
      { database: h.services.database },
      { customerId: h.customerId, uploadId: second.id, userId: null },
    );
    expect(deleted.claimsRemoved).toBe(second.updated_rows);
    await expectRollupsMatchClaims(db, h.customerId);
    const total = await sql<{ n: string }>`
      SELECT sum(claim_count) AS n FROM claim_decision_rollups WHERE customer_id = ${h.customerId}`.execute(
      db,
    );
    expect(Number(total.rows[0]?.n)).toBe(400 - second.updated_rows);

    // Sending the file again revives the reversed claims (updates).
    const revived = await h.ingest('second.csv', secondFile);
    expect(revived).toMatchObject({ status: 'success', updated_rows: second.updated_rows });
    await expectRollupsMatchClaims(db, h.customerId);
  });

  it('follow a mapping re-application that changes payers and CPT groups', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    await h.ingest('claims.csv', csv(GENERATED_HEADER, generatedRows(300, 41)));
    await insertPayerMapping(db, h.customerId, { rawName: 'Aetna', normalizedName: 'Aetna Inc' });
    await insertCptGroupMapping(db, h.customerId, { cptCode: '99213', cptGroup: 'Office visits' });
    const result = await reapplyMappings({ database: h.services.database }, { customerId: h.customerId });
    expect(result.claimsUpdated).toBeGreaterThan(100);

    await expectRollupsMatchClaims(db, h.customerId);
    const decision = await listDecisionRollups(db, h.customerId);
    expect(decision.filter((r) => r.payer === 'Aetna')).toEqual([]);
    expect(decision.some((r) => r.payer === 'Aetna Inc')).toBe(true);
    expect(decision.some((r) => r.cpt_group === 'Office visits')).toBe(true);
  });

  it('rebuildCustomerRollups gives the rows incremental maintenance gave, for that customer only', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const other = await h.addCustomer('Other Practice');
    await h.ingest('other.csv', csv(GENERATED_HEADER, generatedRows(100, 50)), { customerId: other });
    await h.ingest('first.csv', csv(GENERATED_HEADER, generatedRows(300, 51)));
    const second = await h.ingest(
      'second.csv',
      csv(GENERATED_HEADER, generatedRows(200, 52, { shiftDays: 3 })),
    );
    await h.ingest('third.csv', csv(GENERATED_HEADER, generatedRows(100, 53, { offset: 1000 })));
    await deleteUpload(
      { database: h.services.database },
      { customerId: h.customerId, uploadId: second.id, userId: null },
    );
    const incremental = await snapshot(db, h.customerId);
    const otherBefore = await snapshot(db, other);
    expect(incremental.decision.exact.length).toBeGreaterThan(50);

    await db.transaction().execute((trx) => rebuildCustomerRollups(trx, h.customerId));
    expectSameSnapshot(await snapshot(db, h.customerId), incremental);
    expectSameSnapshot(await snapshot(db, other), otherBefore);

    // From nothing, too (claims loaded without the upload path).
    await db.deleteFrom('claim_daily_rollups').where('customer_id', '=', h.customerId).execute();
    await db.deleteFrom('claim_decision_rollups').where('customer_id', '=', h.customerId).execute();
    await db.deleteFrom('claim_settlement_rollups').where('customer_id', '=', h.customerId).execute();
    await db.transaction().execute((trx) => rebuildCustomerRollups(trx, h.customerId));
    expectSameSnapshot(await snapshot(db, h.customerId), incremental);
  });

  it('migration 0023 backfills the decision and settlement rollups of every customer from their claims', async () => {
    harness = await createIngestionHarness();
    const h = harness;
    const db = h.services.database.db;
    const other = await h.addCustomer('Other Practice');
    await h.ingest('other.csv', csv(GENERATED_HEADER, generatedRows(150, 60)), { customerId: other });
    await h.ingest('first.csv', csv(GENERATED_HEADER, generatedRows(300, 61)));
    const second = await h.ingest(
      'second.csv',
      csv(GENERATED_HEADER, generatedRows(200, 62, { shiftDays: 4 })),
    );
    // Reversed claims must stay out of the backfill.
    await deleteUpload(
      { database: h.services.database },
      { customerId: h.customerId, uploadId: second.id, userId: null },
    );
    const incremental = await snapshot(db, h.customerId);
    const otherIncremental = await snapshot(db, other);

    await migrate(h.services.database, migrations, { to: '0022_ingest_bulk_load' });
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables
       WHERE table_name IN ('claim_decision_rollups', 'claim_settlement_rollups')`.execute(db);
    expect(tables.rows).toEqual([]);
    const columns = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns
       WHERE table_name = 'upload_staging_rows'
         AND column_name IN ('old_decided_date', 'old_settled_date')`.execute(db);
    expect(columns.rows).toEqual([]);
    const indexes = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE indexname = 'claims_customer_settled'`.execute(db);
    expect(indexes.rows).toEqual([]);

    await migrate(h.services.database, migrations);
    expectSameSnapshot(await snapshot(db, h.customerId), incremental);
    expectSameSnapshot(await snapshot(db, other), otherIncremental);
    await expectDecisionRollupsMatchClaims(db, h.customerId);
    await expectDecisionRollupsMatchClaims(db, other);
    await expectSettlementRollupsMatchClaims(db, h.customerId);
    await expectSettlementRollupsMatchClaims(db, other);

    // Uploads after the backfill maintain the table as usual.
    await h.ingest('third.csv', csv(GENERATED_HEADER, generatedRows(100, 63, { shiftDays: 2 })));
    await expectRollupsMatchClaims(db, h.customerId);
  });
});
