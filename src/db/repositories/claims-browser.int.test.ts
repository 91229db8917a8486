import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../test/claims.ts';
import {
  type ClaimFilters,
  countFilteredClaims,
  countStoredClaims,
  payerSummary,
  searchClaims,
} from './claims-browser.repository.ts';

let fixtures: ClaimsFixtures;

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
});

afterAll(async () => {
  await fixtures.services.dispose();
});

/** The same count and summary computed over `claims` directly (the definition). */
async function fromClaims(customerId: number, filters: ClaimFilters) {
  const db = fixtures.services.database.db;
  const where = sql.join(
    [
      sql`customer_id = ${customerId}`,
      sql`NOT reversed`,
      ...(filters.payer ? [sql`lower(payer) = ${filters.payer.toLowerCase()}`] : []),
      ...(filters.cptGroup ? [sql`cpt_group = ${filters.cptGroup}`] : []),
      ...(filters.outcome ? [sql`outcome = ${filters.outcome}`] : []),
      ...(filters.submittedFrom ? [sql`submitted_date >= ${filters.submittedFrom}`] : []),
      ...(filters.submittedTo ? [sql`submitted_date <= ${filters.submittedTo}`] : []),
    ],
    sql` AND `,
  );
  const rows = await sql<{ payer: string; n: string; denied: string; avg: string | null }>`
    SELECT payer, count(*) AS n, count(*) FILTER (WHERE outcome = 'DENIED') AS denied,
           round(avg(allowed_amount), 2)::text AS avg
      FROM claims WHERE ${where} GROUP BY payer ORDER BY count(*) DESC, payer`.execute(db);
  return {
    total: rows.rows.reduce((sum, row) => sum + Number(row.n), 0),
    summary: rows.rows.map((row) => [row.payer, Number(row.n), Number(row.denied), row.avg]),
  };
}

describe('claims browser counts and payer summary read the rollups (issue 10: fast at 1M claims)', () => {
  const cases: ClaimFilters[] = [
    {},
    { payer: 'payerone' },
    { outcome: 'DENIED' },
    { submittedFrom: '2024-01-04', submittedTo: '2024-02-02' },
    { payer: 'PayerTwo', outcome: 'DENIED', submittedTo: '2024-02-02' },
  ];

  it.each(cases)('equal the claims for filters %j', async (filters) => {
    const db = fixtures.services.database.db;
    const customerId = fixtures.fx.customerA.id;
    const expected = await fromClaims(customerId, filters);
    expect(await countFilteredClaims(db, customerId, filters)).toBe(expected.total);
    const summary = await payerSummary(db, customerId, filters);
    expect(
      summary.map((row) => [row.payer, row.total_claims, row.denied_count, row.avg_allowed_amount]),
    ).toEqual(expected.summary);
  });

  it('counts stored claims per customer (tenant isolation) and pages by decided date', async () => {
    const db = fixtures.services.database.db;
    expect(await countStoredClaims(db, fixtures.fx.customerA.id)).toBe(8);
    expect(await countStoredClaims(db, fixtures.fx.customerB.id)).toBe(1);
    // A filter the rollups do not key (CPT code) still counts from the claims.
    expect(await countFilteredClaims(db, fixtures.fx.customerA.id, { cpt: '99215' })).toBe(2);
    const page = await searchClaims(db, fixtures.fx.customerA.id, {}, { limit: 3, offset: 0 });
    expect(page.map((claim) => claim.decided_date)).toEqual(['2024-02-12', '2024-02-11', '2024-02-10']);
  });
});
