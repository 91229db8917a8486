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
import { analysisRollupWindow } from '../../commands/run-analysis.ts';
import {
  addDays,
  type DailyRollupRow,
  runDelayGuard,
  runDenialScope,
  runDriftWatch,
} from '../../domain/analytics/index.ts';
import { type ClaimLine, rollupsFromClaims } from '../../domain/analytics/rollup-fixtures.ts';
import type { DB } from '../schema.ts';
import {
  customerHasRollups,
  historyCoverage,
  latestDecisionDay,
  rollupRowsInWindow,
  settlementRowsInWindow,
} from './rollups.repository.ts';

const T = '2026-03-02';

/** A mixed claim set: every payer/group/reason/outcome combination, amounts with exact ratios. */
function mixedClaims(): ClaimLine[] {
  const payers = ['Aetna', 'Cigna', 'Humana'];
  const groups = ['EVAL', 'SURG', 'RAD'];
  const reasons = ['CO-16', 'CO-97', null];
  const out: ClaimLine[] = [];
  let i = 0;
  for (let day = addDays(T, -110); day < addDays(T, 3); day = addDays(day, 1)) {
    for (const payer of payers) {
      for (const group of groups) {
        i++;
        const outcome = i % 5 === 0 ? 'DENIED' : i % 11 === 0 ? 'OTHER' : 'PAID';
        out.push({
          payer,
          cpt_group: group,
          submitted_date: day,
          decided_date: addDays(day, 3 + (i % 7)),
          outcome,
          allowed_amount: i % 13 === 0 ? null : '100.00',
          paid_amount: outcome === 'PAID' ? ['100.00', '50.00', '75.00'][i % 3] : null,
          payment_date: outcome === 'PAID' && i % 2 === 0 ? addDays(day, 10 + (i % 4)) : null,
          denial_reason_code: outcome === 'DENIED' ? reasons[i % 3] : null,
          denial_reason_text:
            outcome === 'DENIED' && reasons[i % 3] === null ? 'Missing documentation' : null,
        });
      }
    }
  }
  return out;
}

const sortRows = (rows: DailyRollupRow[]) =>
  [...rows].sort((a, b) =>
    JSON.stringify([a.day, a.payer, a.cpt_group, a.outcome, a.denial_reason]).localeCompare(
      JSON.stringify([b.day, b.payer, b.cpt_group, b.outcome, b.denial_reason]),
    ),
  );

