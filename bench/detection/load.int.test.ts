import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/commands/run-analysis.ts';
import { listSettlementRollups } from '../../src/db/repositories/claims.repository.ts';
import { addDays, fromEpochDay } from '../../src/domain/analytics/dates.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db.ts';
import { expectRollupsMatchClaims } from '../../test/rollups.ts';
import { generateHistory, type History, TYPICAL_DECISION_TIMES, visibleAt } from './generator.ts';
import { createBenchCustomer, deleteBenchCustomer, syncToAsOf } from './load.ts';
import { readRunOutput } from './runner.ts';
import { BENCH_AS_OF } from './scenarios.ts';

const T = BENCH_AS_OF;

let handle: TestDatabase;
let history: History;

beforeAll(async () => {
  handle = await createTestDatabase();
  history = generateHistory({
    seed: 3,
    payers: 3,
    groups: 4,
    claimsPerCellWeek: 40,
    firstSubmission: addDays(T, -130),
    submissionsEnd: T,
    decisionTimes: TYPICAL_DECISION_TIMES,
    changes: [{ kind: 'denial_rate', cells: 3, factor: 2, from: addDays(T, -14), by: 'decided' }],
  });
});

afterAll(async () => {
  await handle?.close();
});

async function claimsOf(
  customerId: number,
): Promise<{ key: string; payment: string | null; decided: string }[]> {
  const rows = await sql<{ identity_key: string; payment_date: string | null; decided_date: string }>`
    SELECT identity_key, payment_date::text AS payment_date, decided_date::text AS decided_date
      FROM claims WHERE customer_id = ${customerId} ORDER BY identity_key`.execute(handle.database.db);
  return rows.rows.map((r) => ({ key: r.identity_key, payment: r.payment_date, decided: r.decided_date }));
}

async function rollupsOf(customerId: number): Promise<unknown[]> {
  const rows = await sql`
    SELECT day::text, payer, cpt_group, outcome, denial_reason, claim_count, allowed_sum::text,
           paid_sum::text, decision_days_hist, payment_days_hist, payment_date_count, underpay_n
      FROM claim_daily_rollups WHERE customer_id = ${customerId}
     ORDER BY day, payer, cpt_group, outcome, denial_reason`.execute(handle.database.db);
  return rows.rows;
}

describe('detection benchmark loader', () => {
  it('leaves the data an export at each run date holds, week by week, with the rollups of a one-shot load', async () => {
    const db = handle.database.db;
    const weekly = await createBenchCustomer(db, 'weekly', 'strict');
    const first = await syncToAsOf(handle.database, history, weekly, addDays(T, -7));
    const second = await syncToAsOf(handle.database, history, weekly, T);
    expect(first.inserted).toBeGreaterThan(0);
    expect(second.inserted).toBeGreaterThan(0);
    expect(second.paymentsFilled).toBeGreaterThan(0);

    const expected = visibleAt(history, T)
      .map((v) => ({
        key: `bench:${String(v.claim.id).padStart(9, '0')}`,
        payment: v.payment === null ? null : fromEpochDay(v.payment),
        decided: fromEpochDay(v.claim.decided),
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
    const stored = await claimsOf(weekly.id);
    expect(stored).toEqual(expected);
    expect(stored.every((c) => c.decided < T && (c.payment === null || c.payment < T))).toBe(true);

    const oneShot = await createBenchCustomer(db, 'one shot', 'strict');
    await syncToAsOf(handle.database, history, oneShot, T);
    const rollups = await rollupsOf(weekly.id);
    expect(rollups.length).toBeGreaterThan(0);
    expect(rollups).toEqual(await rollupsOf(oneShot.id));
    // Payments filled in by the second sync moved their claims from the decision day to the
    // payment day: the weekly loads end where the one-shot load does, and both equal the claims.
    const settlement = (id: number) =>
      listSettlementRollups(db, id).then((rows) => rows.map(({ customer_id: _c, ...rest }) => rest));
    expect(await settlement(weekly.id)).toEqual(await settlement(oneShot.id));
    await expectRollupsMatchClaims(db, weekly.id);
    await expectRollupsMatchClaims(db, oneShot.id);

    await expect(syncToAsOf(handle.database, history, weekly, addDays(T, -1))).rejects.toThrow(
      /cannot sync back/,
    );

    await deleteBenchCustomer(handle.database, oneShot);
    expect(await claimsOf(oneShot.id)).toEqual([]);
    await deleteBenchCustomer(handle.database, weekly);
  });

  it('reads back exactly the findings a production run stored', async () => {
    const db = handle.database.db;
    const customer = await createBenchCustomer(db, 'read back', 'strict');
    await syncToAsOf(handle.database, history, customer, T);
    for (const product of ['driftwatch', 'denialscope', 'delayguard'] as const) {
      const result = await runAnalysis(
        { db },
        { customerId: customer.id, product, asOf: T, sensitivity: 'reference' },
      );
      const output = await readRunOutput(db, customer.id, product, result.run.id);
      expect(output.findings).toHaveLength(result.findings);
      expect(output.findings.every((f) => f.product === product)).toBe(true);
      if (product === 'driftwatch') expect(output.findings.every((f) => f.entity.includes(' | '))).toBe(true);
      if (product === 'delayguard')
        expect(output.findings.every((f) => !f.entity.includes(' | '))).toBe(true);
    }
    await deleteBenchCustomer(handle.database, customer);
  });
});