describe('rollups repository (analytics §3)', () => {
  let handle: TestDatabase;
  let db: Kysely<DB>;
  let customer: number;
  let other: number;
  let claims: ClaimLine[];

  beforeAll(async () => {
    handle = await createTestDatabase();
    db = handle.database.db;
    customer = await createAnalyticsCustomer(db, { name: 'Mixed' });
    other = await createAnalyticsCustomer(db, { name: 'Other' });
    claims = [...mixedClaims(), ...a1Claims(T), ...a12Claims(T), ...a16Claims(T)];
    await writeClaims(db, customer, claims);
    // Another customer with a different shape of data on the same days.
    await writeClaims(db, other, a1Claims(T, 45));
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('returns the stored rows of the window at grain "all", half-open [start, end)', async () => {
    const window = { start: addDays(T, -104), end: T };
    const rows = await rollupRowsInWindow(db, customer, window);
    const expected = rollupsFromClaims(claims).filter((r) => r.day >= window.start && r.day < window.end);
    expect(sortRows(rows)).toEqual(sortRows(expected));
    expect(rows.every((r) => r.day >= window.start && r.day < window.end)).toBe(true);
    expect(await rollupRowsInWindow(db, customer, { start: T, end: T })).toEqual([]);
  });

  it('each product grain gives the detector exactly the result of the raw rollups', async () => {
    const raw = rollupsFromClaims(claims);
    const dw = await rollupRowsInWindow(db, customer, analysisRollupWindow('driftwatch', T), 'driftwatch');
    const ds = await rollupRowsInWindow(db, customer, analysisRollupWindow('denialscope', T), 'denialscope');
    const dg = await settlementRowsInWindow(db, customer, analysisRollupWindow('delayguard', T));
    // Collapsing makes fewer rows.
    expect(dw.length).toBeLessThan(raw.length);
    const options = { customerId: customer, asOf: T };
    const driftwatch = runDriftWatch(dw, options);
    expect(driftwatch.findings.length).toBeGreaterThan(0);
    expect(driftwatch).toEqual(runDriftWatch(raw, options));
    const denialscope = runDenialScope(ds, options);
    expect(denialscope.findings.length).toBeGreaterThan(0);
    expect(denialscope).toEqual(runDenialScope(raw, options));
    const delayguard = runDelayGuard(dg, options);
    expect(delayguard.findings.length).toBeGreaterThan(0);
    expect(delayguard).toEqual(runDelayGuard(rollupsFromClaims(claims, 'settled'), options));
  });

  it("never returns another customer's rows", async () => {
    const window = { start: '2020-01-01', end: '2030-01-01' };
    const mine = await rollupRowsInWindow(db, other, window);
    // A1's 100 claims and the one a year earlier that makes its history long.
    expect(mine.reduce((s, r) => s + r.claim_count, 0)).toBe(101);
    expect(mine.every((r) => r.payer === 'UnitedHealthcare')).toBe(true);
    const nobody = await createAnalyticsCustomer(db, { name: 'Nobody' });
    expect(await rollupRowsInWindow(db, nobody, window)).toEqual([]);
    expect(await customerHasRollups(db, nobody)).toBe(false);
    expect(await customerHasRollups(db, other)).toBe(true);
  });

  it('latest decision day: the last day with decisions, never after the given day (future rows ignored)', async () => {
    const late = await createAnalyticsCustomer(db, { name: 'Late decisions' });
    await writeClaims(db, late, [
      { payer: 'Aetna', submitted_date: '2024-09-10', decided_date: '2024-09-22', outcome: 'PAID' },
      { payer: 'Aetna', submitted_date: '2024-09-12', decided_date: '2027-01-01', outcome: 'PAID' },
    ]);
    expect(await latestDecisionDay(db, late, '2026-12-07')).toBe('2024-09-22');
    expect(await latestDecisionDay(db, late, '2027-06-01')).toBe('2027-01-01');
    const nobody = await createAnalyticsCustomer(db, { name: 'No decisions' });
    expect(await latestDecisionDay(db, nobody, '2026-12-07')).toBeNull();
  });

  it('history coverage: undefined for a long history; per payer first day and 95th percentile for a short one', async () => {
    // A1's customer has a claim 400 days back: long history, nothing to read.
    expect(await historyCoverage(db, other, T)).toBeUndefined();
    // A new customer: Aetna since T−100 (decided after 4 days, 1 in 10 after 40), Cigna since T−30.
    const young = await createAnalyticsCustomer(db, { name: 'Young' });
    const list: ClaimLine[] = [];
    for (let offset = 100; offset >= 1; offset--) {
      const submitted = addDays(T, -offset);
      for (let k = 0; k < 20; k++) {
        const lag = k < 2 ? 40 : 4;
        list.push({
          payer: 'Aetna',
          submitted_date: submitted,
          decided_date: addDays(submitted, lag),
          outcome: 'PAID',
        });
      }
      if (offset <= 30) {
        list.push({
          payer: 'Cigna',
          submitted_date: submitted,
          decided_date: addDays(submitted, 9),
          outcome: 'PAID',
        });
      }
    }
    await writeClaims(
      db,
      young,
      list.filter((c) => c.decided_date < T),
    );
    expect(await historyCoverage(db, young, T)).toEqual({
      Aetna: { dataStart: addDays(T, -100), maturityDays: 40 },
      Cigna: { dataStart: addDays(T, -30), maturityDays: 9 },
    });
  });
});
